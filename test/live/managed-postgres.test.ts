/**
 * The stack against a PostgreSQL whose admin is not a superuser, as managed services give it (RDS `rds_superuser`,
 * Cloud SQL `cloudsqlsuperuser`, Azure `azure_pg_admin`: LOGIN CREATEROLE CREATEDB). The applier logs in as that
 * admin and replays the postgresql provider's handling of a non-superuser (see applier-providers.ts). Every variant
 * goes through the whole life: up, credentials of every access level, renewal, revocation with an open session, a
 * static role rotating, rotate-root, refresh without drift, and destroy with leases open.
 *
 * Variants of the admin: the plain one; with `createrole_self_grant = 'set, inherit'` server-wide (PostgreSQL 16+: a
 * role's creator is also made a member of it, as one managed service is reported to configure); and one holding
 * `pg_signal_backend` WITH ADMIN OPTION.
 */
import { randomBytes } from "crypto";
import { Client } from "pg";
import { quoteIdent } from "../../components/sql";
import { TYPES, plain } from "../helpers/pulumi-mocks";
import { applyResources } from "./applier";
import { describeLive, PostgresServer, startPostgres, startVault, VaultServer } from "./harness";
import { appendToConfig, ConfigChange, LiveStack, recordProgram, startLiveStack } from "./live-stack";

interface AdminLogin {
    user: string;
    password: string;
}

/** Creates the managed-style admin as the server's bootstrap superuser would (the service does it at provisioning). */
async function createAdmin(postgres: PostgresServer, user: string, attributes: string, extra: string[] = []): Promise<AdminLogin> {
    const password = randomBytes(18).toString("base64url");
    await postgres.query(`CREATE ROLE ${quoteIdent(user)} WITH ${attributes} PASSWORD '${password}'`);
    for (const statement of extra) await postgres.query(statement);
    return { user, password };
}

/** The stack config for an existing PostgreSQL administered by `admin`. */
const existingPostgres = (postgres: PostgresServer, admin: AdminLogin): ConfigChange => (config) => ({
    ...config,
    postgresHost: postgres.host,
    postgresPort: String(postgres.port),
    postgresSuperuser: admin.user,
    postgresSuperuserPassword: admin.password,
    postgresSslMode: "disable",
});

interface Variant {
    name: string;
    /** The first major the variant exists on. */
    since: number;
    prepare(postgres: PostgresServer): Promise<AdminLogin>;
}

const VARIANTS: Variant[] = [
    { name: "an admin with only LOGIN CREATEROLE CREATEDB", since: 0, prepare: (postgres) => createAdmin(postgres, "master", "LOGIN CREATEROLE CREATEDB") },
    {
        name: "createrole_self_grant = 'set, inherit' on the server",
        since: 16,
        prepare: async (postgres) => {
            await postgres.query("ALTER SYSTEM SET createrole_self_grant = 'set, inherit'");
            await postgres.query("SELECT pg_reload_conf()");
            return createAdmin(postgres, "master", "LOGIN CREATEROLE CREATEDB");
        },
    },
    {
        name: "an admin holding pg_signal_backend WITH ADMIN OPTION",
        since: 0,
        prepare: (postgres) => createAdmin(postgres, "master", "LOGIN CREATEROLE CREATEDB", ['GRANT pg_signal_backend TO "master" WITH ADMIN OPTION']),
    },
];

const STATIC_ROLE = { name: "reporting", access: "readonly", rotationPeriod: "1h" };
const major = (globalThis as { postgresMajor?: number }).postgresMajor ?? 0;

describeLive("a managed PostgreSQL whose admin is not a superuser", () => {
    describe("an admin without CREATEDB", () => {
        let postgres: PostgresServer | undefined;
        let vault: VaultServer | undefined;
        afterAll(async () => Promise.allSettled([postgres?.destroy(), vault?.stop()]));

        it("stops the stack with one line naming the privilege and the role, before anything is created", async () => {
            postgres = await startPostgres();
            vault = await startVault();
            const admin = await createAdmin(postgres, "limited", "LOGIN CREATEROLE");
            const program = await recordProgram(existingPostgres(postgres, admin));
            const failure = await applyResources(program.resources, { postgres, vault }).then(
                () => undefined,
                (error: Error) => error.message,
            );
            expect(failure?.split("\n")[0]).toMatch(/PostgresAdminCheck .* failed: PostgreSQL admin "limited" lacks CREATEDB, needed to create database "app"/);
            const created = await postgres.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'app_%' OR rolname = 'vault_admin' UNION ALL SELECT datname FROM pg_database WHERE datname = 'app'");
            expect(created.rows).toEqual([]);
        });
    });

    for (const variant of VARIANTS.filter((candidate) => major >= candidate.since)) {
        describe(variant.name, () => {
            let postgres: PostgresServer;
            let admin: AdminLogin;
            let stack: LiveStack;
            let webToken: string;
            let migrationsToken: string;
            const clients: Client[] = [];
            const connect = async (creds: { username: string; password: string }): Promise<Client> => {
                const client = await stack.connect(creds);
                clients.push(client);
                return client;
            };
            const validUntil = async (user: string): Promise<number> =>
                new Date((await postgres.query("SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", [user])).rows[0].rolvaliduntil).getTime();

            beforeAll(async () => {
                postgres = await startPostgres();
                admin = await variant.prepare(postgres);
                const onManaged = existingPostgres(postgres, admin);
                // One connection config: rotate-root changes the Vault admin's password for every config at once.
                const config: ConfigChange = (base) => ({ ...appendToConfig({ staticRoles: [STATIC_ROLE] })(onManaged(base)), connections: "single" });
                stack = await startLiveStack({ postgres, config });
                [webToken, migrationsToken] = await Promise.all([stack.login("web"), stack.login("migrations")]);
            }, 120_000);

            afterAll(async () => {
                await Promise.allSettled(clients.map((client) => client.end()));
                await stack?.stop();
            });

            it("is applied as that admin: the admin is no superuser and created every role of the stack", async () => {
                const { rows } = await postgres.query("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1", [admin.user]);
                expect(rows).toEqual([{ rolsuper: false, rolcreaterole: true, rolcreatedb: true }]);
                const owner = await postgres.query("SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1", [stack.database]);
                expect(owner.rows).toEqual([{ owner: admin.user }]);
                const signal = await postgres.query("SELECT pg_has_role('vault_admin', 'pg_signal_backend', 'MEMBER') AS member");
                expect(signal.rows).toEqual([{ member: false }]);
            });

            it("issues working credentials of every access level; the owner's tables belong to the owner group", async () => {
                const owner = await connect(await stack.readCreds(migrationsToken, stack.credsPaths.owner));
                await owner.query("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)");
                await owner.query("INSERT INTO items (name) VALUES ('first')");
                const tableOwner = await postgres.query("SELECT tableowner FROM pg_tables WHERE tablename = 'items'", [], stack.database);
                expect(tableOwner.rows).toEqual([{ tableowner: stack.groupRoles.owner }]);

                const writer = await connect(await stack.readCreds(webToken, stack.credsPaths.readwrite));
                await writer.query("INSERT INTO items (name) VALUES ('second')");
                await expect(writer.query("CREATE TABLE nope (id int)")).rejects.toThrow(/permission denied for schema public/);

                const reader = await connect(await stack.readCreds(webToken, stack.credsPaths.readonly));
                expect((await reader.query("SELECT name FROM items ORDER BY id")).rows).toEqual([{ name: "first" }, { name: "second" }]);
                await expect(reader.query("INSERT INTO items (name) VALUES ('x')")).rejects.toThrow(/permission denied for table items/);
            });

            it("renews a lease: the user's VALID UNTIL moves with it", async () => {
                const creds = await stack.readCreds(webToken, stack.credsPaths.readonly);
                const before = await validUntil(creds.username);
                await new Promise((resolveTimer) => setTimeout(resolveTimer, 1_100));
                await stack.as(webToken, "PUT", "sys/leases/renew", { lease_id: creds.leaseId, increment: 7200 });
                expect(await validUntil(creds.username)).toBeGreaterThan(before + 1_000);
            });

            it("revokes a credential with an open session: the session ends, the user goes, what it created stays with the owner group", async () => {
                const creds = await stack.readCreds(migrationsToken, stack.credsPaths.owner);
                const session = await connect(creds);
                await session.query("CREATE TABLE kept (id int)");
                await stack.as(migrationsToken, "PUT", `sys/leases/revoke/${creds.leaseId}`);
                await expect(session.query("SELECT 1")).rejects.toThrow();
                expect(await stack.dynamicUsers()).not.toContain(creds.username);
                const kept = await postgres.query("SELECT tableowner FROM pg_tables WHERE tablename = 'kept'", [], stack.database);
                expect(kept.rows).toEqual([{ tableowner: stack.groupRoles.owner }]);
            });

            it("rotates a static role's password: the new one logs in, the old one no longer does", async () => {
                const read = async (): Promise<string> =>
                    (await stack.root<{ data: { password: string } }>("GET", `${stack.mountPath}/static-creds/${STATIC_ROLE.name}`)).data.password;
                const first = await read();
                await stack.root("POST", `${stack.mountPath}/rotate-role/${STATIC_ROLE.name}`);
                const second = await read();
                expect(second).not.toBe(first);
                // Closed again: a session of a static user outlives DROP ROLE, and then only a superuser or a member of
                // pg_signal_backend can end it when the database is dropped (docs/managed-postgresql.md).
                const session = await stack.connect({ username: STATIC_ROLE.name, password: second });
                expect((await session.query("SELECT current_user AS who")).rows).toEqual([{ who: STATIC_ROLE.name }]);
                await session.end();
                await expect(stack.connect({ username: STATIC_ROLE.name, password: first })).rejects.toThrow(/password authentication failed/);
            });

            it("rotate-root: the generated Vault admin password stops working, and Vault still issues credentials", async () => {
                const [connection] = stack.state.filter((resource) => resource.type === TYPES.connection).map((resource) => plain<{ name: string }>(resource.inputs).name);
                const vaultAdmin = stack.state.find((resource) => resource.type === TYPES.pgRole && plain<{ name: string }>(resource.inputs).name === "vault_admin");
                const generated = { username: "vault_admin", password: plain<{ password: string }>(vaultAdmin!.inputs).password };
                await connect(generated);
                await stack.root("POST", `${stack.mountPath}/rotate-root/${connection}`);
                await expect(connect(generated)).rejects.toThrow(/password authentication failed/);
                const creds = await stack.readCreds(webToken, stack.credsPaths.readonly);
                await connect(creds);
            });

            it("refreshes with no drift on anything the program does not ignore", async () => {
                const { drift, dropped, state } = await stack.refresh();
                const ignored = (name: string, input: string): boolean => state.find((resource) => resource.name === name)?.ignoreChanges.includes(input) ?? false;
                expect(drift.filter((entry) => !ignored(entry.name, entry.input))).toEqual([]);
                expect(dropped.map((resource) => resource.name)).toEqual([]);
            });

            it("destroys with leases open and sessions connected, leaving nothing of the stack behind", async () => {
                await connect(await stack.readCreds(webToken, stack.credsPaths.readonly));
                await connect(await stack.readCreds(migrationsToken, stack.credsPaths.owner));
                expect((await stack.dynamicUsers()).length).toBeGreaterThan(0);
                await stack.destroy();
                const left = await postgres.query(
                    "SELECT rolname FROM pg_roles WHERE rolname = ANY($1) OR rolname LIKE 'v-%' UNION ALL SELECT datname FROM pg_database WHERE datname = $2",
                    [[...Object.values(stack.groupRoles), "vault_admin", STATIC_ROLE.name], stack.database],
                );
                expect(left.rows).toEqual([]);
                const adminStill = await postgres.query("SELECT rolsuper FROM pg_roles WHERE rolname = $1", [admin.user]);
                expect(adminStill.rows).toEqual([{ rolsuper: false }]);
            });
        });
    }
});
