/**
 * Input validation and defaults, called directly: every bad value fails with a ValidationError whose whole message
 * names where, the field and the value. The same checks seen through stack config and component constructors are in
 * bad-input.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    checkFlavor,
    checkHostList,
    checkImage,
    checkMountPath,
    checkPort,
    checkPositiveInteger,
    checkSafeName,
    checkSqlName,
    firstEndpoint,
    MAX_APP_NAME_LENGTH,
    parseDuration,
    readStackConfig,
    resolveApps,
    resolveRole,
    resolveRoles,
    resolveStaticRoles,
    ResolvedRoleSpec,
} from "../../components/validate";
import { MAX_ROLE_NAME_LENGTH } from "../../components/sql";
import { loadStackConfig } from "../helpers/pulumi-mocks";
import { expectInvalid } from "../helpers/expect-invalid";

const W = "where";
const SAFE_NAME_RULE = "a name may contain only lowercase letters, digits, '_' and '-', starting with a letter";
const SQL_NAME_RULE = "an SQL name may contain only lowercase letters, digits and '_', not starting with a digit";
const MOUNT_RULE = "a mount path is one or more '/'-separated segments of lowercase letters, digits, '_' and '-'";
const RESERVED_RULE = "a mount path may not start with a reserved Vault prefix (sys, auth, audit, cubbyhole, identity)";
const TTL_NUMBER_RULE = "a TTL must be a whole number of seconds greater than 0";
const TTL_STRING_RULE = 'a TTL must look like 3600, "90s", "15m", "1h" or "7d" and be greater than 0';
const PORT_RULE = "a port must be a whole number from 1 to 65535";


describe("parseDuration", () => {
    it.each([
        ["90s", 90],
        ["15m", 900],
        ["1h", 3600],
        ["7d", 604800],
        ["3600", 3600],
        [" 1h ", 3600],
        [3600, 3600],
    ])("reads %p as %d seconds", (value, seconds) => {
        expect(parseDuration(W, "ttl", value)).toBe(seconds);
    });

    it.each([
        [0, `${W}: ttl = 0: ${TTL_NUMBER_RULE}`],
        [-5, `${W}: ttl = -5: ${TTL_NUMBER_RULE}`],
        [1.5, `${W}: ttl = 1.5: ${TTL_NUMBER_RULE}`],
        [NaN, `${W}: ttl = NaN: ${TTL_NUMBER_RULE}`],
        ["0s", `${W}: ttl = "0s": ${TTL_STRING_RULE}`],
        ["0", `${W}: ttl = "0": ${TTL_STRING_RULE}`],
        ["-1h", `${W}: ttl = "-1h": ${TTL_STRING_RULE}`],
        ["1.5h", `${W}: ttl = "1.5h": ${TTL_STRING_RULE}`],
        ["1 hour", `${W}: ttl = "1 hour": ${TTL_STRING_RULE}`],
        ["1w", `${W}: ttl = "1w": ${TTL_STRING_RULE}`],
        ["", `${W}: ttl = "": ${TTL_STRING_RULE}`],
        [true, `${W}: ttl = true: a TTL must be a number of seconds or a string like "1h"`],
        [undefined, `${W}: ttl = undefined: a TTL must be a number of seconds or a string like "1h"`],
        [() => 60, `${W}: ttl = () => 60: a TTL must be a number of seconds or a string like "1h"`],
    ])("rejects %p", (value, message) => {
        expectInvalid(() => parseDuration(W, "ttl", value), message);
    });
});

describe("ports, images, flavors, counts", () => {
    it("accepts ports 1 to 65535, nothing given, and values only known at deploy time", () => {
        for (const port of [1, 5432, 65535, undefined, Promise.resolve(5432)]) expect(() => checkPort(W, "port", port)).not.toThrow();
    });

    it.each([
        [0, "0"],
        [70000, "70000"],
        [1.5, "1.5"],
        [-1, "-1"],
        ["5432", '"5432"'],
    ])("rejects port %j", (port, shown) => {
        expectInvalid(() => checkPort(W, "hostPort", port), `${W}: hostPort = ${shown}: ${PORT_RULE}`);
    });

    it("accepts image references with registry, tag and digest", () => {
        for (const image of ["postgres:18", "ghcr.io/org/postgres:17.2", "openbao/openbao@sha256:0123abcd", undefined]) {
            expect(() => checkImage(W, "image", image)).not.toThrow();
        }
    });

    it.each(["Postgres:18", "postgres 18", "", ":18", "postgres;rm"])("rejects image %j", (image) => {
        expectInvalid(
            () => checkImage(W, "image", image),
            `${W}: image = ${JSON.stringify(image)}: an image must be a reference like "postgres:18" or "registry/name:tag"`,
        );
    });

    it("defaults the flavor to vault and knows openbao", () => {
        expect(checkFlavor(W, undefined)).toBe("vault");
        expect(checkFlavor(W, "openbao")).toBe("openbao");
    });

    it.each(["consul", "Vault", ""])("rejects flavor %j", (flavor) => {
        expectInvalid(() => checkFlavor(W, flavor), `${W}: flavor = ${JSON.stringify(flavor)}: unknown flavor; expected one of vault, openbao`);
    });

    it("bounds whole numbers", () => {
        expect(checkPositiveInteger(W, "maxOpenConnections", 1000, 1000)).toBe(1000);
        expectInvalid(() => checkPositiveInteger(W, "maxOpenConnections", 1001, 1000), `${W}: maxOpenConnections = 1001: must be a whole number from 1 to 1000`);
        expectInvalid(() => checkPositiveInteger(W, "maxOpenConnections", 2.5, 1000), `${W}: maxOpenConnections = 2.5: must be a whole number from 1 to 1000`);
    });
});

describe("names", () => {
    it("accepts a safe name at exactly the longest role name", () => {
        expect(checkSafeName(W, "name", "r".repeat(MAX_ROLE_NAME_LENGTH), MAX_ROLE_NAME_LENGTH)).toBe("r".repeat(MAX_ROLE_NAME_LENGTH));
        expect(checkSafeName(W, "name", "read_only-2", MAX_ROLE_NAME_LENGTH)).toBe("read_only-2");
    });

    it.each([
        ["a double quote", 'r"x', '"r\\"x"'],
        ["a single quote", "o'brien", `"o'brien"`],
        ["a breakout attempt", 'a"; DROP TABLE x; --', '"a\\"; DROP TABLE x; --"'],
        ["a space", "read only", '"read only"'],
        ["uppercase", "Reader", '"Reader"'],
        ["a leading digit", "1reader", '"1reader"'],
        ["a leading dash", "-reader", '"-reader"'],
        ["a slash", "team/reader", '"team/reader"'],
        ["a template", "{{name}}", '"{{name}}"'],
    ])("rejects a name with %s", (_label, name, shown) => {
        expectInvalid(() => checkSafeName(W, "name", name, MAX_ROLE_NAME_LENGTH), `${W}: name = ${shown}: ${SAFE_NAME_RULE}`);
    });

    it("rejects a role name one past MAX_ROLE_NAME_LENGTH, empty or missing names", () => {
        const long = "r".repeat(MAX_ROLE_NAME_LENGTH + 1);
        expectInvalid(() => checkSafeName(W, "name", long, MAX_ROLE_NAME_LENGTH), `${W}: name = "${long}": a name may be at most 37 characters long`);
        expectInvalid(() => checkSafeName(W, "name", "", MAX_ROLE_NAME_LENGTH), `${W}: name = "": a name must be a non-empty string`);
        expectInvalid(() => checkSafeName(W, "name", undefined, MAX_ROLE_NAME_LENGTH), `${W}: name = undefined: a name must be a non-empty string`);
        expectInvalid(() => checkSafeName(W, "name", 7, MAX_ROLE_NAME_LENGTH), `${W}: name = 7: a name must be a non-empty string`);
    });

    it("shortens a long value in the message", () => {
        const long = "a".repeat(100);
        expectInvalid(() => checkSafeName(W, "name", long, MAX_APP_NAME_LENGTH), `${W}: name = "${"a".repeat(76)}...: a name may be at most 48 characters long`);
    });

    it("allows SQL names up to 63 characters of lowercase letters, digits and _", () => {
        expect(checkSqlName(W, "database", "a".repeat(63))).toBe("a".repeat(63));
        expect(checkSqlName(W, "database", "_shop2")).toBe("_shop2");
        expectInvalid(() => checkSqlName(W, "database", "a".repeat(64)), `${W}: database = "${"a".repeat(64)}": an SQL name may be at most 63 characters long`);
        expectInvalid(() => checkSqlName(W, "database", "my-db"), `${W}: database = "my-db": ${SQL_NAME_RULE}`);
        expectInvalid(() => checkSqlName(W, "database", "2db"), `${W}: database = "2db": ${SQL_NAME_RULE}`);
        expectInvalid(() => checkSqlName(W, "database", ""), `${W}: database = "": an SQL name must be a non-empty string`);
    });
});

describe("mount paths", () => {
    it.each(["database", "team/db", "team-a/db_1", "sysx", "auth-db"])("accepts %j", (path) => {
        expect(checkMountPath(W, "mountPath", path)).toBe(path);
    });

    it.each(["/database", "database/", "team//db", "Database", "", "data base", "../sys"])("rejects the malformed %j", (path) => {
        expectInvalid(() => checkMountPath(W, "mountPath", path), `${W}: mountPath = ${JSON.stringify(path)}: ${MOUNT_RULE}`);
    });

    it.each(["sys", "sys/x", "auth/x", "audit", "cubbyhole", "identity/db"])("rejects the reserved %j", (path) => {
        expectInvalid(() => checkMountPath(W, "mountPath", path), `${W}: mountPath = ${JSON.stringify(path)}: ${RESERVED_RULE}`);
    });
});

describe("roles", () => {
    const spec = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
        name: "reader",
        access: "readonly",
        defaultTtl: "1h",
        maxTtl: "1d",
        ...overrides,
    });

    it("resolves TTLs to seconds and allows defaultTtl equal to maxTtl", () => {
        expect(resolveRole(W, spec())).toEqual({ name: "reader", access: "readonly", defaultTtlSeconds: 3600, maxTtlSeconds: 86400 });
        expect(resolveRole(W, spec({ defaultTtl: 600, maxTtl: "10m" }))).toMatchObject({ defaultTtlSeconds: 600, maxTtlSeconds: 600 });
    });

    it("rejects an unknown or missing access level", () => {
        expectInvalid(() => resolveRole(W, spec({ access: "superuser" })), `${W} "reader": access = "superuser": unknown access level; expected one of readonly, readwrite, owner`);
        expectInvalid(() => resolveRole(W, spec({ access: "ReadOnly" })), `${W} "reader": access = "ReadOnly": unknown access level; expected one of readonly, readwrite, owner`);
        expectInvalid(() => resolveRole(W, spec({ access: undefined })), `${W} "reader": access = undefined: unknown access level; expected one of readonly, readwrite, owner`);
    });

    it("rejects defaultTtl over maxTtl, naming both", () => {
        expectInvalid(() => resolveRole(W, spec({ defaultTtl: "2d" })), `${W} "reader": defaultTtl = "2d": must not exceed maxTtl ("1d" = 86400s)`);
        expectInvalid(() => resolveRole(W, spec({ defaultTtl: 61, maxTtl: 60 })), `${W} "reader": defaultTtl = 61: must not exceed maxTtl (60 = 60s)`);
    });

    it("rejects bad TTLs on either field", () => {
        expectInvalid(() => resolveRole(W, spec({ defaultTtl: 0 })), `${W} "reader": defaultTtl = 0: ${TTL_NUMBER_RULE}`);
        expectInvalid(() => resolveRole(W, spec({ maxTtl: "forever" })), `${W} "reader": maxTtl = "forever": ${TTL_STRING_RULE}`);
    });

    it("rejects a role that is not an object", () => {
        for (const [value, shown] of [[null, "null"], [["reader"], '["reader"]'], ["reader", '"reader"']] as const) {
            expectInvalid(() => resolveRole(W, value), `${W}: role = ${shown}: a role must be an object { name, access, defaultTtl, maxTtl }`);
        }
    });

    it("rejects duplicate role names, an empty list and a non-list", () => {
        expectInvalid(() => resolveRoles(W, [spec(), spec({ access: "owner" })]), `${W}: roles = "reader": duplicate name`);
        expectInvalid(() => resolveRoles(W, []), `${W}: roles = []: declare at least one role as a list of { name, access, defaultTtl, maxTtl }`);
        expectInvalid(() => resolveRoles(W, spec()), `${W}: roles = {"name":"reader","access":"readonly","defaultTtl":"1h","maxTtl":"1d"}: declare at least one role as a list of { name, access, defaultTtl, maxTtl }`);
    });

    it("names the index of a bad role", () => {
        expectInvalid(() => resolveRoles(W, [spec(), spec({ name: "Writer" })]), `${W} roles[1]: name = "Writer": ${SAFE_NAME_RULE}`);
    });
});

describe("apps", () => {
    const roles: ResolvedRoleSpec[] = [
        { name: "reader", access: "readonly", defaultTtlSeconds: 3600, maxTtlSeconds: 7200 },
        { name: "migrator", access: "owner", defaultTtlSeconds: 300, maxTtlSeconds: 86400 },
    ];

    it("defaults token TTLs: 1h, max the longest role max TTL, a secret id that never expires", () => {
        expect(resolveApps(W, [{ name: "web", roles: ["reader", "migrator"] }], roles)).toEqual([
            { name: "web", roles: ["reader", "migrator"], staticRoles: [], tokenTtlSeconds: 3600, tokenMaxTtlSeconds: 86400, secretIdTtlSeconds: 0 },
        ]);
        expect(resolveApps(W, [{ name: "cron", roles: ["reader"], tokenTtl: "3h", secretIdTtl: "7d" }], roles)).toEqual([
            { name: "cron", roles: ["reader"], staticRoles: [], tokenTtlSeconds: 10800, tokenMaxTtlSeconds: 10800, secretIdTtlSeconds: 604800 },
        ]);
        expect(resolveApps(W, undefined, roles)).toEqual([]);
    });

    it("rejects an app referencing an unknown role, listing the declared ones", () => {
        expectInvalid(() => resolveApps(W, [{ name: "web", roles: ["admin"] }], roles), `${W} apps[0] "web": roles = "admin": unknown role; declared roles are reader, migrator`);
        expectInvalid(() => resolveApps(W, [{ name: "web", roles: ["admin"] }], []), `${W} apps[0] "web": roles = "admin": unknown role; declared roles are (none)`);
    });

    it("rejects duplicate app names and a role listed twice", () => {
        expectInvalid(() => resolveApps(W, [{ name: "web", roles: ["reader"] }, { name: "web", roles: ["migrator"] }], roles), `${W}: apps = "web": duplicate name`);
        expectInvalid(() => resolveApps(W, [{ name: "web", roles: ["reader", "reader"] }], roles), `${W} apps[0] "web": roles = "reader": duplicate name`);
    });

    it("rejects apps that are not a list, not objects, or without roles", () => {
        expectInvalid(() => resolveApps(W, { name: "web" }, roles), `${W}: apps = {"name":"web"}: apps must be a list of { name, roles }`);
        expectInvalid(() => resolveApps(W, ["web"], roles), `${W} apps[0]: app = "web": an app must be an object { name, roles }`);
        expectInvalid(() => resolveApps(W, [{ name: "web" }], roles), `${W} apps[0] "web": roles = undefined: an app needs a non-empty list of role names`);
    });

    it("rejects a token TTL over its max, and an app name over 48 characters", () => {
        expectInvalid(() => resolveApps(W, [{ name: "web", roles: ["reader"], tokenTtl: "2h", tokenMaxTtl: "1h" }], roles), `${W} apps[0] "web": tokenTtl = "2h": must not exceed tokenMaxTtl (3600s)`);
        const long = "a".repeat(MAX_APP_NAME_LENGTH + 1);
        expectInvalid(() => resolveApps(W, [{ name: long, roles: ["reader"] }], roles), `${W} apps[0]: name = "${long}": a name may be at most 48 characters long`);
    });
});

describe("readStackConfig", () => {
    const WHERE = "stack config (vault-pg)";
    const ROLES = JSON.stringify([{ name: "reader", access: "readonly", defaultTtl: "1h", maxTtl: "1d" }]);

    it("reads the dev stack's Pulumi.dev.yaml into typed settings", () => {
        expect(readStackConfig(loadStackConfig())).toStrictEqual({
            flavor: "vault",
            postgres: { image: undefined, hostPort: 15432, hostAddress: undefined, dataPath: undefined },
            vault: { image: undefined, hostPort: 18200, hostAddress: undefined, mode: "dev", unsealShares: 5, unsealThreshold: 3, storage: "raft", token: undefined },
            existingPostgres: undefined,
            existingVault: undefined,
            rotateRootCredentials: undefined,
            database: "app",
            mountPath: "database",
            approlePath: undefined,
            maxOpenConnections: undefined,
            connectionBudget: undefined,
            connections: undefined,
            // Resolved once: TTLs in seconds; an app's token max TTL defaults to its roles' longest max TTL, its
            // secret id never expires (0).
            roles: [
                { name: "readonly", access: "readonly", defaultTtl: 3600, maxTtl: 86400 },
                { name: "readwrite", access: "readwrite", defaultTtl: 3600, maxTtl: 86400 },
                { name: "owner", access: "owner", defaultTtl: 900, maxTtl: 3600 },
            ],
            apps: [
                { name: "web", roles: ["readonly", "readwrite"], tokenTtl: 3600, tokenMaxTtl: 86400, secretIdTtl: 0 },
                { name: "migrations", roles: ["owner"], tokenTtl: 3600, tokenMaxTtl: 3600, secretIdTtl: 0 },
                { name: "reports", roles: ["readonly"], tokenTtl: 3600, tokenMaxTtl: 86400, secretIdTtl: 0 },
            ],
        });
    });

    it("puts every key where the composite expects it", () => {
        expect(
            readStackConfig({
                flavor: "openbao",
                postgresImage: "postgres:17",
                vaultImage: "openbao/openbao:2.3",
                postgresHostPort: "25432",
                vaultHostPort: " 28200 ",
                hostAddress: "0.0.0.0",
                database: "shop",
                mountPath: "team/db",
                approlePath: "apps",
                maxOpenConnections: "8",
                connections: "per-access",
                vaultMode: "server",
                vaultUnsealShares: "7",
                vaultUnsealThreshold: "4",
                vaultStorage: "file",
                rotateRootCredentials: "true",
                roles: ROLES,
                apps: JSON.stringify([{ name: "web", roles: ["reader"] }]),
                unused: undefined,
            }),
        ).toStrictEqual({
            flavor: "openbao",
            postgres: { image: "postgres:17", hostPort: 25432, hostAddress: "0.0.0.0", dataPath: undefined },
            vault: { image: "openbao/openbao:2.3", hostPort: 28200, hostAddress: "0.0.0.0", mode: "server", unsealShares: 7, unsealThreshold: 4, storage: "file", token: undefined },
            existingPostgres: undefined,
            existingVault: undefined,
            rotateRootCredentials: true,
            database: "shop",
            mountPath: "team/db",
            approlePath: "apps",
            maxOpenConnections: 8,
            connectionBudget: undefined,
            connections: "per-access",
            roles: [{ name: "reader", access: "readonly", defaultTtl: 3600, maxTtl: 86400 }],
            apps: [{ name: "web", roles: ["reader"], tokenTtl: 3600, tokenMaxTtl: 86400, secretIdTtl: 0 }],
        });
    });

    it("rejects an unknown key, listing the known ones", () => {
        expectInvalid(
            () => readStackConfig({ roles: ROLES, postgresport: "5432" }),
            `${WHERE}: postgresport = "5432": unknown config key; known keys are flavor, postgresImage, postgresDataPath, vaultImage, postgresHostPort, vaultHostPort, hostAddress, tls, postgresHost, postgresPort, postgresVaultHost, postgresSuperuser, postgresSuperuserPassword, postgresSslMode, postgresCaCertificate, postgresClientCertificate, postgresClientKey, postgresVaultCaFile, postgresVaultCertificateFile, postgresVaultKeyFile, postgresAllowPlaintext, vaultAddress, vaultToken, vaultCaCertificate, vaultAllowPlaintext, vaultMode, vaultUnsealShares, vaultUnsealThreshold, vaultStorage, vaultUnauthenticatedMetrics, rotateRootCredentials, database, vaultAdminUsername, mountPath, approlePath, sharedMount, sharedApprole, maxOpenConnections, connectionBudget, connections, roles, apps, jwtAuth, ciOidc, databases, staticRoles`,
        );
    });

    it("takes the empty defaults of Pulumi.yaml as not set: the flavor's image, the image's data path, containers", () => {
        const settings = readStackConfig({ roles: ROLES, vaultImage: "", postgresDataPath: "", postgresHost: "", postgresVaultHost: "", postgresSslMode: "", vaultAddress: "", postgresPort: "5432", postgresSuperuser: "postgres" });
        expect(settings.vault.image).toBeUndefined();
        expect(settings.postgres.dataPath).toBeUndefined();
        expect(settings.existingPostgres).toBeUndefined();
        expect(settings.existingVault).toBeUndefined();
    });

    it("reads an existing PostgreSQL and an existing Vault, secrets as given", () => {
        const password = pulumi.secret("pg-secret");
        const token = pulumi.secret("vault-token");
        const settings = readStackConfig({
            roles: ROLES,
            postgresHost: "db.internal",
            postgresPort: "6432",
            postgresVaultHost: "db.vault-side",
            postgresSuperuser: "admin",
            postgresSuperuserPassword: password,
            postgresSslMode: "verify-full",
            vaultAddress: "https://vault.internal:8200",
            vaultToken: token,
        });
        expect(settings.existingPostgres).toStrictEqual({ host: "db.internal", port: 6432, vaultHost: "db.vault-side", superuser: "admin", superuserPassword: password, sslMode: "verify-full" });
        expect(settings.existingVault).toStrictEqual({ address: "https://vault.internal:8200", token });
    });

    it("refuses an existing server without its secret, and a secret without its server", () => {
        expectInvalid(
            () => readStackConfig({ roles: ROLES, postgresHost: "db.internal" }),
            `${WHERE}: postgresSuperuserPassword = undefined: an existing PostgreSQL needs its superuser password (pulumi config set --secret vault-pg:postgresSuperuserPassword ...)`,
        );
        const developersToken = process.env.VAULT_TOKEN;
        delete process.env.VAULT_TOKEN;
        try {
            expectInvalid(
                () => readStackConfig({ roles: ROLES, vaultAddress: "https://vault.internal:8200" }),
                `${WHERE}: vaultToken = undefined: an existing Vault needs a token that may apply the stack's resources: VAULT_TOKEN in the environment (a CI login), or pulumi config set --secret vault-pg:vaultToken ...`,
            );
        } finally {
            if (developersToken !== undefined) process.env.VAULT_TOKEN = developersToken;
        }
        expectInvalid(
            () => readStackConfig({ roles: ROLES, vaultToken: pulumi.secret("t") }),
            `${WHERE}: vaultToken = "[secret]": applies only to an existing Vault; set vaultAddress too`,
        );
        expectInvalid(
            () => readStackConfig({ roles: ROLES, postgresSuperuserPassword: pulumi.secret("p") }),
            `${WHERE}: postgresSuperuserPassword = "[secret]": applies only to an existing PostgreSQL; set postgresHost too`,
        );
    });

    it("refuses a bad existing-server address, sslmode or data path, naming the key", () => {
        const secret = pulumi.secret("p");
        expectInvalid(
            () => readStackConfig({ roles: ROLES, postgresHost: "postgres://db", postgresSuperuserPassword: secret }),
            `${WHERE}: postgresHost = "postgres://db": a host must be a DNS name or an IP address (IPv6 in brackets), optionally with :port, without scheme or path`,
        );
        expectInvalid(
            () => readStackConfig({ roles: ROLES, postgresHost: "db", postgresSuperuserPassword: secret, postgresSslMode: "on" }),
            `${WHERE}: postgresSslMode = "on": unknown sslmode; expected one of disable, allow, prefer, require, verify-ca, verify-full`,
        );
        expectInvalid(
            () => readStackConfig({ roles: ROLES, vaultAddress: "vault:8200", vaultToken: secret }),
            `${WHERE}: vaultAddress = "vault:8200": a Vault address looks like "https://vault.example.com:8200"`,
        );
        expectInvalid(
            () => readStackConfig({ roles: ROLES, postgresDataPath: "data" }),
            `${WHERE}: postgresDataPath = "data": a container path must be absolute, e.g. /var/lib/postgresql/data`,
        );
    });

    it("refuses a secret given where plain config is read", () => {
        expectInvalid(
            () => readStackConfig({ roles: ROLES, database: pulumi.secret("app") }),
            `${WHERE}: database = "[secret]": is a secret; set it as plain config: pulumi config set vault-pg:database <value>`,
        );
    });

    it.each([
        ["roles", JSON.stringify([{ name: "reader", access: "readonly", defaultTtl: "1h", maxTtl: "1d", ttl: "5m" }]), undefined,
            `${WHERE} roles[0] "reader": ttl = "5m": unknown key; known keys are name, access, defaultTtl, maxTtl`],
        ["apps", ROLES, JSON.stringify([{ name: "web", roles: ["reader"], tokenTTL: "5m" }]),
            `${WHERE} apps[0] "web": tokenTTL = "5m": unknown key; known keys are name, roles, staticRoles, tokenTtl, tokenMaxTtl, secretIdTtl, jwt`],
    ])("rejects an unknown key inside %s, naming it", (_label, roles, apps, message) => {
        expectInvalid(() => readStackConfig({ roles, apps }), message);
    });

    it.each(["15432.5", "1.5", "abc", "", "0x10"])("rejects the non-integer port %j", (port) => {
        expectInvalid(() => readStackConfig({ roles: ROLES, postgresHostPort: port }), `${WHERE}: postgresHostPort = ${JSON.stringify(port)}: must be a whole number`);
    });

    it("rejects an integer port out of range", () => {
        expectInvalid(() => readStackConfig({ roles: ROLES, vaultHostPort: "-1" }), `${WHERE}: vaultHostPort = -1: ${PORT_RULE}`);
    });

    it("rejects roles that are invalid JSON, a scalar, or not a list", () => {
        expectInvalid(() => readStackConfig({ roles: "[{" }), `${WHERE}: roles = "[{": must be a list (YAML sequence)`);
        expectInvalid(() => readStackConfig({ roles: "readonly" }), `${WHERE}: roles = "readonly": must be a list (YAML sequence)`);
        expectInvalid(
            () => readStackConfig({ roles: '{"name":"reader"}' }),
            `${WHERE}: roles = {"name":"reader"}: declare at least one role as a list of { name, access, defaultTtl, maxTtl }`,
        );
    });

    it("rejects apps that are invalid JSON", () => {
        expectInvalid(() => readStackConfig({ roles: ROLES, apps: "web" }), `${WHERE}: apps = "web": must be a list (YAML sequence)`);
    });
});

describe("host lists (a primary and its standbys)", () => {
    const HOST_RULE = "a host must be a DNS name or an IP address (IPv6 in brackets), optionally with :port, without scheme or path";
    const WHERE = "stack config (vault-pg)";
    const ROLES = JSON.stringify([{ name: "reader", access: "readonly", defaultTtl: "1h", maxTtl: "1d" }]);

    it("accepts one host, a list on one port, a list with a port each, and IPv6 in brackets", () => {
        for (const hosts of ["db.internal", "db1,db2", "db1:5432,db2:5433", "10.0.0.1:5432,[fd00::2]:5432", "db:6432"]) {
            expect(() => checkHostList(W, "postgresHost", hosts)).not.toThrow();
        }
    });

    it("rejects empty entries", () => {
        expectInvalid(() => checkHostList(W, "postgresHost", "db1,,db2"), `${W}: postgresHost = "db1,,db2": entry 2 is empty; separate hosts with single commas`);
        expectInvalid(() => checkHostList(W, "postgresHost", "db1,"), `${W}: postgresHost = "db1,": entry 2 is empty; separate hosts with single commas`);
        expectInvalid(() => checkHostList(W, "postgresHost", ""), `${W}: postgresHost = "": entry 1 is empty; separate hosts with single commas`);
    });

    it("rejects a port without a host, and a list that mixes entries with and without a port", () => {
        expectInvalid(() => checkHostList(W, "postgresHost", "db1:5432,:5433"), `${W}: postgresHost = "db1:5432,:5433": entry 2 ":5433": a port without a host`);
        expectInvalid(
            () => checkHostList(W, "postgresHost", "db1,db2:5433"),
            `${W}: postgresHost = "db1,db2:5433": some entries have a port and some do not; give every host its port (db1:5432,db2:5433) or none (all on the port setting)`,
        );
    });

    it("rejects the same server twice, bad ports and bad hosts, naming the entry", () => {
        expectInvalid(() => checkHostList(W, "postgresHost", "db1,DB1"), `${W}: postgresHost = "db1,DB1": entry 2 "DB1": the same server is listed twice`);
        expectInvalid(() => checkHostList(W, "postgresHost", "db1:5432,db1:5432"), `${W}: postgresHost = "db1:5432,db1:5432": entry 2 "db1:5432": the same server is listed twice`);
        expectInvalid(() => checkHostList(W, "postgresHost", "db1:5432,db2:99999"), `${W}: postgresHost = "db1:5432,db2:99999": entry 2 "db2:99999": ${PORT_RULE}`);
        expectInvalid(() => checkHostList(W, "postgresHost", "db1:5432,db2:54x"), `${W}: postgresHost = "db1:5432,db2:54x": entry 2 "db2:54x": ${PORT_RULE}`);
        expectInvalid(() => checkHostList(W, "postgresHost", "db1, db2"), `${W}: postgresHost = "db1, db2": entry 2 " db2": ${HOST_RULE}`);
        expectInvalid(() => checkHostList(W, "postgresHost", "db_1"), `${W}: postgresHost = "db_1": ${HOST_RULE}`);
    });

    it("reads a host list from stack config and hands the Pulumi side its first server", () => {
        const settings = readStackConfig({ roles: ROLES, postgresHost: "db1:5433,db2:5434", postgresSuperuserPassword: pulumi.secret("p") });
        expect(settings.existingPostgres?.host).toBe("db1:5433,db2:5434");
        expect(firstEndpoint("db1:5433,db2:5434", 5432)).toEqual({ host: "db1", port: 5433 });
        expect(firstEndpoint("db1,db2", 6432)).toEqual({ host: "db1", port: 6432 });
        expectInvalid(
            () => readStackConfig({ roles: ROLES, postgresHost: "db1", postgresVaultHost: "db1,,db2", postgresSuperuserPassword: pulumi.secret("p") }),
            `${WHERE}: postgresVaultHost = "db1,,db2": entry 2 is empty; separate hosts with single commas`,
        );
    });
});
describe("secret id lifetime", () => {
    const roles: ResolvedRoleSpec[] = [{ name: "reader", access: "readonly", defaultTtlSeconds: 300, maxTtlSeconds: 3600 }];

    it("never expires by default, or when set to 0", () => {
        expect(resolveApps(W, [{ name: "web", roles: ["reader"] }], roles)[0].secretIdTtlSeconds).toBe(0);
        expect(resolveApps(W, [{ name: "web", roles: ["reader"], secretIdTtl: 0 }], roles)[0].secretIdTtlSeconds).toBe(0);
        expect(resolveApps(W, [{ name: "web", roles: ["reader"], secretIdTtl: "0" }], roles)[0].secretIdTtlSeconds).toBe(0);
    });

    it("must otherwise outlive the token max TTL, since the app logs in again with it when its token runs out", () => {
        expect(resolveApps(W, [{ name: "web", roles: ["reader"], secretIdTtl: "2h" }], roles)[0].secretIdTtlSeconds).toBe(7200);
        expectInvalid(
            () => resolveApps(W, [{ name: "web", roles: ["reader"], secretIdTtl: "1h" }], roles),
            `${W} apps[0] "web": secretIdTtl = "1h": must be 0 (no expiry) or longer than tokenMaxTtl (3600s): the app logs in again with it when its token runs out`,
        );
    });
});

describe("static roles", () => {
    it("resolves a period or a schedule", () => {
        expect(resolveStaticRoles(W, [{ name: "pgbouncer", access: "readonly", rotationPeriod: "1d" }, { name: "migrator", access: "owner", rotationSchedule: " 0 3 * * 0 " }])).toEqual([
            { name: "pgbouncer", access: "readonly", rotationPeriodSeconds: 86400 },
            { name: "migrator", access: "owner", rotationSchedule: "0 3 * * 0" },
        ]);
        expect(resolveStaticRoles(W, undefined)).toEqual([]);
    });

    it("rejects unknown keys, duplicates and a list that is not one", () => {
        expectInvalid(
            () => resolveStaticRoles(W, [{ name: "pgbouncer", access: "readonly", rotationPeriod: 60, ttl: 5 }]),
            `${W} staticRoles[0] "pgbouncer": ttl = 5: unknown key; known keys are name, access, rotationPeriod, rotationSchedule`,
        );
        expectInvalid(
            () => resolveStaticRoles(W, [{ name: "a", access: "readonly", rotationPeriod: 60 }, { name: "a", access: "owner", rotationPeriod: 60 }]),
            `${W}: staticRoles = "a": duplicate name`,
        );
        expectInvalid(() => resolveStaticRoles(W, { name: "a" }), `${W}: staticRoles = {"name":"a"}: staticRoles must be a list of { name, access, rotationPeriod }`);
        expectInvalid(
            () => resolveStaticRoles(W, [{ name: "pg-bouncer", access: "readonly", rotationPeriod: 60 }]),
            `${W} staticRoles[0]: name = "pg-bouncer": an SQL name may contain only lowercase letters, digits and '_', not starting with a digit`,
        );
    });

    it("lets an app read static roles, alone or beside dynamic ones, and only declared ones", () => {
        const roles: ResolvedRoleSpec[] = [{ name: "reader", access: "readonly", defaultTtlSeconds: 300, maxTtlSeconds: 3600 }];
        const staticRoles = resolveStaticRoles(W, [{ name: "pgbouncer", access: "readonly", rotationPeriod: 3600 }]);
        expect(resolveApps(W, [{ name: "pooler", roles: [], staticRoles: ["pgbouncer"] }], roles, staticRoles)[0]).toMatchObject({
            roles: [],
            staticRoles: ["pgbouncer"],
            tokenMaxTtlSeconds: 3600,
        });
        expectInvalid(
            () => resolveApps(W, [{ name: "pooler", roles: [], staticRoles: ["other"] }], roles, staticRoles),
            `${W} apps[0] "pooler": staticRoles = "other": unknown static role; declared static roles are pgbouncer`,
        );
        expectInvalid(() => resolveApps(W, [{ name: "pooler", roles: [] }], roles, staticRoles), `${W} apps[0] "pooler": roles = []: an app needs a non-empty list of role names`);
    });

    it("reads staticRoles from stack config", () => {
        const config = { ...loadStackConfig(), staticRoles: JSON.stringify([{ name: "pgbouncer", access: "readonly", rotationPeriod: "1h" }]) };
        expect(readStackConfig(config).staticRoles).toEqual([{ name: "pgbouncer", access: "readonly", rotationPeriod: 3600 }]);
        expect(readStackConfig(loadStackConfig())).not.toHaveProperty("staticRoles");
    });
});
