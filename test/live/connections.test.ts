/**
 * Roles on separate connection configs, on real servers: each connection allows exactly its role; issue, renew and
 * revoke work through an app's own token; a role whose connection is held up does not hold up another role's
 * issuance; a role removed from config leaves its open leases revocable; and the admin password is never rotated.
 */
import { Client } from "pg";
import { quoteIdent } from "../../components";
import { plain, RecordedResource, TYPES } from "../helpers/pulumi-mocks";
import { describeLive, VaultError } from "./harness";
import { LiveStack, startLiveStack } from "./live-stack";

interface ConnectionInputs {
    backend: string;
    name: string;
    allowedRoles: string[];
    postgresql: { username: string; password: string };
}

const sleep = (ms: number): Promise<void> => new Promise((resolveTimer) => setTimeout(resolveTimer, ms));

/** A promise together with whether it has settled yet. */
function tracked<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
    let done = false;
    const watched = promise.finally(() => (done = true));
    watched.catch(() => undefined); // observed by the test that awaits it
    return { promise: watched, settled: () => done };
}

describeLive("roles on separate connection configs", () => {
    let stack: LiveStack;
    let connections: RecordedResource[];
    let webToken: string;

    const connectionOf = (role: string): ConnectionInputs => {
        const found = connections.map((resource) => plain<ConnectionInputs>(resource.inputs)).find((inputs) => inputs.allowedRoles.includes(role));
        if (!found) throw new Error(`no connection serves role ${role}`);
        return found;
    };
    const roleExists = async (username: string): Promise<boolean> =>
        (await stack.postgres.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [username])).rowCount === 1;
    const validUntil = async (username: string): Promise<number> =>
        new Date((await stack.postgres.query("SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", [username])).rows[0].rolvaliduntil).getTime();

    beforeAll(async () => {
        stack = await startLiveStack({ config: (config) => ({ ...config, connections: "per-role" }) });
        connections = stack.resources.filter((resource) => resource.type === TYPES.connection);
        webToken = await stack.login("web");
    }, 120_000);

    afterAll(async () => {
        await stack?.stop();
    });

    it("writes one connection per role, each allowing exactly its role", async () => {
        expect(connections.map((resource) => plain<ConnectionInputs>(resource.inputs).allowedRoles)).toEqual([["readonly"], ["readwrite"], ["owner"]]);
        for (const role of ["readonly", "readwrite", "owner"]) {
            const inputs = connectionOf(role);
            const config = await stack.root<{ data: { allowed_roles: string[] } }>("GET", `${inputs.backend}/config/${inputs.name}`);
            expect(config.data.allowed_roles).toEqual([role]);
            const vaultRole = await stack.root<{ data: { db_name: string } }>("GET", `${stack.mountPath}/roles/${role}`);
            expect(vaultRole.data.db_name).toBe(inputs.name);
        }
    });

    it("issues, renews and revokes through the app's own token on each role's connection", async () => {
        for (const role of ["readonly", "readwrite"]) {
            const creds = await stack.readCreds(webToken, stack.credsPaths[role]);
            const client = await stack.connect(creds);
            expect((await client.query("SELECT session_user AS login")).rows).toEqual([{ login: creds.username }]);
            await client.end();
            const before = await validUntil(creds.username);
            const renewed = await stack.as<{ lease_duration: number }>(webToken, "PUT", `sys/leases/renew/${creds.leaseId}`, { increment: creds.leaseDuration * 2 });
            expect(renewed.lease_duration).toBeGreaterThan(creds.leaseDuration);
            expect(await validUntil(creds.username)).toBeGreaterThan(before + (creds.leaseDuration * 1000) / 2);
            await stack.as(webToken, "PUT", `sys/leases/revoke/${creds.leaseId}`, {});
            expect(await roleExists(creds.username)).toBe(false);
        }
    });

    it("issues for one role while another role's connection is held up inside the plugin lock", async () => {
        const held = await stack.readCreds(webToken, stack.credsPaths.readonly);
        // An open transaction that updated the user's catalog row makes the renewal's ALTER ROLE wait, and the
        // renewal holds the readonly connection's plugin lock (UpdateUser) while it waits.
        const blocker = new Client({ connectionString: stack.postgres.connectionString(stack.database) });
        await blocker.connect();
        let renewal: ReturnType<typeof tracked> | undefined;
        let sameConnection: ReturnType<typeof tracked> | undefined;
        try {
            await blocker.query("BEGIN");
            await blocker.query(`ALTER ROLE ${quoteIdent(held.username)} CONNECTION LIMIT 7`);
            renewal = tracked(stack.as(webToken, "PUT", `sys/leases/renew/${held.leaseId}`, { increment: held.leaseDuration * 2 }));
            const adminUser = connectionOf("readonly").postgresql.username;
            const deadline = Date.now() + 15_000;
            while (
                (await stack.postgres.query("SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'", [adminUser])).rowCount === 0
            ) {
                if (Date.now() > deadline) throw new Error("the renewal never waited on the held row");
                await sleep(50);
            }

            sameConnection = tracked(stack.readCreds(webToken, stack.credsPaths.readonly));
            const started = Date.now();
            // Bounded, so that one shared lock fails here instead of waiting for the rollback below.
            const other = await Promise.race([
                stack.readCreds(webToken, stack.credsPaths.readwrite),
                sleep(10_000).then(() => Promise.reject(new Error("readwrite issuance waited for the readonly connection's lock"))),
            ]);
            const otherMs = Date.now() - started;
            // Give the readonly issuance the same time and more: it must still be queued behind the held lock.
            await sleep(Math.max(500, otherMs * 2));
            expect(renewal.settled()).toBe(false);
            expect(sameConnection.settled()).toBe(false);
            expect(otherMs).toBeLessThan(5_000);
            expect(await roleExists(other.username)).toBe(true);
            await stack.as(webToken, "PUT", `sys/leases/revoke/${other.leaseId}`, {});
        } finally {
            await blocker.query("ROLLBACK").catch(() => undefined);
            await blocker.end();
        }
        // Released: the renewal and the queued issuance both complete.
        await renewal.promise;
        const queued = (await sameConnection.promise) as { username: string; leaseId: string };
        expect(await roleExists(queued.username)).toBe(true);
        for (const leaseId of [held.leaseId, queued.leaseId]) await stack.as(webToken, "PUT", `sys/leases/revoke/${leaseId}`, {});
    }, 60_000);

    it("keeps a removed role's leases revocable: its connection stays until the mount goes", async () => {
        const migrationsToken = await stack.login("migrations");
        const open = await stack.readCreds(migrationsToken, stack.credsPaths.owner);
        const ownerConnection = connections.find((resource) => plain<ConnectionInputs>(resource.inputs).allowedRoles.includes("owner"))!;
        // What `pulumi up` does once the role is gone from config: delete the Vault role, and the connection only
        // if it is not retained on delete.
        expect(ownerConnection.retainOnDelete).toBe(true);
        await stack.root("DELETE", `${stack.mountPath}/roles/owner`);
        await stack.root("PUT", `sys/leases/revoke/${open.leaseId}`, {});
        expect(await roleExists(open.username)).toBe(false);
    });

    it("cannot revoke a lease whose role and connection were both deleted (why connections are retained)", async () => {
        const creds = await stack.readCreds(webToken, stack.credsPaths.readwrite);
        const inputs = connectionOf("readwrite");
        await stack.root("DELETE", `${stack.mountPath}/roles/readwrite`);
        await stack.root("DELETE", `${inputs.backend}/config/${inputs.name}`);
        const failure = await stack.root("PUT", `sys/leases/revoke/${creds.leaseId}`, {}).then(
            () => undefined,
            (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(VaultError);
        expect((failure as VaultError).status).toBeGreaterThanOrEqual(400);
        expect(await roleExists(creds.username)).toBe(true);
    });

    it("never rotates the admin password: every connection logs in with the one the stack declares", async () => {
        const passwords = new Set(connections.map((resource) => plain<ConnectionInputs>(resource.inputs).postgresql.password));
        expect(passwords.size).toBe(1);
        const admin = connectionOf("readonly").postgresql;
        const client = new Client({ host: stack.postgres.host, port: stack.postgres.port, database: stack.database, user: admin.username, password: admin.password });
        await client.connect();
        expect((await client.query("SELECT current_user AS login")).rows).toEqual([{ login: admin.username }]);
        await client.end();
        // Nothing on the engine's paths rotated it: the live connection still verifies with the declared password.
        const inputs = connectionOf("readonly");
        await stack.root("POST", `${inputs.backend}/reset/${inputs.name}`, {});
        const issued = await stack.readCreds(webToken, stack.credsPaths.readonly);
        await stack.as(webToken, "PUT", `sys/leases/revoke/${issued.leaseId}`, {});
    });
});
