/**
 * Bad input, in one table: stack config, component args and policy pack config. Each case must fail with its
 * exact message before a single resource (or component) is registered.
 */
import { checkGuardrailConfig } from "../../policies/rules";
import { installMocks, MockRecorder } from "../helpers/pulumi-mocks";

type Components = typeof import("../../components");

const ROLES = JSON.stringify([{ name: "readonly", access: "readonly", defaultTtl: "1h", maxTtl: "24h" }]);
const role = (overrides: Record<string, unknown>): string => JSON.stringify([{ name: "r", access: "readonly", defaultTtl: 60, maxTtl: 120, ...overrides }]);
const groupRoles = { readonly: "app_readonly", readwrite: "app_readwrite", owner: "app_owner" };

/** [label, what to run, exact message]. `c` is the components module, loaded after the mocks. */
const CASES: [string, (c: Components) => unknown, string][] = [
    // Stack config, as Pulumi hands it to index.ts.
    ["unknown config key", (c) => c.readStackConfig({ roles: ROLES, mountpath: "db" }),
        'stack config (vault-pg): mountpath = "db": unknown config key; known keys are flavor, postgresImage, postgresDataPath, vaultImage, postgresHostPort, vaultHostPort, hostAddress, tls, postgresHost, postgresPort, postgresVaultHost, postgresSuperuser, postgresSuperuserPassword, postgresSslMode, postgresCaCertificate, postgresClientCertificate, postgresClientKey, postgresVaultCaFile, postgresVaultCertificateFile, postgresVaultKeyFile, postgresAllowPlaintext, vaultAddress, vaultToken, vaultCaCertificate, vaultAllowPlaintext, vaultMode, vaultUnsealShares, vaultUnsealThreshold, vaultStorage, vaultUnauthenticatedMetrics, rotateRootCredentials, database, vaultAdminUsername, mountPath, approlePath, sharedMount, sharedApprole, maxOpenConnections, connectionBudget, connections, roles, apps, jwtAuth, ciOidc, databases, staticRoles'],
    ["port not a number", (c) => c.readStackConfig({ roles: ROLES, postgresHostPort: "abc" }), 'stack config (vault-pg): postgresHostPort = "abc": must be a whole number'],
    ["port 0", (c) => c.readStackConfig({ roles: ROLES, postgresHostPort: "0" }), "stack config (vault-pg): postgresHostPort = 0: a port must be a whole number from 1 to 65535"],
    ["port 70000", (c) => c.readStackConfig({ roles: ROLES, vaultHostPort: "70000" }), "stack config (vault-pg): vaultHostPort = 70000: a port must be a whole number from 1 to 65535"],
    ["unknown flavor", (c) => c.readStackConfig({ roles: ROLES, flavor: "consul" }), 'stack config (vault-pg): flavor = "consul": unknown flavor; expected one of vault, openbao'],
    ["roles not a list", (c) => c.readStackConfig({ roles: "[{" }), 'stack config (vault-pg): roles = "[{": must be a list (YAML sequence)'],
    ["no roles", (c) => c.readStackConfig({}), "stack config (vault-pg): roles = undefined: declare at least one role as a list of { name, access, defaultTtl, maxTtl }"],
    ["role not an object", (c) => c.readStackConfig({ roles: '["readonly"]' }), 'stack config (vault-pg) roles[0]: role = "readonly": a role must be an object { name, access, defaultTtl, maxTtl }'],
    ["unknown access level", (c) => c.readStackConfig({ roles: role({ name: "writer", access: "superuser" }) }),
        'stack config (vault-pg) roles[0] "writer": access = "superuser": unknown access level; expected one of readonly, readwrite, owner'],
    ["defaultTtl over maxTtl", (c) => c.readStackConfig({ roles: role({ defaultTtl: "2h", maxTtl: "1h" }) }), 'stack config (vault-pg) roles[0] "r": defaultTtl = "2h": must not exceed maxTtl ("1h" = 3600s)'],
    ["TTL in words", (c) => c.readStackConfig({ roles: role({ defaultTtl: "1 hour" }) }),
        'stack config (vault-pg) roles[0] "r": defaultTtl = "1 hour": a TTL must look like 3600, "90s", "15m", "1h" or "7d" and be greater than 0'],
    ["negative TTL", (c) => c.readStackConfig({ roles: role({ maxTtl: -5 }) }), 'stack config (vault-pg) roles[0] "r": maxTtl = -5: a TTL must be a whole number of seconds greater than 0'],
    ["TTL of the wrong type", (c) => c.readStackConfig({ roles: role({ defaultTtl: true }) }), 'stack config (vault-pg) roles[0] "r": defaultTtl = true: a TTL must be a number of seconds or a string like "1h"'],
    ["duplicate role", (c) => c.readStackConfig({ roles: JSON.stringify([JSON.parse(role({}))[0], JSON.parse(role({ access: "owner" }))[0]]) }), 'stack config (vault-pg): roles = "r": duplicate name'],
    ["injection in a role name", (c) => c.readStackConfig({ roles: role({ name: 'r"; DROP ROLE x; --' }) }),
        "stack config (vault-pg) roles[0]: name = \"r\\\"; DROP ROLE x; --\": a name may contain only lowercase letters, digits, '_' and '-', starting with a letter"],
    ["space in a role name", (c) => c.readStackConfig({ roles: role({ name: "read only" }) }),
        "stack config (vault-pg) roles[0]: name = \"read only\": a name may contain only lowercase letters, digits, '_' and '-', starting with a letter"],
    ["empty role name", (c) => c.readStackConfig({ roles: role({ name: "" }) }), 'stack config (vault-pg) roles[0]: name = "": a name must be a non-empty string'],
    ["role name past the username limit", (c) => c.readStackConfig({ roles: role({ name: "r".repeat(38) }) }),
        `stack config (vault-pg) roles[0]: name = "${"r".repeat(38)}": a name may be at most 37 characters long`],
    ["app with an unknown role", (c) => c.readStackConfig({ roles: ROLES, apps: JSON.stringify([{ name: "web", roles: ["admin"] }]) }),
        'stack config (vault-pg) apps[0] "web": roles = "admin": unknown role; declared roles are readonly'],
    ["duplicate app", (c) => c.readStackConfig({ roles: ROLES, apps: JSON.stringify([{ name: "web", roles: ["readonly"] }, { name: "web", roles: ["readonly"] }]) }),
        'stack config (vault-pg): apps = "web": duplicate name'],
    ["app without roles", (c) => c.readStackConfig({ roles: ROLES, apps: JSON.stringify([{ name: "web", roles: [] }]) }), 'stack config (vault-pg) apps[0] "web": roles = []: an app needs a non-empty list of role names'],
    ["quote in an app name", (c) => c.readStackConfig({ roles: ROLES, apps: JSON.stringify([{ name: "web'app", roles: ["readonly"] }]) }),
        "stack config (vault-pg) apps[0]: name = \"web'app\": a name may contain only lowercase letters, digits, '_' and '-', starting with a letter"],
    ["token TTL over its max", (c) => c.readStackConfig({ roles: ROLES, apps: JSON.stringify([{ name: "web", roles: ["readonly"], tokenTtl: "2d", tokenMaxTtl: "1d" }]) }),
        'stack config (vault-pg) apps[0] "web": tokenTtl = "2d": must not exceed tokenMaxTtl (86400s)'],
    // Server mode.
    ["unknown vault mode", (c) => c.readStackConfig({ roles: ROLES, vaultMode: "production" }), 'stack config (vault-pg): vaultMode = "production": unknown mode; expected one of dev, server'],
    ["threshold over shares", (c) => c.readStackConfig({ roles: ROLES, vaultUnsealShares: "3", vaultUnsealThreshold: "5" }),
        "stack config (vault-pg): vaultUnsealThreshold = 5: the threshold cannot exceed the number of key shares (3)"],
    ["zero key shares", (c) => c.readStackConfig({ roles: ROLES, vaultUnsealShares: "0" }), "stack config (vault-pg): vaultUnsealShares = 0: must be a whole number from 1 to 255"],
    ["threshold of 1 with several shares", (c) => c.readStackConfig({ roles: ROLES, vaultUnsealShares: "5", vaultUnsealThreshold: "1" }),
        "stack config (vault-pg): vaultUnsealThreshold = 1: with more than one key share the threshold must be at least 2"],
    ["unknown storage", (c) => c.readStackConfig({ roles: ROLES, vaultStorage: "consul" }), 'stack config (vault-pg): vaultStorage = "consul": unknown storage; expected one of raft, file'],
    ["rotation not a boolean", (c) => c.readStackConfig({ roles: ROLES, rotateRootCredentials: "yes" }), 'stack config (vault-pg): rotateRootCredentials = "yes": must be true or false'],
    ["server mode with an existing Vault", (c) => c.readStackConfig({ roles: ROLES, vaultMode: "server", vaultAddress: "https://vault.example.com:8200" }),
        'stack config (vault-pg): vaultMode = "server": applies to the stack\'s own Vault container, not to an existing Vault; leave the mode at dev or drop the existing Vault'],
    ["VaultServer: unknown mode", (c) => new c.VaultServer("v", { mode: "prod" as never }), 'VaultServer v: mode = "prod": unknown mode; expected one of dev, server'],
    ["VaultServer: threshold over shares", (c) => new c.VaultServer("v", { mode: "server", unsealShares: 2, unsealThreshold: 3 }),
        "VaultServer v: unsealThreshold = 3: the threshold cannot exceed the number of key shares (2)"],
    ["VaultServer: a token in dev mode", (c) => new c.VaultServer("v", { token: "t" }), 'VaultServer v: token = "[secret]": applies to server mode only; a dev server\'s provider uses its own root token'],
    ["composite: zero key shares", (c) => new c.VaultPostgres("x", { vault: { mode: "server", unsealShares: 0 }, roles: [] }), "VaultPostgres x: vault.unsealShares = 0: must be a whole number from 1 to 255"],
    ["SecretsEngine: password version 0", (c) => new c.DatabaseSecretsEngine("e", { database: "app", host: "h", port: 5432, adminUsername: "u", adminPassword: "p", allowedRoles: ["r"], rotateRootCredentials: true, rootPasswordVersion: 0 }),
        "DatabaseSecretsEngine e: rootPasswordVersion = 0: must be a whole number from 1 to 9007199254740991"],
    // Component args.
    ["composite: mount path with a leading slash", (c) => new c.VaultPostgres("x", { mountPath: "/database", roles: [] }),
        "VaultPostgres x: mountPath = \"/database\": a mount path is one or more '/'-separated segments of lowercase letters, digits, '_' and '-'"],
    ["composite: mount at sys", (c) => new c.VaultPostgres("x", { mountPath: "sys", roles: [] }),
        'VaultPostgres x: mountPath = "sys": a mount path may not start with a reserved Vault prefix (sys, auth, audit, cubbyhole, identity)'],
    ["composite: database name with a quote", (c) => new c.VaultPostgres("x", { database: "app'; --", roles: [] }),
        "VaultPostgres x: database = \"app'; --\": an SQL name may contain only lowercase letters, digits and '_', not starting with a digit"],
    ["composite: unknown flavor", (c) => new c.VaultPostgres("x", { flavor: "consul" as never, roles: [] }), 'VaultPostgres x: flavor = "consul": unknown flavor; expected one of vault, openbao'],
    ["composite: no roles", (c) => new c.VaultPostgres("x", { roles: [] }), "VaultPostgres x: roles = []: declare at least one role as a list of { name, access, defaultTtl, maxTtl }"],
    ["PostgresServer: port out of range", (c) => new c.PostgresServer("pg", { hostPort: 70000 }), "PostgresServer pg: hostPort = 70000: a port must be a whole number from 1 to 65535"],
    ["PostgresServer: bad image", (c) => new c.PostgresServer("pg", { image: "Postgres 18" }), 'PostgresServer pg: image = "Postgres 18": an image must be a reference like "postgres:18" or "registry/name:tag"'],
    ["VaultServer: unknown flavor", (c) => new c.VaultServer("v", { flavor: "hcp" as never, networkName: "n" }), 'VaultServer v: flavor = "hcp": unknown flavor; expected one of vault, openbao'],
    ["AccessModel: admin name with a space", (c) => new c.PostgresAccessModel("a", { host: "h", port: 5432, superuser: "postgres", superuserPassword: "p", vaultAdminUsername: "vault admin" }),
        "PostgresAccessModel a: vaultAdminUsername = \"vault admin\": an SQL name may contain only lowercase letters, digits and '_', not starting with a digit"],
    ["SecretsEngine: no allowed roles", (c) => new c.DatabaseSecretsEngine("e", { database: "app", host: "h", port: 5432, adminUsername: "u", adminPassword: "p", allowedRoles: [] }),
        "DatabaseSecretsEngine e: allowedRoles = []: a connection must serve at least one role"],
    ["SecretsEngine: zero connections", (c) => new c.DatabaseSecretsEngine("e", { database: "app", host: "h", port: 5432, adminUsername: "u", adminPassword: "p", allowedRoles: ["r"], maxOpenConnections: 0 }),
        "DatabaseSecretsEngine e: maxOpenConnections = 0: must be a whole number from 1 to 1000"],
    ["DatabaseRole: unknown access", (c) => new c.DatabaseRole("d", { name: "r", access: "admin" as never, defaultTtl: 1, maxTtl: 2, mountPath: "database", connectionName: "app", groupRoles }),
        'DatabaseRole d "r": access = "admin": unknown access level; expected one of readonly, readwrite, owner'],
    ["DatabaseRole: TTL order", (c) => new c.DatabaseRole("d", { name: "r", access: "readonly", defaultTtl: "1d", maxTtl: "1h", mountPath: "database", connectionName: "app", groupRoles }),
        'DatabaseRole d "r": defaultTtl = "1d": must not exceed maxTtl ("1h" = 3600s)'],
    ["AppRoleAuth: path with a space", (c) => new c.AppRoleAuth("auth", { path: "app role" }),
        "AppRoleAuth auth: path = \"app role\": a mount path is one or more '/'-separated segments of lowercase letters, digits, '_' and '-'"],
    ["AppAccess: injection in a role name", (c) => new c.AppAccess("w", { name: "web", roles: ['readonly"]} path "sys/*" {'], mountPath: "database", approlePath: "approle" }),
        "AppAccess w: roles[0] = \"readonly\\\"]} path \\\"sys/*\\\" {\": a name may contain only lowercase letters, digits, '_' and '-', starting with a letter"],
    // Policy pack config.
    ["pack: cap as a string", () => checkGuardrailConfig({ maxTtlCapSeconds: "1d" }), 'policy pack config: maxTtlCapSeconds = "1d": must be a whole number of seconds, 1 or more'],
    ["pack: cap of 0", () => checkGuardrailConfig({ maxTtlCapSeconds: 0 }), "policy pack config: maxTtlCapSeconds = 0: must be a whole number of seconds, 1 or more"],
    ["pack: unknown setting", () => checkGuardrailConfig({ maxTtlCap: 10 }), "policy pack config: maxTtlCap = 10: unknown setting; known settings are maxTtlCapSeconds, enforcementLevel"],
];

describe("bad input", () => {
    let recorder: MockRecorder;
    let components: Components;

    beforeAll(async () => {
        recorder = await installMocks("dev");
        components = await import("../../components");
    });

    it("covers at least 20 cases across stack config, component args and policy pack config", () => {
        expect(CASES.length).toBeGreaterThanOrEqual(20);
        expect(CASES.some(([label]) => label.startsWith("pack:"))).toBe(true);
        expect(CASES.some(([label]) => /^(composite|PostgresServer|VaultServer|AccessModel|SecretsEngine|DatabaseRole|AppRoleAuth|AppAccess):/.test(label))).toBe(true);
    });

    it.each(CASES)("%s", async (_label, run, message) => {
        expect(() => run(components)).toThrow(new Error(message));
        expect(await recorder.settle()).toEqual([]);
    });

    it("would have seen a registration: a valid component is recorded (runs last)", async () => {
        new components.AppRoleAuth("control");
        const types = (await recorder.settle()).map((resource) => resource.type);
        expect(types).toEqual(["vault-pg:auth:AppRoleAuth", "vault:index/authBackend:AuthBackend"]);
    });
});
