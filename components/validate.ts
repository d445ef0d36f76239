/**
 * Every default and every input check, in one place. Components and the stack program call these before they
 * create a single resource, so bad input fails at program start with a message naming the field and the value.
 */
import * as pulumi from "@pulumi/pulumi";
import { ACCESS_LEVELS, AccessLevel, MAX_ROLE_NAME_LENGTH, POSTGRES_MAX_IDENTIFIER_LENGTH, splitHostList } from "./sql";

/**
 * Thrown for any bad argument or stack config value. A `pulumi.RunError`, because the Node runner prints those as
 * the message alone, on one line, without a stack (`@pulumi/pulumi/cmd/run/run.js`, its uncaught-error handler).
 */
export class ValidationError extends pulumi.RunError {
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

/**
 * How roles are spread over connection configs: one for all, one per role, or one per access level. The PostgreSQL
 * plugin serializes creation, renewal and revocation per connection config, so each connection is one lock.
 */
export type ConnectionLayout = "single" | "per-role" | "per-access";
export const CONNECTION_LAYOUTS: readonly ConnectionLayout[] = ["single", "per-role", "per-access"];

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
    /** Chosen by `npm run bench` (README, Performance): one lock per role issues in parallel across roles. */
    connections: "per-role" as ConnectionLayout,
    appTokenTtlSeconds: 3600,
    /** 0: the secret id never expires. An app logs in again every tokenMaxTtl with the secret id it started with,
     *  so a secret id that expires while the app runs locks it out; re-issue one per deploy instead. */
    appSecretIdTtlSeconds: 0,
    vaultMode: "dev" as VaultMode,
    /** Shamir key shares and threshold at initialisation (server mode). */
    vaultUnsealShares: 5,
    vaultUnsealThreshold: 3,
    /** Integrated storage: both flavors have it (OpenBao 2.7 has no file storage). */
    vaultStorage: "raft" as VaultStorage,
    rotateRootCredentials: false,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Server mode
// ---------------------------------------------------------------------------------------------------------------

/** "dev": in-memory dev server, fixed root token. "server": sealed server with persistent storage (README). */
export type VaultMode = "dev" | "server";
export const VAULT_MODES: readonly VaultMode[] = ["dev", "server"];
/** Where a server-mode Vault keeps its data: integrated storage, or files (HashiCorp Vault only). */
export type VaultStorage = "raft" | "file";
export const VAULT_STORAGES: readonly VaultStorage[] = ["raft", "file"];
/** Vault's own limit on key shares (`sys/init`, secret_shares). */
export const MAX_UNSEAL_SHARES = 255;

export function checkVaultMode(where: string, field: string, value: unknown): VaultMode {
    if (value === undefined) return DEFAULTS.vaultMode;
    if (typeof value === "string" && (VAULT_MODES as readonly string[]).includes(value)) return value as VaultMode;
    throw invalid(where, field, value, `unknown mode; expected one of ${VAULT_MODES.join(", ")}`);
}

export function checkVaultStorage(where: string, field: string, value: unknown): VaultStorage {
    if (value === undefined) return DEFAULTS.vaultStorage;
    if (typeof value === "string" && (VAULT_STORAGES as readonly string[]).includes(value)) return value as VaultStorage;
    throw invalid(where, field, value, `unknown storage; expected one of ${VAULT_STORAGES.join(", ")}`);
}

/**
 * Key shares and threshold for `sys/init`, with Vault's own rules (vault/seal.go, SealConfig.Validate): 1 to 255
 * shares, a threshold from 1 to the shares, and more than 1 whenever there is more than one share.
 */
export function checkUnsealShares(
    where: string,
    fields: { shares: string; threshold: string },
    shares: unknown = DEFAULTS.vaultUnsealShares,
    threshold: unknown = DEFAULTS.vaultUnsealThreshold,
): { shares: number; threshold: number } {
    const checkedShares = checkPositiveInteger(where, fields.shares, shares, MAX_UNSEAL_SHARES);
    const checkedThreshold = checkPositiveInteger(where, fields.threshold, threshold, MAX_UNSEAL_SHARES);
    if (checkedThreshold > checkedShares) {
        throw invalid(where, fields.threshold, threshold, `the threshold cannot exceed the number of key shares (${checkedShares})`);
    }
    if (checkedShares > 1 && checkedThreshold < 2) {
        throw invalid(where, fields.threshold, threshold, "with more than one key share the threshold must be at least 2");
    }
    return { shares: checkedShares, threshold: checkedThreshold };
}

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

/**
 * The connection layout; unset, it is "per-role", or "single" when the stack rotates the Vault admin's password
 * (every connection config logs in as that one admin, so rotating through one would lock out the others).
 */
export function checkConnectionLayout(where: string, value: unknown, rotateRoot = false): ConnectionLayout {
    if (value === undefined) return rotateRoot ? "single" : DEFAULTS.connections;
    if (typeof value === "string" && (CONNECTION_LAYOUTS as readonly string[]).includes(value)) return value as ConnectionLayout;
    throw invalid(where, "connections", value, `unknown connection layout; expected one of ${CONNECTION_LAYOUTS.join(", ")}`);
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
}

/** The keys an app entry may have, in the order the docs list them. */
export const APP_SPEC_KEYS: readonly (keyof AppSpec)[] = ["name", "roles", "staticRoles", "tokenTtl", "tokenMaxTtl", "secretIdTtl"];

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
    const apps = specs.map((spec, index) => {
        const app = resolveApp(`${where} apps[${index}]`, spec, roles, staticRoles);
        rejectUnknownKeys(`${where} apps[${index}] "${app.name}"`, spec as Record<string, unknown>, APP_SPEC_KEYS);
        return app;
    });
    rejectDuplicates(where, "apps", apps.map((app) => app.name));
    return apps;
}

/** A key a spec does not know is a typo (`tokenTTL`), never a value to ignore. */
function rejectUnknownKeys(where: string, spec: Record<string, unknown>, known: readonly string[]): void {
    for (const key of Object.keys(spec)) {
        if (!known.includes(key)) throw invalid(where, key, spec[key], `unknown key; known keys are ${known.join(", ")}`);
    }
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

// ---------------------------------------------------------------------------------------------------------------
// Stack config
// ---------------------------------------------------------------------------------------------------------------

/**
 * The stack config keys index.ts reads (namespace `vault-pg:`), and the kind of value each holds. "secret" keys are
 * read with `getSecret` and never appear in Pulumi.yaml: a typed key there without a default is required by the CLI.
 */
export const STACK_CONFIG_KEYS = {
    flavor: "string",
    postgresImage: "string",
    postgresDataPath: "string",
    vaultImage: "string",
    postgresHostPort: "integer",
    vaultHostPort: "integer",
    hostAddress: "string",
    postgresHost: "string",
    postgresPort: "integer",
    postgresVaultHost: "string",
    postgresSuperuser: "string",
    postgresSuperuserPassword: "secret",
    postgresSslMode: "string",
    vaultAddress: "string",
    vaultToken: "secret",
    vaultMode: "string",
    vaultUnsealShares: "integer",
    vaultUnsealThreshold: "integer",
    vaultStorage: "string",
    rotateRootCredentials: "boolean",
    database: "string",
    mountPath: "string",
    approlePath: "string",
    maxOpenConnections: "integer",
    connections: "string",
    roles: "list",
    apps: "list",
    staticRoles: "list",
} as const;
export type StackConfigKey = keyof typeof STACK_CONFIG_KEYS;

/** Keys whose Pulumi.yaml default is "": empty means "not set" (a per-flavor image, a container instead of a server). */
const EMPTY_MEANS_UNSET: readonly StackConfigKey[] = ["vaultImage", "postgresDataPath", "postgresHost", "postgresVaultHost", "postgresSslMode", "vaultAddress", "connections"];

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
    };
    existingPostgres?: ExistingPostgres;
    existingVault?: ExistingVault;
    rotateRootCredentials?: boolean;
    database?: string;
    mountPath?: string;
    approlePath?: string;
    maxOpenConnections?: number;
    connections?: ConnectionLayout;
    roles: DatabaseRoleSpec[];
    apps: AppSpec[];
    staticRoles?: StaticRoleSpec[];
}

/** A PostgreSQL the stack does not run: no container, the access model is applied to it as its superuser. */
export interface ExistingPostgres {
    /**
     * Host, or a primary and its standbys as "db1,db2" or "db1:5432,db2:5433" (see README "High availability"):
     * Vault gets the whole list with target_session_attrs=read-write; the Pulumi process administers the first.
     */
    host: pulumi.Input<string>;
    /** Port of every host listed without one; default 5432. */
    port?: pulumi.Input<number>;
    /** Host or host list Vault connects to, where it differs from `host`; entries without a port take `port`. */
    vaultHost?: pulumi.Input<string>;
    /** A superuser (or a role with CREATEROLE and CREATEDB) the Pulumi process uses; default "postgres". */
    superuser?: pulumi.Input<string>;
    superuserPassword: pulumi.Input<string>;
    /** libpq sslmode for both the Pulumi process and Vault; default "require". */
    sslMode?: SslMode;
}

/** A Vault (or OpenBao) the stack does not run: no container, every Vault resource goes through this address. */
export interface ExistingVault {
    /** API address, e.g. "https://vault.example.com:8200". */
    address: pulumi.Input<string>;
    /** A token allowed to apply the stack's Vault resources. */
    token: pulumi.Input<string>;
}

export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
export const SSL_MODES: readonly SslMode[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

export function checkSslMode(where: string, field: string, value: unknown, fallback: SslMode): SslMode {
    if (value === undefined) return fallback;
    if (typeof value === "string" && (SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
    throw invalid(where, field, value, `unknown sslmode; expected one of ${SSL_MODES.join(", ")}`);
}

const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[[0-9a-fA-F:.]+\]$/;

/**
 * One host, or a list for a primary and its standbys: "db1,db2" (all on the port setting) or "db1:5432,db2:5433".
 * Rejected: empty entries, a port without a host, some entries with a port and some without (libpq pairs a
 * `port=` list with hosts by position, pgx drops the missing ones and shifts the rest: "db1,db2:5433" means
 * different servers to different clients), bad hosts or ports, and the same server twice.
 */
export function checkHostList(where: string, field: string, value: unknown): void {
    if (value === undefined || isPulumiValue(value)) return;
    if (typeof value !== "string") throw invalid(where, field, value, "a host must be a DNS name or an IP address, without scheme or port");
    const entries = splitHostList(value);
    const seen = new Set<string>();
    entries.forEach((entry, index) => {
        const text = value.split(",")[index];
        const at = entries.length > 1 ? `entry ${index + 1} ${JSON.stringify(text)}: ` : "";
        if (text === "") throw invalid(where, field, value, `entry ${index + 1} is empty; separate hosts with single commas`);
        if (entry.host === "") throw invalid(where, field, value, `${at}a port without a host`);
        if (/[/@?#\s]/.test(text) || !HOST.test(entry.host)) {
            throw invalid(where, field, value, `${at}a host must be a DNS name or an IP address (IPv6 in brackets), optionally with :port, without scheme or path`);
        }
        if (entry.port !== undefined && !(Number.isInteger(entry.port) && entry.port >= 1 && entry.port <= 65535 && /^\d+$/.test(text.slice(text.lastIndexOf(":") + 1)))) {
            throw invalid(where, field, value, `${at}a port must be a whole number from 1 to 65535`);
        }
        const key = `${entry.host.toLowerCase()}:${entry.port ?? ""}`;
        if (seen.has(key)) throw invalid(where, field, value, `${at}the same server is listed twice`);
        seen.add(key);
    });
    const withPort = entries.filter((entry) => entry.port !== undefined).length;
    if (withPort > 0 && withPort < entries.length) {
        throw invalid(where, field, value, "some entries have a port and some do not; give every host its port (db1:5432,db2:5433) or none (all on the port setting)");
    }
}

/** The first server of a host list, the one the Pulumi process administers; entries without a port take `port`. */
export function firstEndpoint(hosts: string, port: number): { host: string; port: number } {
    const [first] = splitHostList(hosts);
    return { host: first.host, port: first.port ?? port };
}

/** A Vault API address: http(s)://host[:port], no path. */
export function checkVaultAddress(where: string, field: string, value: unknown): void {
    if (value === undefined || isPulumiValue(value)) return;
    if (typeof value !== "string" || !/^https?:\/\/[A-Za-z0-9.\-[\]:]+(:\d{1,5})?\/?$/.test(value)) {
        throw invalid(where, field, value, 'a Vault address looks like "https://vault.example.com:8200"');
    }
}

/** A path inside a container, absolute. */
export function checkContainerPath(where: string, field: string, value: unknown): void {
    if (value === undefined || isPulumiValue(value)) return;
    if (typeof value !== "string" || !/^\/[A-Za-z0-9._\-/]*$/.test(value)) {
        throw invalid(where, field, value, "a container path must be absolute, e.g. /var/lib/postgresql/data");
    }
}

/**
 * Turns raw stack config (each value as Pulumi stores it: a string, JSON for lists and objects; secrets as Outputs)
 * into typed settings. Unknown keys are rejected, so a typo does not silently fall back to a default.
 */
export function readStackConfig(raw: RawStackConfig): StackSettings {
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
            throw invalid(where, key, text, "must be a list (YAML sequence)");
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
    resolveApps(where, value("apps"), roles, staticRoles);
    const mode = checkVaultMode(where, "vaultMode", str("vaultMode"));
    const unseal = checkUnsealShares(where, { shares: "vaultUnsealShares", threshold: "vaultUnsealThreshold" }, int("vaultUnsealShares"), int("vaultUnsealThreshold"));
    const storage = checkVaultStorage(where, "vaultStorage", str("vaultStorage"));
    const token = value("vaultToken") as pulumi.Output<string> | undefined;
    if (mode === "server" && str("vaultAddress") !== undefined) {
        throw invalid(where, "vaultMode", mode, "applies to the stack's own Vault container; unset vaultAddress, or leave vaultMode at dev");
    }
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
        },
        rotateRootCredentials: value("rotateRootCredentials") as boolean | undefined,
        existingPostgres: readExistingPostgres(where, str("postgresHost"), int("postgresPort"), str("postgresVaultHost"), str("postgresSuperuser"),
            value("postgresSuperuserPassword") as pulumi.Output<string> | undefined, str("postgresSslMode")),
        // In server mode a token without an address is the stack's own server's deployer token.
        existingVault: readExistingVault(where, str("vaultAddress"), mode === "server" ? undefined : token),
        database: str("database"),
        mountPath: str("mountPath"),
        approlePath: str("approlePath"),
        maxOpenConnections: int("maxOpenConnections"),
        // Left unset when absent, like the other optional keys: the composite applies the default.
        connections: str("connections") === undefined ? undefined : checkConnectionLayout(where, str("connections")),
        roles: value("roles") as DatabaseRoleSpec[],
        apps: (value("apps") as AppSpec[] | undefined) ?? [],
        ...(staticRoles.length > 0 ? { staticRoles: value("staticRoles") as StaticRoleSpec[] } : {}),
    };
}

function readExistingPostgres(
    where: string,
    host: string | undefined,
    port: number | undefined,
    vaultHost: string | undefined,
    superuser: string | undefined,
    superuserPassword: pulumi.Output<string> | undefined,
    sslMode: string | undefined,
): ExistingPostgres | undefined {
    if (host === undefined) {
        // postgresPort and postgresSuperuser have Pulumi.yaml defaults, so only these two show intent.
        const stray = { postgresVaultHost: vaultHost, postgresSuperuserPassword: superuserPassword };
        for (const [key, given] of Object.entries(stray)) {
            if (given !== undefined) throw invalid(where, key, isPulumiValue(given) ? "[secret]" : given, "applies only to an existing PostgreSQL; set postgresHost too");
        }
        return undefined;
    }
    const existing = { host, port, vaultHost, superuser, superuserPassword: superuserPassword as pulumi.Output<string>, sslMode: sslMode as SslMode | undefined };
    return checkExistingPostgres(where, "", existing);
}

function readExistingVault(where: string, address: string | undefined, token: pulumi.Output<string> | undefined): ExistingVault | undefined {
    if (address === undefined) {
        if (token !== undefined) throw invalid(where, "vaultToken", "[secret]", "applies only to an existing Vault; set vaultAddress too");
        return undefined;
    }
    return checkExistingVault(where, "", { address, token: token as pulumi.Output<string> });
}

/** Checks an existing PostgreSQL's settings; `prefix` names the field path ("" for stack config keys). */
export function checkExistingPostgres(where: string, prefix: string, existing: ExistingPostgres): ExistingPostgres {
    const field = (name: string): string => (prefix ? `${prefix}.${name}` : `postgres${name[0].toUpperCase()}${name.slice(1)}`);
    checkHostList(where, field("host"), existing.host);
    checkPort(where, field("port"), existing.port);
    checkHostList(where, field("vaultHost"), existing.vaultHost);
    if (existing.superuserPassword === undefined || existing.superuserPassword === "") {
        throw invalid(where, field("superuserPassword"), existing.superuserPassword,
            "an existing PostgreSQL needs its superuser password (pulumi config set --secret vault-pg:postgresSuperuserPassword ...)");
    }
    checkSslMode(where, field("sslMode"), existing.sslMode, "require");
    return existing;
}

/** Checks an existing Vault's settings; `prefix` names the field path ("" for stack config keys). */
export function checkExistingVault(where: string, prefix: string, existing: ExistingVault): ExistingVault {
    checkVaultAddress(where, prefix ? `${prefix}.address` : "vaultAddress", existing.address);
    if (existing.token === undefined || existing.token === "") {
        throw invalid(where, prefix ? `${prefix}.token` : "vaultToken", existing.token,
            "an existing Vault needs a token that may apply the stack's resources (pulumi config set --secret vault-pg:vaultToken ...)");
    }
    return existing;
}
