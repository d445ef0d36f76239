/**
 * The whole credential lifecycle, on a real PostgreSQL and a real Vault-API server, with the dev stack's own
 * resources applied (see applier.ts): login, issue, privileges per access level, policy limits, renew, revoke,
 * expiry, and concurrency.
 */
import { Client } from "pg";
import { describeLive } from "./harness";
import { appendToConfig, DatabaseCreds, LiveStack, startLiveStack } from "./live-stack";

/** A role added to the dev stack's config for the expiry test: its credentials live four seconds at most. */
const EPHEMERAL_ROLE = { name: "ephemeral", access: "readonly", defaultTtl: 3, maxTtl: 4 };

async function expectSqlError(run: Promise<unknown>, pattern: RegExp): Promise<void> {
    await expect(run).rejects.toThrow(pattern);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((resolveTimer) => setTimeout(resolveTimer, 200));
    }
}

describeLive("credential lifecycle against real servers", () => {
    let stack: LiveStack;
    let webToken: string;
    let reportsToken: string;
    let migrationsToken: string;
    const clients: Client[] = [];

    const connect = async (creds: DatabaseCreds): Promise<Client> => {
        const client = await stack.connect(creds);
        clients.push(client);
        return client;
    };
    const roleExists = async (username: string): Promise<boolean> =>
        (await stack.postgres.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [username])).rowCount === 1;

    beforeAll(async () => {
        stack = await startLiveStack({
            config: appendToConfig({ roles: [EPHEMERAL_ROLE] }),
        });
        [webToken, reportsToken, migrationsToken] = await Promise.all([stack.login("web"), stack.login("reports"), stack.login("migrations")]);
        // The schema is created the way an application would: by its migrations, with owner credentials.
        const owner = await connect(await stack.readCreds(migrationsToken, stack.credsPaths.owner));
        await owner.query("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)");
        await owner.query("INSERT INTO items (name) VALUES ('first')");
    }, 120_000);

    afterAll(async () => {
        await Promise.allSettled(clients.map((client) => client.end()));
        await stack?.stop();
    });

    it("lets an app log in with AppRole, read its creds path and connect with the credentials", async () => {
        const creds = await stack.readCreds(webToken, stack.credsPaths.readonly);
        expect(creds.username.startsWith("v-readonly-")).toBe(true);
        expect(creds.leaseId.startsWith(`${stack.credsPaths.readonly}/`)).toBe(true);
        const client = await connect(creds);
        const who = await client.query("SELECT session_user AS login, current_database() AS db");
        expect(who.rows[0]).toEqual({ login: creds.username, db: stack.database });
    });

    it("gives read-only credentials SELECT but not INSERT", async () => {
        const client = await connect(await stack.readCreds(webToken, stack.credsPaths.readonly));
        expect((await client.query("SELECT name FROM items WHERE id = 1")).rows).toEqual([{ name: "first" }]);
        await expectSqlError(client.query("INSERT INTO items (name) VALUES ('nope')"), /permission denied for table items/);
    });

    it("gives read-write credentials INSERT, UPDATE and DELETE but not CREATE TABLE", async () => {
        const client = await connect(await stack.readCreds(webToken, stack.credsPaths.readwrite));
        await client.query("INSERT INTO items (name) VALUES ('second')");
        expect((await client.query("UPDATE items SET name = 'second!' WHERE name = 'second'")).rowCount).toBe(1);
        expect((await client.query("DELETE FROM items WHERE name = 'second!'")).rowCount).toBe(1);
        await expectSqlError(client.query("CREATE TABLE rw_table (id int)"), /permission denied for schema public/);
    });

    it("lets owner credentials create tables that the owner group owns and the other groups can use", async () => {
        const owner = await connect(await stack.readCreds(migrationsToken, stack.credsPaths.owner));
        await owner.query("CREATE TABLE later (id serial PRIMARY KEY, note text)");
        const tableOwner = await stack.postgres.query(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'later'",
            [],
            stack.database,
        );
        expect(tableOwner.rows).toEqual([{ tableowner: stack.groupRoles.owner }]);

        const writer = await connect(await stack.readCreds(webToken, stack.credsPaths.readwrite));
        await writer.query("INSERT INTO later (note) VALUES ('written by readwrite')");
        const reader = await connect(await stack.readCreds(webToken, stack.credsPaths.readonly));
        expect((await reader.query("SELECT note FROM later")).rows).toEqual([{ note: "written by readwrite" }]);
        await expectSqlError(reader.query("DELETE FROM later"), /permission denied for table later/);
        // Only the owner group creates: PUBLIC's CREATE on schema public (PostgreSQL 14 and earlier) is taken away.
        await expectSqlError(reader.query("CREATE TABLE by_reader (id int)"), /permission denied for schema public/);
        await expectSqlError(writer.query("CREATE TABLE by_writer (id int)"), /permission denied for schema public/);
    });

    it("closes the database to login roles outside the stack, which PostgreSQL lets connect by default", async () => {
        const outsider = `outsider_${Date.now()}`;
        await stack.postgres.query(`CREATE ROLE ${outsider} LOGIN PASSWORD 'outsider-password'`);
        try {
            await expectSqlError(stack.connect({ username: outsider, password: "outsider-password" }), /permission denied for database "?app"?/);
            // The same role may still connect where PUBLIC keeps its default: the stack changes only its own database.
            const elsewhere = new Client({ host: stack.postgres.host, port: stack.postgres.port, database: "postgres", user: outsider, password: "outsider-password" });
            await elsewhere.connect();
            await elsewhere.end();
        } finally {
            await stack.postgres.query(`DROP ROLE ${outsider}`);
        }
    });

    it("keeps an app's token to its own roles: no other creds, no mount config, no sys/", async () => {
        await expect(stack.readCreds(reportsToken, stack.credsPaths.readwrite)).rejects.toMatchObject({ status: 403 });
        await expect(stack.readCreds(reportsToken, stack.credsPaths.owner)).rejects.toMatchObject({ status: 403 });
        await expect(stack.readCreds(webToken, stack.credsPaths.owner)).rejects.toMatchObject({ status: 403 });
        await expect(stack.readCreds(webToken, stack.credsPaths.ephemeral)).rejects.toMatchObject({ status: 403 });
        await expect(stack.as(webToken, "GET", `${stack.mountPath}/config/${stack.database}`)).rejects.toMatchObject({ status: 403 });
        await expect(stack.as(webToken, "LIST", `${stack.mountPath}/roles`)).rejects.toMatchObject({ status: 403 });
        for (const [method, path] of [
            ["GET", "sys/mounts"],
            ["LIST", "sys/policies/acl"],
            ["GET", "sys/policies/acl/web-db"],
            ["LIST", `sys/leases/lookup/${stack.credsPaths.readonly}`],
            ["GET", "sys/auth"],
            ["PUT", "sys/capabilities-self"],
        ]) {
            await expect(stack.as(webToken, method, path, method === "PUT" ? { paths: ["sys/mounts"] } : undefined)).rejects.toMatchObject({
                status: 403,
            });
        }
        // What it may do with its own token still works.
        const self = await stack.as<{ data: { policies: string[] } }>(webToken, "GET", "auth/token/lookup-self");
        expect(self.data.policies).toEqual(["web-db"]);
    });

    it("extends a lease on renew, and the role's VALID UNTIL with it", async () => {
        const creds = await stack.readCreds(webToken, stack.credsPaths.readonly);
        const validUntil = async (): Promise<number> =>
            new Date((await stack.postgres.query("SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", [creds.username])).rows[0].rolvaliduntil).getTime();
        const before = await validUntil();
        const renewed = await stack.as<{ lease_id: string; lease_duration: number }>(webToken, "PUT", `sys/leases/renew/${creds.leaseId}`, {
            increment: creds.leaseDuration * 2,
        });
        expect(renewed.lease_id).toBe(creds.leaseId);
        expect(renewed.lease_duration).toBeGreaterThan(creds.leaseDuration);
        expect(await validUntil()).toBeGreaterThan(before + (creds.leaseDuration * 1000) / 2);
    });

    it("removes the Postgres role on revoke, ending an open session too", async () => {
        const creds = await stack.readCreds(webToken, stack.credsPaths.readwrite);
        const session = await connect(creds);
        await session.query("BEGIN");
        await session.query("INSERT INTO items (name) VALUES ('in flight')");
        expect(await roleExists(creds.username)).toBe(true);

        await stack.as(webToken, "PUT", `sys/leases/revoke/${creds.leaseId}`, {});
        expect(await roleExists(creds.username)).toBe(false);
        await expect(session.query("SELECT 1")).rejects.toThrow();
        const sessions = await stack.postgres.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1", [creds.username]);
        expect(sessions.rows[0].n).toBe(0);
        await expect(stack.connect(creds)).rejects.toThrow(/password authentication failed|does not exist/);
    });

    it("keeps data an owner credential created after its lease is revoked, owned by the owner group", async () => {
        const creds = await stack.readCreds(migrationsToken, stack.credsPaths.owner);
        const owner = await connect(creds);
        // Switch back to the login role so the table is the credential's own, the case revocation must not lose.
        // (RESET ROLE would return to the role's default, the owner group.)
        await owner.query("SET ROLE NONE");
        await owner.query("CREATE TABLE audit_log (id serial PRIMARY KEY, entry text)");
        await owner.query("INSERT INTO audit_log (entry) VALUES ('kept'), ('also kept')");
        const ownedBefore = await stack.postgres.query("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log'", [], stack.database);
        expect(ownedBefore.rows).toEqual([{ tableowner: creds.username }]);

        await stack.as(migrationsToken, "PUT", `sys/leases/revoke/${creds.leaseId}`, {});
        expect(await roleExists(creds.username)).toBe(false);
        const after = await stack.postgres.query("SELECT entry FROM audit_log ORDER BY id", [], stack.database);
        expect(after.rows).toEqual([{ entry: "kept" }, { entry: "also kept" }]);
        const ownedAfter = await stack.postgres.query("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log'", [], stack.database);
        expect(ownedAfter.rows).toEqual([{ tableowner: stack.groupRoles.owner }]);
    });

    it("expires a short-lived credential on its own and drops its role", async () => {
        // No app is given this role: the root token issues it.
        const creds = await stack.readCreds(stack.vault.rootToken, stack.credsPaths.ephemeral);
        expect(creds.leaseDuration).toBeLessThanOrEqual(EPHEMERAL_ROLE.defaultTtl);
        expect(await roleExists(creds.username)).toBe(true);
        await waitFor("the expired role to be dropped", async () => ((await roleExists(creds.username)) ? undefined : true), 20_000);
    }, 30_000);

    it("issues 50 distinct working credentials concurrently and removes all of them on revocation", async () => {
        const before = new Set(await stack.dynamicUsers());
        const issued = await Promise.all(Array.from({ length: 50 }, () => stack.readCreds(webToken, stack.credsPaths.readonly)));
        expect(new Set(issued.map((creds) => creds.username)).size).toBe(50);
        expect(new Set(issued.map((creds) => creds.leaseId)).size).toBe(50);

        for (const creds of issued) {
            const client = await stack.connect(creds);
            try {
                expect((await client.query("SELECT count(*)::int AS n FROM items")).rows[0].n).toBeGreaterThan(0);
            } finally {
                await client.end();
            }
        }
        await Promise.all(issued.map((creds) => stack.as(webToken, "PUT", `sys/leases/revoke/${creds.leaseId}`, {})));
        const left = (await stack.dynamicUsers()).filter((name) => !before.has(name));
        expect(left).toEqual([]);
    }, 60_000);
});
