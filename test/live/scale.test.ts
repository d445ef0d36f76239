/**
 * Hundreds of roles on a PostgreSQL with a default `max_connections = 100`: 120 roles and 60 apps, applied with the
 * default layout (bounded by `connectionBudget`, 20), one credential per role issued 8 at a time, renewed, half
 * revoked and the stack destroyed with the other half open. Vault's connections are sampled from pg_stat_activity
 * every 25 ms throughout; their peak must stay within the budget, and nothing may fail. (Under `per-role`, one
 * connection config per role, writing the 100th config is refused by the server: SQLSTATE 53300.)
 */
import { DEFAULTS } from "../../components/validate";
import { describeLive, PostgresServer, startPostgres } from "./harness";
import { appendToConfig, LiveStack, startLiveStack } from "./live-stack";

const ROLE_COUNT = 120;
const APP_COUNT = 60;
const CONCURRENCY = 8;
const ACCESS = ["readonly", "readwrite", "owner"] as const;

const ROLES = Array.from({ length: ROLE_COUNT - 3 }, (_, index) => ({ name: `svc${String(index + 1).padStart(3, "0")}`, access: ACCESS[index % 3], defaultTtl: "1h", maxTtl: "2h" }));
/** Each app uses two roles (the dev stack's three apps come on top). */
const APPS = Array.from({ length: APP_COUNT - 3 }, (_, index) => ({ name: `app${String(index + 1).padStart(2, "0")}`, roles: [ROLES[(2 * index) % ROLES.length].name, ROLES[(2 * index + 1) % ROLES.length].name] }));

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

/** Samples the connections Vault holds (as the Vault admin) until stopped; resolves with the peak. */
function sampleVaultConnections(postgres: PostgresServer): { stop(): Promise<number> } {
    let running = true;
    let peak = 0;
    const loop = (async () => {
        while (running) {
            const { rows } = await postgres.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1", [DEFAULTS.vaultAdminUsername]);
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

describeLive("hundreds of roles within the connection budget, on a PostgreSQL with max_connections = 100", () => {
    let postgres: PostgresServer;
    let stack: LiveStack;
    let sampler: { stop(): Promise<number> };

    beforeAll(async () => {
        postgres = await startPostgres({ maxConnections: 100 });
        sampler = sampleVaultConnections(postgres);
        stack = await startLiveStack({ postgres, config: appendToConfig({ roles: ROLES, apps: APPS }) });
    }, 300_000);

    afterAll(async () => {
        await sampler?.stop().catch(() => undefined);
        await stack?.stop();
    });

    it("applies 120 roles on as many connection configs as the budget holds, issues, renews, revokes and destroys with leases open, Vault never over budget", async () => {
        const roleNames = Object.keys(stack.credsPaths);
        expect(roleNames).toHaveLength(ROLE_COUNT);
        expect(Object.keys(stack.apps)).toHaveLength(APP_COUNT);
        const connectionConfigs = new Set(stack.resources.filter((resource) => resource.type === "vault:database/secretBackendConnection:SecretBackendConnection").map((resource) => resource.name));
        expect(connectionConfigs.size * DEFAULTS.maxOpenConnections).toBeLessThanOrEqual(DEFAULTS.connectionBudget);

        const issued = await pooled(roleNames, CONCURRENCY, async (role) => {
            const creds = await stack.root<{ lease_id: string; data: { username: string } }>("GET", stack.credsPaths[role]);
            return { role, leaseId: creds.lease_id, username: creds.data.username };
        });
        expect(issued.failures).toEqual([]);
        expect(issued.results).toHaveLength(ROLE_COUNT);
        expect(new Set(await stack.dynamicUsers())).toEqual(new Set(issued.results.map((lease) => lease.username)));

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
        console.log(`scale: ${ROLE_COUNT} roles on ${connectionConfigs.size} connection configs; Vault held at most ${peak} connections (budget ${DEFAULTS.connectionBudget})`);
        expect(peak).toBeGreaterThan(0);
        expect(peak).toBeLessThanOrEqual(DEFAULTS.connectionBudget);
    }, 300_000);
});
