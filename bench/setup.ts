/**
 * What the benchmark measures against, on the live suite's servers: per table count, a database set up like the
 * stack's (schema privileges and the owner group's default privileges, then that many tables owned by the owner
 * group), and beside it one Vault mount per connection layout with the stack's own role statements and connection
 * settings, plus a mount for the seed articles' per-table pattern.
 */
import { Client } from "pg";
import { connectionGroups } from "../components/connection-layout";
import {
    ACCESS_LEVELS,
    AccessLevel,
    connectionUrlTemplate,
    ConnectionLayout,
    DEFAULTS,
    GroupRoleNames,
    quoteIdent,
    roleStatements,
    usernameTemplate,
} from "../components";
import { plain, TYPES } from "../test/helpers/pulumi-mocks";
import { LiveStack } from "../test/live/live-stack";

export const LAYOUTS: readonly ConnectionLayout[] = ["single", "per-role", "per-access"];

/** The layout the stack's default ("bounded") gives the benchmark's three roles, one per access level: per-role. */
export const STACK_LAYOUT: ConnectionLayout = DEFAULTS.connections === "bounded" ? "per-role" : DEFAULTS.connections;

/** The application_name of an engine's (or the floor's) connections: `<database>/<engine>`. */
export function poolLabel(database: string, mountOrFloor: string): string {
    return `${database}/${mountOrFloor.split("/").pop()}`;
}

/** One table count: its database, and the creds path of each access level per engine. */
export interface BenchTarget {
    tables: number;
    database: string;
    credsPaths: Record<ConnectionLayout | "seed", Record<AccessLevel, string>>;
}

export interface AdminLogin {
    username: string;
    password: string;
    maxOpenConnections: number;
}

/** The Vault admin login and pool size the stack declares. */
export function stackAdmin(stack: LiveStack): AdminLogin {
    const connection = stack.resources.find((resource) => resource.type === TYPES.connection);
    if (!connection) throw new Error("bench: the dev stack declares no database connection");
    const { postgresql } = plain<{ postgresql: { username: string; password: string; maxOpenConnections: number } }>(connection.inputs);
    return { username: postgresql.username, password: postgresql.password, maxOpenConnections: postgresql.maxOpenConnections };
}

/** The seed articles' pattern: privileges granted to, and revoked from, every table for every credential. */
function seedStatements(access: AccessLevel): { creation: string[]; revocation: string[] } {
    const privileges = access === "readonly" ? "SELECT" : "SELECT, INSERT, UPDATE, DELETE";
    return {
        creation: [
            `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`,
            `GRANT ${privileges} ON ALL TABLES IN SCHEMA public TO "{{name}}"`,
        ],
        revocation: [`REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM "{{name}}"`, `DROP ROLE IF EXISTS "{{name}}"`],
    };
}

async function createDatabase(stack: LiveStack, database: string, tables: number, groups: GroupRoleNames): Promise<void> {
    await stack.postgres.query(`CREATE DATABASE ${quoteIdent(database)}`);
    const [readonly, readwrite, owner] = [groups.readonly, groups.readwrite, groups.owner].map(quoteIdent);
    const statements = [
        `GRANT USAGE ON SCHEMA public TO ${readonly}, ${readwrite}`,
        `GRANT USAGE, CREATE ON SCHEMA public TO ${owner}`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT SELECT ON TABLES TO ${readonly}`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${readwrite}`,
        `SET ROLE ${owner}`,
        ...Array.from({ length: tables }, (_, index) => `CREATE TABLE bench_${index} (id serial PRIMARY KEY, payload text)`),
    ];
    await stack.postgres.query(statements.join(";\n"), [], database);
}

async function writeEngine(
    stack: LiveStack,
    mount: string,
    database: string,
    admin: AdminLogin,
    layout: ConnectionLayout,
    statementsOf: (access: AccessLevel) => { creation: string[]; revocation: string[]; renew?: string[]; rollback?: string[] },
): Promise<Record<AccessLevel, string>> {
    await stack.root("POST", `sys/mounts/${mount}`, { type: "database" });
    for (const group of connectionGroups(layout, ACCESS_LEVELS.map((access) => ({ name: access, access })))) {
        await stack.root("POST", `${mount}/config/${database}${group.suffix}`, {
            plugin_name: "postgresql-database-plugin",
            // Labelled, so the benchmark can count each pool's connections; the stack's URL has no label.
            connection_url: `${connectionUrlTemplate(stack.postgres.host, stack.postgres.port, database)}&application_name=${poolLabel(database, mount)}`,
            username: admin.username,
            password: admin.password,
            allowed_roles: group.roles,
            max_open_connections: admin.maxOpenConnections,
            username_template: usernameTemplate(),
            password_authentication: "scram-sha-256",
        });
        for (const access of group.roles as AccessLevel[]) {
            const statements = statementsOf(access);
            await stack.root("POST", `${mount}/roles/${access}`, {
                db_name: `${database}${group.suffix}`,
                creation_statements: statements.creation,
                revocation_statements: statements.revocation,
                renew_statements: statements.renew,
                rollback_statements: statements.rollback,
                default_ttl: 3600,
                max_ttl: 7200,
            });
        }
    }
    return Object.fromEntries(ACCESS_LEVELS.map((access) => [access, `${mount}/creds/${access}`])) as Record<AccessLevel, string>;
}

export async function prepareTargets(stack: LiveStack, tableCounts: number[], admin: AdminLogin): Promise<BenchTarget[]> {
    const targets: BenchTarget[] = [];
    for (const tables of tableCounts) {
        const database = `bench_t${tables}`;
        await createDatabase(stack, database, tables, stack.groupRoles);
        const ours = (access: AccessLevel): ReturnType<typeof roleStatements> => roleStatements(access, stack.groupRoles);
        const credsPaths = {} as BenchTarget["credsPaths"];
        for (const layout of LAYOUTS) credsPaths[layout] = await writeEngine(stack, `bench/t${tables}/${layout}`, database, admin, layout, ours);
        credsPaths.seed = await writeEngine(stack, `bench/t${tables}/seed`, database, admin, "single", seedStatements);
        targets.push({ tables, database, credsPaths });
    }
    return targets;
}

/** Open connections as the Vault admin to a target's database: the floor runs the statements on them. */
export async function adminClients(stack: LiveStack, database: string, admin: AdminLogin, count: number): Promise<Client[]> {
    return Promise.all(
        Array.from({ length: count }, async () => {
            const client = new Client({
                host: stack.postgres.host,
                port: stack.postgres.port,
                database,
                user: admin.username,
                password: admin.password,
                application_name: poolLabel(database, "floor"),
            });
            await client.connect();
            return client;
        }),
    );
}
