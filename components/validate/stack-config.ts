/**
 * Reading stack config: the raw values Pulumi stores (strings, JSON for lists; secrets as Outputs), typed, checked
 * and resolved into the composite's arguments. Which keys exist, their types and defaults are in config-keys.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, StackConfigKey } from "./config-keys";
import { checkExistingPostgres, checkExistingVault, ExistingPostgres, ExistingVault } from "./endpoints";
import { invalid } from "./errors";
import { checkConnectionLayout, checkContainerPath, checkFlavor, checkModeWithoutExistingVault, checkPort, checkUnauthenticatedMetrics, checkUnsealShares, checkVaultMode, checkVaultStorage, isPulumiValue } from "./scalars";
import { ConnectionLayout, Flavor, SslMode, VaultMode, VaultStorage } from "./settings";
import { DatabaseSpec, resolveDatabases } from "./databases";
import { DEFAULTS } from "./settings";
import { CiOidcSpec, resolveCiOidc } from "./ci";
import { JwtIssuerSpec, resolveJwtIssuers } from "./jwt";
import { AppSpec, DatabaseRoleSpec, resolveApps, ResolvedRoleSpec, ResolvedStaticRoleSpec, resolveRoles, resolveStaticRoles, StaticRoleSpec } from "./specs";

/** Keys whose Pulumi.yaml default is "": empty means "not set" (a per-flavor image, a container instead of a server). */
const EMPTY_MEANS_UNSET: readonly StackConfigKey[] = [
    "vaultImage", "postgresDataPath", "postgresHost", "postgresVaultHost", "postgresSslMode", "vaultAddress", "connections",
    "postgresCaCertificate", "postgresClientCertificate", "postgresVaultCaFile", "postgresVaultCertificateFile", "postgresVaultKeyFile", "vaultCaCertificate",
];

/** Raw stack config as index.ts reads it: plain strings, and secrets as `Output`s from `getSecret`. */
export type RawStackConfig = Record<string, string | pulumi.Output<string> | undefined>;

/** The composite's arguments as read from stack config (a subset of VaultPostgresArgs). */
export interface StackSettings {
    flavor?: Flavor;
    postgres: { image?: string; hostPort?: number; hostAddress?: string; dataPath?: string };
    vault: {
        image?: string;
        hostPort?: number;
        hostAddress?: string;
        mode?: VaultMode;
        unsealShares?: number;
        unsealThreshold?: number;
        storage?: VaultStorage;
        /** Server mode: a token (e.g. a deployer token) the stack uses instead of the root token from init. */
        token?: pulumi.Output<string>;
        /** Server mode: Prometheus metrics without a token (loopback hostAddress only). */
        unauthenticatedMetrics?: boolean;
    };
    existingPostgres?: ExistingPostgres;
    existingVault?: ExistingVault;
    tls?: boolean;
    sharedMount?: boolean;
    sharedApprole?: boolean;
    rotateRootCredentials?: boolean;
    database?: string;
    vaultAdminUsername?: string;
    mountPath?: string;
    approlePath?: string;
    maxOpenConnections?: number;
    connectionBudget?: number;
    connections?: ConnectionLayout;
    roles: DatabaseRoleSpec[];
    apps: AppSpec[];
    staticRoles?: StaticRoleSpec[];
    databases?: DatabaseSpec[];
    jwtAuth?: JwtIssuerSpec[];
    ciOidc?: CiOidcSpec;
}

/**
 * Turns raw stack config (each value as Pulumi stores it: a string, JSON for lists and objects; secrets as Outputs)
 * into typed settings. Unknown keys are rejected, so a typo does not silently fall back to a default.
 */
export function readStackConfig(raw: RawStackConfig): StackSettings {
    const where = "stack config (vault-pg)";
    for (const key of Object.keys(raw)) {
        if (raw[key] !== undefined && !(key in CONFIG_KEYS)) {
            throw invalid(where, key, raw[key], `unknown config key; known keys are ${Object.keys(CONFIG_KEYS).join(", ")}`);
        }
    }
    const value = (key: StackConfigKey): unknown => {
        const text = raw[key];
        if (text === undefined) return undefined;
        const kind = CONFIG_KEYS[key].type;
        if (kind === "secret") return text;
        if (typeof text !== "string") {
            throw invalid(where, key, "[secret]", `is a secret; set it as plain config: pulumi config set vault-pg:${key} <value>`);
        }
        if (kind === "string") return text === "" && EMPTY_MEANS_UNSET.includes(key) ? undefined : text;
        if (kind === "integer") {
            if (!/^-?\d+$/.test(text.trim())) throw invalid(where, key, text, "must be a whole number");
            return Number(text);
        }
        if (kind === "boolean") {
            if (text !== "true" && text !== "false") throw invalid(where, key, text, "must be true or false");
            return text === "true";
        }
        try {
            return JSON.parse(text);
        } catch {
            throw invalid(where, key, text, kind === "object" ? "must be an object (YAML mapping)" : "must be a list (YAML sequence)");
        }
    };
    const str = (key: StackConfigKey): string | undefined => value(key) as string | undefined;
    const int = (key: StackConfigKey): number | undefined => value(key) as number | undefined;
    checkPort(where, "postgresHostPort", int("postgresHostPort"));
    checkPort(where, "vaultHostPort", int("vaultHostPort"));
    checkContainerPath(where, "postgresDataPath", str("postgresDataPath"));
    const hostAddress = str("hostAddress");
    const roles = resolveRoles(where, value("roles"));
    const staticRoles = resolveStaticRoles(where, value("staticRoles"));
    const databases = resolveDatabases(where, value("databases"), { name: str("database") ?? DEFAULTS.database, roles, staticRoles });
    const jwtIssuers = resolveJwtIssuers(where, value("jwtAuth"));
    const apps = resolveApps(where, value("apps"), databases.flatMap((spec) => spec.roles), databases.flatMap((spec) => spec.staticRoles), jwtIssuers.map((issuer) => issuer.path));
    // Checked here for one-line errors naming the key; the composite takes the spec as written.
    const ciOidc = value("ciOidc") as CiOidcSpec | undefined;
    resolveCiOidc(where, ciOidc);
    const mode = checkVaultMode(where, "vaultMode", str("vaultMode"));
    const unseal = checkUnsealShares(where, { shares: "vaultUnsealShares", threshold: "vaultUnsealThreshold" }, int("vaultUnsealShares"), int("vaultUnsealThreshold"));
    const storage = checkVaultStorage(where, "vaultStorage", str("vaultStorage"));
    const token = value("vaultToken") as pulumi.Output<string> | undefined;
    checkModeWithoutExistingVault(where, "vaultMode", mode, str("vaultAddress") !== undefined);
    return {
        flavor: checkFlavor(where, str("flavor")),
        postgres: { image: str("postgresImage"), hostPort: int("postgresHostPort"), hostAddress, dataPath: str("postgresDataPath") },
        vault: {
            image: str("vaultImage"),
            hostPort: int("vaultHostPort"),
            hostAddress,
            mode,
            unsealShares: unseal.shares,
            unsealThreshold: unseal.threshold,
            storage,
            token: mode === "server" ? token : undefined,
            ...(checkUnauthenticatedMetrics(where, "vaultUnauthenticatedMetrics", value("vaultUnauthenticatedMetrics"), mode, hostAddress) ? { unauthenticatedMetrics: true } : {}),
        },
        ...(value("tls") !== undefined ? { tls: value("tls") as boolean } : {}),
        ...(value("sharedMount") === true ? { sharedMount: true } : {}),
        ...(value("sharedApprole") === true ? { sharedApprole: true } : {}),
        rotateRootCredentials: value("rotateRootCredentials") as boolean | undefined,
        existingPostgres: readExistingPostgres(where, str, value),
        // In server mode a token without an address is the stack's own server's deployer token.
        existingVault: readExistingVault(where, str, value, mode === "server" ? undefined : token),
        database: str("database"),
        ...(str("vaultAdminUsername") !== undefined && str("vaultAdminUsername") !== DEFAULTS.vaultAdminUsername ? { vaultAdminUsername: str("vaultAdminUsername") } : {}),
        mountPath: str("mountPath"),
        approlePath: str("approlePath"),
        maxOpenConnections: int("maxOpenConnections"),
        connectionBudget: int("connectionBudget"),
        // Left unset when absent, like the other optional keys: the composite applies the default.
        connections: str("connections") === undefined ? undefined : checkConnectionLayout(where, str("connections")),
        // Parsed once: the specs as resolved here, TTLs in seconds and defaults applied (the composite's own check of
        // them finds nothing more to change).
        roles: roles.map(roleSpec),
        ...(databases.length > 1
            ? {
                  databases: databases.slice(1).map(
                      (spec): DatabaseSpec => ({ name: spec.name, roles: spec.roles.map(roleSpec), ...(spec.staticRoles.length > 0 ? { staticRoles: spec.staticRoles.map(staticRoleSpec) } : {}) }),
                  ),
              }
            : {}),
        apps: apps.map(
            (app, index): AppSpec => ({
                name: app.name,
                roles: app.roles,
                ...(app.staticRoles.length > 0 ? { staticRoles: app.staticRoles } : {}),
                tokenTtl: app.tokenTtlSeconds,
                tokenMaxTtl: app.tokenMaxTtlSeconds,
                // A JWT login as written: checked above, resolved again by the composite.
                ...(app.jwt ? { jwt: (value("apps") as AppSpec[])[index].jwt } : { secretIdTtl: app.secretIdTtlSeconds }),
            }),
        ),
        ...(jwtIssuers.length > 0 ? { jwtAuth: jwtIssuers } : {}),
        ...(ciOidc !== undefined ? { ciOidc } : {}),
        ...(staticRoles.length > 0
            ? {
                  staticRoles: staticRoles.map(staticRoleSpec),
              }
            : {}),
    };
}

/** A resolved role as the composite takes it: TTLs in seconds. */
const roleSpec = (role: ResolvedRoleSpec): DatabaseRoleSpec => ({ name: role.name, access: role.access, defaultTtl: role.defaultTtlSeconds, maxTtl: role.maxTtlSeconds });
const staticRoleSpec = (role: ResolvedStaticRoleSpec): StaticRoleSpec => ({
    name: role.name,
    access: role.access,
    ...(role.rotationSchedule !== undefined ? { rotationSchedule: role.rotationSchedule } : { rotationPeriod: role.rotationPeriodSeconds }),
});

type Read = (key: StackConfigKey) => unknown;

function readExistingPostgres(where: string, str: (key: StackConfigKey) => string | undefined, value: Read): ExistingPostgres | undefined {
    const host = str("postgresHost");
    const files = { caFile: str("postgresVaultCaFile"), certificateFile: str("postgresVaultCertificateFile"), keyFile: str("postgresVaultKeyFile") };
    const given = {
        host,
        port: value("postgresPort") as number | undefined,
        vaultHost: str("postgresVaultHost"),
        superuser: str("postgresSuperuser"),
        superuserPassword: value("postgresSuperuserPassword") as pulumi.Output<string> | undefined,
        sslMode: str("postgresSslMode") as SslMode | undefined,
        caCertificate: str("postgresCaCertificate"),
        clientCertificate: str("postgresClientCertificate"),
        clientKey: value("postgresClientKey") as pulumi.Output<string> | undefined,
        vaultTlsFiles: Object.values(files).some((file) => file !== undefined)
            ? (Object.fromEntries(Object.entries(files).filter(([, file]) => file !== undefined)) as ExistingPostgres["vaultTlsFiles"])
            : undefined,
        allowPlaintext: value("postgresAllowPlaintext") === true ? true : undefined,
    };
    if (host === undefined) {
        // postgresPort, postgresSuperuser and postgresAllowPlaintext have Pulumi.yaml defaults, so only these show intent.
        const stray = {
            postgresVaultHost: given.vaultHost,
            postgresSuperuserPassword: given.superuserPassword,
            postgresSslMode: given.sslMode,
            postgresCaCertificate: given.caCertificate,
            postgresClientCertificate: given.clientCertificate,
            postgresClientKey: given.clientKey,
            postgresVaultCaFile: files.caFile,
            postgresVaultCertificateFile: files.certificateFile,
            postgresVaultKeyFile: files.keyFile,
        };
        for (const [key, stated] of Object.entries(stray)) {
            if (stated !== undefined) throw invalid(where, key, isPulumiValue(stated) ? "[secret]" : stated, "applies only to an existing PostgreSQL; set postgresHost too");
        }
        return undefined;
    }
    const stated = Object.fromEntries(Object.entries(given).filter(([, setting]) => setting !== undefined)) as Partial<ExistingPostgres>;
    return checkExistingPostgres(where, "", { ...stated, host, superuserPassword: given.superuserPassword as pulumi.Output<string> });
}

function readExistingVault(where: string, str: (key: StackConfigKey) => string | undefined, value: Read, token: pulumi.Output<string> | undefined): ExistingVault | undefined {
    const address = str("vaultAddress");
    const caCertificate = str("vaultCaCertificate");
    if (address === undefined) {
        if (token !== undefined) throw invalid(where, "vaultToken", "[secret]", "applies only to an existing Vault; set vaultAddress too");
        if (caCertificate !== undefined) throw invalid(where, "vaultCaCertificate", caCertificate, "applies only to an existing Vault; set vaultAddress too");
        return undefined;
    }
    const allowPlaintext = value("vaultAllowPlaintext") === true ? true : undefined;
    return checkExistingVault(where, "", {
        address,
        token: token as pulumi.Output<string>,
        ...(caCertificate !== undefined ? { caCertificate } : {}),
        ...(allowPlaintext ? { allowPlaintext } : {}),
    });
}
