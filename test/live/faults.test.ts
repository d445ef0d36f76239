/**
 * Faults: PostgreSQL going away in the middle of churn, a revocation that fails while it is down, and a dev server
 * restart that forgets every lease.
 */
import { Client } from "pg";
import { dropExpiredUsers } from "../../scripts/drop-expired-users";
import { plain, TYPES } from "../helpers/pulumi-mocks";
import { describeLive, startVault, VaultError } from "./harness";
import { applyResources } from "./applier";
import { appendToConfig, DatabaseCreds, LiveStack, startLiveStack } from "./live-stack";

const SHORT_ROLE = { name: "short", access: "owner", defaultTtl: 3, maxTtl: 3 };

describeLive("faults", () => {
    let stack: LiveStack;
    let token: string;

    beforeAll(async () => {
        stack = await startLiveStack({
            config: appendToConfig({ roles: [SHORT_ROLE] }),
        });
        token = await stack.login("web");
    }, 120_000);

    afterAll(async () => {
        await stack?.stop();
    });

    const revoke = (creds: DatabaseCreds): Promise<unknown> => stack.as(token, "PUT", `sys/leases/revoke/${creds.leaseId}`, {});

    it("fails requests clearly while PostgreSQL is down, recovers within 5 s of its restart, and leaves nobody behind", async () => {
        const issued: DatabaseCreds[] = [];
        const outageErrors: VaultError[] = [];
        let stopChurn = false;
        let down = false;
        const churn = (async () => {
            while (!stopChurn) {
                try {
                    issued.push(await stack.readCreds(token, stack.credsPaths.readonly));
                } catch (error) {
                    if (!down) throw error;
                    outageErrors.push(error as VaultError);
                }
                await new Promise((resolveTimer) => setTimeout(resolveTimer, 20));
            }
        })();
        await new Promise((resolveTimer) => setTimeout(resolveTimer, 500));
        down = true;
        await stack.postgres.stop();
        await new Promise((resolveTimer) => setTimeout(resolveTimer, 1_000));
        const errorsWhileDown = outageErrors.length;

        await stack.postgres.start();
        const restartedAt = Date.now();
        let recoveredAfterMs = -1;
        while (Date.now() - restartedAt < 5_000) {
            try {
                issued.push(await stack.readCreds(token, stack.credsPaths.readonly));
                recoveredAfterMs = Date.now() - restartedAt;
                break;
            } catch {
                await new Promise((resolveTimer) => setTimeout(resolveTimer, 100));
            }
        }
        down = false;
        stopChurn = true;
        await churn;

        expect(errorsWhileDown).toBeGreaterThan(0);
        for (const error of outageErrors) {
            expect(error).toBeInstanceOf(VaultError);
            expect(error.status).toBeGreaterThanOrEqual(400);
            expect(error.message).toMatch(/connect|refused|connection/i);
        }
        expect(recoveredAfterMs).toBeGreaterThanOrEqual(0);
        expect(recoveredAfterMs).toBeLessThan(5_000);

        for (const creds of issued) await revoke(creds);
        expect(await stack.dynamicUsers()).toEqual([]);
    }, 60_000);

    it("revokes on retry a lease whose revocation failed while PostgreSQL was down", async () => {
        const creds = await stack.readCreds(token, stack.credsPaths.readwrite);
        await stack.postgres.stop();
        try {
            await expect(revoke(creds)).rejects.toBeInstanceOf(VaultError);
        } finally {
            await stack.postgres.start();
        }
        expect(await stack.dynamicUsers()).toEqual([creds.username]);
        await revoke(creds);
        expect(await stack.dynamicUsers()).toEqual([]);
    }, 60_000);

    it("after a dev server restart, leaves old users to expire at VALID UNTIL; drop-expired-users removes them, keeping their data", async () => {
        const creds = await stack.readCreds(stack.vault.rootToken, stack.credsPaths.short);
        const owner = await stack.connect(creds);
        await owner.query("SET ROLE NONE");
        await owner.query("CREATE TABLE left_behind (note text); INSERT INTO left_behind VALUES ('still here')");
        await owner.end();

        // A dev server keeps nothing: replace it with a fresh one, as a restart would. The lease is gone with it.
        await stack.vault.stop();
        const fresh = await startVault();
        await applyResources(stack.resources, { postgres: stack.postgres, vault: fresh }, "vault");
        await fresh.stop();

        expect(await stack.dynamicUsers()).toEqual([creds.username]);
        // Vault sets VALID UNTIL a few seconds past the lease's end; wait for the role's own expiry.
        const validUntil = (await stack.postgres.query("SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", [creds.username])).rows[0].rolvaliduntil as Date;
        expect(validUntil.getTime()).toBeLessThan(Date.now() + (SHORT_ROLE.maxTtl + 10) * 1000);
        await new Promise((resolveTimer) => setTimeout(resolveTimer, Math.max(0, validUntil.getTime() - Date.now()) + 500));
        await expect(stack.connect(creds)).rejects.toThrow(/password authentication failed/);

        const connection = stack.resources.find((resource) => resource.type === TYPES.connection)!;
        const admin = plain<{ postgresql: { username: string; password: string } }>(connection.inputs).postgresql;
        const client = new Client({ host: stack.postgres.host, port: stack.postgres.port, database: stack.database, user: admin.username, password: admin.password });
        await client.connect();
        try {
            expect(await dropExpiredUsers(client, stack.groupRoles.owner, true)).toEqual([creds.username]);
            expect(await stack.dynamicUsers()).toEqual([creds.username]);
            expect(await dropExpiredUsers(client, stack.groupRoles.owner)).toEqual([creds.username]);
        } finally {
            await client.end();
        }
        expect(await stack.dynamicUsers()).toEqual([]);
        const kept = await stack.postgres.query("SELECT note, (SELECT tableowner FROM pg_tables WHERE tablename = 'left_behind') AS owner FROM left_behind", [], stack.database);
        expect(kept.rows).toEqual([{ note: "still here", owner: stack.groupRoles.owner }]);
    }, 60_000);
});
