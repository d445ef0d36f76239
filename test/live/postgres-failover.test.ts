/**
 * A PostgreSQL primary with a streaming standby, the stack pointed at both (`postgresHost: "<primary>,<standby>"`),
 * so Vault's connection is the multi-host URL with target_session_attrs=read-write. Under a steady issue → connect →
 * revoke load the primary is stopped and the standby promoted: issuing resumes within 10 s of the promotion with no
 * config change, revocations that failed in the gap succeed when retried, nobody is left, and data that owner
 * credentials created before the failover is on the new primary.
 *
 * Replication and promotion differ between majors, so this runs on every major of the live suite.
 */
import { Client } from "pg";
import { quoteLiteral, DYNAMIC_USERNAME_PREFIX } from "../../components";
import { startCredentialLoad } from "./credential-load";
import { PostgresStandby, startStandby, waitForReplay } from "./cluster";
import { describeLive, PostgresServer, startPostgres, VaultError } from "./harness";
import { DatabaseCreds, LiveStack, startLiveStack } from "./live-stack";

const sleep = (ms: number): Promise<void> => new Promise((resolveTimer) => setTimeout(resolveTimer, ms));

describeLive("postgres primary/standby failover", () => {
    let primary: PostgresServer;
    let standby: PostgresStandby;
    let stack: LiveStack;
    let token: string;

    beforeAll(async () => {
        primary = await startPostgres();
        standby = await startStandby(primary);
        stack = await startLiveStack({
            postgres: primary,
            config: (config) => ({
                ...config,
                postgresHost: `127.0.0.1:${primary.port},127.0.0.1:${standby.port}`,
                postgresSslMode: "disable",
                postgresSuperuserPassword: primary.superuserPassword,
            }),
        });
        token = await stack.login("web");
    }, 150_000);

    afterAll(async () => {
        await stack?.stop();
        await standby?.destroy();
    });

    /** An application's connection: like libpq with a host list, the first server that takes the login. */
    const connect = async (creds: Pick<DatabaseCreds, "username" | "password">): Promise<Client> => {
        let lastError: unknown;
        for (const port of [primary.port, standby.port]) {
            const client = new Client({ host: "127.0.0.1", port, database: stack.database, user: creds.username, password: creds.password });
            client.on("error", () => undefined);
            try {
                await client.connect();
                return client;
            } catch (error) {
                lastError = error;
            }
        }
        throw lastError;
    };
    const engineUsersOnStandby = async (): Promise<string[]> =>
        (await standby.query(`SELECT rolname FROM pg_roles WHERE rolname LIKE ${quoteLiteral(DYNAMIC_USERNAME_PREFIX + "%")} ORDER BY rolname`)).rows.map(
            (row: { rolname: string }) => row.rolname,
        );
    const revoke = (creds: DatabaseCreds): Promise<unknown> => stack.as(token, "PUT", `sys/leases/revoke/${creds.leaseId}`, {});

    it("uses the multi-host URL: Vault is connected to the read-write server", async () => {
        // One connection config per role (the default layout): the readonly role's, `<database>-readonly`.
        const connection = await stack.root<{ data: { connection_details: { connection_url: string } } }>("GET", `${stack.mountPath}/config/${stack.database}-readonly`);
        expect(connection.data.connection_details.connection_url).toBe(
            `postgresql://{{username}}:{{password}}@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/${stack.database}?sslmode=disable&target_session_attrs=read-write`,
        );
        const creds = await stack.readCreds(token, stack.credsPaths.readonly);
        const client = await connect(creds);
        try {
            expect((await client.query("SELECT pg_is_in_recovery() AS standby, current_setting('port') AS port")).rows[0]).toEqual({ standby: false, port: String(primary.port) });
        } finally {
            await client.end();
        }
        await revoke(creds);
    });

    it("follows the promoted standby within 10 s, retries failed revocations, leaves nobody, keeps the owners' data", async () => {
        // Data created by owner credentials before the failover.
        const owner = await stack.readCreds(stack.vault.rootToken, stack.credsPaths.owner);
        const ownerClient = await connect(owner);
        await ownerClient.query("CREATE TABLE orders (id serial PRIMARY KEY, note text)");
        await ownerClient.query("INSERT INTO orders (note) SELECT 'before failover ' || n FROM generate_series(1, 100) AS n");
        await ownerClient.end();
        // Leases to revoke while there is no primary.
        const heldAcrossFailover: DatabaseCreds[] = [];
        for (let index = 0; index < 3; index++) heldAcrossFailover.push(await stack.readCreds(token, stack.credsPaths.readwrite));

        const load = startCredentialLoad({
            issue: () => stack.readCreds(token, stack.credsPaths.readonly),
            async use(creds) {
                const client = await connect(creds);
                try {
                    await client.query("SELECT count(*) FROM orders");
                } finally {
                    await client.end();
                }
            },
            revoke: async (creds) => {
                await revoke(creds);
            },
        });
        await sleep(1_500);
        const replayMs = await waitForReplay(primary, standby);
        const stoppedAt = Date.now();
        await primary.stop();

        // No primary: every revocation fails and leaves its user in place (readable on the standby).
        const gapRevocations = await Promise.allSettled(heldAcrossFailover.map(revoke));
        for (const result of gapRevocations) {
            expect(result.status).toBe("rejected");
            expect(((result as PromiseRejectedResult).reason as VaultError).status).toBeGreaterThanOrEqual(400);
        }
        await sleep(1_000);
        await standby.promote();
        const promotedAt = Date.now();

        // Measure, not retry: poll the load's own record until an issue succeeded after the promotion (or 20 s).
        while (load.firstIssueAfter(promotedAt) === undefined && Date.now() - promotedAt < 20_000) await sleep(50);
        const resumedAt = load.firstIssueAfter(promotedAt);
        await sleep(1_000);
        await load.stop();

        const gapFailures = load.failuresBetween(stoppedAt, resumedAt ?? Infinity);
        const cycles = load.events.filter((event) => event.step === "issue" && event.ok).length;
        console.log(
            `postgres failover: standby replayed in ${replayMs} ms; primary stopped, promoted ${promotedAt - stoppedAt} ms later; ` +
                `issuing resumed ${resumedAt === undefined ? "never" : `${resumedAt - promotedAt} ms after the promotion`}; ` +
                `${gapFailures.length} failed steps in the gap, ${load.failedRevocations.length + heldAcrossFailover.length} revocations to retry, ${cycles} credentials issued under load` +
                `; errors seen: ${[...new Set(gapFailures.map((event) => `${event.step}: ${event.error?.replace(/\s+/g, " ")}`))].slice(0, 3).join(" | ")}`,
        );
        expect(load.failuresBetween(0, stoppedAt)).toEqual([]);
        expect(resumedAt).toBeDefined();
        expect(resumedAt! - promotedAt).toBeLessThan(10_000);
        expect(load.failuresBetween(resumedAt!, Infinity)).toEqual([]);

        // Vault does not retry a failed synchronous revocation (internal/vault/logical_system.go handleRevoke returns
        // the error; only expiry and sync=false revocations go to the expiration manager's retry queue): the client
        // repeats the call, which is what `vault lease revoke <lease_id>` sends.
        const toRetry = [...heldAcrossFailover, ...load.failedRevocations];
        const stillThere = await engineUsersOnStandby();
        for (const creds of toRetry) expect(stillThere).toContain(creds.username);
        for (const creds of toRetry) await revoke(creds);
        await stack.root("PUT", `sys/leases/revoke/${owner.leaseId}`, {});
        expect(await engineUsersOnStandby()).toEqual([]);

        const orders = await standby.query("SELECT count(*)::int AS rows, (SELECT tableowner FROM pg_tables WHERE tablename = 'orders') AS owner FROM orders", [], stack.database);
        expect(orders.rows[0]).toEqual({ rows: 100, owner: stack.groupRoles.owner });
        expect((await standby.query("SELECT pg_is_in_recovery() AS standby")).rows[0].standby).toBe(false);
    }, 120_000);
});
