/**
 * What the doctor reads from PostgreSQL's catalogs, which any login role may read (`pg_roles`, `pg_auth_members`,
 * `pg_stat_activity`'s user and database columns, settings): the engine's users, the Vault admins' attributes and
 * memberships, and the connections in use. Every session it opens carries DOCTOR_APPLICATION_NAME, so that counting
 * Vault's sessions leaves the doctor's own out.
 */
import { Client } from "pg";
import { nodePostgresSsl } from "../postgres-tls";
import { DYNAMIC_USERNAME_PREFIX, quoteLiteral } from "../sql";
import { describeTlsFailure } from "../tls-errors";
import { AdminAttributes, AdminMembership } from "./admin-findings";
import { ConnectionUse } from "./connection-use";
import { EngineUser } from "./lease-matching";
import { PostgresLogin } from "./target";

export const DOCTOR_APPLICATION_NAME = "vault-pg doctor";

/** Connects as `login`, verifying TLS as its sslmode says (libpq's "prefer" falls back to plain text). */
export async function connectPostgres(login: PostgresLogin): Promise<Client> {
    const connect = async (ssl: ReturnType<typeof nodePostgresSsl>): Promise<Client> => {
        const client = new Client({
            host: login.host, port: login.port, user: login.user, password: login.password, database: login.database,
            ssl, application_name: DOCTOR_APPLICATION_NAME, connectionTimeoutMillis: 10_000,
        });
        client.on("error", () => undefined); // a session ended by the server; the next query reports it
        await client.connect();
        return client;
    };
    try {
        return await connect(nodePostgresSsl(login));
    } catch (error) {
        if (login.sslMode !== "prefer" || !/does not support SSL/i.test((error as Error).message)) throw error;
        return connect(false);
    }
}

/** One line saying why a login failed: the certificate, the password, or what the server said. */
export function loginFailure(login: PostgresLogin, error: unknown): string {
    const where = `PostgreSQL at ${login.host}:${login.port}`;
    const code = (error as { code?: string }).code;
    if (code === "28P01") return `${where} refused ${login.user}'s password`;
    return describeTlsFailure(where, error) ?? `${where} as ${login.user}: ${(error as Error).message}`;
}

/** Logs in and out as `login`; undefined when that works, else why not, in one line. */
export async function tryLogin(login: PostgresLogin): Promise<string | undefined> {
    try {
        const client = await connectPostgres(login);
        await client.end();
        return undefined;
    } catch (error) {
        return loginFailure(login, error);
    }
}

/** A timestamptz column as a Date; none for NULL and 'infinity' (node-postgres gives a number for it). */
const dateOrNone = (value: unknown): Date | undefined => (value instanceof Date && !Number.isNaN(value.getTime()) ? value : undefined);

/** Every role named like the engine's users, with its VALID UNTIL. */
export async function readEngineUsers(client: Client): Promise<EngineUser[]> {
    const { rows } = await client.query<{ rolname: string; rolvaliduntil: unknown }>(
        `SELECT rolname, rolvaliduntil FROM pg_roles WHERE rolname LIKE ${quoteLiteral(DYNAMIC_USERNAME_PREFIX + "%")} ORDER BY rolname`,
    );
    return rows.map((row) => {
        const validUntil = dateOrNone(row.rolvaliduntil);
        return { name: row.rolname, ...(validUntil ? { validUntil } : {}) };
    });
}

/** Each admin's attributes (absent: no such role) and the roles it is a member of, pg_auth_members rows merged. */
export async function readAdmins(client: Client, admins: readonly string[]): Promise<Map<string, { attributes: AdminAttributes; memberships: AdminMembership[] }>> {
    const roles = await client.query<{ rolname: string; rolcanlogin: boolean; rolcreaterole: boolean; rolsuper: boolean; rolvaliduntil: unknown }>(
        "SELECT rolname, rolcanlogin, rolcreaterole, rolsuper, rolvaliduntil FROM pg_roles WHERE rolname = ANY($1)",
        [admins],
    );
    const memberships = await client.query<{ member: string; role: string; admin_option: boolean }>(
        "SELECT member.rolname AS member, granted.rolname AS role, bool_or(m.admin_option) AS admin_option " +
            "FROM pg_auth_members m JOIN pg_roles member ON member.oid = m.member JOIN pg_roles granted ON granted.oid = m.roleid " +
            "WHERE member.rolname = ANY($1) GROUP BY 1, 2 ORDER BY 2",
        [admins],
    );
    return new Map(
        roles.rows.map((row) => {
            const validUntil = dateOrNone(row.rolvaliduntil);
            const attributes: AdminAttributes = { canLogin: row.rolcanlogin, createRole: row.rolcreaterole, superuser: row.rolsuper, ...(validUntil ? { validUntil } : {}) };
            const held = memberships.rows.filter((membership) => membership.member === row.rolname).map((membership) => ({ role: membership.role, adminOption: membership.admin_option }));
            return [row.rolname, { attributes, memberships: held }];
        }),
    );
}

/** The admins' sessions (without the doctor's), every client session, and the server's connection limits. */
export async function readConnectionUse(client: Client, admins: readonly string[]): Promise<ConnectionUse> {
    const held = await client.query<{ usename: string; sessions: number }>(
        "SELECT usename, count(*)::int AS sessions FROM pg_stat_activity WHERE usename = ANY($1) AND application_name IS DISTINCT FROM $2 GROUP BY usename",
        [admins, DOCTOR_APPLICATION_NAME],
    );
    const server = await client.query<{ clients: number; max_connections: number; reserved: number }>(
        "SELECT (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS clients, " +
            "current_setting('max_connections')::int AS max_connections, " +
            "current_setting('superuser_reserved_connections')::int + coalesce(current_setting('reserved_connections', true)::int, 0) AS reserved",
    );
    const heldByAdmin = Object.fromEntries(admins.map((admin) => [admin, held.rows.find((row) => row.usename === admin)?.sessions ?? 0]));
    const { clients, max_connections: maxConnections, reserved } = server.rows[0];
    return { heldByAdmin, clientSessions: clients, maxConnections, reservedConnections: reserved };
}
