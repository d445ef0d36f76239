/**
 * A static role on real servers: a fixed username whose password Vault rotates every few seconds, while an app holds
 * a pool on it under steady load (examples/app/static-pool.ts). Not one query may fail, the username never changes,
 * each old password stops working at its rotation, and nothing Pulumi declares holds or reads back a password.
 */
import { Client } from "pg";
import { StaticCredentialPool } from "../../examples/app/static-pool";
import { issueAppRoleLogin } from "../helpers/app-client";
import { plain, TYPES } from "../helpers/pulumi-mocks";
import { describeLive, VaultError } from "./harness";
import { appendToConfig, LiveStack, startLiveStack } from "./live-stack";

const STATIC_ROLE = { name: "pooler", access: "readonly", rotationPeriod: 5 };
const POOLER_APP = { name: "pooler-app", roles: [], staticRoles: ["pooler"] };
const MIN_ROTATIONS = 3;
/** Vault checks its rotation queue every 5 s, so 5 s periods give a rotation every 5 to 10 s. */
const ROTATIONS_LIMIT_MS = 60_000;
const LOAD_CONCURRENCY = 4;

interface StaticCredsResponse {
    data: { username: string; password: string; last_vault_rotation: string; rotation_period: number; ttl: number };
}

describeLive("a static role: fixed username, password rotated by Vault", () => {
    let stack: LiveStack;

    beforeAll(async () => {
        stack = await startLiveStack({
            config: appendToConfig({ staticRoles: [STATIC_ROLE], apps: [POOLER_APP] }),
        });
        const ownerCreds = await stack.readCreds(stack.vault.rootToken, stack.credsPaths.owner);
        const owner = await stack.connect(ownerCreds);
        await owner.query("CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL)");
        await owner.query("INSERT INTO users (name) VALUES ('ada'), ('grace'), ('linus')");
        await owner.end();
        await stack.root("PUT", `sys/leases/revoke/${ownerCreds.leaseId}`, {});
    }, 120_000);

    afterAll(async () => {
        await stack?.stop();
    });

    const staticCredsPath = (): string => `${stack.mountPath}/static-creds/${STATIC_ROLE.name}`;

    /** The SQLSTATE of a login attempt, or "ok". */
    async function tryLogin(password: string): Promise<string> {
        const client = new Client({ host: stack.postgres.host, port: stack.postgres.port, database: stack.database, user: STATIC_ROLE.name, password });
        try {
            await client.connect();
            await client.query("SELECT 1");
            return "ok";
        } catch (error) {
            return String((error as { code?: string }).code ?? (error as Error).message);
        } finally {
            await client.end().catch(() => undefined);
        }
    }

    it("serves every query across three rotations on one username, and each old password stops working", async () => {
        const loginPath = stack.apps[POOLER_APP.name].loginPath;
        const { roleId, secretId } = await issueAppRoleLogin(stack.vault.address, stack.vault.rootToken, loginPath, POOLER_APP.name);
        const errors: string[] = [];
        const database = await StaticCredentialPool.start({
            vaultAddress: stack.vault.address,
            loginPath,
            roleId,
            secretId,
            staticCredsPath: staticCredsPath(),
            // maxUses makes the pool open new connections all the time, each with the password of the moment.
            pool: { host: stack.postgres.host, port: stack.postgres.port, database: stack.database, max: LOAD_CONCURRENCY, maxUses: 25 },
            onError: (error) => errors.push(error.message),
        });

        let stopLoad = false;
        let queries = 0;
        const failures: string[] = [];
        const worker = async (): Promise<void> => {
            while (!stopLoad) {
                queries += 1;
                try {
                    const result = await database.query<{ count: string; user: string }>("SELECT count(*) AS count, current_user AS user FROM users");
                    if (result.rows[0].count !== "3" || result.rows[0].user !== STATIC_ROLE.name) failures.push(JSON.stringify(result.rows[0]));
                } catch (error) {
                    failures.push((error as Error).message);
                }
            }
        };
        const workers = Array.from({ length: LOAD_CONCURRENCY }, worker);

        // Beside the app, an operator's view: every password generation, and whether the previous one still works.
        const usernames = new Set<string>();
        const oldPasswordResults: string[] = [];
        let previous = (await stack.root<StaticCredsResponse>("GET", staticCredsPath())).data;
        const started = Date.now();
        while (oldPasswordResults.length < MIN_ROTATIONS && Date.now() - started < ROTATIONS_LIMIT_MS) {
            await new Promise((resolveTimer) => setTimeout(resolveTimer, 200));
            const current = (await stack.root<StaticCredsResponse>("GET", staticCredsPath())).data;
            usernames.add(current.username);
            if (current.last_vault_rotation !== previous.last_vault_rotation) {
                expect(current.password).not.toBe(previous.password);
                oldPasswordResults.push(await tryLogin(previous.password));
                expect(await tryLogin(current.password)).toBe("ok");
                previous = current;
            }
        }
        // Give the app time to pick up the last rotation too.
        while (database.status().rotations < MIN_ROTATIONS && Date.now() - started < ROTATIONS_LIMIT_MS) {
            await new Promise((resolveTimer) => setTimeout(resolveTimer, 200));
        }
        stopLoad = true;
        await Promise.all(workers);
        const status = database.status();
        await database.close();

        expect(oldPasswordResults).toEqual(Array(MIN_ROTATIONS).fill("28P01")); // invalid_password
        expect(status.rotations).toBeGreaterThanOrEqual(MIN_ROTATIONS);
        expect(failures).toEqual([]);
        expect(errors).toEqual([]);
        expect(queries).toBeGreaterThan(500);
        expect([...usernames]).toEqual([STATIC_ROLE.name]);
        expect(status.username).toBe(STATIC_ROLE.name);
    }, 120_000);

    it("reads back what was declared and nothing else, so a refresh shows no drift and state holds no password", async () => {
        const declared = plain<Record<string, unknown>>(stack.resources.find((resource) => resource.type === TYPES.staticRole)!.inputs);
        const role = await stack.root<{ data: Record<string, unknown> }>("GET", `${stack.mountPath}/static-roles/${STATIC_ROLE.name}`);
        // The fields terraform-provider-vault's static role read sets (databaseSecretBackendStaticRoleRead).
        expect({
            username: role.data.username,
            dbName: role.data.db_name,
            rotationPeriod: role.data.rotation_period,
            rotationStatements: role.data.rotation_statements,
        }).toEqual({
            username: declared.username,
            dbName: declared.dbName,
            rotationPeriod: declared.rotationPeriod,
            rotationStatements: declared.rotationStatements,
        });
        expect(role.data).not.toHaveProperty("password");

        const user = plain<Record<string, unknown>>(stack.resources.find((resource) => resource.type === TYPES.pgRole && resource.name.endsWith("-static-pooler-user"))!.inputs);
        expect(user).not.toHaveProperty("password");
        const password = (await stack.root<StaticCredsResponse>("GET", staticCredsPath())).data.password;
        expect(JSON.stringify(stack.resources)).not.toContain(password);
    });

    it("lets the app read only its static creds: not the role's definition, not dynamic creds", async () => {
        const token = await stack.login(POOLER_APP.name);
        const creds = await stack.as<StaticCredsResponse>(token, "GET", staticCredsPath());
        expect(creds.data.username).toBe(STATIC_ROLE.name);
        const status = (request: Promise<unknown>): Promise<number> =>
            request.then(
                () => 200,
                (error: unknown) => (error instanceof VaultError ? error.status : Promise.reject(error)),
            );
        expect(await status(stack.as(token, "GET", `${stack.mountPath}/static-roles/${STATIC_ROLE.name}`))).toBe(403);
        expect(await status(stack.as(token, "GET", stack.credsPaths.readonly))).toBe(403);
        expect(await status(stack.as(token, "POST", `${stack.mountPath}/rotate-role/${STATIC_ROLE.name}`, {}))).toBe(403);
    });

    it("gives the Vault admin ADMIN OPTION on the static user (PostgreSQL 16+ needs it to set the password), as a non-superuser", async () => {
        const rights = await stack.postgres.query(
            `SELECT m.admin_option, r.rolcreaterole, r.rolsuper
               FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.roleid JOIN pg_roles r ON r.oid = m.member
              WHERE u.rolname = $1 AND r.rolname = 'vault_admin'`,
            [STATIC_ROLE.name],
        );
        expect(rights.rows).toEqual([{ admin_option: true, rolcreaterole: true, rolsuper: false }]);
        const owned = await stack.postgres.query("SELECT count(*)::int AS n FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = $1", [STATIC_ROLE.name], stack.database);
        expect(owned.rows[0].n).toBe(0);
    });
});
