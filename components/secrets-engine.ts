import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { connectionUrlTemplate, usernameTemplate } from "./sql";
import { childLifecycle } from "./lifecycle";
import { checkMountPath, checkPositiveInteger, checkSafeName, checkSslMode, DEFAULTS, invalid, SslMode } from "./validate";

export interface DatabaseSecretsEngineArgs {
    /** Path of the database secrets engine; default "database". */
    mountPath?: string;
    /** Name of the connection under `<mount>/config/`; default: the database name. */
    connectionName?: string;
    /** Database Vault connects to (revocation reassigns objects in this database). */
    database: pulumi.Input<string>;
    /** PostgreSQL host and port as Vault reaches them (the in-network container name when both run in Docker). */
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    /** libpq sslmode in the connection URL; default "disable" (the dev container has no TLS). */
    sslMode?: SslMode;
    /** The Vault admin login role and its password. */
    adminUsername: pulumi.Input<string>;
    adminPassword: pulumi.Input<string>;
    /** The only role names this connection serves. */
    allowedRoles: string[];
    /** Connections Vault keeps open to PostgreSQL; default 4. */
    maxOpenConnections?: number;
}

/**
 * A `database` secrets engine and its PostgreSQL connection. Pass the Vault server's provider in `opts.providers`.
 * `opts.dependsOn` should name the Postgres side: it is applied to the mount too, so on destroy the mount (whose
 * deletion revokes every lease) goes before the roles and the server those revocations need.
 *
 * The connection is deleted with the mount: on destroy the engine skips its delete, so unmounting (which revokes
 * every lease, and each revocation needs the connection) runs while the connection still exists. Give the roles
 * `deletedWith: engine.mount` for the same reason. `opts.deletedWith` and `opts.replaceWith` are applied to the mount
 * (and `replaceWith` to the connection), since a component has nothing of its own to delete or replace.
 */
export class DatabaseSecretsEngine extends pulumi.ComponentResource {
    public readonly mount: vault.Mount;
    public readonly connection: vault.database.SecretBackendConnection;
    public readonly mountPath: pulumi.Output<string>;
    /** Resolves once the connection is written and verified: roles that use it depend on it. */
    public readonly connectionName: pulumi.Output<string>;

    constructor(name: string, args: DatabaseSecretsEngineArgs, opts?: pulumi.ComponentResourceOptions) {
        const where = `DatabaseSecretsEngine ${name}`;
        const mountPath = checkMountPath(where, "mountPath", args.mountPath ?? DEFAULTS.mountPath);
        const maxOpenConnections = checkPositiveInteger(where, "maxOpenConnections", args.maxOpenConnections ?? DEFAULTS.maxOpenConnections, 1000);
        if (args.allowedRoles.length === 0) {
            throw invalid(where, "allowedRoles", args.allowedRoles, "a connection must serve at least one role");
        }
        args.allowedRoles.forEach((role, index) => checkSafeName(where, `allowedRoles[${index}]`, role, 64));
        const sslMode = checkSslMode(where, "sslMode", args.sslMode, "disable");
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:database:DatabaseSecretsEngine", name, {}, opts);
        const dependsOn = opts?.dependsOn;

        const mount = new vault.Mount(
            `${name}-mount`,
            { path: mountPath, type: "database", description: "Dynamic PostgreSQL credentials" },
            { parent: this, dependsOn, ...childLifecycle(opts) },
        );
        const connectionName = args.connectionName ?? pulumi.output(args.database);
        const connection = new vault.database.SecretBackendConnection(
            `${name}-connection`,
            {
                backend: mount.path,
                name: pulumi.output(connectionName).apply((value) => checkSafeName(where, "connectionName", value, 64)),
                pluginName: "postgresql-database-plugin",
                allowedRoles: args.allowedRoles,
                verifyConnection: true,
                postgresql: {
                    connectionUrl: pulumi
                        .all([args.host, args.port, args.database])
                        .apply(([host, port, database]) => connectionUrlTemplate(host, port, database, sslMode)),
                    username: args.adminUsername,
                    password: pulumi.secret(args.adminPassword),
                    maxOpenConnections,
                    usernameTemplate: usernameTemplate(),
                    // Vault hashes the password itself: no plaintext password in CREATE ROLE or server logs.
                    passwordAuthentication: "scram-sha-256",
                },
            },
            // Unmounting revokes every lease, and each revocation needs this connection: it goes with the mount.
            { parent: this, dependsOn, deletedWith: mount, replaceWith: opts?.replaceWith },
        );
        this.mount = mount;
        this.connection = connection;
        this.mountPath = mount.path;
        this.connectionName = connection.name;
        this.registerOutputs({ mountPath: this.mountPath, connectionName: this.connectionName });
    }
}
