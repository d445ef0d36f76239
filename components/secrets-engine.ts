/**
 * The database secrets engine (DatabaseSecretsEngine): the mount, its connection configs and, optionally, rotate-root.
 */
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { checkConnectionBudget, connectionGroups } from "./connection-layout";
import { childLifecycle } from "./lifecycle";
import { VaultServerTlsFiles, vaultConnectionTls } from "./postgres-tls";
import { AccessLevel, connectionUrlTemplate, usernameTemplate } from "./sql";
import {
    checkConnectionLayout,
    checkMountPath,
    checkPositiveInteger,
    checkClientTls,
    checkFlavor,
    checkSafeName,
    ConnectionLayout,
    DEFAULTS,
    Flavor,
    invalid,
    MAX_CONNECTION_BUDGET,
    MAX_CONNECTION_NAME_LENGTH,
    MAX_OPEN_CONNECTIONS_LIMIT,
    MAX_VAULT_ROLE_NAME_LENGTH,
    PostgresClientTls,
} from "./validate";

export interface DatabaseSecretsEngineArgs {
    /** Path of the database secrets engine; default "database". Ignored with `mount`. */
    mountPath?: string;
    /**
     * Another engine's mount to add this database's connection configs to (several databases on one mount); default:
     * a new mount at `mountPath`. Its `dependsOn` must name this database's Postgres side too: unmounting revokes the
     * leases of every database on it.
     */
    mount?: vault.Mount;
    /**
     * The mount at `mountPath` exists already and other stacks use it too: it is read, never mounted or unmounted;
     * the connection configs are deleted with the stack (after the roles' leases are revoked: LeaseRevocation)
     * instead of staying until the mount goes. Default false.
     */
    existingMount?: boolean;
    /** Name of the connection under `<mount>/config/`, or the prefix of each one's name; default: the database name. */
    connectionName?: string;
    /** Database Vault connects to (revocation reassigns objects in this database). */
    database: pulumi.Input<string>;
    /** PostgreSQL host and port as Vault reaches them (the in-network container name when both run in Docker). */
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    /**
     * How Vault reaches PostgreSQL over TLS: the sslmode in the connection URL and the CA (and client certificate) to
     * verify with; default sslmode "disable". HashiCorp Vault takes the PEM inline (1.18+), OpenBao only as files on
     * its server (`vaultTlsFiles`): see `flavor`.
     */
    tls?: PostgresClientTls;
    /** Which server holds the engine: "vault" (inline TLS fields) or "openbao" (TLS files in the URL); default "vault". */
    flavor?: Flavor;
    /** Files on the Vault server for the URL's sslrootcert, sslcert and sslkey (OpenBao, or Vault before 1.18). */
    vaultTlsFiles?: VaultServerTlsFiles;
    /** The Vault admin login role and its password. */
    adminUsername: pulumi.Input<string>;
    adminPassword: pulumi.Input<string>;
    /** The only role names the engine's connections serve. */
    allowedRoles: string[];
    /** Connections Vault may open to PostgreSQL, per connection config; default 2. */
    maxOpenConnections?: number;
    /**
     * The most connections Vault may hold for these connection configs together (each config's pool full); default
     * 20. A layout whose worst case exceeds it is refused; "bounded" fits it by construction.
     */
    connectionBudget?: number;
    /**
     * "bounded" (`<connectionName>-<role>` while that fits the budget, else `<connectionName>-pool-<n>`), "single",
     * "per-role" (`<connectionName>-<role>`) or "per-access" (`<connectionName>-<access>`); default "bounded".
     */
    connections?: ConnectionLayout;
    /** Access level of each allowed role; needed by "per-access". */
    accessLevels?: Record<string, AccessLevel>;
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
 * A `database` secrets engine and its PostgreSQL connection configs (see `connections`). Pass the Vault server's provider in `opts.providers`.
 * `opts.dependsOn` should name the Postgres side: it is applied to the mount too, so on destroy the mount (whose
 * deletion revokes every lease) goes before the roles and the server those revocations need.
 *
 * The connections are deleted with the mount: on destroy the engine skips their deletes, so unmounting (which
 * revokes every lease, and each revocation needs its connection) runs while they still exist. Give the roles
 * `deletedWith: engine.mount` for the same reason. `opts.deletedWith` and `opts.replaceWith` are applied to the mount
 * (and `replaceWith` to the connections), since a component has nothing of its own to delete or replace.
 */
export class DatabaseSecretsEngine extends pulumi.ComponentResource {
    public readonly mount: vault.Mount;
    public readonly mountPath: pulumi.Output<string>;
    /** Name of the first of `connections` (the only one with "single"); resolves once it is written and verified. */
    public readonly connectionName: pulumi.Output<string>;
    /** Role → the connection that serves it; resolves once they are written: pass each role its own. */
    public readonly connectionNames: pulumi.Output<Record<string, string>>;
    /** "single": one; "per-role": one per allowed role, in order; "per-access": one per access level that has a role. */
    public readonly connections: vault.database.SecretBackendConnection[];
    /** With rotateRootCredentials: the write to rotate-root. */
    public readonly rootRotation?: vault.generic.Endpoint;

    constructor(name: string, args: DatabaseSecretsEngineArgs, opts?: pulumi.ComponentResourceOptions) {
        const where = `DatabaseSecretsEngine ${name}`;
        const mountPath = checkMountPath(where, "mountPath", args.mountPath ?? DEFAULTS.mountPath);
        const maxOpenConnections = checkPositiveInteger(where, "maxOpenConnections", args.maxOpenConnections ?? DEFAULTS.maxOpenConnections, MAX_OPEN_CONNECTIONS_LIMIT);
        if (args.allowedRoles.length === 0) {
            throw invalid(where, "allowedRoles", args.allowedRoles, "a connection must serve at least one role");
        }
        args.allowedRoles.forEach((role, index) => checkSafeName(where, `allowedRoles[${index}]`, role, MAX_VAULT_ROLE_NAME_LENGTH));
        const tls = checkClientTls(where, args.tls);
        const flavor = checkFlavor(where, args.flavor);
        const tlsConfig = vaultConnectionTls(flavor, tls, args.vaultTlsFiles);
        const layout = checkConnectionLayout(where, args.connections, args.rotateRootCredentials);
        const limits = { maxOpenConnections, connectionBudget: checkPositiveInteger(where, "connectionBudget", args.connectionBudget ?? DEFAULTS.connectionBudget, MAX_CONNECTION_BUDGET) };
        const roles = args.allowedRoles.map((role) => {
            const access = args.accessLevels?.[role];
            if (layout === "per-access" && access === undefined) {
                throw invalid(where, `accessLevels.${role}`, access, 'connections = "per-access" needs the access level of every allowed role');
            }
            // Only "per-access" reads the level.
            return { name: role, access: access ?? "readonly" };
        });
        const groups = connectionGroups(layout, roles, limits);
        checkConnectionBudget(where, layout, groups, limits);
        const rotate = args.rotateRootCredentials ?? DEFAULTS.rotateRootCredentials;
        if (rotate && groups.length > 1) {
            // Every connection config logs in as the same Vault admin: rotating through one would lock out the others.
            throw invalid(where, "connections", layout, 'rotateRootCredentials needs connections = "single": every connection config logs in as the one Vault admin');
        }
        const passwordVersion = checkPositiveInteger(where, "rootPasswordVersion", args.rootPasswordVersion ?? 1);
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:database:DatabaseSecretsEngine", name, {}, opts);
        const dependsOn = opts?.dependsOn;

        const mount =
            args.mount ??
            (args.existingMount
                ? vault.Mount.get(`${name}-mount`, mountPath, undefined, { parent: this })
                : new vault.Mount(
                      `${name}-mount`,
                      { path: mountPath, type: "database", description: "Dynamic PostgreSQL credentials" },
                      { parent: this, dependsOn, ...childLifecycle(opts) },
                  ));
        // On a mount the stack does not own, nothing goes with the mount: each connection is deleted on its own.
        const withMount = args.existingMount ? {} : { retainOnDelete: true, deletedWith: mount };
        const baseName = pulumi.output(args.connectionName ?? args.database);
        // Retained on delete: a connection leaves Vault only with its mount. Revoking a lease looks up its role's
        // connection, or, once the role is gone, the connection named in the lease (builtin/logical/database/
        // secret_creds.go); a role removed from config together with its connection would strand its open leases.
        this.connections = groups.map(
            (group) =>
                new vault.database.SecretBackendConnection(
                    `${name}-connection${group.suffix}`,
                    {
                        backend: mount.path,
                        name: baseName.apply((base) => checkSafeName(where, "connectionName", `${base}${group.suffix}`, MAX_CONNECTION_NAME_LENGTH)),
                        pluginName: "postgresql-database-plugin",
                        allowedRoles: group.roles,
                        verifyConnection: true,
                        postgresql: {
                            connectionUrl: pulumi
                                .all([args.host, args.port, args.database])
                                .apply(([host, port, database]) => connectionUrlTemplate(host, port, database, tls.sslMode, tlsConfig.urlParameters)),
                            ...tlsConfig.fields,
                            username: args.adminUsername,
                            ...(rotate ? rotatedPassword(args.adminPassword, passwordVersion) : { password: pulumi.secret(args.adminPassword) }),
                            maxOpenConnections,
                            // Idle pools shrink to one connection, and every connection is renewed now and then.
                            maxIdleConnections: Math.min(DEFAULTS.maxIdleConnections, maxOpenConnections),
                            maxConnectionLifetime: DEFAULTS.maxConnectionLifetimeSeconds,
                            usernameTemplate: usernameTemplate(),
                            // Vault hashes the password itself: no plaintext password in CREATE ROLE or server logs.
                            passwordAuthentication: "scram-sha-256",
                        },
                    },
                    // Unmounting revokes every lease, and each revocation needs its connection: it goes with the mount.
                    { parent: this, dependsOn, ...withMount, replaceWith: opts?.replaceWith },
                ),
        );
        const roleConnections = groups.flatMap((group, index) => group.roles.map((role) => pulumi.all([role, this.connections[index].name])));
        if (rotate) {
            const connection = this.connections[0];
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
                { parent: this, dependsOn: [connection], ...(args.existingMount ? {} : { deletedWith: mount }), replaceWith: opts?.replaceWith },
            );
        }

        this.mount = mount;
        this.mountPath = mount.path;
        this.connectionName = this.connections[0].name;
        this.connectionNames = pulumi.all(roleConnections).apply((entries) => Object.fromEntries(entries));
        this.registerOutputs({ mountPath: this.mountPath, connectionName: this.connectionName, connectionNames: this.connectionNames });
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
