import * as pulumi from "@pulumi/pulumi";
import { PostgresAccessModel } from "./access-model";
import { AppAccess } from "./app-access";
import { AppRoleAuth } from "./approle-auth";
import { DatabaseRole } from "./database-role";
import { PostgresServer } from "./postgres-server";
import { DatabaseSecretsEngine } from "./secrets-engine";
import { GroupRoleNames } from "./sql";
import {
    AppSpec,
    checkConnectionLayout,
    checkFlavor,
    checkImage,
    checkMountPath,
    checkPort,
    checkPositiveInteger,
    checkSqlName,
    ConnectionLayout,
    DatabaseRoleSpec,
    DEFAULTS,
    Flavor,
    resolveApps,
    resolveRoles,
} from "./validate";
import { VaultServer } from "./vault-server";

export interface ContainerSettings {
    /** Image to run (defaults: see PostgresServerArgs and VaultServerArgs). */
    image?: pulumi.Input<string>;
    /** Host port to publish on. */
    hostPort?: pulumi.Input<number>;
    /** Host address to publish on and connect to; default "127.0.0.1". */
    hostAddress?: pulumi.Input<string>;
}

export interface VaultPostgresArgs {
    /** "vault" or "openbao"; default "vault". */
    flavor?: Flavor;
    /** The PostgreSQL container; default image "postgres:18" on host port 15432. */
    postgres?: ContainerSettings;
    /** The Vault dev server container; default host port 18200. */
    vault?: ContainerSettings;
    /** Application database; default "app". Also the group role prefix and the connection name. */
    database?: string;
    /** Path of the database secrets engine; default "database". */
    mountPath?: string;
    /** Path of the AppRole auth method; default "approle". */
    approlePath?: string;
    /** Connections Vault keeps open to PostgreSQL, per connection config; default 4. */
    maxOpenConnections?: number;
    /** Connection configs: "single", "per-role" or "per-access"; default "per-role" (see DatabaseSecretsEngineArgs). */
    connections?: ConnectionLayout;
    /** The database roles to offer (at least one). */
    roles: DatabaseRoleSpec[];
    /** Applications and the roles each may use. */
    apps?: AppSpec[];
}

/** What one application needs to log in. */
export interface AppLogin {
    policyName: string;
    roleId: string;
    loginPath: string;
}

/**
 * Everything wired together: PostgreSQL and a Vault dev server on one Docker network, the access model, the database
 * secrets engine, one Vault role per declared role, and AppRole access per application.
 */
export class VaultPostgres extends pulumi.ComponentResource {
    public readonly postgres: PostgresServer;
    public readonly vault: VaultServer;
    public readonly accessModel: PostgresAccessModel;
    public readonly engine: DatabaseSecretsEngine;
    public readonly groupRoles: GroupRoleNames;
    public readonly mountPath: pulumi.Output<string>;
    /** Role name → `<mount>/creds/<role>`. */
    public readonly credsPaths: pulumi.Output<Record<string, string>>;
    /** App name → policy name, AppRole role id and login path. */
    public readonly apps: pulumi.Output<Record<string, AppLogin>>;

    constructor(name: string, args: VaultPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        const where = `VaultPostgres ${name}`;
        const flavor = checkFlavor(where, args.flavor);
        checkImage(where, "postgres.image", args.postgres?.image);
        checkImage(where, "vault.image", args.vault?.image);
        checkPort(where, "postgres.hostPort", args.postgres?.hostPort);
        checkPort(where, "vault.hostPort", args.vault?.hostPort);
        const database = checkSqlName(where, "database", args.database ?? DEFAULTS.database, 53);
        const mountPath = checkMountPath(where, "mountPath", args.mountPath ?? DEFAULTS.mountPath);
        const approlePath = checkMountPath(where, "approlePath", args.approlePath ?? DEFAULTS.approlePath);
        const maxOpenConnections = checkPositiveInteger(where, "maxOpenConnections", args.maxOpenConnections ?? DEFAULTS.maxOpenConnections, 1000);
        const connections = checkConnectionLayout(where, args.connections);
        const roles = resolveRoles(where, args.roles);
        const apps = resolveApps(where, args.apps, roles);
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:index:VaultPostgres", name, {}, opts);

        this.postgres = new PostgresServer(`${name}-postgres`, { ...args.postgres }, { parent: this });
        this.vault = new VaultServer(`${name}-vault`, { flavor, ...args.vault, networkName: this.postgres.networkName }, { parent: this });
        const vaultOpts = { parent: this, providers: [this.vault.provider] };

        this.accessModel = new PostgresAccessModel(
            `${name}-access`,
            {
                host: this.postgres.host,
                port: this.postgres.port,
                superuser: this.postgres.superuser,
                superuserPassword: this.postgres.superuserPassword,
                database,
            },
            { parent: this },
        );
        this.groupRoles = this.accessModel.groupRoles;

        this.engine = new DatabaseSecretsEngine(
            `${name}-engine`,
            {
                mountPath,
                database: this.accessModel.database,
                host: this.postgres.internalHost,
                port: this.postgres.internalPort,
                adminUsername: this.accessModel.vaultAdminUsername,
                adminPassword: this.accessModel.vaultAdminPassword,
                allowedRoles: roles.map((role) => role.name),
                maxOpenConnections,
                connections,
                accessLevels: Object.fromEntries(roles.map((role) => [role.name, role.access])),
            },
            { ...vaultOpts, dependsOn: [this.accessModel, this.postgres] },
        );
        this.mountPath = this.engine.mountPath;

        const credsPaths = roles.map((role) => {
            const databaseRole = new DatabaseRole(
                `${name}-role-${role.name}`,
                {
                    name: role.name,
                    access: role.access,
                    defaultTtl: role.defaultTtlSeconds,
                    maxTtl: role.maxTtlSeconds,
                    mountPath: this.engine.mountPath,
                    connectionName: this.engine.connectionNames.apply((names) => names[role.name]),
                    groupRoles: this.groupRoles,
                },
                vaultOpts,
            );
            return pulumi.all([role.name, databaseRole.credsPath]);
        });
        this.credsPaths = pulumi.all(credsPaths).apply((entries) => Object.fromEntries(entries));

        const approle = new AppRoleAuth(`${name}-approle`, { path: approlePath }, vaultOpts);
        const appLogins = apps.map((app) => {
            const access = new AppAccess(
                `${name}-app-${app.name}`,
                {
                    name: app.name,
                    roles: app.roles,
                    tokenTtl: app.tokenTtlSeconds,
                    tokenMaxTtl: app.tokenMaxTtlSeconds,
                    secretIdTtl: app.secretIdTtlSeconds,
                    mountPath: this.engine.mountPath,
                    approlePath: approle.path,
                },
                vaultOpts,
            );
            return pulumi
                .all([access.policyName, access.roleId, access.loginPath])
                .apply(([policyName, roleId, loginPath]): [string, AppLogin] => [app.name, { policyName, roleId, loginPath }]);
        });
        this.apps = pulumi.all(appLogins).apply((entries) => Object.fromEntries(entries));

        this.registerOutputs({ mountPath: this.mountPath, credsPaths: this.credsPaths, apps: this.apps });
    }
}
