/**
 * What each provider does for one resource, replayed on the real servers: create, update, delete and the refresh
 * read, with the SQL and Vault API calls of the provider's own code (files cited at the top of applier.ts). The
 * engine side (ordering, diffs, deletedWith, replaceWith, ignoreChanges) is in applier.ts.
 *
 * Inputs arrive plain (secrets unwrapped) and named as in @pulumi/postgresql and @pulumi/vault.
 */
import { Client } from "pg";
import { NodePostgresSsl } from "../../components/postgres-tls";
import { quoteIdent, quoteLiteral } from "../../components/sql";
import { TYPES } from "../helpers/pulumi-mocks";
import { providerFromText } from "./dynamic-provider";
import { PostgresServer, VaultError, vaultRequest } from "./harness";

export type Inputs = Record<string, unknown>;
// Declared in applier-jwt.ts, which imports this file's plumbing; resolved when OPS is first used.
import { JWT_OPS } from "./applier-jwt";

/** The real servers, as the applier reaches them. */
export interface LiveTargets {
    postgres: PostgresServer;
    /** `caCertificate`: the CA of an https:// server's certificate (PEM). */
    vault: { address: string; rootToken: string; caCertificate?: string };
}

/** Where and as whom a resource's postgresql provider logs in. */
export interface PostgresLogin {
    host: string;
    port: number;
    user: string;
    password: string;
    /** TLS as the provider's settings ask for it (sslmode, sslrootcert, clientcert). */
    ssl: NodePostgresSsl;
}

export interface ProviderContext {
    targets: LiveTargets;
    /** Rewrites an in-network connection URL to the local PostgreSQL (see applier.ts). */
    localUrl(url: string): string;
    /** The admin the resource's postgresql provider logs in as (see applier.ts). */
    pgAdmin: PostgresLogin;
}

export interface ResourceOps {
    /** Every input the mapping knows; any other fails loudly. */
    inputs: string[];
    /** Inputs whose change makes the provider replace the resource (ForceNew). */
    replaceOn: string[];
    create(inputs: Inputs, ctx: ProviderContext): Promise<string[]>;
    update(old: Inputs, next: Inputs, changed: string[], ctx: ProviderContext): Promise<string[]>;
    delete(inputs: Inputs, ctx: ProviderContext): Promise<string[]>;
    /** The inputs as the provider reads them back, or undefined when the object is gone (dropped from state). */
    read(inputs: Inputs, ctx: ProviderContext): Promise<Inputs | undefined>;
}

// ---------------------------------------------------------------------------------------------------------------
// Plumbing
// ---------------------------------------------------------------------------------------------------------------

const hidePasswords = (statement: string): string => statement.replace(/PASSWORD '[^']*'/, "PASSWORD '***'");

async function connectAsAdmin(ctx: ProviderContext, database: string): Promise<Client> {
    const { host, port, user, password, ssl } = ctx.pgAdmin;
    const client = new Client({ host, port, user, password, database, ssl });
    client.on("error", () => undefined);
    await client.connect();
    return client;
}

/** Roles whose privileges a statement needs (the provider grants them to a non-superuser admin for its duration). */
type RolesToGrant = (client: Client) => Promise<string[]>;

/**
 * Runs statements in one transaction as the provider's admin, as the provider does, in `database` (default: its
 * own, postgres). With `rolesToGrant`, replays `withRolesGranted` (postgresql/helpers.go): a superuser runs them as
 * they are; a non-superuser admin is first made a member of each role it is not yet a member of (with SET, on 16+),
 * after revoking the reverse membership, and both are undone once the statements ran.
 */
async function transaction(ctx: ProviderContext, statements: string[], database = "postgres", rolesToGrant?: RolesToGrant, after: string[] = []): Promise<string[]> {
    const client = await connectAsAdmin(ctx, database);
    const log: string[] = [];
    const run = async (statement: string): Promise<void> => {
        await client.query(statement);
        log.push(`${database}> ${hidePasswords(statement)}`);
    };
    try {
        await client.query("BEGIN");
        const roles = rolesToGrant ? await rolesToGrant(client) : [];
        const { granted, revoked } = roles.length > 0 ? await grantRolesToAdmin(client, roles, run) : { granted: [], revoked: [] };
        for (const statement of statements) await run(statement);
        for (const role of granted) await run(`REVOKE ${quoteIdent(role)} FROM CURRENT_USER`);
        for (const role of revoked) {
            if ((await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).rowCount) await run(`GRANT CURRENT_USER TO ${quoteIdent(role)}`);
        }
        for (const statement of after) await run(statement);
        await client.query("COMMIT");
    } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
    } finally {
        await client.end();
    }
    return log;
}

/** isMemberOfRole (postgresql/helpers.go): a direct membership, with SET where the server has that option (16+). */
async function isMember(client: Client, role: string, member: string): Promise<boolean> {
    const hasSetOption = (await client.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'pg_auth_members' AND column_name = 'set_option'")).rowCount;
    const query = `SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(roleid) = $1 AND pg_get_userbyid(member) = $2${hasSetOption ? " AND set_option" : ""}`;
    return Boolean((await client.query(query, [role, member])).rowCount);
}

async function grantRolesToAdmin(client: Client, roles: string[], run: (statement: string) => Promise<void>): Promise<{ granted: string[]; revoked: string[] }> {
    const { rows: [admin] } = await client.query<{ name: string; rolsuper: boolean }>("SELECT current_user AS name, rolsuper FROM pg_roles WHERE rolname = current_user");
    const granted: string[] = [];
    const revoked: string[] = [];
    if (admin.rolsuper) return { granted, revoked };
    for (const role of roles) {
        const { rows: [target] } = await client.query<{ rolsuper: boolean }>("SELECT rolsuper FROM pg_roles WHERE rolname = $1", [role]);
        if (target?.rolsuper || role === admin.name) continue;
        if (await isMember(client, admin.name, role)) {
            await run(`REVOKE ${quoteIdent(admin.name)} FROM ${quoteIdent(role)}`);
            revoked.push(role);
        }
        if (!(await isMember(client, role, admin.name))) {
            await run(`GRANT ${quoteIdent(role)} TO ${quoteIdent(admin.name)}`);
            granted.push(role);
        }
    }
    return { granted, revoked };
}

/**
 * getRolesToGrant (postgresql/resource_postgresql_grant.go): for a grant on tables or sequences, the owners of the
 * schema's tables; for anything but a database, the schema's owner too, with `pg_database_owner` resolved to the
 * database's owner.
 */
const grantOwners = (inputs: Inputs): RolesToGrant => async (client) => {
    if (inputs.objectType === "database") return [];
    const owners: string[] = [];
    if (inputs.objectType !== "schema") {
        const tables = await client.query<{ tableowner: string }>("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = $1", [inputs.schema]);
        owners.push(...tables.rows.map((row) => row.tableowner));
    }
    const { rows: [schema] } = await client.query<{ owner: string }>(
        "SELECT CASE WHEN r.rolname = 'pg_database_owner' THEN pg_get_userbyid(d.datdba)::text ELSE r.rolname::text END AS owner FROM pg_namespace n JOIN pg_roles r ON n.nspowner = r.oid, pg_database d WHERE n.nspname = $1 AND d.datname = current_database()",
        [inputs.schema],
    );
    if (schema && !owners.includes(schema.owner)) owners.push(schema.owner);
    return owners;
};

async function rows<T>(ctx: ProviderContext, sql: string, params: unknown[], database = "postgres"): Promise<T[]> {
    const client = await connectAsAdmin(ctx, database);
    try {
        return (await client.query(sql, params)).rows as T[];
    } finally {
        await client.end();
    }
}

export async function vault(ctx: ProviderContext, method: string, path: string, body?: Inputs): Promise<string[]> {
    await vaultRequest(ctx.targets.vault.address, ctx.targets.vault.rootToken, method, path, body, { caCertificate: ctx.targets.vault.caCertificate });
    return [`vault> ${method} ${path}`];
}

/** GET that answers undefined where the server has nothing (the providers then drop the resource from state). */
export async function vaultRead(ctx: ProviderContext, path: string, missing = [404]): Promise<Inputs | undefined> {
    try {
        const answer = await vaultRequest<{ data?: Inputs }>(ctx.targets.vault.address, ctx.targets.vault.rootToken, "GET", path, undefined, { caCertificate: ctx.targets.vault.caCertificate });
        return answer.data ?? {};
    } catch (error) {
        if (error instanceof VaultError && missing.includes(error.status)) return undefined;
        throw error;
    }
}

const str = (value: unknown): string => String(value);
const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && a.every((item) => b.includes(item)) && b.every((item) => a.includes(item));

export function notReplayed(type: string, changed: string[]): never {
    throw new Error(`applier does not replay an update of ${changed.join(", ")} on ${type}; extend the mapping`);
}

// ---------------------------------------------------------------------------------------------------------------
// postgresql
// ---------------------------------------------------------------------------------------------------------------

const ROLE_FLAGS: [input: string, keyword: string, column: string, fallback: boolean][] = [
    ["login", "LOGIN", "rolcanlogin", false],
    ["superuser", "SUPERUSER", "rolsuper", false],
    ["createRole", "CREATEROLE", "rolcreaterole", false],
    ["createDatabase", "CREATEDB", "rolcreatedb", false],
    ["replication", "REPLICATION", "rolreplication", false],
    ["bypassRowLevelSecurity", "BYPASSRLS", "rolbypassrls", false],
    ["inherit", "INHERIT", "rolinherit", true],
];

function roleOptions(inputs: Inputs, withPassword: boolean): string {
    const options = ROLE_FLAGS.map(([input, keyword, , fallback]) => ((inputs[input] ?? fallback) ? keyword : `NO${keyword}`));
    if (inputs.connectionLimit !== undefined) options.push(`CONNECTION LIMIT ${Number(inputs.connectionLimit)}`);
    if (withPassword && inputs.password !== undefined) options.push(`PASSWORD ${quoteLiteral(str(inputs.password))}`);
    return options.join(" ");
}

const grantRoleStatements = (inputs: Inputs): string[] =>
    list(inputs.roles).map((group) => `GRANT ${quoteIdent(group)} TO ${quoteIdent(str(inputs.name))}`);

const pgRole: ResourceOps = {
    inputs: ["name", "login", "createRole", "createDatabase", "superuser", "replication", "bypassRowLevelSecurity", "inherit", "password", "connectionLimit", "roles"],
    replaceOn: [],
    create: (inputs, ctx) => transaction(ctx, [`CREATE ROLE ${quoteIdent(str(inputs.name))} WITH ${roleOptions(inputs, true)}`, ...grantRoleStatements(inputs)]),
    async update(_old, next, changed, ctx) {
        if (changed.includes("name")) notReplayed(TYPES.pgRole, ["name"]);
        const name = quoteIdent(str(next.name));
        // resourcePostgreSQLRoleUpdate revokes every membership the role has, then grants `roles`, on any update.
        const current = await rows<{ granted: string }>(
            ctx,
            "SELECT pg_get_userbyid(roleid)::text AS granted FROM pg_auth_members m JOIN pg_roles r ON m.member = r.oid WHERE r.rolname = $1",
            [next.name],
        );
        return transaction(ctx, [
            `ALTER ROLE ${name} WITH ${roleOptions(next, changed.includes("password"))}`,
            ...current.map(({ granted }) => `REVOKE ${quoteIdent(granted)} FROM ${name}`),
            ...grantRoleStatements(next),
        ]);
    },
    delete: (inputs, ctx) => {
        const name = quoteIdent(str(inputs.name));
        // In the provider's own database only: objects the role owns elsewhere make DROP ROLE fail. The reassign runs
        // with the role granted to a non-superuser admin; DROP ROLE once that membership is revoked again.
        return transaction(ctx, [`REASSIGN OWNED BY ${name} TO ${quoteIdent(ctx.pgAdmin.user)}`, `DROP OWNED BY ${name}`], "postgres", async () => [str(inputs.name)], [`DROP ROLE ${name}`]);
    },
    async read(inputs, ctx) {
        const columns = ROLE_FLAGS.map(([, , column]) => column).join(", ");
        const [row] = await rows<Record<string, unknown>>(
            ctx,
            `SELECT ${columns}, rolconnlimit, ARRAY(SELECT pg_get_userbyid(roleid)::text FROM pg_auth_members m WHERE m.member = pg_roles.oid) AS roles FROM pg_roles WHERE rolname = $1`,
            [inputs.name],
        );
        if (!row) return undefined;
        const read: Inputs = { ...inputs };
        for (const [input, , column, fallback] of ROLE_FLAGS) if ((inputs[input] ?? fallback) !== row[column]) read[input] = row[column];
        if (inputs.connectionLimit !== undefined && Number(inputs.connectionLimit) !== row.rolconnlimit) read.connectionLimit = row.rolconnlimit;
        if (!sameSet(list(inputs.roles), list(row.roles))) read.roles = list(row.roles).sort();
        return read;
    },
};

const pgGrantRole: ResourceOps = {
    inputs: ["role", "grantRole", "withAdminOption"],
    replaceOn: ["role", "grantRole", "withAdminOption"],
    create: (inputs, ctx) => {
        const revoke = `REVOKE ${quoteIdent(str(inputs.grantRole))} FROM ${quoteIdent(str(inputs.role))}`;
        const admin = inputs.withAdminOption ? " WITH ADMIN OPTION" : "";
        return transaction(ctx, [revoke, `GRANT ${quoteIdent(str(inputs.grantRole))} TO ${quoteIdent(str(inputs.role))}${admin}`]);
    },
    update: (_old, _next, changed) => notReplayed(TYPES.pgGrantRole, changed),
    delete: (inputs, ctx) => transaction(ctx, [`REVOKE ${quoteIdent(str(inputs.grantRole))} FROM ${quoteIdent(str(inputs.role))}`]),
    async read(inputs, ctx) {
        const [row] = await rows<{ admin_option: boolean }>(
            ctx,
            "SELECT admin_option FROM pg_auth_members WHERE pg_get_userbyid(member) = $1 AND pg_get_userbyid(roleid) = $2",
            [inputs.role, inputs.grantRole],
        );
        if (!row) return undefined;
        return row.admin_option === Boolean(inputs.withAdminOption) ? inputs : { ...inputs, withAdminOption: row.admin_option };
    },
};

/** What a Grant or DefaultPrivileges acts on, as the provider spells it. */
function grantTarget(inputs: Inputs): string {
    const schema = inputs.schema === undefined ? "" : quoteIdent(str(inputs.schema));
    switch (inputs.objectType) {
        case "database":
            return `DATABASE ${quoteIdent(str(inputs.database))}`;
        case "schema":
            return `SCHEMA ${schema}`;
        case "table":
            return `ALL TABLES IN SCHEMA ${schema}`;
        case "sequence":
            return `ALL SEQUENCES IN SCHEMA ${schema}`;
        default:
            throw new Error(`applier: unsupported Grant objectType ${str(inputs.objectType)}`);
    }
}

const grantStatements = (inputs: Inputs): string[] =>
    list(inputs.privileges).length === 0 ? [] : [`GRANT ${list(inputs.privileges).join(", ")} ON ${grantTarget(inputs)} TO ${quoteIdent(str(inputs.role))}`];
const revokeGrant = (inputs: Inputs): string => `REVOKE ALL PRIVILEGES ON ${grantTarget(inputs)} FROM ${quoteIdent(str(inputs.role))}`;

/** relkind of each object type, as the provider's objectTypes map has it. */
const RELKIND: Record<string, string> = { table: "r", sequence: "S" };

const pgGrant: ResourceOps = {
    inputs: ["database", "role", "schema", "objectType", "privileges"],
    replaceOn: ["database", "role", "schema", "objectType"],
    create: (inputs, ctx) => transaction(ctx, [revokeGrant(inputs), ...grantStatements(inputs)], str(inputs.database), grantOwners(inputs)),
    update: (old, next, _changed, ctx) => transaction(ctx, [revokeGrant(old), ...grantStatements(next)], str(next.database), grantOwners(next)),
    delete: (inputs, ctx) => transaction(ctx, [revokeGrant(inputs)], str(inputs.database), grantOwners(inputs)),
    async read(inputs, ctx) {
        const database = str(inputs.database);
        const exists = await rows(ctx, "SELECT 1 FROM pg_database WHERE datname = $1", [database]);
        // getRoleOID (postgresql/helpers.go): PUBLIC is grantee 0.
        const [role] = inputs.role === "public" ? [{ oid: 0 }] : await rows<{ oid: number }>(ctx, "SELECT oid FROM pg_roles WHERE rolname = $1", [inputs.role]);
        if (exists.length === 0 || !role) return undefined;
        let granted: string[][];
        if (inputs.objectType === "database") {
            const found = await rows<{ privileges: string[] | null }>(
                ctx,
                "SELECT array_agg(privilege_type) AS privileges FROM (SELECT (aclexplode(datacl)).* FROM pg_database WHERE datname = $1) acl WHERE grantee = $2",
                [database, role.oid],
            );
            granted = [found[0]?.privileges ?? []];
        } else if (inputs.objectType === "schema") {
            const found = await rows<{ privileges: string[] | null }>(
                ctx,
                "SELECT array_agg(privilege_type) AS privileges FROM (SELECT (aclexplode(nspacl)).* FROM pg_namespace WHERE nspname = $1) acl WHERE grantee = $2",
                [inputs.schema, role.oid],
                database,
            );
            granted = [found[0]?.privileges ?? []];
        } else {
            // Every relation of the kind in the schema, with this role's privileges on it (none counts too).
            const found = await rows<{ privileges: string[] }>(
                ctx,
                `SELECT c.relname, array_remove(array_agg(acl.privilege_type), NULL) AS privileges
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   LEFT JOIN LATERAL (SELECT (aclexplode(c.relacl)).*) acl ON acl.grantee = $1
                  WHERE n.nspname = $2 AND c.relkind = $3 GROUP BY c.relname ORDER BY c.relname`,
                [role.oid, inputs.schema, RELKIND[str(inputs.objectType)]],
                database,
            );
            granted = found.map((row) => row.privileges);
        }
        // The first object whose privileges differ from the declared list becomes the read value.
        const differing = granted.find((privileges) => !sameSet(privileges, list(inputs.privileges)));
        return differing ? { ...inputs, privileges: [...differing].sort() } : inputs;
    },
};

function defaultPrivilegesStatement(inputs: Inputs, action: "GRANT" | "REVOKE"): string {
    const objects: Record<string, string> = { table: "TABLES", sequence: "SEQUENCES" };
    const on = objects[str(inputs.objectType)];
    if (!on) throw new Error(`applier: unsupported DefaultPrivileges objectType ${str(inputs.objectType)}`);
    const head = `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(str(inputs.owner))} IN SCHEMA ${quoteIdent(str(inputs.schema))}`;
    return action === "REVOKE"
        ? `${head} REVOKE ALL ON ${on} FROM ${quoteIdent(str(inputs.role))}`
        : `${head} GRANT ${list(inputs.privileges).join(", ")} ON ${on} TO ${quoteIdent(str(inputs.role))}`;
}

const pgDefaultPrivileges: ResourceOps = {
    inputs: ["database", "owner", "role", "schema", "objectType", "privileges"],
    replaceOn: ["database", "owner", "role", "schema", "objectType"],
    create: (inputs, ctx) =>
        transaction(ctx, [defaultPrivilegesStatement(inputs, "REVOKE"), defaultPrivilegesStatement(inputs, "GRANT")], str(inputs.database), async () => [str(inputs.owner)]),
    update: (_old, next, _changed, ctx) => pgDefaultPrivileges.create(next, ctx),
    delete: (inputs, ctx) => transaction(ctx, [defaultPrivilegesStatement(inputs, "REVOKE")], str(inputs.database), async () => [str(inputs.owner)]),
    async read(inputs, ctx) {
        const exists = await rows(ctx, "SELECT 1 FROM pg_database WHERE datname = $1", [inputs.database]);
        if (exists.length === 0) return undefined;
        const [found] = await rows<{ privileges: string[] | null }>(
            ctx,
            `SELECT array_agg(acl.privilege_type) AS privileges
               FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace, LATERAL aclexplode(d.defaclacl) acl
              WHERE d.defaclobjtype = $1 AND n.nspname = $2 AND acl.grantee = (SELECT oid FROM pg_roles WHERE rolname = $3)
                AND pg_get_userbyid(acl.grantor) = $4`,
            [RELKIND[str(inputs.objectType)], inputs.schema, inputs.role, inputs.owner],
            str(inputs.database),
        );
        const privileges = found?.privileges ?? [];
        // "no privileges" reads as "does not exist" when some were declared.
        if (privileges.length === 0 && list(inputs.privileges).length > 0) return undefined;
        return sameSet(privileges, list(inputs.privileges)) ? inputs : { ...inputs, privileges: [...privileges].sort() };
    },
};

const pgDatabase: ResourceOps = {
    inputs: ["name"],
    replaceOn: [],
    async create(inputs, ctx) {
        const statement = `CREATE DATABASE ${quoteIdent(str(inputs.name))}`;
        await rows(ctx, statement, []);
        return [`postgres> ${statement}`];
    },
    update: (_old, _next, changed) => notReplayed(TYPES.pgDatabase, changed),
    async delete(inputs, ctx) {
        const name = str(inputs.name);
        // terminateBConnections, then DROP DATABASE ... WITH (FORCE) (PostgreSQL 13+); none runs in a transaction.
        const statements = [
            `ALTER DATABASE ${quoteIdent(name)} ALLOW_CONNECTIONS false`,
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(name)} AND pid <> pg_backend_pid()`,
            `DROP DATABASE ${quoteIdent(name)} WITH ( FORCE )`,
        ];
        try {
            for (const statement of statements) await rows(ctx, statement, []);
        } catch (error) {
            // Name the sessions the admin could not end (a failure message only; the provider says less).
            const sessions = await ctx.targets.postgres.query("SELECT usename, state FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'", [name]);
            throw new Error(`${(error as Error).message} (sessions in ${name}: ${JSON.stringify(sessions.rows)})`);
        }
        return statements.map((statement) => `postgres> ${statement}`);
    },
    async read(inputs, ctx) {
        return (await rows(ctx, "SELECT 1 FROM pg_database WHERE datname = $1", [inputs.name])).length === 1 ? inputs : undefined;
    },
};

// ---------------------------------------------------------------------------------------------------------------
// vault
// ---------------------------------------------------------------------------------------------------------------

const mount: ResourceOps = {
    inputs: ["path", "type", "description"],
    replaceOn: ["type"],
    create: (inputs, ctx) => vault(ctx, "POST", `sys/mounts/${inputs.path}`, { type: inputs.type, description: inputs.description }),
    update: (_old, next, changed, ctx) =>
        changed.every((key) => key === "description") ? vault(ctx, "POST", `sys/mounts/${next.path}/tune`, { description: next.description }) : notReplayed(TYPES.mount, changed),
    // Unmounting revokes every lease of the mount, then clears its storage (connections and roles with it).
    delete: (inputs, ctx) => vault(ctx, "DELETE", `sys/mounts/${inputs.path}`),
    read: async (inputs, ctx) => ((await vaultRead(ctx, `sys/mounts/${inputs.path}`, [400, 404])) ? inputs : undefined),
};

/**
 * The body the provider writes to `<backend>/config/<name>`. It sends the password (`password`, or the write-only
 * `password_wo`) only on create, or when `password` or `password_wo_version` changed
 * (vault/resource_database_secret_backend_connection.go, setDatabaseConnectionDataWithUserPass).
 */
function connectionBody(inputs: Inputs, ctx: ProviderContext, previous?: Inputs): Inputs {
    const postgresql = inputs.postgresql as Inputs;
    const unknown = Object.keys(postgresql).filter(
        (key) =>
            !["connectionUrl", "username", "password", "passwordWo", "passwordWoVersion", "maxOpenConnections", "maxIdleConnections", "maxConnectionLifetime", "usernameTemplate", "passwordAuthentication", "tlsCa", "tlsCertificate", "privateKey"].includes(key) &&
            postgresql[key] !== undefined,
    );
    if (unknown.length > 0) throw new Error(`applier does not know input(s) ${unknown.join(", ")} of ${TYPES.connection}.postgresql; extend the mapping`);
    return {
        plugin_name: inputs.pluginName,
        allowed_roles: inputs.allowedRoles,
        verify_connection: inputs.verifyConnection,
        connection_url: ctx.localUrl(str(postgresql.connectionUrl)),
        username: postgresql.username,
        ...(sendsPassword(postgresql, previous?.postgresql as Inputs | undefined) ? { password: postgresql.password ?? postgresql.passwordWo } : {}),
        max_open_connections: postgresql.maxOpenConnections,
        max_idle_connections: postgresql.maxIdleConnections,
        max_connection_lifetime: postgresql.maxConnectionLifetime,
        username_template: postgresql.usernameTemplate,
        password_authentication: postgresql.passwordAuthentication,
        // setPostgresDatabaseConnectionData sends these to a server it reads as Vault 1.18 or later.
        ...(postgresql.tlsCa !== undefined ? { tls_ca: postgresql.tlsCa } : {}),
        ...(postgresql.tlsCertificate !== undefined ? { tls_certificate: postgresql.tlsCertificate } : {}),
        ...(postgresql.privateKey !== undefined ? { private_key: postgresql.privateKey } : {}),
    };
}

function sendsPassword(postgresql: Inputs, previous: Inputs | undefined): boolean {
    return previous === undefined || postgresql.password !== previous.password || postgresql.passwordWoVersion !== previous.passwordWoVersion;
}

export const connection: ResourceOps = {
    inputs: ["backend", "name", "pluginName", "allowedRoles", "verifyConnection", "postgresql"],
    replaceOn: ["backend"],
    create: (inputs, ctx) => vault(ctx, "POST", `${inputs.backend}/config/${inputs.name}`, connectionBody(inputs, ctx)),
    update: (old, next, changed, ctx) =>
        changed.includes("name") ? notReplayed(TYPES.connection, ["name"]) : vault(ctx, "POST", `${next.backend}/config/${next.name}`, connectionBody(next, ctx, old)),
    delete: (inputs, ctx) => vault(ctx, "DELETE", `${inputs.backend}/config/${inputs.name}`),
    read: async (inputs, ctx) => ((await vaultRead(ctx, `${inputs.backend}/config/${inputs.name}`)) ? inputs : undefined),
};

const role: ResourceOps = {
    inputs: ["backend", "name", "dbName", "creationStatements", "revocationStatements", "renewStatements", "rollbackStatements", "defaultTtl", "maxTtl"],
    replaceOn: ["backend", "name", "dbName"],
    create: (inputs, ctx) =>
        vault(ctx, "POST", `${inputs.backend}/roles/${inputs.name}`, {
            db_name: inputs.dbName,
            creation_statements: inputs.creationStatements,
            revocation_statements: inputs.revocationStatements,
            renew_statements: inputs.renewStatements,
            rollback_statements: inputs.rollbackStatements,
            default_ttl: inputs.defaultTtl,
            max_ttl: inputs.maxTtl,
        }),
    update: (_old, next, _changed, ctx) => role.create(next, ctx),
    delete: (inputs, ctx) => vault(ctx, "DELETE", `${inputs.backend}/roles/${inputs.name}`),
    read: async (inputs, ctx) => ((await vaultRead(ctx, `${inputs.backend}/roles/${inputs.name}`)) ? inputs : undefined),
};

// vault/resource_database_secret_backend_static_role.go: create and update write the whole role (creating it rotates
// the password at once); name, backend and username force a new role; read never returns the password.
const staticRole: ResourceOps = {
    inputs: ["backend", "name", "dbName", "username", "rotationPeriod", "rotationSchedule", "rotationStatements"],
    replaceOn: ["backend", "name", "username"],
    create: (inputs, ctx) =>
        vault(ctx, "POST", `${inputs.backend}/static-roles/${inputs.name}`, {
            db_name: inputs.dbName,
            username: inputs.username,
            rotation_period: inputs.rotationPeriod,
            rotation_schedule: inputs.rotationSchedule,
            rotation_statements: inputs.rotationStatements,
        }),
    update: (_old, next, _changed, ctx) => staticRole.create(next, ctx),
    delete: (inputs, ctx) => vault(ctx, "DELETE", `${inputs.backend}/static-roles/${inputs.name}`),
    read: async (inputs, ctx) => ((await vaultRead(ctx, `${inputs.backend}/static-roles/${inputs.name}`)) ? inputs : undefined),
};

const policy: ResourceOps = {
    inputs: ["name", "policy"],
    replaceOn: ["name"],
    create: (inputs, ctx) => vault(ctx, "PUT", `sys/policies/acl/${inputs.name}`, { policy: inputs.policy }),
    update: (_old, next, _changed, ctx) => policy.create(next, ctx),
    delete: (inputs, ctx) => vault(ctx, "DELETE", `sys/policies/acl/${inputs.name}`),
    read: async (inputs, ctx) => ((await vaultRead(ctx, `sys/policies/acl/${inputs.name}`)) ? inputs : undefined),
};

const authBackend: ResourceOps = {
    inputs: ["type", "path", "description"],
    replaceOn: ["type"],
    create: (inputs, ctx) => vault(ctx, "POST", `sys/auth/${inputs.path}`, { type: inputs.type, description: inputs.description }),
    update: (_old, next, changed, ctx) =>
        changed.every((key) => key === "description") ? vault(ctx, "POST", `sys/auth/${next.path}/tune`, { description: next.description }) : notReplayed(TYPES.authBackend, changed),
    delete: (inputs, ctx) => vault(ctx, "DELETE", `sys/auth/${inputs.path}`),
    // mountutil.GetAuthMount (GET sys/auth/<path>, 400 or 404 when missing), then its tune (authMountTuneGet).
    async read(inputs, ctx) {
        if (!(await vaultRead(ctx, `sys/auth/${inputs.path}`, [400, 404]))) return undefined;
        await vaultRead(ctx, `sys/mounts/auth/${inputs.path}/tune`);
        return inputs;
    },
};

const approleRole: ResourceOps = {
    inputs: ["backend", "roleName", "tokenPolicies", "tokenNoDefaultPolicy", "tokenTtl", "tokenMaxTtl", "secretIdTtl", "tokenType"],
    replaceOn: ["backend", "roleName"],
    create: (inputs, ctx) =>
        vault(ctx, "POST", `auth/${inputs.backend}/role/${inputs.roleName}`, {
            token_policies: inputs.tokenPolicies,
            token_no_default_policy: inputs.tokenNoDefaultPolicy,
            token_ttl: inputs.tokenTtl,
            token_max_ttl: inputs.tokenMaxTtl,
            secret_id_ttl: inputs.secretIdTtl,
            token_type: inputs.tokenType,
        }),
    update: (_old, next, _changed, ctx) => approleRole.create(next, ctx),
    // approleAuthBackendRoleDelete takes a 404 (role or whole auth method gone) as already deleted.
    async delete(inputs, ctx) {
        try {
            return await vault(ctx, "DELETE", `auth/${inputs.backend}/role/${inputs.roleName}`);
        } catch (error) {
            if (error instanceof VaultError && error.status === 404) return [`vault> DELETE auth/${inputs.backend}/role/${inputs.roleName} (404: already gone)`];
            throw error;
        }
    },
    // approleAuthBackendRoleRead: the role, then its role id.
    async read(inputs, ctx) {
        if (!(await vaultRead(ctx, `auth/${inputs.backend}/role/${inputs.roleName}`))) return undefined;
        await vaultRead(ctx, `auth/${inputs.backend}/role/${inputs.roleName}/role-id`);
        return inputs;
    },
};

/**
 * The admin privilege check (components/postgres-admin-check.ts), run from the provider text the program serialized,
 * as the dynamic provider host runs it, against the admin the applier logs in as.
 */
const adminCheck: ResourceOps = {
    inputs: ["__provider", "host", "port", "username", "password", "sslMode", "caCertificate", "clientCertificate", "clientKey", "database"],
    replaceOn: [],
    async create(inputs, ctx) {
        const provider = providerFromText<{ create(inputs: Inputs): Promise<{ outs: Inputs }> }>(str(inputs.__provider), "PostgresAdminCheck");
        const { host, port, user, password } = ctx.pgAdmin;
        const { outs } = await provider.create({ ...inputs, host, port, username: user, password });
        return [`check> admin ${user}: superuser ${String(outs.superuser)}, server ${String(outs.serverVersionNum)}`];
    },
    update: (_old, next, _changed, ctx) => adminCheck.create(next, ctx),
    delete: async () => [],
    read: async (inputs) => inputs,
};

/**
 * A shared mount's lease revocation (components/lease-revocation.ts): nothing on create; its delete, run from the
 * provider text the program serialized, revokes the role's leases against the Vault the program names.
 */
const leaseRevocation: ResourceOps = {
    inputs: ["__provider", "address", "token", "caCertificate", "prefix"],
    replaceOn: ["prefix"],
    create: async (inputs) => [`revocation> ${str(inputs.prefix)}: nothing until delete`],
    update: async () => [],
    async delete(inputs) {
        const provider = providerFromText<{ delete(id: string, props: Inputs): Promise<void> }>(str(inputs.__provider), "LeaseRevocation");
        await provider.delete(str(inputs.prefix), inputs);
        return [`vault> PUT sys/leases/revoke-prefix/${str(inputs.prefix)}`];
    },
    read: async (inputs) => inputs,
};

const OPS: Record<string, ResourceOps> = {
    [TYPES.pgDatabase]: pgDatabase,
    [TYPES.pgRole]: pgRole,
    [TYPES.pgGrantRole]: pgGrantRole,
    [TYPES.pgGrant]: pgGrant,
    [TYPES.pgDefaultPrivileges]: pgDefaultPrivileges,
    [TYPES.mount]: mount,
    [TYPES.connection]: connection,
    [TYPES.role]: role,
    [TYPES.staticRole]: staticRole,
    [TYPES.policy]: policy,
    [TYPES.authBackend]: authBackend,
    [TYPES.approleRole]: approleRole,
    [TYPES.adminCheck]: adminCheck,
    [TYPES.leaseRevocation]: leaseRevocation,
    ...JWT_OPS,
};

/** The provider operations of a resource type; any type without a mapping fails loudly. */
export function opsFor(type: string, inputs: Inputs): ResourceOps {
    const ops = OPS[type];
    if (!ops) throw new Error(`applier: no mapping for resource type ${type}; extend the mapping at the top of test/live/applier.ts`);
    const unknown = Object.keys(inputs).filter((key) => !ops.inputs.includes(key) && inputs[key] !== undefined);
    if (unknown.length > 0) throw new Error(`applier does not know input(s) ${unknown.join(", ")} of ${type}; extend the mapping`);
    return ops;
}
