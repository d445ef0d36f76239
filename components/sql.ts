/**
 * Pure renderers for the SQL the database secrets engine runs. No Pulumi here: tests call these directly,
 * and the components pass their output to Vault unchanged.
 *
 * Design (see README "How a credential works"):
 * - a credential is a LOGIN role that expires (`VALID UNTIL '{{expiration}}'`) and gets every privilege by
 *   membership in one NOLOGIN group role: issuing costs the same at 10 tables or 10,000;
 * - an owner credential runs its sessions as the owner group, so what it creates belongs to the group;
 * - revocation ends the user's sessions, hands anything it still owns to the owner group, then drops it:
 *   no data a credential created is ever dropped with it.
 *
 * Vault splits a statement on `;`, so every element is exactly one statement without a trailing `;`.
 */

/** The access levels a database role can hand out; each maps to one group role. */
export type AccessLevel = "readonly" | "readwrite" | "owner";
export const ACCESS_LEVELS: readonly AccessLevel[] = ["readonly", "readwrite", "owner"];

/** Postgres truncates identifiers longer than this many bytes; we reject them instead. */
export const POSTGRES_MAX_IDENTIFIER_LENGTH = 63;

/** Quotes an SQL identifier: wraps it in double quotes and doubles any embedded double quote. */
export function quoteIdent(identifier: string): string {
    if (identifier.length === 0) {
        throw new Error("quoteIdent: an SQL identifier cannot be empty");
    }
    if (identifier.includes("\0")) {
        throw new Error(`quoteIdent: an SQL identifier cannot contain a NUL byte: ${JSON.stringify(identifier)}`);
    }
    return `"${identifier.replace(/"/g, '""')}"`;
}

/** Quotes an SQL string literal: wraps it in single quotes and doubles any embedded single quote. */
export function quoteLiteral(value: string): string {
    if (value.includes("\0")) {
        throw new Error(`quoteLiteral: an SQL literal cannot contain a NUL byte: ${JSON.stringify(value)}`);
    }
    return `'${value.replace(/'/g, "''")}'`;
}

/** The user Vault creates, as Vault substitutes it into statements (always quoted: generated names contain `-`). */
const DYNAMIC_USER = '"{{name}}"';

/** Names of the three NOLOGIN group roles that hold all privileges. */
export interface GroupRoleNames {
    readonly: string;
    readwrite: string;
    owner: string;
}

/** Group role names derived from a prefix: `<prefix>_readonly`, `<prefix>_readwrite`, `<prefix>_owner`. */
export function groupRoleNames(prefix: string): GroupRoleNames {
    return { readonly: `${prefix}_readonly`, readwrite: `${prefix}_readwrite`, owner: `${prefix}_owner` };
}

/**
 * Creation statements: one LOGIN role, valid until the lease expires, member of exactly one group role.
 * An owner credential also switches its sessions to the owner group so new objects belong to the group.
 */
export function creationStatements(access: AccessLevel, groups: GroupRoleNames): string[] {
    const group = quoteIdent(groups[access]);
    const statements = [
        `CREATE ROLE ${DYNAMIC_USER} WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE ${group}`,
    ];
    if (access === "owner") {
        statements.push(`ALTER ROLE ${DYNAMIC_USER} SET role = ${group}`);
    }
    return statements;
}

/** Renew statements: push the role's expiry to the renewed lease's expiration. */
export function renewStatements(): string[] {
    return [`ALTER ROLE ${DYNAMIC_USER} VALID UNTIL '{{expiration}}'`];
}

/**
 * Revocation statements, run by Vault in one transaction:
 * 1. recreate the user if an earlier run of this revocation already dropped it (see recreateIfDroppedStatement);
 * 2. make the admin a member of the user: ending its sessions, REASSIGN and DROP OWNED all need the privileges of
 *    the role they act on (the admin created the user, so it holds ADMIN OPTION on it, also on PostgreSQL 16+);
 * 3. end the user's open sessions (waiting up to 5 s each), so a revoked credential stops working at once;
 * 4. give whatever the user still owns to the owner group (nothing is lost);
 * 5. drop the user's remaining grants, then the role itself.
 */
export function revocationStatements(groups: GroupRoleNames): string[] {
    return [recreateIfDroppedStatement(), ...removeUserStatements(DYNAMIC_USER, "'{{name}}'", groups.owner)];
}

/**
 * Makes a revocation that runs again succeed: when the active Vault node dies after the revocation committed in
 * PostgreSQL but before the lease was deleted, the next active node runs it again, and GRANT/REASSIGN/DROP OWNED
 * fail on a role that is gone (the lease could then never be revoked). Recreated as a bare NOLOGIN role, it is
 * dropped again by the statements that follow. Vault runs a statement containing `END` whole instead of splitting
 * it on `;` (containsMultilineStatement in the plugin's postgresql.go).
 */
function recreateIfDroppedStatement(): string {
    return `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{{name}}') THEN CREATE ROLE ${DYNAMIC_USER} NOLOGIN; END IF; END $$`;
}

/**
 * The revocation sequence for one user, given as a quoted identifier and as a quoted literal. The admin takes the
 * user's privileges first: pg_terminate_backend lets a role end the backends of roles whose privileges it has, so the
 * admin needs no `pg_signal_backend`, which a managed service's admin cannot grant on PostgreSQL 16+ (it holds it
 * without ADMIN OPTION, if at all).
 */
function removeUserStatements(userIdent: string, userLiteral: string, ownerGroup: string): string[] {
    return [
        `GRANT ${userIdent} TO CURRENT_USER`,
        `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = ${userLiteral} AND pid <> pg_backend_pid()`,
        `REASSIGN OWNED BY ${userIdent} TO ${quoteIdent(ownerGroup)}`,
        `DROP OWNED BY ${userIdent}`,
        `DROP ROLE IF EXISTS ${userIdent}`,
    ];
}

/** Rollback statements: creation runs in one transaction, so only the role itself can be left over. */
export function rollbackStatements(): string[] {
    return [`DROP ROLE IF EXISTS ${DYNAMIC_USER}`];
}

/** The four statement lists of one Vault database role. */
export interface RoleStatements {
    creation: string[];
    revocation: string[];
    renew: string[];
    rollback: string[];
}

export function roleStatements(access: AccessLevel, groups: GroupRoleNames): RoleStatements {
    return {
        creation: creationStatements(access, groups),
        revocation: revocationStatements(groups),
        renew: renewStatements(),
        rollback: rollbackStatements(),
    };
}

/** Prefix of every username the engine generates: lets cleanup and tests find them in `pg_roles`. */
export const DYNAMIC_USERNAME_PREFIX = "v-";

/** Characters the username template adds around the role name: "v-" + "-" + 12 random + "-" + 10-digit time. */
const USERNAME_TEMPLATE_OVERHEAD = DYNAMIC_USERNAME_PREFIX.length + 1 + 12 + 1 + 10;

/** The longest role name whose generated usernames still fit Postgres' identifier limit. */
export const MAX_ROLE_NAME_LENGTH = POSTGRES_MAX_IDENTIFIER_LENGTH - USERNAME_TEMPLATE_OVERHEAD;

/** Vault username template: `v-<role>-<12 random>-<unix time>`, readable in `pg_stat_activity`, always ≤ 63. */
export function usernameTemplate(): string {
    return `${DYNAMIC_USERNAME_PREFIX}{{.RoleName}}-{{random 12}}-{{unix_time}}`;
}

/**
 * SQL that drops engine users whose `VALID UNTIL` has passed (e.g. after a dev server restart lost their leases),
 * reassigning what they own to the owner group first. Run as a role with CREATEROLE and membership in the owner group.
 */
export function expiredUsersQuery(): string {
    return (
        `SELECT rolname FROM pg_roles WHERE rolname LIKE ${quoteLiteral(DYNAMIC_USERNAME_PREFIX + "%")} ` +
        `AND rolvaliduntil IS NOT NULL AND rolvaliduntil < now() ORDER BY rolname`
    );
}

/** Statements that remove one expired engine user, in the same order as revocation. */
export function dropExpiredUserStatements(username: string, ownerGroup: string): string[] {
    return removeUserStatements(quoteIdent(username), quoteLiteral(username), ownerGroup);
}

/** One PostgreSQL server of a connection: a host (IPv6 in brackets) and its port. */
export interface PostgresEndpoint {
    host: string;
    port: number | undefined;
}

/**
 * Splits a host list as the config takes it ("db1,db2", "db1:5432,db2:5433", "[::1]:5432") into its entries, the
 * port left undefined where an entry has none. It does not validate: validate.ts (`checkHostList`) does, with it.
 */
export function splitHostList(hosts: string): PostgresEndpoint[] {
    return hosts.split(",").map((entry) => {
        const match = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(entry);
        if (!match) return { host: entry, port: undefined };
        return { host: match[1], port: match[2] === undefined ? undefined : Number(match[2]) };
    });
}

/**
 * The connection URL Vault stores: credentials stay templates (`{{username}}`/`{{password}}`), which Vault fills
 * from the connection's username and password, URL-escaped, so they never appear in the URL itself.
 *
 * `host` may be a list (see `splitHostList`); entries without a port take `port`. Every entry is written with its
 * own port, because the plugin's driver (pgx v5: `_ "github.com/jackc/pgx/v5/stdlib"` in OpenBao's
 * internal/builtin/database/postgresql/postgresql.go) drops missing ports from a URL's list and pairs the rest by
 * position (pgconn/config.go, parseURLSettings and ParseConfig). With several hosts pgx tries them in order and,
 * with `target_session_attrs=read-write`, keeps only a server where `transaction_read_only` is off
 * (ValidateConnectTargetSessionAttrsReadWrite): Vault follows a promoted standby with no config change.
 * `parameters` are further URL settings, such as `sslrootcert` (a file on the Vault server) for OpenBao.
 */
export function connectionUrlTemplate(host: string, port: number, database: string, sslMode = "disable", parameters: Record<string, string> = {}): string {
    const endpoints = splitHostList(host);
    const hosts = endpoints.map((endpoint) => `${endpoint.host}:${endpoint.port ?? port}`).join(",");
    const readWrite = endpoints.length > 1 ? "&target_session_attrs=read-write" : "";
    const extra = Object.entries(parameters).map(([name, value]) => `&${name}=${encodeURIComponent(value).replace(/%2F/g, "/")}`).join("");
    return `postgresql://{{username}}:{{password}}@${hosts}/${encodeURIComponent(database)}?sslmode=${encodeURIComponent(sslMode)}${readWrite}${extra}`;
}

/**
 * Rotation statements of a static role: only a new password for the fixed user Vault names. The Vault admin runs them
 * with CREATEROLE and, on PostgreSQL 16 and later, ADMIN OPTION on that user (required to alter another role).
 */
export function staticRotationStatements(): string[] {
    return [`ALTER ROLE ${DYNAMIC_USER} WITH PASSWORD '{{password}}'`];
}
