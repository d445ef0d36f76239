/**
 * Applies the resources a Pulumi program registers (recorded under mocks, see test/helpers/pulumi-mocks.ts) to a
 * real PostgreSQL and a real Vault-API server, the way the providers would. Nothing here is a fixture: statements,
 * policies and grants are the program's own inputs, so a change in components/ is what the live tests exercise.
 *
 * Mapping, by resource type (argument names as in @pulumi/postgresql and @pulumi/vault, which mirror the
 * terraform-provider-postgresql and terraform-provider-vault arguments):
 *
 *   postgresql:index/database:Database            {name}                          -> CREATE DATABASE "name"
 *   postgresql:index/role:Role                    {name, login, createRole, createDatabase, superuser, replication,
 *                                                  bypassRowLevelSecurity, inherit, password, connectionLimit, roles}
 *                                                                                  -> CREATE ROLE "name" WITH ... [IN ROLE roles]
 *   postgresql:index/grantRole:GrantRole          {role, grantRole, withAdminOption}
 *                                                                                  -> GRANT "grantRole" TO "role" [WITH ADMIN OPTION]
 *   postgresql:index/grant:Grant                  {database, role, schema, objectType, privileges}
 *                                                  database -> GRANT p ON DATABASE "database" TO "role"
 *                                                  schema   -> GRANT p ON SCHEMA "schema" TO "role"
 *                                                  table    -> GRANT p ON ALL TABLES IN SCHEMA "schema" TO "role"
 *                                                  sequence -> GRANT p ON ALL SEQUENCES IN SCHEMA "schema" TO "role"
 *   postgresql:index/defaultPrivileges:DefaultPrivileges
 *                                                 {database, owner, role, schema, objectType, privileges}
 *                                                  -> ALTER DEFAULT PRIVILEGES FOR ROLE "owner" IN SCHEMA "schema"
 *                                                     GRANT p ON TABLES|SEQUENCES TO "role"   (run in "database")
 *   vault:index/mount:Mount                       {path, type, description}       -> POST sys/mounts/<path> {type, description}
 *   vault:database/secretBackendConnection:SecretBackendConnection
 *                                                 {backend, name, pluginName, allowedRoles, verifyConnection,
 *                                                  postgresql: {connectionUrl, username, password, maxOpenConnections,
 *                                                  usernameTemplate, passwordAuthentication}}
 *                                                  -> POST <backend>/config/<name> {plugin_name, allowed_roles,
 *                                                     verify_connection, connection_url, username, password,
 *                                                     max_open_connections, username_template, password_authentication}
 *   vault:database/secretBackendRole:SecretBackendRole
 *                                                 {backend, name, dbName, creationStatements, revocationStatements,
 *                                                  renewStatements, rollbackStatements, defaultTtl, maxTtl}
 *                                                  -> POST <backend>/roles/<name> {db_name, creation_statements,
 *                                                     revocation_statements, renew_statements, rollback_statements,
 *                                                     default_ttl, max_ttl}
 *   vault:database/secretBackendStaticRole:SecretBackendStaticRole
 *                                                 {backend, name, dbName, username, rotationPeriod, rotationSchedule,
 *                                                  rotationStatements}
 *                                                  -> POST <backend>/static-roles/<name> {db_name, username,
 *                                                     rotation_period, rotation_schedule, rotation_statements}
 *   vault:index/policy:Policy                     {name, policy}                  -> PUT sys/policies/acl/<name> {policy}
 *   vault:index/authBackend:AuthBackend           {type, path, description}       -> POST sys/auth/<path> {type, description}
 *   vault:appRole/authBackendRole:AuthBackendRole {backend, roleName, tokenPolicies, tokenNoDefaultPolicy, tokenTtl,
 *                                                  tokenMaxTtl, secretIdTtl, tokenType}
 *                                                  -> POST auth/<backend>/role/<roleName> {token_policies,
 *                                                     token_no_default_policy, token_ttl, token_max_ttl, secret_id_ttl,
 *                                                     token_type}
 *
 * Not applied: docker:* (the harness runs both servers as local processes), random:* (the recorded mock values are
 * used as the passwords), pulumi:providers:* (the harness's superuser and root token stand in for them).
 * Any other type, or an input this file does not know, fails loudly so the mapping cannot silently fall behind.
 */
import { quoteIdent, quoteLiteral } from "../../components/sql";
import { plain, RecordedResource, TYPES } from "../helpers/pulumi-mocks";
import { PostgresServer, vaultRequest } from "./harness";

/** The real servers, as the applier reaches them. */
export interface LiveTargets {
    postgres: PostgresServer;
    vault: { address: string; rootToken: string };
}

/**
 * In the container setup Vault reaches PostgreSQL by its container name on the Docker network. Here both are local
 * processes, so that one endpoint is rewritten to the harness's port. This is the only place it happens.
 */
function localEndpoints(resources: RecordedResource[], postgres: PostgresServer): Map<string, string> {
    const endpoints = new Map<string, string>();
    for (const container of resources.filter((resource) => resource.type === TYPES.container)) {
        const inputs = plain<{ name: string; envs?: string[]; ports?: { internal: number }[] }>(container.inputs);
        if ((inputs.envs ?? []).some((env) => env.startsWith("POSTGRES_PASSWORD="))) {
            endpoints.set(`${inputs.name}:${inputs.ports?.[0]?.internal ?? 5432}`, `${postgres.host}:${postgres.port}`);
        }
    }
    if (endpoints.size === 0) throw new Error("applier: the program declares no PostgreSQL container to map to the local server");
    return endpoints;
}

function rewriteEndpoint(url: string, endpoints: Map<string, string>): string {
    for (const [inNetwork, local] of endpoints) {
        if (url.includes(`@${inNetwork}/`)) return url.replace(`@${inNetwork}/`, `@${local}/`);
    }
    throw new Error(`applier: connection URL ${url} points at no known PostgreSQL container (${[...endpoints.keys()].join(", ")})`);
}

const NOT_APPLIED = new Set<string>([TYPES.container, TYPES.network, TYPES.volume, TYPES.image, TYPES.password, TYPES.pgProvider, TYPES.vaultProvider]);

/** Resources in an order where each comes after everything it depends on (Pulumi's create order). */
function createOrder(resources: RecordedResource[]): RecordedResource[] {
    const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
    const ordered: RecordedResource[] = [];
    const visited = new Set<string>();
    const visit = (resource: RecordedResource): void => {
        if (visited.has(resource.urn)) return;
        visited.add(resource.urn);
        for (const dependency of resource.dependencies) {
            const target = byUrn.get(dependency);
            if (target) visit(target);
        }
        ordered.push(resource);
    };
    resources.forEach(visit);
    return ordered;
}

/**
 * Applies every custom resource (or, with `only: "vault"`, just the Vault ones, as `pulumi up` does after a dev
 * server restart); returns what was done, one line each, for failure messages.
 */
export async function applyResources(resources: RecordedResource[], targets: LiveTargets, only?: "vault"): Promise<string[]> {
    const endpoints = localEndpoints(resources, targets.postgres);
    const log: string[] = [];
    for (const resource of createOrder(resources)) {
        if (!resource.custom || NOT_APPLIED.has(resource.type)) continue;
        if (only === "vault" && !resource.type.startsWith("vault:")) continue;
        const inputs = plain<Record<string, unknown>>(resource.inputs);
        try {
            log.push(await applyOne(resource.type, inputs, targets, endpoints));
        } catch (error) {
            throw new Error(`applier: ${resource.type} ${resource.name} failed: ${(error as Error).message}\napplied so far:\n${log.join("\n")}`);
        }
    }
    return log;
}

function expectOnly(type: string, inputs: Record<string, unknown>, known: string[]): void {
    const unknown = Object.keys(inputs).filter((key) => !known.includes(key) && inputs[key] !== undefined);
    if (unknown.length > 0) throw new Error(`applier does not know input(s) ${unknown.join(", ")} of ${type}; extend the mapping`);
}

async function applyOne(type: string, inputs: Record<string, unknown>, targets: LiveTargets, endpoints: Map<string, string>): Promise<string> {
    const sql = async (statement: string, database?: string): Promise<string> => {
        await targets.postgres.query(statement, [], database);
        return `${database ?? "postgres"}> ${statement.replace(/PASSWORD '[^']*'/, "PASSWORD '***'")}`;
    };
    const vault = async (method: string, path: string, body: Record<string, unknown>): Promise<string> => {
        await vaultRequest(targets.vault.address, targets.vault.rootToken, method, path, body);
        return `vault> ${method} ${path}`;
    };
    switch (type) {
        case TYPES.pgDatabase: {
            expectOnly(type, inputs, ["name"]);
            return sql(`CREATE DATABASE ${quoteIdent(String(inputs.name))}`);
        }
        case TYPES.pgRole: {
            expectOnly(type, inputs, ["name", "login", "createRole", "createDatabase", "superuser", "replication", "bypassRowLevelSecurity", "inherit", "password", "connectionLimit", "roles"]);
            const flag = (key: string, keyword: string, fallback: boolean): string => ((inputs[key] ?? fallback) ? keyword : `NO${keyword}`);
            const options = [
                flag("login", "LOGIN", false),
                flag("superuser", "SUPERUSER", false),
                flag("createRole", "CREATEROLE", false),
                flag("createDatabase", "CREATEDB", false),
                flag("replication", "REPLICATION", false),
                flag("bypassRowLevelSecurity", "BYPASSRLS", false),
                flag("inherit", "INHERIT", true),
            ];
            if (inputs.connectionLimit !== undefined) options.push(`CONNECTION LIMIT ${Number(inputs.connectionLimit)}`);
            if (inputs.password !== undefined) options.push(`PASSWORD ${quoteLiteral(String(inputs.password))}`);
            const memberOf = (inputs.roles as string[] | undefined) ?? [];
            if (memberOf.length > 0) options.push(`IN ROLE ${memberOf.map(quoteIdent).join(", ")}`);
            return sql(`CREATE ROLE ${quoteIdent(String(inputs.name))} WITH ${options.join(" ")}`);
        }
        case TYPES.pgGrantRole: {
            expectOnly(type, inputs, ["role", "grantRole", "withAdminOption"]);
            const admin = inputs.withAdminOption ? " WITH ADMIN OPTION" : "";
            return sql(`GRANT ${quoteIdent(String(inputs.grantRole))} TO ${quoteIdent(String(inputs.role))}${admin}`);
        }
        case TYPES.pgGrant: {
            expectOnly(type, inputs, ["database", "role", "schema", "objectType", "privileges"]);
            const privileges = (inputs.privileges as string[]).join(", ");
            const role = quoteIdent(String(inputs.role));
            const schema = inputs.schema === undefined ? "" : quoteIdent(String(inputs.schema));
            const target: Record<string, string> = {
                database: `DATABASE ${quoteIdent(String(inputs.database))}`,
                schema: `SCHEMA ${schema}`,
                table: `ALL TABLES IN SCHEMA ${schema}`,
                sequence: `ALL SEQUENCES IN SCHEMA ${schema}`,
            };
            const on = target[String(inputs.objectType)];
            if (!on) throw new Error(`applier: unsupported Grant objectType ${String(inputs.objectType)}`);
            return sql(`GRANT ${privileges} ON ${on} TO ${role}`, String(inputs.database));
        }
        case TYPES.pgDefaultPrivileges: {
            expectOnly(type, inputs, ["database", "owner", "role", "schema", "objectType", "privileges"]);
            const objects: Record<string, string> = { table: "TABLES", sequence: "SEQUENCES" };
            const on = objects[String(inputs.objectType)];
            if (!on) throw new Error(`applier: unsupported DefaultPrivileges objectType ${String(inputs.objectType)}`);
            return sql(
                `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(String(inputs.owner))} IN SCHEMA ${quoteIdent(String(inputs.schema))} ` +
                    `GRANT ${(inputs.privileges as string[]).join(", ")} ON ${on} TO ${quoteIdent(String(inputs.role))}`,
                String(inputs.database),
            );
        }
        case TYPES.mount: {
            expectOnly(type, inputs, ["path", "type", "description"]);
            return vault("POST", `sys/mounts/${inputs.path}`, { type: inputs.type, description: inputs.description });
        }
        case TYPES.connection: {
            expectOnly(type, inputs, ["backend", "name", "pluginName", "allowedRoles", "verifyConnection", "postgresql"]);
            const postgresql = inputs.postgresql as Record<string, unknown>;
            expectOnly(`${type}.postgresql`, postgresql, ["connectionUrl", "username", "password", "maxOpenConnections", "usernameTemplate", "passwordAuthentication"]);
            return vault("POST", `${inputs.backend}/config/${inputs.name}`, {
                plugin_name: inputs.pluginName,
                allowed_roles: inputs.allowedRoles,
                verify_connection: inputs.verifyConnection,
                connection_url: rewriteEndpoint(String(postgresql.connectionUrl), endpoints),
                username: postgresql.username,
                password: postgresql.password,
                max_open_connections: postgresql.maxOpenConnections,
                username_template: postgresql.usernameTemplate,
                password_authentication: postgresql.passwordAuthentication,
            });
        }
        case TYPES.role: {
            expectOnly(type, inputs, ["backend", "name", "dbName", "creationStatements", "revocationStatements", "renewStatements", "rollbackStatements", "defaultTtl", "maxTtl"]);
            return vault("POST", `${inputs.backend}/roles/${inputs.name}`, {
                db_name: inputs.dbName,
                creation_statements: inputs.creationStatements,
                revocation_statements: inputs.revocationStatements,
                renew_statements: inputs.renewStatements,
                rollback_statements: inputs.rollbackStatements,
                default_ttl: inputs.defaultTtl,
                max_ttl: inputs.maxTtl,
            });
        }
        case TYPES.staticRole: {
            expectOnly(type, inputs, ["backend", "name", "dbName", "username", "rotationPeriod", "rotationSchedule", "rotationStatements"]);
            return vault("POST", `${inputs.backend}/static-roles/${inputs.name}`, {
                db_name: inputs.dbName,
                username: inputs.username,
                rotation_period: inputs.rotationPeriod,
                rotation_schedule: inputs.rotationSchedule,
                rotation_statements: inputs.rotationStatements,
            });
        }
        case TYPES.policy: {
            expectOnly(type, inputs, ["name", "policy"]);
            return vault("PUT", `sys/policies/acl/${inputs.name}`, { policy: inputs.policy });
        }
        case TYPES.authBackend: {
            expectOnly(type, inputs, ["type", "path", "description"]);
            return vault("POST", `sys/auth/${inputs.path}`, { type: inputs.type, description: inputs.description });
        }
        case TYPES.approleRole: {
            expectOnly(type, inputs, ["backend", "roleName", "tokenPolicies", "tokenNoDefaultPolicy", "tokenTtl", "tokenMaxTtl", "secretIdTtl", "tokenType"]);
            return vault("POST", `auth/${inputs.backend}/role/${inputs.roleName}`, {
                token_policies: inputs.tokenPolicies,
                token_no_default_policy: inputs.tokenNoDefaultPolicy,
                token_ttl: inputs.tokenTtl,
                token_max_ttl: inputs.tokenMaxTtl,
                secret_id_ttl: inputs.secretIdTtl,
                token_type: inputs.tokenType,
            });
        }
        default:
            throw new Error(`applier: no mapping for resource type ${type}; extend the mapping at the top of test/live/applier.ts`);
    }
}
