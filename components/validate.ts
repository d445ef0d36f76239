/**
 * Every default and every input check, in one place. Components and the stack program call these before they
 * create a single resource, so bad input fails at program start with a message naming the field and the value.
 */
import { ACCESS_LEVELS, AccessLevel, MAX_ROLE_NAME_LENGTH, POSTGRES_MAX_IDENTIFIER_LENGTH } from "./sql";

/** Thrown for any bad argument or stack config value. */
export class ValidationError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ValidationError";
    }
}

/** `<where>: <field> = <value>: <problem>`, the one format every validation error uses. */
export function invalid(where: string, field: string, value: unknown, problem: string): ValidationError {
    return new ValidationError(`${where}: ${field} = ${show(value)}: ${problem}`);
}

function show(value: unknown): string {
    // JSON would show NaN as null, and has no text for undefined, functions or bigints.
    const text = typeof value === "number" || typeof value === "bigint" ? String(value) : (JSON.stringify(value) ?? String(value));
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

// ---------------------------------------------------------------------------------------------------------------
// Defaults
// ---------------------------------------------------------------------------------------------------------------

export type Flavor = "vault" | "openbao";
export const FLAVORS: readonly Flavor[] = ["vault", "openbao"];

export const DEFAULTS = {
    flavor: "vault" as Flavor,
    postgresImage: "postgres:18",
    /** Images per flavor, pinned to a minor release so `pulumi up` is repeatable. */
    vaultImages: { vault: "hashicorp/vault:1.21", openbao: "openbao/openbao:2.4" } as Record<Flavor, string>,
    postgresHostPort: 15432,
    vaultHostPort: 18200,
    /** The address the Pulumi process uses to reach published container ports. */
    hostAddress: "127.0.0.1",
    database: "app",
    mountPath: "database",
    approlePath: "approle",
    vaultAdminUsername: "vault_admin",
    /** Vault's own default; the provider's default of 2 throttles concurrent issuance. */
    maxOpenConnections: 4,
    appTokenTtlSeconds: 3600,
    /** 0: the secret id never expires. An app logs in again every tokenMaxTtl with the secret id it started with,
     *  so a secret id that expires while the app runs locks it out; re-issue one per deploy instead. */
    appSecretIdTtlSeconds: 0,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------------------------------------

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** A TTL: whole seconds, or a string such as "90s", "15m", "1h", "7d". */
export type Duration = number | string;

/** Parses a TTL into whole seconds (> 0). */
export function parseDuration(where: string, field: string, value: unknown): number {
    if (typeof value === "number") {
        if (Number.isInteger(value) && value > 0) return value;
        throw invalid(where, field, value, "a TTL must be a whole number of seconds greater than 0");
    }
    if (typeof value === "string") {
        const match = /^(\d+)([smhd]?)$/.exec(value.trim());
        if (match) {
            const seconds = Number(match[1]) * DURATION_UNITS[match[2] || "s"];
            if (seconds > 0) return seconds;
        }
        throw invalid(where, field, value, 'a TTL must look like 3600, "90s", "15m", "1h" or "7d" and be greater than 0');
    }
    throw invalid(where, field, value, 'a TTL must be a number of seconds or a string like "1h"');
}

/** Checks a TCP port given as a plain number; values only known at deploy time pass through. */
export function checkPort(where: string, field: string, value: unknown): void {
    if (value === undefined || isPulumiValue(value)) return;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
        throw invalid(where, field, value, "a port must be a whole number from 1 to 65535");
    }
}

/** Checks an image reference given as a plain string. */
export function checkImage(where: string, field: string, value: unknown): void {
    if (value === undefined || isPulumiValue(value)) return;
    if (typeof value !== "string" || !/^[a-z0-9][a-z0-9._\-/:@]*$/.test(value)) {
        throw invalid(where, field, value, 'an image must be a reference like "postgres:18" or "registry/name:tag"');
    }
}

export function checkFlavor(where: string, value: unknown): Flavor {
    if (value === undefined) return DEFAULTS.flavor;
    if (typeof value === "string" && (FLAVORS as readonly string[]).includes(value)) return value as Flavor;
    throw invalid(where, "flavor", value, `unknown flavor; expected one of ${FLAVORS.join(", ")}`);
}

export function checkPositiveInteger(where: string, field: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= max) return value;
    throw invalid(where, field, value, `must be a whole number from 1 to ${max}`);
}

function isPulumiValue(value: unknown): boolean {
    // Outputs and promises are checked by the provider at deploy time.
    return typeof value === "object" && value !== null;
}

// ---------------------------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------------------------

const SAFE_NAME = /^[a-z][a-z0-9_-]*$/;
const SQL_NAME = /^[a-z_][a-z0-9_]*$/;
// Vault refuses to mount a secrets engine at or under these.
const RESERVED_MOUNTS = ["sys", "auth", "audit", "cubbyhole", "identity"];

/** Longest application name: it becomes part of policy and AppRole role names. */
export const MAX_APP_NAME_LENGTH = 48;

/**
 * A name used in Vault paths and generated SQL: lowercase letter first, then lowercase letters, digits, `_` or `-`.
 * No quotes, spaces or slashes can reach a statement or a policy path.
 */
export function checkSafeName(where: string, field: string, value: unknown, maxLength: number): string {
    if (typeof value !== "string" || value.length === 0) {
        throw invalid(where, field, value, "a name must be a non-empty string");
    }
    if (!SAFE_NAME.test(value)) {
        throw invalid(where, field, value, "a name may contain only lowercase letters, digits, '_' and '-', starting with a letter");
    }
    if (value.length > maxLength) {
        throw invalid(where, field, value, `a name may be at most ${maxLength} characters long`);
    }
    return value;
}

/** A Postgres identifier we create (database, group prefix, admin user): lowercase, digits and `_` only. */
export function checkSqlName(where: string, field: string, value: unknown, maxLength = POSTGRES_MAX_IDENTIFIER_LENGTH): string {
    if (typeof value !== "string" || value.length === 0) {
        throw invalid(where, field, value, "an SQL name must be a non-empty string");
    }
    if (!SQL_NAME.test(value)) {
        throw invalid(where, field, value, "an SQL name may contain only lowercase letters, digits and '_', not starting with a digit");
    }
    if (value.length > maxLength) {
        throw invalid(where, field, value, `an SQL name may be at most ${maxLength} characters long`);
    }
    return value;
}

/** A Vault mount path such as "database" or "team-a/database", with no leading or trailing slash. */
export function checkMountPath(where: string, field: string, value: unknown): string {
    if (typeof value !== "string" || !/^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/.test(value)) {
        throw invalid(where, field, value, "a mount path is one or more '/'-separated segments of lowercase letters, digits, '_' and '-'");
    }
    if (RESERVED_MOUNTS.includes(value.split("/")[0])) {
        throw invalid(where, field, value, `a mount path may not start with a reserved Vault prefix (${RESERVED_MOUNTS.join(", ")})`);
    }
    return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Roles and apps
// ---------------------------------------------------------------------------------------------------------------

/** One database role: the access it grants and the lifetime of its credentials. */
export interface DatabaseRoleSpec {
    /** Vault role name; credentials are read at `<mount>/creds/<name>`. */
    name: string;
    /** Which group role the credentials join. */
    access: AccessLevel;
    /** Lease TTL of a new credential. */
    defaultTtl: Duration;
    /** Longest a credential can live, renewals included. */
    maxTtl: Duration;
}

export interface ResolvedRoleSpec {
    name: string;
    access: AccessLevel;
    defaultTtlSeconds: number;
    maxTtlSeconds: number;
}

export function resolveRole(where: string, spec: unknown): ResolvedRoleSpec {
    if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
        throw invalid(where, "role", spec, "a role must be an object { name, access, defaultTtl, maxTtl }");
    }
    const raw = spec as Record<string, unknown>;
    const name = checkSafeName(where, "name", raw.name, MAX_ROLE_NAME_LENGTH);
    const at = `${where} "${name}"`;
    if (typeof raw.access !== "string" || !(ACCESS_LEVELS as readonly string[]).includes(raw.access)) {
        throw invalid(at, "access", raw.access, `unknown access level; expected one of ${ACCESS_LEVELS.join(", ")}`);
    }
    const defaultTtlSeconds = parseDuration(at, "defaultTtl", raw.defaultTtl);
    const maxTtlSeconds = parseDuration(at, "maxTtl", raw.maxTtl);
    if (defaultTtlSeconds > maxTtlSeconds) {
        throw invalid(at, "defaultTtl", raw.defaultTtl, `must not exceed maxTtl (${show(raw.maxTtl)} = ${maxTtlSeconds}s)`);
    }
    return { name, access: raw.access as AccessLevel, defaultTtlSeconds, maxTtlSeconds };
}

export function resolveRoles(where: string, specs: unknown): ResolvedRoleSpec[] {
    if (!Array.isArray(specs) || specs.length === 0) {
        throw invalid(where, "roles", specs, "declare at least one role as a list of { name, access, defaultTtl, maxTtl }");
    }
    const roles = specs.map((spec, index) => resolveRole(`${where} roles[${index}]`, spec));
    rejectDuplicates(where, "roles", roles.map((role) => role.name));
    return roles;
}

/** One application: which roles it may use, and the lifetime of its Vault tokens. */
export interface AppSpec {
    /** Application name; names its policy (`<name>-db`) and its AppRole role. */
    name: string;
    /** Names of the database roles whose credentials it may read. */
    roles: string[];
    /** TTL of its Vault token (default 1h). */
    tokenTtl?: Duration;
    /** Longest its token lives. Leases die with the token that issued them, so the composite defaults this to the
     *  longest maxTtl of the app's roles; `AppAccess` on its own defaults it to tokenTtl. */
    tokenMaxTtl?: Duration;
    /** How long a secret id stays valid: 0 (the default) for no expiry, else longer than tokenMaxTtl (the app logs in
     *  again with it at least that often) plus the time between deploys, which re-issue it. */
    secretIdTtl?: Duration;
    /** Names of static roles whose current password it may read. */
    staticRoles?: string[];
}

export interface ResolvedAppSpec {
    name: string;
    roles: string[];
    staticRoles: string[];
    tokenTtlSeconds: number;
    tokenMaxTtlSeconds: number;
    secretIdTtlSeconds: number;
}

export function resolveApp(where: string, spec: unknown, roles: readonly ResolvedRoleSpec[], staticRoles: readonly ResolvedStaticRoleSpec[] = []): ResolvedAppSpec {
    if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
        throw invalid(where, "app", spec, "an app must be an object { name, roles }");
    }
    const raw = spec as Record<string, unknown>;
    const name = checkSafeName(where, "name", raw.name, MAX_APP_NAME_LENGTH);
    const at = `${where} "${name}"`;
    const staticNames = resolveStaticRoleRefs(at, raw.staticRoles, staticRoles);
    // An app of static roles only (a connection pooler, say) needs no dynamic role.
    if (!Array.isArray(raw.roles) || (raw.roles.length === 0 && staticNames.length === 0)) {
        throw invalid(at, "roles", raw.roles, "an app needs a non-empty list of role names");
    }
    const known = new Map(roles.map((role) => [role.name, role]));
    for (const role of raw.roles) {
        if (typeof role !== "string" || !known.has(role)) {
            throw invalid(at, "roles", role, `unknown role; declared roles are ${[...known.keys()].join(", ") || "(none)"}`);
        }
    }
    const roleNames = raw.roles as string[];
    rejectDuplicates(at, "roles", roleNames);
    const longestLease = Math.max(0, ...roleNames.map((role) => known.get(role)!.maxTtlSeconds));
    return {
        name,
        roles: roleNames,
        staticRoles: staticNames,
        ...resolveTokenTtls(at, raw, (tokenTtlSeconds) => Math.max(tokenTtlSeconds, longestLease)),
    };
}

function resolveStaticRoleRefs(where: string, value: unknown, staticRoles: readonly ResolvedStaticRoleSpec[]): string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw invalid(where, "staticRoles", value, "staticRoles must be a list of static role names");
    const known = staticRoles.map((role) => role.name);
    for (const role of value) {
        if (typeof role !== "string" || !known.includes(role)) {
            throw invalid(where, "staticRoles", role, `unknown static role; declared static roles are ${known.join(", ") || "(none)"}`);
        }
    }
    rejectDuplicates(where, "staticRoles", value as string[]);
    return value as string[];
}

/** An app's token and secret id lifetimes in seconds, with defaults; `defaultMaxTtl` picks tokenMaxTtl when unset. */
export function resolveTokenTtls(
    where: string,
    raw: { tokenTtl?: unknown; tokenMaxTtl?: unknown; secretIdTtl?: unknown },
    defaultMaxTtl: (tokenTtlSeconds: number) => number,
): Pick<ResolvedAppSpec, "tokenTtlSeconds" | "tokenMaxTtlSeconds" | "secretIdTtlSeconds"> {
    const tokenTtlSeconds = raw.tokenTtl === undefined ? DEFAULTS.appTokenTtlSeconds : parseDuration(where, "tokenTtl", raw.tokenTtl);
    const tokenMaxTtlSeconds = raw.tokenMaxTtl === undefined ? defaultMaxTtl(tokenTtlSeconds) : parseDuration(where, "tokenMaxTtl", raw.tokenMaxTtl);
    if (tokenTtlSeconds > tokenMaxTtlSeconds) {
        throw invalid(where, "tokenTtl", raw.tokenTtl ?? tokenTtlSeconds, `must not exceed tokenMaxTtl (${tokenMaxTtlSeconds}s)`);
    }
    // 0 means no expiry (Vault's secret_id_ttl = 0).
    const secretIdTtlSeconds =
        raw.secretIdTtl === undefined || raw.secretIdTtl === 0 || raw.secretIdTtl === "0"
            ? DEFAULTS.appSecretIdTtlSeconds
            : parseDuration(where, "secretIdTtl", raw.secretIdTtl);
    if (secretIdTtlSeconds !== 0 && secretIdTtlSeconds <= tokenMaxTtlSeconds) {
        throw invalid(
            where,
            "secretIdTtl",
            raw.secretIdTtl,
            `must be 0 (no expiry) or longer than tokenMaxTtl (${tokenMaxTtlSeconds}s): the app logs in again with it when its token runs out`,
        );
    }
    return { tokenTtlSeconds, tokenMaxTtlSeconds, secretIdTtlSeconds };
}

export function resolveApps(where: string, specs: unknown, roles: readonly ResolvedRoleSpec[], staticRoles: readonly ResolvedStaticRoleSpec[] = []): ResolvedAppSpec[] {
    if (specs === undefined) return [];
    if (!Array.isArray(specs)) {
        throw invalid(where, "apps", specs, "apps must be a list of { name, roles }");
    }
    const apps = specs.map((spec, index) => resolveApp(`${where} apps[${index}]`, spec, roles, staticRoles));
    rejectDuplicates(where, "apps", apps.map((app) => app.name));
    return apps;
}

/** A Postgres login user with a fixed name whose password Vault owns and rotates (a Vault static role). */
export interface StaticRoleSpec {
    /** Both the Postgres username and the Vault static role name (`<mount>/static-creds/<name>`). */
    name: string;
    /** Which group role the user joins. */
    access: AccessLevel;
    /** Rotate the password this often (at least 5 s). Exactly one of rotationPeriod and rotationSchedule. */
    rotationPeriod?: Duration;
    /** Cron schedule of rotations, e.g. "0 3 * * *". */
    rotationSchedule?: string;
}

export interface ResolvedStaticRoleSpec {
    name: string;
    access: AccessLevel;
    rotationPeriodSeconds?: number;
    rotationSchedule?: string;
}

const STATIC_ROLE_KEYS = ["name", "access", "rotationPeriod", "rotationSchedule"];
/** Vault refuses shorter static role rotation periods (terraform-provider-vault validates the same bound). */
const MIN_STATIC_ROTATION_SECONDS = 5;

export function resolveStaticRole(where: string, spec: unknown): ResolvedStaticRoleSpec {
    if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
        throw invalid(where, "staticRole", spec, "a static role must be an object { name, access, rotationPeriod }");
    }
    const raw = spec as Record<string, unknown>;
    // The name is a Postgres user and a Vault role name: both rule sets apply.
    const name = checkSafeName(where, "name", checkSqlName(where, "name", raw.name), POSTGRES_MAX_IDENTIFIER_LENGTH);
    const at = `${where} "${name}"`;
    for (const key of Object.keys(raw)) {
        if (!STATIC_ROLE_KEYS.includes(key)) throw invalid(at, key, raw[key], `unknown key; known keys are ${STATIC_ROLE_KEYS.join(", ")}`);
    }
    if (typeof raw.access !== "string" || !(ACCESS_LEVELS as readonly string[]).includes(raw.access)) {
        throw invalid(at, "access", raw.access, `unknown access level; expected one of ${ACCESS_LEVELS.join(", ")}`);
    }
    const access = raw.access as AccessLevel;
    if ((raw.rotationPeriod === undefined) === (raw.rotationSchedule === undefined)) {
        throw invalid(at, "rotationPeriod", raw.rotationPeriod, "set exactly one of rotationPeriod and rotationSchedule");
    }
    if (raw.rotationSchedule !== undefined) {
        if (typeof raw.rotationSchedule !== "string" || raw.rotationSchedule.trim().split(/\s+/).length !== 5) {
            throw invalid(at, "rotationSchedule", raw.rotationSchedule, 'a rotation schedule is a 5-field cron expression such as "0 3 * * *"');
        }
        return { name, access, rotationSchedule: raw.rotationSchedule.trim() };
    }
    const rotationPeriodSeconds = parseDuration(at, "rotationPeriod", raw.rotationPeriod);
    if (rotationPeriodSeconds < MIN_STATIC_ROTATION_SECONDS) {
        throw invalid(at, "rotationPeriod", raw.rotationPeriod, `must be at least ${MIN_STATIC_ROTATION_SECONDS}s`);
    }
    return { name, access, rotationPeriodSeconds };
}

export function resolveStaticRoles(where: string, specs: unknown): ResolvedStaticRoleSpec[] {
    if (specs === undefined) return [];
    if (!Array.isArray(specs)) {
        throw invalid(where, "staticRoles", specs, "staticRoles must be a list of { name, access, rotationPeriod }");
    }
    const staticRoles = specs.map((spec, index) => resolveStaticRole(`${where} staticRoles[${index}]`, spec));
    rejectDuplicates(where, "staticRoles", staticRoles.map((role) => role.name));
    return staticRoles;
}

function rejectDuplicates(where: string, field: string, names: readonly string[]): void {
    const seen = new Set<string>();
    for (const name of names) {
        if (seen.has(name)) throw invalid(where, field, name, "duplicate name");
        seen.add(name);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Stack config
// ---------------------------------------------------------------------------------------------------------------

/** The stack config keys index.ts reads (namespace `vault-pg:`), and the kind of value each holds. */
export const STACK_CONFIG_KEYS = {
    flavor: "string",
    postgresImage: "string",
    vaultImage: "string",
    postgresHostPort: "integer",
    vaultHostPort: "integer",
    hostAddress: "string",
    database: "string",
    mountPath: "string",
    approlePath: "string",
    maxOpenConnections: "integer",
    roles: "list",
    apps: "list",
    staticRoles: "list",
} as const;
export type StackConfigKey = keyof typeof STACK_CONFIG_KEYS;

/** The composite's arguments as read from stack config (a subset of VaultPostgresArgs with plain values). */
export interface StackSettings {
    flavor?: Flavor;
    postgres: { image?: string; hostPort?: number; hostAddress?: string };
    vault: { image?: string; hostPort?: number; hostAddress?: string };
    database?: string;
    mountPath?: string;
    approlePath?: string;
    maxOpenConnections?: number;
    roles: DatabaseRoleSpec[];
    apps: AppSpec[];
    staticRoles?: StaticRoleSpec[];
}

/**
 * Turns raw stack config (each value as Pulumi stores it: a string, JSON for lists and objects) into typed settings.
 * Unknown keys are rejected, so a typo does not silently fall back to a default.
 */
export function readStackConfig(raw: Record<string, string | undefined>): StackSettings {
    const where = "stack config (vault-pg)";
    for (const key of Object.keys(raw)) {
        if (raw[key] !== undefined && !(key in STACK_CONFIG_KEYS)) {
            throw invalid(where, key, raw[key], `unknown config key; known keys are ${Object.keys(STACK_CONFIG_KEYS).join(", ")}`);
        }
    }
    const value = (key: StackConfigKey): unknown => {
        const text = raw[key];
        if (text === undefined) return undefined;
        const kind = STACK_CONFIG_KEYS[key];
        if (kind === "string") return text;
        if (kind === "integer") {
            if (!/^-?\d+$/.test(text.trim())) throw invalid(where, key, text, "must be a whole number");
            return Number(text);
        }
        try {
            return JSON.parse(text);
        } catch {
            throw invalid(where, key, text, "must be a list (YAML sequence)");
        }
    };
    const str = (key: StackConfigKey): string | undefined => value(key) as string | undefined;
    const int = (key: StackConfigKey): number | undefined => value(key) as number | undefined;
    checkPort(where, "postgresHostPort", int("postgresHostPort"));
    checkPort(where, "vaultHostPort", int("vaultHostPort"));
    const hostAddress = str("hostAddress");
    const roles = resolveRoles(where, value("roles"));
    const staticRoles = resolveStaticRoles(where, value("staticRoles"));
    resolveApps(where, value("apps"), roles, staticRoles);
    return {
        flavor: checkFlavor(where, str("flavor")),
        postgres: { image: str("postgresImage"), hostPort: int("postgresHostPort"), hostAddress },
        vault: { image: str("vaultImage"), hostPort: int("vaultHostPort"), hostAddress },
        database: str("database"),
        mountPath: str("mountPath"),
        approlePath: str("approlePath"),
        maxOpenConnections: int("maxOpenConnections"),
        roles: value("roles") as DatabaseRoleSpec[],
        apps: (value("apps") as AppSpec[] | undefined) ?? [],
        ...(staticRoles.length > 0 ? { staticRoles: value("staticRoles") as StaticRoleSpec[] } : {}),
    };
}
