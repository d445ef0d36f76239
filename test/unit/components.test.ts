/**
 * Every component under mocks: its children and their key inputs, which outputs are secret, which provider each
 * child uses, and the dependencies that order creation and destruction.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, isSecret, isSecretInput, MockRecorder, plain, providerUrn, RecordedResource, resolve, TYPES } from "../helpers/pulumi-mocks";

import { postgresDataPath } from "../../components/postgres-server";

type Components = typeof import("../../components");

/** Whether a recorded input holds a secret anywhere inside it. */
function containsSecret(value: unknown): boolean {
    if (isSecretInput(value)) return true;
    if (Array.isArray(value)) return value.some(containsSecret);
    if (typeof value === "object" && value !== null) return Object.values(value).some(containsSecret);
    return false;
}

describe("components", () => {
    let recorder: MockRecorder;
    let c: Components;
    let all: RecordedResource[];

    const named = (type: string, name: string): RecordedResource => {
        const found = all.find((resource) => resource.type === type && resource.name === name);
        if (!found) throw new Error(`no ${type} named ${name}: ${all.filter((r) => r.type === type).map((r) => r.name).join(", ")}`);
        return found;
    };
    const inputs = <T = Record<string, unknown>>(type: string, name: string): T => plain<T>(named(type, name).inputs);
    const childrenOf = (parent: RecordedResource): RecordedResource[] => all.filter((resource) => resource.parent === parent.urn);
    const descendantsOf = (root: RecordedResource): RecordedResource[] => {
        const found: RecordedResource[] = [];
        const walk = (node: RecordedResource): void => childrenOf(node).forEach((child) => (found.push(child), walk(child)));
        walk(root);
        return found;
    };

    let pgDefault: import("../../components").PostgresServer;
    let vaultDefault: import("../../components").VaultServer;
    let vaultBao: import("../../components").VaultServer;
    let access: import("../../components").PostgresAccessModel;
    let shop: import("../../components").VaultPostgres;

    beforeAll(async () => {
        recorder = await installMocks("test");
        c = await import("../../components");
        pgDefault = new c.PostgresServer("pg1");
        new c.PostgresServer("pg2", { image: "postgres:17", hostPort: 25432, networkName: "shared-net", dataMountPath: "/var/lib/postgresql/data" });
        new c.PostgresServer("pg3", { image: "docker.io/library/postgres:16.4-alpine", hostPort: 35432 });
        vaultDefault = new c.VaultServer("v1", { networkName: "n1" });
        vaultBao = new c.VaultServer("v2", { flavor: "openbao", networkName: "n2", hostPort: 28200 });
        access = new c.PostgresAccessModel("am", { host: "127.0.0.1", port: 5432, superuser: "postgres", superuserPassword: pulumi.secret("pw") });
        shop = new c.VaultPostgres("shop", {
            database: "shop",
            mountPath: "team/db",
            approlePath: "team-approle",
            maxOpenConnections: 8,
            connections: "single",
            roles: [
                { name: "reader", access: "readonly", defaultTtl: "30m", maxTtl: "2h" },
                { name: "migrator", access: "owner", defaultTtl: 300, maxTtl: 900 },
            ],
            apps: [{ name: "storefront", roles: ["reader"] }, { name: "deployer", roles: ["migrator"], tokenTtl: "10m" }],
        });
        await Promise.all([resolve(shop.apps), resolve(shop.credsPaths), resolve(access.vaultAdminUsername)]);
        all = await recorder.settle();
    });

    describe("PostgresServer", () => {
        it("pulls the default postgres:18 image and keeps it locally", () => {
            expect(inputs(TYPES.image, "pg1-image")).toEqual({ name: "postgres:18", keepLocally: true });
            expect(inputs(TYPES.image, "pg2-image")).toMatchObject({ name: "postgres:17" });
        });

        it("creates a network and a named volume, or joins the given network", () => {
            expect(inputs(TYPES.network, "pg1-network")).toMatchObject({ name: "pg1-network", driver: "bridge" });
            expect(all.some((resource) => resource.name === "pg2-network")).toBe(false);
            expect(inputs(TYPES.volume, "pg1-data")).toEqual({ name: "pg1-data" });
            expect(inputs(TYPES.container, "pg2").networksAdvanced).toEqual([{ name: "shared-net", aliases: ["pg2"] }]);
        });

        it("waits for a pg_isready healthcheck over TCP and publishes the port on the host address", () => {
            const container = inputs(TYPES.container, "pg1");
            expect(container.healthcheck).toEqual({
                tests: ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres"],
                interval: "2s",
                timeout: "3s",
                retries: 30,
                startPeriod: "5s",
            });
            expect(container).toMatchObject({ wait: true, waitTimeout: 120 });
            expect(container.privileged).toBeUndefined();
            expect(container.ports).toEqual([{ internal: 5432, external: 15432, ip: "127.0.0.1" }]);
            expect(inputs(TYPES.container, "pg2").ports).toEqual([{ internal: 5432, external: 25432, ip: "127.0.0.1" }]);
            expect(container.volumes).toEqual([{ volumeName: "pg1-data", containerPath: "/var/lib/postgresql" }]);
            expect(inputs(TYPES.container, "pg2").volumes).toEqual([{ volumeName: "pg2-data", containerPath: "/var/lib/postgresql/data" }]);
        });

        it("mounts the data volume where the image's major version keeps its data, unless told", () => {
            expect(inputs(TYPES.container, "pg3").volumes).toEqual([{ volumeName: "pg3-data", containerPath: "/var/lib/postgresql/data" }]);
            expect(["postgres:18", "postgres:18.4-bookworm", "postgres:latest", "postgres", "registry:5000/postgres:19"].map(postgresDataPath)).toEqual(
                Array(5).fill("/var/lib/postgresql"),
            );
            expect(["postgres:17", "postgres:9.6", "postgres:16-alpine", "registry:5000/pg/postgres:15@sha256:abc"].map(postgresDataPath)).toEqual(
                Array(4).fill("/var/lib/postgresql/data"),
            );
        });

        it("replaces its container delete-first: a fixed name and host port cannot run twice", () => {
            expect(named(TYPES.container, "pg1").deleteBeforeReplace).toBe(true);
            expect(named(TYPES.container, "v1").deleteBeforeReplace).toBe(true);
        });

        it("keeps the generated superuser password secret, in the container's env too", async () => {
            const container = named(TYPES.container, "pg1");
            expect(container.additionalSecretOutputs).toEqual(["envs", "uploads"]);
            expect(containsSecret(container.inputs.envs)).toBe(true);
            expect(plain<string[]>(container.inputs.envs)).toEqual(["POSTGRES_USER=postgres", "POSTGRES_PASSWORD=mock-password-pg1-superuser-password"]);
            expect(await isSecret(pgDefault.superuserPassword)).toBe(true);
            expect(await resolve(pgDefault.superuserPassword)).toBe("mock-password-pg1-superuser-password");
        });

        it("outputs host and in-network addresses", async () => {
            expect(await resolve(pgDefault.host)).toBe("127.0.0.1");
            expect(await resolve(pgDefault.port)).toBe(15432);
            expect(await resolve(pgDefault.internalHost)).toBe("pg1");
            expect(await resolve(pgDefault.internalPort)).toBe(5432);
            expect(await resolve(pgDefault.networkName)).toBe("pg1-network");
        });
    });

    describe("VaultServer", () => {
        it("runs HashiCorp Vault in dev mode with its env names and CLI healthcheck", () => {
            const container = inputs(TYPES.container, "v1");
            expect(inputs(TYPES.image, "v1-image")).toMatchObject({ name: "hashicorp/vault:1.21" });
            expect(container.command).toEqual(["server", "-dev"]);
            expect(container.envs).toEqual(["VAULT_DEV_ROOT_TOKEN_ID=mock-password-v1-root-token", "VAULT_DEV_LISTEN_ADDRESS=0.0.0.0:8200", "SKIP_SETCAP=true"]);
            expect((container.healthcheck as { tests: string[] }).tests).toEqual(["CMD", "vault", "status", "-address=http://127.0.0.1:8200"]);
            expect(container).toMatchObject({ wait: true, networksAdvanced: [{ name: "n1", aliases: ["v1"] }] });
            expect(named(TYPES.container, "v1").additionalSecretOutputs).toEqual(["envs", "uploads"]);
        });

        it("runs OpenBao with the BAO_ env names and the bao CLI", () => {
            const container = inputs(TYPES.container, "v2");
            expect(inputs(TYPES.image, "v2-image")).toMatchObject({ name: "openbao/openbao:2.4" });
            expect(container.envs).toEqual(["BAO_DEV_ROOT_TOKEN_ID=mock-password-v2-root-token", "BAO_DEV_LISTEN_ADDRESS=0.0.0.0:8200", "SKIP_SETCAP=true"]);
            expect((container.healthcheck as { tests: string[] }).tests).toEqual(["CMD", "bao", "status", "-address=http://127.0.0.1:8200"]);
            expect(container.ports).toEqual([{ internal: 8200, external: 28200, ip: "127.0.0.1" }]);
        });

        it("builds an explicit provider from its address and secret root token", async () => {
            const provider = named(TYPES.vaultProvider, "v1-provider");
            expect(plain(provider.inputs)).toMatchObject({ address: "http://127.0.0.1:18200", token: "mock-password-v1-root-token" });
            expect(containsSecret(named(TYPES.container, "v1").inputs.envs)).toBe(true);
            expect(isSecretInput(provider.inputs.token)).toBe(true);
            // The address comes from the container, so the provider waits for a healthy server.
            expect(provider.dependencies).toContain(named(TYPES.container, "v1").urn);
            expect(await isSecret(vaultDefault.rootToken)).toBe(true);
            expect(await resolve(vaultBao.address)).toBe("http://127.0.0.1:28200");
            expect(vaultBao.flavor).toBe("openbao");
        });
    });

    describe("PostgresAccessModel", () => {
        it("exposes the database, the groups and the Vault admin as the resources it created", async () => {
            expect(await resolve(access.appDatabase.urn)).toBe(named(TYPES.pgDatabase, "am-database").urn);
            expect(await resolve(access.vaultAdmin.urn)).toBe(named(TYPES.pgRole, "am-vault-admin").urn);
            expect(await resolve(access.groups.owner.urn)).toBe(named(TYPES.pgRole, "am-owner").urn);
        });

        it("creates the database and three NOLOGIN group roles", () => {
            expect(inputs(TYPES.pgDatabase, "am-database")).toEqual({ name: "app" });
            for (const level of ["readonly", "readwrite", "owner"]) {
                expect(inputs(TYPES.pgRole, `am-${level}`)).toEqual({ name: `app_${level}`, login: false });
            }
        });

        it("creates a Vault admin with CREATEROLE, never SUPERUSER, and a secret password", async () => {
            const admin = named(TYPES.pgRole, "am-vault-admin");
            expect(plain(admin.inputs)).toEqual({ name: "vault_admin", login: true, createRole: true, password: "mock-password-am-vault-admin-password" });
            expect(isSecretInput(admin.inputs.password)).toBe(true);
            expect(admin.additionalSecretOutputs).toContain("password");
            expect(await isSecret(access.vaultAdminPassword)).toBe(true);
        });

        it("gives the admin admin option on the groups and no predefined role (a managed admin cannot grant pg_signal_backend on 16+)", () => {
            for (const level of ["readonly", "readwrite", "owner"]) {
                expect(inputs(TYPES.pgGrantRole, `am-vault-admin-in-${level}`)).toEqual({ role: "vault_admin", grantRole: `app_${level}`, withAdminOption: true });
            }
            const granted = all.filter((resource) => resource.type === TYPES.pgGrantRole && resource.name.startsWith("am-")).map((resource) => plain<{ grantRole: string }>(resource.inputs).grantRole);
            expect(granted.sort()).toEqual(["app_owner", "app_readonly", "app_readwrite", "vault_admin"]);
        });

        it("makes the Pulumi admin a member of the Vault admin, and drops the database while it still is: its sessions can then be ended", () => {
            const membership = named(TYPES.pgGrantRole, "am-admin-in-vault-admin");
            expect(plain(membership.inputs)).toEqual({ role: "postgres", grantRole: "vault_admin", withAdminOption: false });
            expect(membership.ignoreChanges).toEqual(["withAdminOption"]);
            expect(named(TYPES.pgDatabase, "am-database").dependencies).toContain(membership.urn);
        });

        it("checks the admin's privileges before any Postgres resource, with the password secret", () => {
            const check = named(TYPES.adminCheck, "am-admin-check");
            expect(plain(check.inputs)).toMatchObject({ host: "127.0.0.1", port: 5432, username: "postgres", password: "pw", sslMode: "disable", database: "app" });
            expect(isSecretInput(check.inputs.password)).toBe(true);
            // Every Postgres resource waits for the check, directly or through what it depends on.
            const byUrn = new Map(all.map((resource) => [resource.urn, resource]));
            const waitsForCheck = (urn: string, seen = new Set<string>()): boolean => {
                if (urn === check.urn) return true;
                if (seen.has(urn)) return false;
                seen.add(urn);
                return (byUrn.get(urn)?.dependencies ?? []).some((dependency) => waitsForCheck(dependency, seen));
            };
            const postgresResources = all.filter((resource) => resource.name.startsWith("am-") && resource.type.startsWith("postgresql:"));
            expect(postgresResources.length).toBeGreaterThan(20);
            expect(postgresResources.filter((resource) => !waitsForCheck(resource.urn)).map((resource) => resource.name)).toEqual([]);
            for (const first of ["am-vault-admin", "am-readonly", "am-readwrite", "am-owner"]) expect(named(TYPES.pgRole, first).dependencies).toContain(check.urn);
        });

        it("grants each group exactly its privileges on the database, the schema and existing objects, and defaults for the owner group's future objects", () => {
            // [resource name, kind, object type, privileges]: every grant of the model, in the order it is applied.
            const plan: [string, "grant" | "default", string, string[]][] = [
                ["am-readonly-grant-database", "grant", "database", ["CONNECT", "TEMPORARY"]],
                ["am-readonly-grant-schema", "grant", "schema", ["USAGE"]],
                ["am-readonly-grant-table", "grant", "table", ["SELECT"]],
                ["am-readonly-grant-sequence", "grant", "sequence", ["SELECT"]],
                ["am-readonly-default-table", "default", "table", ["SELECT"]],
                ["am-readonly-default-sequence", "default", "sequence", ["SELECT"]],
                ["am-readwrite-grant-database", "grant", "database", ["CONNECT", "TEMPORARY"]],
                ["am-readwrite-grant-schema", "grant", "schema", ["USAGE"]],
                ["am-readwrite-grant-table", "grant", "table", ["DELETE", "INSERT", "SELECT", "UPDATE"]],
                ["am-readwrite-grant-sequence", "grant", "sequence", ["SELECT", "UPDATE", "USAGE"]],
                ["am-readwrite-default-table", "default", "table", ["DELETE", "INSERT", "SELECT", "UPDATE"]],
                ["am-readwrite-default-sequence", "default", "sequence", ["SELECT", "UPDATE", "USAGE"]],
                ["am-owner-grant-database", "grant", "database", ["CONNECT", "TEMPORARY"]],
                ["am-owner-grant-schema", "grant", "schema", ["CREATE", "USAGE"]],
            ];
            for (const [name, kind, objectType, privileges] of plan) {
                const access = name.split("-")[1];
                const expected = {
                    database: "app",
                    role: `app_${access}`,
                    objectType,
                    privileges,
                    ...(objectType === "database" ? {} : { schema: "public" }),
                    ...(kind === "default" ? { owner: "app_owner" } : {}),
                };
                expect(inputs(kind === "grant" ? TYPES.pgGrant : TYPES.pgDefaultPrivileges, name)).toEqual(expected);
            }
            const declared = all
                .filter((resource) => resource.name.startsWith("am-") && [TYPES.pgGrant, TYPES.pgDefaultPrivileges].includes(resource.type as never))
                .map((resource) => resource.name);
            expect(declared).toEqual([...plan.map(([name]) => name), "am-public-database", "am-public-schema"]);
            expect(inputs(TYPES.pgDefaultPrivileges, "am-readonly-default-table").privileges).toEqual(["SELECT"]);
            expect(inputs(TYPES.pgGrant, "am-owner-grant-schema").privileges).toEqual(["CREATE", "USAGE"]);
            expect(inputs(TYPES.pgGrant, "am-readwrite-grant-schema").privileges).toEqual(["USAGE"]);
        });

        it("closes the database to PUBLIC last, once the groups can connect: no login role outside the stack may", () => {
            expect(inputs(TYPES.pgGrant, "am-public-database")).toEqual({ database: "app", role: "public", objectType: "database", privileges: [] });
            expect(named(TYPES.pgGrant, "am-public-database").dependencies).toContain(named(TYPES.pgGrant, "am-owner-grant-schema").urn);
            // PUBLIC's privileges on the schema too: CREATE on 14 and earlier (none left, the groups hold theirs).
            expect(inputs(TYPES.pgGrant, "am-public-schema")).toEqual({ database: "app", role: "public", schema: "public", objectType: "schema", privileges: [] });
        });

        it("grants the owner group only the database and the schema: it owns its tables, and a table grant would drift", () => {
            const ownerGrants = all
                .filter((resource) => resource.name.startsWith("am-owner-") && [TYPES.pgGrant, TYPES.pgDefaultPrivileges].includes(resource.type as never))
                .map((resource) => resource.name)
                .sort();
            expect(ownerGrants).toEqual(["am-owner-grant-database", "am-owner-grant-schema"]);
        });

        it("makes the database depend on the group roles, so destroy drops it before the owner group", () => {
            const database = named(TYPES.pgDatabase, "am-database");
            for (const level of ["readonly", "readwrite", "owner"]) expect(database.dependencies).toContain(named(TYPES.pgRole, `am-${level}`).urn);
        });

        it("leaves the admin's memberships to the GrantRole resources: its own roles are never declared and ignored on update", () => {
            const admin = named(TYPES.pgRole, "am-vault-admin");
            expect(admin.inputs.roles).toBeUndefined();
            expect(admin.ignoreChanges).toEqual(["roles"]);
        });

        it("applies grants one after another, each depending on the one before", () => {
            const chain = all.filter((resource) => resource.name.startsWith("am-") && [TYPES.pgGrantRole, TYPES.pgGrant, TYPES.pgDefaultPrivileges].includes(resource.type as never));
            // 4 role memberships (the Vault admin in 3 groups, the Pulumi admin in the Vault admin), 14 grants, PUBLIC's
            // revokes on the database and its schema.
            expect(chain.length).toBe(4 + 14 + 2);
            let previous = named(TYPES.pgRole, "am-vault-admin");
            for (const resource of chain) {
                expect(resource.dependencies).toContain(previous.urn);
                previous = resource;
            }
        });

        it("uses its own explicit postgresql provider for every database child", () => {
            const provider = named(TYPES.pgProvider, "am-provider");
            // superuser false: the provider never reads password hashes back, which only a superuser may.
            expect(plain(provider.inputs)).toMatchObject({ host: "127.0.0.1", port: "5432", username: "postgres", password: "pw", database: "postgres", sslmode: "disable", superuser: "false" });
            for (const resource of all.filter((r) => r.type.startsWith("postgresql:") && r.name.startsWith("am-"))) {
                expect(providerUrn(resource.provider)).toBe(provider.urn);
            }
        });

        it("resolves the admin username only after the last grant", async () => {
            expect(await resolve(access.vaultAdminUsername)).toBe("vault_admin");
            expect(access.groupRoles).toEqual({ readonly: "app_readonly", readwrite: "app_readwrite", owner: "app_owner" });
        });
    });

    describe("VaultPostgres with its own names (and the engine, roles and app access inside it)", () => {
        const engine = (): RecordedResource => named(TYPES.connection, "shop-engine-connection");

        it("mounts the engine at its path and connects to the in-network host as the Vault admin", () => {
            expect(inputs(TYPES.mount, "shop-engine-mount")).toEqual({ path: "team/db", type: "database", description: "Dynamic PostgreSQL credentials" });
            expect(plain(engine().inputs)).toEqual({
                backend: "team/db",
                name: "shop",
                pluginName: "postgresql-database-plugin",
                allowedRoles: ["reader", "migrator"],
                verifyConnection: true,
                postgresql: {
                    // TLS by default: verified against the stack CA, inline (HashiCorp Vault 1.18+).
                    connectionUrl: "postgresql://{{username}}:{{password}}@shop-postgres:5432/shop?sslmode=verify-full",
                    tlsCa: "-----BEGIN CERTIFICATE-----\nmock-shop-ca-certificate\n-----END CERTIFICATE-----\n",
                    username: "vault_admin",
                    password: "mock-password-shop-access-vault-admin-password",
                    maxOpenConnections: 8,
                    // Idle pools shrink to one connection; connections are renewed every 5 minutes.
                    maxIdleConnections: 1,
                    maxConnectionLifetime: 300,
                    usernameTemplate: "v-{{.RoleName}}-{{random 12}}-{{unix_time}}",
                    passwordAuthentication: "scram-sha-256",
                },
            });
            expect(containsSecret(engine().inputs.postgresql)).toBe(true);
        });

        it("orders the engine after the Postgres side, so it is destroyed first", () => {
            const postgresContainer = named(TYPES.container, "shop-postgres").urn;
            const lastGrant = named(TYPES.pgDefaultPrivileges, "shop-access-readwrite-default-sequence").urn;
            for (const resource of [named(TYPES.mount, "shop-engine-mount"), engine()]) {
                expect(resource.dependencies).toEqual(expect.arrayContaining([postgresContainer, lastGrant, named(TYPES.pgRole, "shop-access-vault-admin").urn]));
            }
        });

        it("declares one role per spec: an expiring LOGIN user in its level's group (an owner's sessions run as the group), a revocation that ends its sessions and hands what it owns to the owner group, TTLs in seconds, after the connection", () => {
            const reader = named(TYPES.role, "shop-role-reader-role");
            expect(plain(reader.inputs)).toEqual({
                backend: "team/db",
                name: "reader",
                dbName: "shop",
                creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "shop_readonly"`],
                revocationStatements: [
                    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{{name}}') THEN CREATE ROLE "{{name}}" NOLOGIN; END IF; END $$`,
                    `GRANT "{{name}}" TO CURRENT_USER`,
                    `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = '{{name}}' AND pid <> pg_backend_pid()`,
                    `REASSIGN OWNED BY "{{name}}" TO "shop_owner"`,
                    `DROP OWNED BY "{{name}}"`,
                    `DROP ROLE IF EXISTS "{{name}}"`,
                ],
                renewStatements: [`ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}'`],
                rollbackStatements: [`DROP ROLE IF EXISTS "{{name}}"`],
                defaultTtl: 1800,
                maxTtl: 7200,
            });
            const migrator = named(TYPES.role, "shop-role-migrator-role");
            expect(plain<{ creationStatements: string[]; defaultTtl: number; maxTtl: number }>(migrator.inputs)).toMatchObject({
                creationStatements: [
                    `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "shop_owner"`,
                    `ALTER ROLE "{{name}}" SET role = "shop_owner"`,
                ],
                defaultTtl: 300,
                maxTtl: 900,
            });
            for (const role of [reader, migrator]) expect(role.dependencies).toContain(engine().urn);
        });

        it("enables AppRole once and binds each app to its own least-privilege policy: its roles' creds, renew and revoke of their leases under their creds paths, renew by body, its own token", () => {
            expect(all.filter((resource) => resource.type === TYPES.authBackend && resource.name.startsWith("shop-"))).toHaveLength(1);
            expect(inputs(TYPES.authBackend, "shop-approle-backend")).toMatchObject({ type: "approle", path: "team-approle" });
            expect(inputs(TYPES.policy, "shop-app-storefront-policy")).toEqual({
                name: "storefront-db",
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
            expect(inputs(TYPES.approleRole, "shop-app-storefront-approle")).toEqual({
                backend: "team-approle",
                roleName: "storefront",
                tokenPolicies: ["storefront-db"],
                tokenNoDefaultPolicy: true,
                tokenTtl: 3600,
                tokenMaxTtl: 7200,
                secretIdTtl: 0,
                tokenType: "service",
            });
            // The token outlives no lease: its max TTL defaults to the longest max TTL of the app's roles.
            expect(inputs(TYPES.approleRole, "shop-app-deployer-approle")).toMatchObject({ tokenTtl: 600, tokenMaxTtl: 900 });
        });

        it("outputs the creds paths and each app's policy, role id and login path", async () => {
            expect(await resolve(shop.mountPath)).toBe("team/db");
            expect(await resolve(shop.credsPaths)).toEqual({ reader: "team/db/creds/reader", migrator: "team/db/creds/migrator" });
            expect(await resolve(shop.apps)).toEqual({
                storefront: { method: "approle", policyName: "storefront-db", roleId: "mock-role-id-storefront", loginPath: "auth/team-approle/login", role: "storefront" },
                deployer: { method: "approle", policyName: "deployer-db", roleId: "mock-role-id-deployer", loginPath: "auth/team-approle/login", role: "deployer" },
            });
            expect(shop.groupRoles.owner).toBe("shop_owner");
        });

        it("sends every Vault resource through the server's provider", () => {
            const provider = named(TYPES.vaultProvider, "shop-vault-provider").urn;
            const vaultResources = all.filter((resource) => resource.type.startsWith("vault:") && resource.name.startsWith("shop-"));
            expect(vaultResources.length).toBe(1 + 1 + 2 + 1 + 2 + 2);
            for (const resource of vaultResources) expect(providerUrn(resource.provider)).toBe(provider);
        });

        it("parents every child under the composite and prefixes its name", () => {
            const root = named("vault-pg:index:VaultPostgres", "shop");
            const descendants = descendantsOf(root);
            expect(descendants.length).toBe(all.filter((resource) => resource.name.startsWith("shop-")).length);
            for (const resource of descendants) expect(resource.name === "shop" || resource.name.startsWith("shop-")).toBe(true);
            expect(childrenOf(root).map((resource) => resource.type).sort()).toEqual(
                [
                    "vault-pg:tls:CertificateAuthority",
                    "vault-pg:postgres:PostgresServer",
                    "vault-pg:vault:VaultServer",
                    "vault-pg:postgres:PostgresAccessModel",
                    "vault-pg:database:DatabaseSecretsEngine",
                    "vault-pg:database:DatabaseRole",
                    "vault-pg:database:DatabaseRole",
                    "vault-pg:auth:AppRoleAuth",
                    "vault-pg:auth:AppAccess",
                    "vault-pg:auth:AppAccess",
                ].sort(),
            );
        });
    });
});
