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
    /**
     * Rotate the Vault admin's password right after the connection is written (`<mount>/rotate-root/<name>`), so
     * only Vault knows it; default false. The password is then sent write-only (see below).
     */
    rotateRootCredentials?: boolean;
    /**
     * With rotation: bump to make Pulumi send the generated password again (and rotate again), e.g. after the
     * admin role's password was reset by hand; default 1.
     */
    rootPasswordVersion?: number;
}

/**
 * A `database` secrets engine and its PostgreSQL connection. Pass the Vault server's provider in `opts.providers`.
 * `opts.dependsOn` should name the Postgres side: it is applied to the mount too, so on destroy the mount (whose
 * deletion revokes every lease) goes before the roles and the server those revocations need.
 */
export class DatabaseSecretsEngine extends pulumi.ComponentResource {
    public readonly mountPath: pulumi.Output<string>;
    /** Resolves once the connection is written and verified: roles that use it depend on it. */
    public readonly connectionName: pulumi.Output<string>;
    public readonly mount: vault.Mount;
    public readonly connection: vault.database.SecretBackendConnection;
    /** With rotateRootCredentials: the write to rotate-root. */
    public readonly rootRotation?: vault.generic.Endpoint;

    constructor(name: string, args: DatabaseSecretsEngineArgs, opts?: pulumi.ComponentResourceOptions) {
        const where = `DatabaseSecretsEngine ${name}`;
        const mountPath = checkMountPath(where, "mountPath", args.mountPath ?? DEFAULTS.mountPath);
        const maxOpenConnections = checkPositiveInteger(where, "maxOpenConnections", args.maxOpenConnections ?? DEFAULTS.maxOpenConnections, 1000);
        if (args.allowedRoles.length === 0) {
            throw invalid(where, "allowedRoles", args.allowedRoles, "a connection must serve at least one role");
        }
        args.allowedRoles.forEach((role, index) => checkSafeName(where, `allowedRoles[${index}]`, role, 64));
        const sslMode = checkSslMode(where, "sslMode", args.sslMode, "disable");
        const rotate = args.rotateRootCredentials ?? DEFAULTS.rotateRootCredentials;
        const passwordVersion = checkPositiveInteger(where, "rootPasswordVersion", args.rootPasswordVersion ?? 1);
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
                    ...(rotate ? rotatedPassword(args.adminPassword, passwordVersion) : { password: pulumi.secret(args.adminPassword) }),
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
        if (rotate) {
            // vault/resource_generic_endpoint.go: with disable_read nothing is read back (no drift on refresh), with
            // disable_delete nothing is written on delete (there is nothing to undo). The version in the name makes a
            // new version a new resource, which writes once more after the connection has sent the password again.
            this.rootRotation = new vault.generic.Endpoint(
                `${name}-rotate-root-v${passwordVersion}`,
                {
                    path: pulumi.interpolate`${mount.path}/rotate-root/${connection.name}`,
                    dataJson: "{}",
                    disableRead: true,
                    disableDelete: true,
                },
                { parent: this, dependsOn: [connection], deletedWith: mount, replaceWith: opts?.replaceWith },
            );
        }

        this.mountPath = mount.path;
        this.connectionName = connection.name;
        this.registerOutputs({ mountPath: this.mountPath, connectionName: this.connectionName });
    }
}

/**
 * The password as a write-only field. terraform-provider-vault sends a connection's password only on create, or when
 * `password` or `password_wo_version` changes (`setDatabaseConnectionDataWithUserPass`), and its read never puts a
 * password back into state (`getConnectionDetailsFromResponseWithUserPass` copies only the version), both in
 * `vault/resource_database_secret_backend_connection.go`. So an update (a role added, maxOpenConnections changed)
 * leaves the rotated password in place, the state never holds the generated one, and a refresh shows no drift.
 */
function rotatedPassword(password: pulumi.Input<string>, version: number) {
    return { passwordWo: pulumi.secret(password), passwordWoVersion: version };
}
