/**
 * The specs of database roles, applications and static roles, and their resolvers: each checks a spec (unknown keys
 * and duplicates included) and returns it with defaults applied and TTLs in seconds.
 */
import { ACCESS_LEVELS, AccessLevel, MAX_ROLE_NAME_LENGTH, POSTGRES_MAX_IDENTIFIER_LENGTH } from "../sql";
import { invalid, rejectUnknownKeys, show } from "./errors";
import { JwtBindingSpec, JwtRoleBinding, resolveJwtBinding } from "./jwt";
import { checkSafeName, checkSqlName } from "./names";
import { Duration, parseDuration } from "./scalars";
import { DEFAULTS, MAX_APP_NAME_LENGTH, MIN_STATIC_ROTATION_SECONDS } from "./settings";


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

/** The keys a role entry may have, in the order the docs list them. */
export const ROLE_SPEC_KEYS: readonly (keyof DatabaseRoleSpec)[] = ["name", "access", "defaultTtl", "maxTtl"];

export function resolveRoles(where: string, specs: unknown): ResolvedRoleSpec[] {
    if (!Array.isArray(specs) || specs.length === 0) {
        throw invalid(where, "roles", specs, "declare at least one role as a list of { name, access, defaultTtl, maxTtl }");
    }
    const roles = specs.map((spec, index) => {
        const role = resolveRole(`${where} roles[${index}]`, spec);
        rejectUnknownKeys(`${where} roles[${index}] "${role.name}"`, spec as Record<string, unknown>, ROLE_SPEC_KEYS);
        return role;
    });
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
    /**
     * Log in with a token the platform signs (a Kubernetes service account, a GitHub Actions job, any OIDC issuer)
     * instead of AppRole: no secret id to deliver. docs/identity.md.
     */
    jwt?: JwtBindingSpec;
}

/** The keys an app entry may have, in the order the docs list them. */
export const APP_SPEC_KEYS: readonly (keyof AppSpec)[] = ["name", "roles", "staticRoles", "tokenTtl", "tokenMaxTtl", "secretIdTtl", "jwt"];

export interface ResolvedAppSpec {
    name: string;
    roles: string[];
    staticRoles: string[];
    tokenTtlSeconds: number;
    tokenMaxTtlSeconds: number;
    secretIdTtlSeconds: number;
    /** Its JWT login, where it has one (then it has no AppRole role). */
    jwt?: JwtRoleBinding;
}

export function resolveApp(
    where: string,
    spec: unknown,
    roles: readonly ResolvedRoleSpec[],
    staticRoles: readonly ResolvedStaticRoleSpec[] = [],
    jwtAuthPaths?: readonly string[],
): ResolvedAppSpec {
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
    if (raw.jwt !== undefined && raw.secretIdTtl !== undefined) {
        throw invalid(at, "secretIdTtl", raw.secretIdTtl, "applies only to AppRole logins; this app logs in with jwt");
    }
    return {
        name,
        roles: roleNames,
        staticRoles: staticNames,
        ...resolveTokenTtls(at, raw, (tokenTtlSeconds) => Math.max(tokenTtlSeconds, longestLease)),
        ...(raw.jwt !== undefined ? { jwt: resolveJwtBinding(at, raw.jwt, jwtAuthPaths ?? []) } : {}),
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

export function resolveApps(
    where: string,
    specs: unknown,
    roles: readonly ResolvedRoleSpec[],
    staticRoles: readonly ResolvedStaticRoleSpec[] = [],
    jwtAuthPaths: readonly string[] = [],
): ResolvedAppSpec[] {
    if (specs === undefined) return [];
    if (!Array.isArray(specs)) {
        throw invalid(where, "apps", specs, "apps must be a list of { name, roles }");
    }
    const apps = specs.map((spec, index) => {
        const app = resolveApp(`${where} apps[${index}]`, spec, roles, staticRoles, jwtAuthPaths);
        rejectUnknownKeys(`${where} apps[${index}] "${app.name}"`, spec as Record<string, unknown>, APP_SPEC_KEYS);
        return app;
    });
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

export function resolveStaticRole(where: string, spec: unknown): ResolvedStaticRoleSpec {
    if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
        throw invalid(where, "staticRole", spec, "a static role must be an object { name, access, rotationPeriod }");
    }
    const raw = spec as Record<string, unknown>;
    // The name is a Postgres user and a Vault role name: both rule sets apply.
    const name = checkSafeName(where, "name", checkSqlName(where, "name", raw.name), POSTGRES_MAX_IDENTIFIER_LENGTH);
    const at = `${where} "${name}"`;
    rejectUnknownKeys(at, raw, STATIC_ROLE_KEYS);
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
