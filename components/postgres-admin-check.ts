/**
 * The PostgreSQL admin's privileges, checked on the server before the access model creates anything.
 *
 * The stack needs an admin that is a superuser or holds CREATEROLE and CREATEDB (what managed services give their
 * admin: RDS `rds_superuser`, Cloud SQL `cloudsqlsuperuser`, Azure `azure_pg_admin`; see docs/managed-postgresql.md).
 * Nothing else is assumed: the admin grants only roles it created (so it holds ADMIN OPTION on them, also on
 * PostgreSQL 16+), and no step needs `pg_signal_backend` or reading `pg_authid`. The kind of admin is detected here,
 * not declared: every postgresql provider of the stack runs with `superuser: false` (see postgres-provider.ts), and
 * the provider detects a superuser by itself where it matters (`withRolesGranted`, postgresql/helpers.go).
 *
 * `PostgresAdminCheck` is a dynamic resource: its create runs the check, and every Postgres resource of the access
 * model depends on it, so a missing privilege stops `pulumi up` with one line before anything half-applies. Its diff
 * runs the check again whenever the connection (host, port, admin, password, TLS settings) or the database changes.
 * It is also the first connection of a `pulumi up`: a certificate that does not verify stops it here with one line
 * naming the server and what failed (tls-errors.ts). Like vault-init.ts, the provider's functions use only globals,
 * `require` and pure functions (this file's, `quoteIdent` from sql.ts, `nodePostgresSsl` from postgres-tls.ts and
 * `describeTlsFailure`), which Pulumi serializes into state.
 */
import * as pulumi from "@pulumi/pulumi";
import { nodePostgresSsl, NodePostgresSsl } from "./postgres-tls";
import { quoteIdent } from "./sql";
import { describeTlsFailure } from "./tls-errors";

/** What the check reads of the connected role and server. */
export interface AdminPrivileges {
    rolname: string;
    rolsuper: boolean;
    rolcreaterole: boolean;
    rolcreatedb: boolean;
    /** `server_version_num`, e.g. 180004. */
    serverVersionNum: number;
}

/** The query the check runs as the admin: its own attributes and the server's version. */
export const ADMIN_PRIVILEGES_QUERY =
    "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, current_setting('server_version_num')::int AS \"serverVersionNum\" " +
    "FROM pg_roles WHERE rolname = current_user";

/**
 * One line per privilege the stack needs and the admin lacks; empty when it may go on. A superuser needs nothing
 * more. `database` is named because CREATEDB is needed only to create it.
 */
export function adminPrivilegeProblems(found: AdminPrivileges, database: string): string[] {
    if (found.rolsuper) return [];
    const role = quoteIdent(found.rolname);
    const problems: string[] = [];
    if (!found.rolcreaterole) {
        problems.push(`PostgreSQL admin ${role} lacks CREATEROLE, needed to create the group roles and the Vault admin (ALTER ROLE ${role} CREATEROLE, or use an admin that has it)`);
    }
    if (!found.rolcreatedb) {
        problems.push(`PostgreSQL admin ${role} lacks CREATEDB, needed to create database "${database}" (ALTER ROLE ${role} CREATEDB, or use an admin that has it)`);
    }
    return problems;
}

/** Inputs of the check: where and as whom the Pulumi process administers PostgreSQL. */
export interface AdminCheckInputs {
    host: string;
    port: number;
    username: string;
    password: string;
    /** libpq sslmode, as the postgresql provider takes it, and the PEM it verifies with. */
    sslMode: string;
    caCertificate?: string;
    clientCertificate?: string;
    clientKey?: string;
    /** The application database the stack creates. */
    database: string;
}

/** Connects as the admin, reads its privileges and throws one line for the first missing one. */
export async function checkPostgresAdmin(inputs: AdminCheckInputs): Promise<AdminPrivileges> {
    const pg = require("pg") as typeof import("pg");
    const server = `PostgreSQL at ${inputs.host}:${inputs.port}`;
    const connect = async (ssl: NodePostgresSsl): Promise<import("pg").Client> => {
        const client = new pg.Client({ host: inputs.host, port: inputs.port, user: inputs.username, password: inputs.password, database: "postgres", ssl, connectionTimeoutMillis: 15_000 });
        client.on("error", () => undefined);
        await client.connect();
        return client;
    };
    let client: import("pg").Client;
    try {
        client = await connect(nodePostgresSsl(inputs));
    } catch (error) {
        // libpq's "prefer" falls back to plain text where the server has no TLS.
        if (inputs.sslMode !== "prefer" || !/does not support SSL/i.test((error as Error).message)) {
            throw new Error(describeTlsFailure(server, error) ?? `cannot check the PostgreSQL admin "${inputs.username}" at ${inputs.host}:${inputs.port}: ${(error as Error).message}`);
        }
        client = await connect(false);
    }
    try {
        const { rows } = await client.query(ADMIN_PRIVILEGES_QUERY);
        const found = rows[0] as AdminPrivileges;
        const problems = adminPrivilegeProblems(found, inputs.database);
        if (problems.length > 0) throw new Error(problems[0]);
        return found;
    } finally {
        await client.end().catch(() => undefined);
    }
}

/** Its state: the inputs and what the check found (the password stays a secret). */
export interface AdminCheckState extends AdminCheckInputs {
    superuser: boolean;
    serverVersionNum: number;
}

async function checkedState(inputs: AdminCheckInputs): Promise<AdminCheckState> {
    const found = await checkPostgresAdmin(inputs);
    return { ...inputs, superuser: found.rolsuper, serverVersionNum: found.serverVersionNum };
}

const CONNECTION_KEYS: (keyof AdminCheckInputs)[] = ["host", "port", "username", "password", "sslMode", "caCertificate", "clientCertificate", "clientKey", "database"];

const adminCheckProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: AdminCheckInputs) {
        return { id: "postgres-admin", outs: await checkedState(inputs) };
    },
    async diff(_id: string, olds: AdminCheckState, news: AdminCheckInputs) {
        return { changes: CONNECTION_KEYS.some((key) => olds[key] !== news[key]) };
    },
    async update(_id: string, _olds: AdminCheckState, news: AdminCheckInputs) {
        return { outs: await checkedState(news) };
    },
    // Nothing to delete: the check creates nothing on the server.
    async delete() {
        return;
    },
};

export interface PostgresAdminCheckArgs {
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    username: pulumi.Input<string>;
    password: pulumi.Input<string>;
    sslMode: pulumi.Input<string>;
    caCertificate?: pulumi.Input<string>;
    clientCertificate?: pulumi.Input<string>;
    clientKey?: pulumi.Input<string>;
    database: pulumi.Input<string>;
}

/** The admin privilege check; `superuser` tells what it found. */
export class PostgresAdminCheck extends pulumi.dynamic.Resource {
    public readonly superuser!: pulumi.Output<boolean>;
    public readonly serverVersionNum!: pulumi.Output<number>;

    constructor(name: string, args: PostgresAdminCheckArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            adminCheckProvider,
            name,
            {
                ...args,
                password: pulumi.secret(args.password),
                ...(args.clientKey !== undefined ? { clientKey: pulumi.secret(args.clientKey) } : {}),
                superuser: undefined,
                serverVersionNum: undefined,
            },
            { ...opts, additionalSecretOutputs: ["password", "clientKey"] },
            "vault-pg",
            "PostgresAdminCheck",
        );
    }
}
