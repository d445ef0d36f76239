/**
 * The Vault-side components used on their own, as another stack would import them: the secrets engine, a database
 * role, the AppRole auth method and one application's access, each given an explicit Vault provider through
 * `opts.providers` and the engine given an explicit `dependsOn`.
 */
import * as random from "@pulumi/random";
import * as vault from "@pulumi/vault";
import { findResource, installMocks, isSecretInput, MockRecorder, plain, providerUrn, RecordedResource, resolve, TYPES } from "../helpers/pulumi-mocks";

type Components = typeof import("../../components");

describe("Vault components on their own", () => {
    let recorder: MockRecorder;
    let c: Components;
    let all: RecordedResource[];
    let engine: InstanceType<Components["DatabaseSecretsEngine"]>;
    let teamEngine: InstanceType<Components["DatabaseSecretsEngine"]>;
    let role: InstanceType<Components["DatabaseRole"]>;
    let auth: InstanceType<Components["AppRoleAuth"]>;
    let web: InstanceType<Components["AppAccess"]>;
    let cron: InstanceType<Components["AppAccess"]>;

    const named = (type: string, name: string): RecordedResource => findResource(all, type, name);
    const inputs = <T = Record<string, unknown>>(type: string, name: string): T => plain<T>(named(type, name).inputs);
    const groups = { readonly: "orders_readonly", readwrite: "orders_readwrite", owner: "orders_owner" };

    beforeAll(async () => {
        recorder = await installMocks("test");
        c = await import("../../components");
        const provider = new vault.Provider("vault-under-test", { address: "http://vault.test:8200", token: "t" });
        // Stands in for the Postgres side the engine must be created after and destroyed before.
        const postgresSide = new random.RandomPassword("postgres-side", { length: 8 });

        engine = new c.DatabaseSecretsEngine(
            "orders-engine",
            {
                database: "orders",
                host: "pg.internal",
                port: 5432,
                adminUsername: "vault_admin",
                adminPassword: "admin-pw",
                allowedRoles: ["reader", "writer"],
                connections: "single",
            },
            { providers: [provider], dependsOn: [postgresSide] },
        );
        teamEngine = new c.DatabaseSecretsEngine(
            "team-engine",
            {
                mountPath: "team/db",
                connectionName: "orders-primary",
                database: "orders",
                host: "10.0.0.5",
                port: 6432,
                adminUsername: "vault_admin",
                adminPassword: "admin-pw",
                allowedRoles: ["reader"],
                maxOpenConnections: 16,
                connections: "single",
            },
            { providers: [provider] },
        );
        role = new c.DatabaseRole(
            "orders-reader",
            {
                name: "reader",
                access: "readwrite",
                defaultTtl: "15m",
                maxTtl: "2h",
                mountPath: engine.mountPath,
                connectionName: engine.connectionName,
                groupRoles: groups,
            },
            { providers: [provider] },
        );
        auth = new c.AppRoleAuth("orders-approle", {}, { providers: [provider] });
        new c.AppRoleAuth("team-approle", { path: "team/approle" }, { providers: [provider] });
        web = new c.AppAccess("orders-web", { name: "web", roles: ["reader", "writer"], mountPath: engine.mountPath, approlePath: auth.path }, { providers: [provider] });
        cron = new c.AppAccess(
            "orders-cron",
            { name: "cron", roles: ["reader"], tokenTtl: "30m", tokenMaxTtl: "4h", secretIdTtl: 18000, mountPath: "team/db", approlePath: "team/approle" },
            { providers: [provider] },
        );
        await Promise.all([resolve(engine.connectionName), resolve(role.credsPath), resolve(web.loginPath), resolve(cron.roleId)]);
        all = await recorder.settle();
    });

    it("sends every Vault resource through the provider given in opts.providers", () => {
        const provider = named(TYPES.vaultProvider, "vault-under-test").urn;
        const vaultResources = all.filter((resource) => resource.type.startsWith("vault:"));
        expect(vaultResources.map((resource) => resource.name).sort()).toEqual(
            [
                "orders-engine-mount",
                "orders-engine-connection",
                "team-engine-mount",
                "team-engine-connection",
                "orders-reader-role",
                "orders-approle-backend",
                "team-approle-backend",
                "orders-web-policy",
                "orders-web-approle",
                "orders-cron-policy",
                "orders-cron-approle",
            ].sort(),
        );
        for (const resource of vaultResources) expect(providerUrn(resource.provider)).toBe(provider);
    });

    describe("DatabaseSecretsEngine", () => {
        it("mounts a database engine at the default path, after what the component depends on", () => {
            const mount = named(TYPES.mount, "orders-engine-mount");
            expect(plain(mount.inputs)).toEqual({ path: "database", type: "database", description: "Dynamic PostgreSQL credentials" });
            expect(mount.dependencies).toContain(named(TYPES.password, "postgres-side").urn);
            expect(mount.parent).toBe(named("vault-pg:database:DatabaseSecretsEngine", "orders-engine").urn);
        });

        it("writes a verified connection for exactly the allowed roles, named after the database", () => {
            const connection = named(TYPES.connection, "orders-engine-connection");
            expect(plain(connection.inputs)).toEqual({
                backend: "database",
                name: "orders",
                pluginName: "postgresql-database-plugin",
                allowedRoles: ["reader", "writer"],
                verifyConnection: true,
                postgresql: {
                    connectionUrl: "postgresql://{{username}}:{{password}}@pg.internal:5432/orders?sslmode=disable",
                    username: "vault_admin",
                    password: "admin-pw",
                    // Two per config (the plugin's lock uses one at a time), one kept idle, each renewed after 5 min.
                    maxOpenConnections: 2,
                    maxIdleConnections: 1,
                    maxConnectionLifetime: 300,
                    usernameTemplate: "v-{{.RoleName}}-{{random 12}}-{{unix_time}}",
                    passwordAuthentication: "scram-sha-256",
                },
            });
            expect(connection.dependencies).toEqual(
                expect.arrayContaining([named(TYPES.password, "postgres-side").urn, named(TYPES.mount, "orders-engine-mount").urn]),
            );
        });

        it("sends the admin password as a secret, even when given as plain text", () => {
            // A secret nested in an input object is sent by marking the whole object secret.
            const postgresql = named(TYPES.connection, "orders-engine-connection").inputs.postgresql;
            expect(isSecretInput(postgresql)).toBe(true);
            expect(isSecretInput(named(TYPES.connection, "orders-engine-connection").inputs.allowedRoles)).toBe(false);
        });

        it("takes a nested mount path, a connection name, the host as given and a connection count", async () => {
            expect(inputs(TYPES.mount, "team-engine-mount")).toMatchObject({ path: "team/db" });
            expect(inputs(TYPES.connection, "team-engine-connection")).toMatchObject({
                backend: "team/db",
                name: "orders-primary",
                allowedRoles: ["reader"],
                postgresql: { connectionUrl: "postgresql://{{username}}:{{password}}@10.0.0.5:6432/orders?sslmode=disable", maxOpenConnections: 16 },
            });
            expect(await resolve(teamEngine.mountPath)).toBe("team/db");
            expect(await resolve(teamEngine.connectionName)).toBe("orders-primary");
            expect(await resolve(engine.connectionName)).toBe("orders");
        });
    });

    describe("DatabaseRole", () => {
        it("declares a readwrite role: an expiring LOGIN user in the readwrite group, a revocation that ends its sessions and hands what it owns to the owner group, TTLs in seconds, the engine's connection", () => {
            expect(inputs(TYPES.role, "orders-reader-role")).toEqual({
                backend: "database",
                name: "reader",
                dbName: "orders",
                creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "orders_readwrite"`],
                revocationStatements: [
                    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{{name}}') THEN CREATE ROLE "{{name}}" NOLOGIN; END IF; END $$`,
                    `GRANT "{{name}}" TO CURRENT_USER`,
                    `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = '{{name}}' AND pid <> pg_backend_pid()`,
                    `REASSIGN OWNED BY "{{name}}" TO "orders_owner"`,
                    `DROP OWNED BY "{{name}}"`,
                    `DROP ROLE IF EXISTS "{{name}}"`,
                ],
                renewStatements: [`ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}'`],
                rollbackStatements: [`DROP ROLE IF EXISTS "{{name}}"`],
                defaultTtl: 900,
                maxTtl: 7200,
            });
        });

        it("waits for the connection it names", () => {
            expect(named(TYPES.role, "orders-reader-role").dependencies).toContain(named(TYPES.connection, "orders-engine-connection").urn);
        });

        it("outputs its name and creds path", async () => {
            expect(await resolve(role.roleName)).toBe("reader");
            expect(await resolve(role.credsPath)).toBe("database/creds/reader");
        });
    });

    describe("AppRoleAuth", () => {
        it("enables approle at the default path, or the one given", async () => {
            expect(inputs(TYPES.authBackend, "orders-approle-backend")).toEqual({
                type: "approle",
                path: "approle",
                description: "Applications reading database credentials",
            });
            expect(inputs(TYPES.authBackend, "team-approle-backend")).toMatchObject({ type: "approle", path: "team/approle" });
            expect(await resolve(auth.path)).toBe("approle");
        });
    });

    describe("AppAccess", () => {
        it("writes the app's least-privilege policy for its own roles: read their creds, renew and revoke (update only) their leases, renew by body, its own token", () => {
            expect(inputs(TYPES.policy, "orders-web-policy")).toEqual({
                name: "web-db",
                policy: `# Issue credentials of role "reader".
path "database/creds/reader" {
  capabilities = ["read"]
}

# Renew leases of role "reader".
path "sys/leases/renew/database/creds/reader/*" {
  capabilities = ["update"]
}

# Revoke leases of role "reader".
path "sys/leases/revoke/database/creds/reader/*" {
  capabilities = ["update"]
}

# Issue credentials of role "writer".
path "database/creds/writer" {
  capabilities = ["read"]
}

# Renew leases of role "writer".
path "sys/leases/renew/database/creds/writer/*" {
  capabilities = ["update"]
}

# Revoke leases of role "writer".
path "sys/leases/revoke/database/creds/writer/*" {
  capabilities = ["update"]
}

# Renew a lease given in the body, as Vault Agent does; never beyond the role's max TTL.
path "sys/leases/renew" {
  capabilities = ["update"]
}

# Read its own token's TTL.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

# Keep its own token alive.
path "auth/token/renew-self" {
  capabilities = ["update"]
}
`,
            });
            expect(inputs(TYPES.policy, "orders-cron-policy")).toEqual({
                name: "cron-db",
                policy: `# Issue credentials of role "reader".
path "team/db/creds/reader" {
  capabilities = ["read"]
}

# Renew leases of role "reader".
path "sys/leases/renew/team/db/creds/reader/*" {
  capabilities = ["update"]
}

# Revoke leases of role "reader".
path "sys/leases/revoke/team/db/creds/reader/*" {
  capabilities = ["update"]
}

# Renew a lease given in the body, as Vault Agent does; never beyond the role's max TTL.
path "sys/leases/renew" {
  capabilities = ["update"]
}

# Read its own token's TTL.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

# Keep its own token alive.
path "auth/token/renew-self" {
  capabilities = ["update"]
}
`,
            });
        });

        it("binds an AppRole role to that policy alone, without the default policy", () => {
            expect(inputs(TYPES.approleRole, "orders-web-approle")).toEqual({
                backend: "approle",
                roleName: "web",
                tokenPolicies: ["web-db"],
                tokenNoDefaultPolicy: true,
                tokenTtl: 3600,
                // On its own, the token's max TTL defaults to its TTL.
                tokenMaxTtl: 3600,
                // A secret id that never expires: the app logs in again with it every tokenMaxTtl.
                secretIdTtl: 0,
                tokenType: "service",
            });
            expect(inputs(TYPES.approleRole, "orders-cron-approle")).toMatchObject({ backend: "team/approle", tokenTtl: 1800, tokenMaxTtl: 14400, secretIdTtl: 18000 });
            const approle = named(TYPES.approleRole, "orders-web-approle");
            expect(approle.dependencies).toEqual(
                expect.arrayContaining([named(TYPES.policy, "orders-web-policy").urn, named(TYPES.authBackend, "orders-approle-backend").urn]),
            );
        });

        it("outputs the policy name, the role id and where to log in", async () => {
            expect(await resolve(web.policyName)).toBe("web-db");
            expect(await resolve(web.roleId)).toBe("mock-role-id-web");
            expect(await resolve(web.loginPath)).toBe("auth/approle/login");
            expect(await resolve(cron.loginPath)).toBe("auth/team/approle/login");
        });
    });

    it("names every child after its component and parents it there", () => {
        for (const resource of all.filter((entry) => entry.type.startsWith("vault:"))) {
            const parent = all.find((entry) => entry.urn === resource.parent);
            expect(parent?.type).toMatch(/^vault-pg:/);
            expect(resource.name.startsWith(`${parent?.name}-`)).toBe(true);
        }
    });
});
