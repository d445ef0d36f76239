import * as pulumi from "@pulumi/pulumi";
import { PostgresAccessModel } from "./access-model";
import { AppAccess } from "./app-access";
import { AppRoleAuth } from "./approle-auth";
import { DatabaseRole } from "./database-role";
import { PostgresServer } from "./postgres-server";
import { agentConfigForApp, defaultAgentDir } from "./agent-config";
import { DatabaseSecretsEngine } from "./secrets-engine";
import { StaticRole } from "./static-role";
import { GroupRoleNames } from "./sql";
import {
    AppSpec,
    checkFlavor,
    checkImage,
    checkMountPath,
    checkPort,
    checkPositiveInteger,
    checkSqlName,
    DatabaseRoleSpec,
    DEFAULTS,
    Flavor,
    resolveApps,
    resolveRoles,
    resolveStaticRoles,
    StaticRoleSpec,
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
    /** Connections Vault keeps open to PostgreSQL; default 4. */
    maxOpenConnections?: number;
    /** The database roles to offer (at least one). */
    roles: DatabaseRoleSpec[];
    /** Applications and the roles each may use. */
    apps?: AppSpec[];
    /** Login users with fixed names whose passwords Vault rotates (see StaticRole). */
    staticRoles?: StaticRoleSpec[];
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
    /** Static role name → `<mount>/static-creds/<name>`. */
    public readonly staticCredsPaths: pulumi.Output<Record<string, string>>;
    /** App name → its dynamic roles and a Vault Agent config for the first (files under /run/vault-pg/<app>). */
    public readonly agents: pulumi.Output<Record<string, { roles: string[]; config: string }>>;

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
        const roles = resolveRoles(where, args.roles);
        const staticRoles = resolveStaticRoles(where, args.staticRoles);
        const apps = resolveApps(where, args.apps, roles, staticRoles);
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
                allowedRoles: [...roles.map((role) => role.name), ...staticRoles.map((role) => role.name)],
                maxOpenConnections,
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
                    connectionName: this.engine.connectionName,
                    groupRoles: this.groupRoles,
                },
                vaultOpts,
            );
            return pulumi.all([role.name, databaseRole.credsPath]);
        });
        this.credsPaths = pulumi.all(credsPaths).apply((entries) => Object.fromEntries(entries));

        const staticCredsPaths = staticRoles.map((role) => {
            const staticRole = new StaticRole(
                `${name}-static-${role.name}`,
                {
                    name: role.name,
                    access: role.access,
                    rotationPeriod: role.rotationPeriodSeconds,
                    rotationSchedule: role.rotationSchedule,
                    host: this.postgres.host,
                    port: this.postgres.port,
                    superuser: this.postgres.superuser,
                    superuserPassword: this.postgres.superuserPassword,
                    groupRoles: this.groupRoles,
                    vaultAdminUsername: this.accessModel.vaultAdminUsername,
                    mountPath: this.engine.mountPath,
                    connectionName: this.engine.connectionName,
                },
                { ...vaultOpts, dependsOn: [this.accessModel] },
            );
            return pulumi.all([role.name, staticRole.credsPath]);
        });
        this.staticCredsPaths = pulumi.all(staticCredsPaths).apply((entries) => Object.fromEntries(entries));

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
                    staticRoles: app.staticRoles,
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
        this.agents = pulumi
            .all([this.vault.address, this.postgres.host, this.postgres.port, this.accessModel.database, this.credsPaths, this.apps])
            .apply(([vaultAddress, host, port, database, credsPathsByRole, appsByName]) => {
                const outputs = { vaultAddress, postgresAddress: `${host}:${port}`, database, credsPaths: credsPathsByRole, apps: appsByName };
                const withDynamicRoles = apps.filter((app) => app.roles.length > 0);
                return Object.fromEntries(
                    withDynamicRoles.map((app) => [
                        app.name,
                        { roles: app.roles, config: agentConfigForApp(outputs, app.name, app.roles, { dir: defaultAgentDir(app.name) }) },
                    ]),
                );
            });

        this.registerOutputs({
            mountPath: this.mountPath,
            credsPaths: this.credsPaths,
            apps: this.apps,
            staticCredsPaths: this.staticCredsPaths,
            agents: this.agents,
        });
    }
}
