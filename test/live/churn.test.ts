/**
 * Churn: 500 issue → connect → query → revoke cycles at concurrency 16, through an app's own token. Nothing may
 * fail, and nothing may be left behind: no engine user in `pg_roles`, no extra session in `pg_stat_activity`.
 */
import { describeLive } from "./harness";
import { LiveStack, startLiveStack } from "./live-stack";

const CYCLES = 500;
const CONCURRENCY = 16;

describeLive("credential churn", () => {
    let stack: LiveStack;

    beforeAll(async () => {
        stack = await startLiveStack();
        // Created as the owner group, as migrations with owner credentials do, so default privileges apply.
        await stack.postgres.query(
            `SET ROLE ${stack.groupRoles.owner}; CREATE TABLE churn_probe (id int); INSERT INTO churn_probe VALUES (1)`,
            [],
            stack.database,
        );
    }, 120_000);

    afterAll(async () => {
        await stack?.stop();
    });

    const clientSessions = async (): Promise<number> =>
        Number(
            (
                await stack.postgres.query(
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
                )
            ).rows[0].n,
        );

    it(`runs ${CYCLES} cycles at concurrency ${CONCURRENCY} with no failure and no leftovers`, async () => {
        const token = await stack.login("web");
        // Warm up Vault's connection pool so the baseline includes its connections.
        const warm = await stack.readCreds(token, stack.credsPaths.readonly);
        await stack.as(token, "PUT", `sys/leases/revoke/${warm.leaseId}`, {});
        const baselineSessions = await clientSessions();

        const failures: string[] = [];
        const usernames = new Set<string>();
        let next = 0;
        const cycle = async (): Promise<void> => {
            const creds = await stack.readCreds(token, stack.credsPaths.readonly);
            usernames.add(creds.username);
            const client = await stack.connect(creds);
            try {
                const rows = (await client.query("SELECT id FROM churn_probe")).rows;
                if (rows.length !== 1) throw new Error(`unexpected rows ${JSON.stringify(rows)}`);
            } finally {
                await client.end();
            }
            await stack.as(token, "PUT", `sys/leases/revoke/${creds.leaseId}`, {});
        };
        await Promise.all(
            Array.from({ length: CONCURRENCY }, async () => {
                while (next < CYCLES) {
                    next += 1;
                    await cycle().catch((error: Error) => failures.push(error.message));
                }
            }),
        );

        expect(failures).toEqual([]);
        expect(usernames.size).toBe(CYCLES);
        expect(await stack.dynamicUsers()).toEqual([]);
        // Closed client sessions can take a moment to leave pg_stat_activity.
        const deadline = Date.now() + 5_000;
        let sessions = await clientSessions();
        while (sessions > baselineSessions && Date.now() < deadline) {
            await new Promise((resolveTimer) => setTimeout(resolveTimer, 100));
            sessions = await clientSessions();
        }
        expect(sessions).toBeLessThanOrEqual(baselineSessions);
    }, 240_000);
});
