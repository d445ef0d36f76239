/**
 * Many databases and hundreds of roles on a PostgreSQL with a default `max_connections = 100`: 20 databases of 6 roles
 * (the dev stack's first database with its 3 roles plus 3 more, and 19 further ones), 60 apps each using roles of two
 * databases, `connectionBudget` 40 (20 databases need one connection config each, at 2 connections). One credential
 * per role issued 8 at a time, renewed, half revoked, the stack destroyed with the other half open. Vault's
 * connections are sampled from pg_stat_activity every 25 ms throughout; their peak must stay within the budget, and
 * nothing may fail. A credential of one database cannot connect to another. (Under `per-role`, one connection
 * config per role, writing about the 100th config is refused by the server: SQLSTATE 53300.)
 */
import { Client } from "pg";
import { DEFAULTS, vaultAdminFor } from "../../components/validate";
import { describeLive, PostgresServer, startPostgres } from "./harness";
import { appendToConfig, LiveStack, startLiveStack } from "./live-stack";

const DATABASE_COUNT = 20;
const ROLES_PER_DATABASE = 6;
const ROLE_COUNT = DATABASE_COUNT * ROLES_PER_DATABASE;
const APP_COUNT = 60;
const CONCURRENCY = 8;
const BUDGET = 40;
const ACCESS = ["readonly", "readwrite", "owner"] as const;

const role = (name: string, index: number) => ({ name, access: ACCESS[index % 3], defaultTtl: "1h", maxTtl: "2h" });
/** The dev stack's database ("app") gets 3 more roles; 19 further databases get 6 each. */
const FIRST_EXTRA = Array.from({ length: ROLES_PER_DATABASE - 3 }, (_, index) => role(`app-extra${index + 1}`, index));
const DATABASES = Array.from({ length: DATABASE_COUNT - 1 }, (_, d) => {
    const name = `svc${String(d + 1).padStart(2, "0")}`;
    return { name, roles: Array.from({ length: ROLES_PER_DATABASE }, (_, r) => role(`${name}-r${r + 1}`, r)) };
});
const FURTHER_ROLES = DATABASES.flatMap((database) => database.roles.map((entry) => entry.name));
/** Each app uses a role of one database and one of the next (the dev stack's three apps come on top). */
const APPS = Array.from({ length: APP_COUNT - 3 }, (_, index) => ({
    name: `app${String(index + 1).padStart(2, "0")}`,
    roles: [FURTHER_ROLES[(index * 2) % FURTHER_ROLES.length], FURTHER_ROLES[(index * 2 + ROLES_PER_DATABASE + 1) % FURTHER_ROLES.length]],
}));

/** Runs `work` over `items`, `limit` at a time; every failure is collected, none stops the others. */
async function pooled<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<{ results: R[]; failures: string[] }> {
    const results: R[] = [];
    const failures: string[] = [];
    let next = 0;
    await Promise.all(
        Array.from({ length: limit }, async () => {
            while (next < items.length) {
                const item = items[next++];
                try {
                    results.push(await work(item));
                } catch (error) {
                    failures.push(`${String(item)}: ${(error as Error).message}`);
                }
            }
        }),
    );
    return { results, failures };
}

/** Samples the connections Vault holds (as each database's Vault admin) until stopped; resolves with the peak. */
function sampleVaultConnections(postgres: PostgresServer): { stop(): Promise<number> } {
    let running = true;
    let peak = 0;
    const loop = (async () => {
        while (running) {
            const { rows } = await postgres.query(
                "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 OR usename = ANY($2::text[])",
                [DEFAULTS.vaultAdminUsername, DATABASES.map((database) => vaultAdminFor(database.name))],
            );
            peak = Math.max(peak, rows[0].n);
            await new Promise((resolveTimer) => setTimeout(resolveTimer, 25));
        }
    })();
    return {
        async stop() {
            running = false;
            await loop;
            return peak;
        },
    };
}

describeLive("20 databases and 120 roles within the connection budget, on a PostgreSQL with max_connections = 100", () => {
    let postgres: PostgresServer;
    let stack: LiveStack;
    let sampler: { stop(): Promise<number> };

    beforeAll(async () => {
        postgres = await startPostgres({ maxConnections: 100 });
        sampler = sampleVaultConnections(postgres);
        stack = await startLiveStack({
            postgres,
            config: (config) => ({ ...appendToConfig({ roles: FIRST_EXTRA, apps: APPS })(config), databases: JSON.stringify(DATABASES), connectionBudget: String(BUDGET) }),
        });
    }, 300_000);

    afterAll(async () => {
        await sampler?.stop().catch(() => undefined);
        await stack?.stop();
    });

    it("applies 20 databases × 6 roles on as many connection configs as the budget holds, issues, renews, revokes and destroys with leases open, Vault never over budget", async () => {
        const roleNames = Object.keys(stack.credsPaths);
        expect(roleNames).toHaveLength(ROLE_COUNT);
        expect(Object.keys(stack.apps)).toHaveLength(APP_COUNT);
        const connectionConfigs = new Set(stack.resources.filter((resource) => resource.type === "vault:database/secretBackendConnection:SecretBackendConnection").map((resource) => resource.name));
        expect(connectionConfigs.size * DEFAULTS.maxOpenConnections).toBeLessThanOrEqual(BUDGET);

        const issued = await pooled(roleNames, CONCURRENCY, async (roleName) => {
            const creds = await stack.root<{ lease_id: string; data: { username: string; password: string } }>("GET", stack.credsPaths[roleName]);
            return { role: roleName, leaseId: creds.lease_id, username: creds.data.username, password: creds.data.password };
        });
        expect(issued.failures).toEqual([]);
        expect(issued.results).toHaveLength(ROLE_COUNT);
        expect(new Set(await stack.dynamicUsers())).toEqual(new Set(issued.results.map((lease) => lease.username)));

        // Isolation: a credential connects to its own database and is refused by another of the stack's.
        const billing = issued.results.find((lease) => lease.role === "svc01-r1")!;
        const connectTo = async (database: string): Promise<string> => {
            const client = new Client({ host: postgres.host, port: postgres.port, user: billing.username, password: billing.password, database });
            client.on("error", () => undefined);
            const outcome = await client.connect().then(() => "connected", (error: { code?: string }) => String(error.code));
            await client.end().catch(() => undefined);
            return outcome;
        };
        expect(await connectTo("svc01")).toBe("connected");
        expect(await connectTo("svc02")).toBe("42501");
        expect(await connectTo("app")).toBe("42501");

        const renewed = await pooled(issued.results, CONCURRENCY, (lease) => stack.root("PUT", "sys/leases/renew", { lease_id: lease.leaseId }));
        expect(renewed.failures).toEqual([]);

        const [revoke, keep] = [issued.results.filter((_, index) => index % 2 === 0), issued.results.filter((_, index) => index % 2 === 1)];
        const revoked = await pooled(revoke, CONCURRENCY, (lease) => stack.root("PUT", `sys/leases/revoke/${lease.leaseId}`));
        expect(revoked.failures).toEqual([]);
        expect((await stack.dynamicUsers()).sort()).toEqual(keep.map((lease) => lease.username).sort());

        // Destroy with half the leases open: unmounting revokes them all.
        await stack.destroy();
        expect(await stack.dynamicUsers()).toEqual([]);

        const peak = await sampler.stop();
        console.log(`scale: ${ROLE_COUNT} roles over ${DATABASE_COUNT} databases on ${connectionConfigs.size} connection configs; Vault held at most ${peak} connections (budget ${BUDGET})`);
        expect(peak).toBeGreaterThan(0);
        expect(peak).toBeLessThanOrEqual(BUDGET);
    }, 300_000);
});
