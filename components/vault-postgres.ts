/**
 * The composite (VaultPostgres): PostgreSQL and Vault (containers with the stack CA's certificates, or existing
 * servers), and per database (stack-databases.ts) the access model, connection configs, roles and static roles on
 * one mount; each application's login (AppRole or JWT) and CI's (stack-identity.ts); and the outputs applications read.
 */
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { PostgresAccessModel } from "./access-model";
import { AppAccess } from "./app-access";
import { AppRoleAuth } from "./approle-auth";
import { CiAccess, CiLogin } from "./ci-access";
import { JwtAuth } from "./jwt-auth";
import { AppLogin, declareIdentity } from "./stack-identity";
import { CertificateAuthority } from "./certificates";
import { planConnections } from "./connection-layout";
import { DatabaseRole } from "./database-role";
import { declareAccessModel, declareDatabase, SharedDatabaseSettings, StackDatabase } from "./stack-databases";
import { POSTGRES_CONTAINER_PORT, PostgresServer } from "./postgres-server";
import { postgresSide, vaultSide } from "./stack-servers";
import { stackAgentConfigs } from "./agent-config";
import { PostgresClientTls, vaultSideTlsFiles } from "./postgres-tls";
import { DatabaseSecretsEngine } from "./secrets-engine";
import { GroupRoleNames } from "./sql";
import {
    AppSpec, checkBoolean, checkConnectionLayout, checkContainerPath, checkExistingPostgres, checkExistingVault, checkFlavor,
    checkImage, checkModeWithoutExistingVault, checkMountPath, checkPort, checkPositiveInteger, checkSqlName,
    checkUnauthenticatedMetrics, checkUnsealShares, checkVaultMode, checkVaultStorage, invalid, ConnectionLayout, DatabaseRoleSpec, DEFAULTS,
    DatabaseSpec, ExistingPostgres, ExistingVault, Flavor, resolveDatabases, MAX_CONNECTION_BUDGET, MAX_GROUP_PREFIX_LENGTH, MAX_OPEN_CONNECTIONS_LIMIT,
    resolveApps, resolveCiOidc, resolveJwtIssuers, resolveRoles, resolveStaticRoles, StaticRoleSpec, VaultMode, VaultStorage,
    CiOidcSpec, JwtIssuerSpec,
} from "./validate";
import { AUDIT_DEVICE_PATH } from "./server-config";
import { OPERATOR_POLICY_NAMES } from "./operator-policies";
import { VaultServer } from "./vault-server";

export interface ContainerSettings {
    /** Image to run (defaults: see PostgresServerArgs and VaultServerArgs). */
    image?: pulumi.Input<string>;
    /** Host port to publish on. */
    hostPort?: pulumi.Input<number>;
    /** Host address to publish on and connect to; default "127.0.0.1". */
    hostAddress?: pulumi.Input<string>;
}

export interface PostgresContainerSettings extends ContainerSettings {
    /** Where the data volume is mounted; default from the image's major version (see `postgresDataPath`). */
    dataPath?: pulumi.Input<string>;
}

export interface VaultContainerSettings extends ContainerSettings {
    /** "dev" or "server" (sealed, persistent; README "Server mode"); default "dev". */
    mode?: VaultMode;
    /** Server mode: "raft" or "file" (HashiCorp Vault only); default "raft". */
    storage?: VaultStorage;
    /** Server mode: key shares and threshold at initialisation; default 5 and 3. */
    unsealShares?: number;
    unsealThreshold?: number;
    /** Server mode: a token to apply the stack with instead of the root token from initialisation. */
    token?: pulumi.Input<string>;
    /** Server mode: Prometheus metrics without a token, with a loopback `hostAddress` only; default false (a token). */
    unauthenticatedMetrics?: boolean;
}

export interface VaultPostgresArgs {
    /** "vault" or "openbao"; default "vault". Picks the dev container's image and env names. */
    flavor?: Flavor;
    /** The PostgreSQL container; default image "postgres:18" on host port 15432. Ignored with `existingPostgres`. */
    postgres?: PostgresContainerSettings;
    /** The Vault dev server container; default host port 18200. Ignored with `existingVault`. */
    vault?: VaultContainerSettings;
    /** Use this PostgreSQL instead of running a container. */
    existingPostgres?: ExistingPostgres;
    /** Use this Vault (or OpenBao) instead of running a dev server container. */
    existingVault?: ExistingVault;
    /**
     * TLS for the stack's own containers: a stack CA, certificates for both servers, PostgreSQL and the Vault API
     * over TLS only, every client verifying with the CA (README "TLS"); default true. False: plain text, for a laptop.
     */
    tls?: boolean;
    /** Application database; default "app". Also the group role prefix and the connection name. */
    database?: string;
    /**
     * The login role Vault connects to the first database as; default "vault_admin". Stacks sharing one PostgreSQL
     * need one each (further databases' admins are `<database>_vault`).
     */
    vaultAdminUsername?: string;
    /** Path of the database secrets engine; default "database". */
    mountPath?: string;
    /** Path of the AppRole auth method; default "approle". */
    approlePath?: string;
    /** Connections Vault may open to PostgreSQL, per connection config; default 2. */
    maxOpenConnections?: number;
    /** The most connections Vault may hold for the stack, all connection configs together; default 20. */
    connectionBudget?: number;
    /** Connection configs: "bounded", "single", "per-role" or "per-access"; default "bounded" (see DatabaseSecretsEngineArgs). */
    connections?: ConnectionLayout;
    /** Rotate the Vault admin's password once the connection is written, so only Vault knows it; default false. */
    rotateRootCredentials?: boolean;
    /** The database roles to offer (at least one). */
    roles: DatabaseRoleSpec[];
    /** Applications and the roles each may use. */
    apps?: AppSpec[];
    /** Login users with fixed names whose passwords Vault rotates (see StaticRole). */
    staticRoles?: StaticRoleSpec[];
    /**
     * Further databases on the same PostgreSQL, each with its own group roles, Vault admin (`<database>_vault`),
     * connection configs and roles, on the same mount and AppRole auth method; role names are unique across them
     * all, and an app may use roles of several.
     */
    databases?: DatabaseSpec[];
    /**
     * With `existingVault`: the mount at `mountPath` exists and other stacks use it too. The stack adds its connection
     * configs and roles to it and removes them again, revoking each role's leases first (the token needs `sudo` on
     * `sys/leases/revoke-prefix/<mount>/creds/*`); it never mounts or unmounts it. Default false.
     */
    sharedMount?: boolean;
    /** With `existingVault`: the AppRole auth method at `approlePath` exists and other stacks use it too. Default false. */
    sharedApprole?: boolean;
    /** Issuers whose tokens apps log in with (an app's `jwt.auth` names one): one JWT auth method each. */
    jwtAuth?: JwtIssuerSpec[];
    /** CI logs in with its job's OIDC token: a read-only preview role for every run, the deployer role on the deploy branch. */
    ciOidc?: CiOidcSpec;
}

export type { AppLogin };

/**
 * Everything wired together: PostgreSQL and a Vault dev server on one Docker network (or existing servers), the
 * access model, the database secrets engine, one Vault role per declared role, and AppRole access per application.
 */
export class VaultPostgres extends pulumi.ComponentResource {
    /** The PostgreSQL container; undefined with `existingPostgres`. */
    public readonly postgres?: PostgresServer;
    /** The Vault dev server container; undefined with `existingVault`. */
    public readonly vault?: VaultServer;
    /** The provider every Vault resource of the stack goes through. */
    public readonly vaultProvider: vault.Provider;
    /** Vault API address, as the Pulumi process reaches it. */
    public readonly vaultAddress: pulumi.Output<string>;
    /** `host:port` of PostgreSQL, as the Pulumi process reaches it. */
    public readonly postgresAddress: pulumi.Output<string>;
    public readonly accessModel: PostgresAccessModel;
    public readonly engine: DatabaseSecretsEngine;
    public readonly approle: AppRoleAuth;
    /** JWT auth method path → its JwtAuth (`jwtAuth`). */
    public readonly jwtAuth: Record<string, JwtAuth>;
    /** CI's OIDC logins (`ciOidc`), and what a workflow needs to log in. */
    public readonly ci?: CiAccess;
    public readonly ciLogin?: pulumi.Output<CiLogin>;
    /** Role name → its DatabaseRole (every database's). */
    public readonly roles: Record<string, DatabaseRole>;
    /** Database name → its access model, engine (connection configs) and roles; the first is `database`. */
    public readonly databases: Record<string, StackDatabase>;
    /** Role or static role name → the database it serves. */
    public readonly roleDatabases: Record<string, string>;
    /** App name → its AppAccess. */
    public readonly appAccess: Record<string, AppAccess>;
    public readonly groupRoles: GroupRoleNames;
    /** Database → its Vault admin, the login role of its connection configs (`npm run doctor` checks it). */
    public readonly vaultAdmins: pulumi.Output<Record<string, string>>;
    /** Database → its Vault admin's password (secret); empty with rotateRootCredentials, where only Vault knows them. */
    public readonly vaultAdminPasswords: pulumi.Output<Record<string, string>>;
    /** The most PostgreSQL connections Vault may hold for the stack. */
    public readonly connectionBudget: number;
    public readonly mountPath: pulumi.Output<string>;
    /** Role name → `<mount>/creds/<role>`. */
    public readonly credsPaths: pulumi.Output<Record<string, string>>;
    /** App name → login method, policy name, login path, role (and AppRole role id). */
    public readonly apps: pulumi.Output<Record<string, AppLogin>>;
    /** The least-privilege ACL policy (HCL) a token needs to apply this stack's Vault resources (README). */
    public readonly deployerPolicy: string;
    /** The ACL policy (HCL) of a token that may preview the stack with refresh and change nothing. */
    public readonly previewPolicy: string;
    /** Static role name → `<mount>/static-creds/<name>`. */
    public readonly staticCredsPaths: pulumi.Output<Record<string, string>>;
    /** The stack CA's certificate (PEM), with TLS and a container; clients verify the stack's servers with it. */
    public readonly caCertificate?: pulumi.Output<string>;
    /** The CA the Vault API's certificate verifies against, where the stack knows one (PEM). */
    public readonly vaultCaCertificate?: pulumi.Output<string>;
    /** How clients reach PostgreSQL: sslmode and CA (the Pulumi side's view; applications use the same). */
    public readonly postgresTls: PostgresClientTls;
    /** App name → its dynamic roles and a Vault Agent config for the first (files under /run/vault-pg/<app>). */
    public readonly agents: pulumi.Output<Record<string, { roles: string[]; config: string }>>;

    constructor(name: string, args: VaultPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        const where = `VaultPostgres ${name}`;
        const flavor = checkFlavor(where, args.flavor);
        checkImage(where, "postgres.image", args.postgres?.image);
        checkImage(where, "vault.image", args.vault?.image);
        checkPort(where, "postgres.hostPort", args.postgres?.hostPort);
        checkPort(where, "vault.hostPort", args.vault?.hostPort);
        const vaultMode = checkVaultMode(where, "vault.mode", args.vault?.mode);
        checkVaultStorage(where, "vault.storage", args.vault?.storage);
        checkUnauthenticatedMetrics(where, "vault.unauthenticatedMetrics", args.vault?.unauthenticatedMetrics, vaultMode, args.vault?.hostAddress);
        checkUnsealShares(where, { shares: "vault.unsealShares", threshold: "vault.unsealThreshold" }, args.vault?.unsealShares, args.vault?.unsealThreshold);
        checkModeWithoutExistingVault(where, "vault.mode", vaultMode, args.existingVault !== undefined);
        checkContainerPath(where, "postgres.dataPath", args.postgres?.dataPath);
        const existingPostgres = args.existingPostgres && checkExistingPostgres(where, "existingPostgres", args.existingPostgres);
        const existingVault = args.existingVault && checkExistingVault(where, "existingVault", args.existingVault);
        const tls = checkBoolean(where, "tls", args.tls ?? DEFAULTS.tls);
        const database = checkSqlName(where, "database", args.database ?? DEFAULTS.database, MAX_GROUP_PREFIX_LENGTH);
        const mountPath = checkMountPath(where, "mountPath", args.mountPath ?? DEFAULTS.mountPath);
        const approlePath = checkMountPath(where, "approlePath", args.approlePath ?? DEFAULTS.approlePath);
        const maxOpenConnections = checkPositiveInteger(where, "maxOpenConnections", args.maxOpenConnections ?? DEFAULTS.maxOpenConnections, MAX_OPEN_CONNECTIONS_LIMIT);
        const connections = checkConnectionLayout(where, args.connections, args.rotateRootCredentials);
        const limits = { maxOpenConnections, connectionBudget: checkPositiveInteger(where, "connectionBudget", args.connectionBudget ?? DEFAULTS.connectionBudget, MAX_CONNECTION_BUDGET) };
        const vaultAdminUsername = checkSqlName(where, "vaultAdminUsername", args.vaultAdminUsername ?? DEFAULTS.vaultAdminUsername);
        const databases = resolveDatabases(where, args.databases, { name: database, roles: resolveRoles(where, args.roles), staticRoles: resolveStaticRoles(where, args.staticRoles) });
        const roles = databases.flatMap((spec) => spec.roles);
        const jwtIssuers = resolveJwtIssuers(where, args.jwtAuth);
        const apps = resolveApps(where, args.apps, roles, databases.flatMap((spec) => spec.staticRoles), jwtIssuers.map((issuer) => issuer.path));
        const ci = resolveCiOidc(where, args.ciOidc);
        if (ci && jwtIssuers.some((issuer) => issuer.path === ci.path)) throw invalid(where, "ciOidc.path", ci.path, "is also a path of jwtAuth; CI's issuer gets its own auth method");
        // Every database's connection configs on the one budget: refused here, before anything is registered.
        const plan = planConnections(where, connections, databases.map((spec) => ({ name: spec.name, roles: [...spec.roles, ...spec.staticRoles] })), limits);

        for (const [field, shared] of [["sharedMount", args.sharedMount], ["sharedApprole", args.sharedApprole]] as const) {
            if (shared !== undefined) checkBoolean(where, field, shared);
            if (shared && !existingVault) throw invalid(where, field, shared, "shares a mount of an existing Vault with other stacks; set existingVault too (a Vault the stack runs is its own)");
        }
        // Which Vault files name PostgreSQL's CA and client certificate: checked before anything is registered.
        const vaultSideTls = vaultSideTlsFiles(where, {
            flavor,
            vaultContainer: !existingVault,
            postgresContainer: !existingPostgres,
            sslMode: existingPostgres ? existingPostgres.sslMode! : tls ? "verify-full" : "disable",
            caGiven: existingPostgres ? existingPostgres.caCertificate !== undefined : tls,
            clientCertificateGiven: existingPostgres?.clientCertificate !== undefined,
            files: existingPostgres?.vaultTlsFiles,
        });
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:index:VaultPostgres", name, {}, opts);

        const ca = tls && (!existingPostgres || !existingVault) ? new CertificateAuthority(`${name}-ca`, {}, { parent: this }) : undefined;
        this.caCertificate = ca?.certificate;
        const { dataPath, ...postgresContainer } = args.postgres ?? {};
        const pg = postgresSide(this, name, { ...postgresContainer, dataMountPath: dataPath }, existingPostgres, ca);
        this.postgres = pg.server;
        this.postgresTls = pg.tls;
        this.postgresAddress = pulumi.interpolate`${pg.host}:${pg.port}`;
        const vaultServer = vaultSide(this, name, {
            flavor,
            ...args.vault,
            networkName: this.postgres?.networkName,
            certificateAuthority: ca,
            postgresCaCertificate: vaultSideTls.uploadPostgresCa ? existingPostgres!.caCertificate : undefined,
        }, existingVault);
        this.vault = vaultServer.server;
        this.vaultProvider = vaultServer.provider;
        this.vaultAddress = vaultServer.address;
        this.vaultCaCertificate = vaultServer.caCertificate;
        // Where Vault reaches PostgreSQL: in-network beside a container Vault, else the address the Pulumi side uses.
        // With a host list Vault gets every entry (entries without a port take postgresPort), the Pulumi side the first.
        const vaultSeesPostgres =
            existingPostgres ? { host: existingPostgres.vaultHost ?? existingPostgres.host, port: pulumi.output(existingPostgres.port ?? POSTGRES_CONTAINER_PORT) }
            : this.vault ? { host: this.postgres!.internalHost, port: this.postgres!.internalPort }
            : { host: pg.host, port: pg.port };

        // What lives only in the server is replaced with what holds its data (the dev container's memory, the server
        // mode's volume). The mount is still deleted on its own before that goes, since unmounting is what revokes the
        // open leases (and drops their users); everything else is simply deleted with it.
        const replaceWith = this.vault ? [this.vault.dataHolder] : undefined;
        const vaultOpts = { parent: this, providers: [this.vaultProvider], replaceWith };
        const goesWithServer = { ...vaultOpts, deletedWith: this.vault?.dataHolder };

        const shared: SharedDatabaseSettings = {
            pg,
            vaultSeesPostgres,
            flavor,
            vaultTlsFiles: vaultSideTls.files,
            mountPath,
            vaultAdminUsername,
            maxOpenConnections,
            layout: connections,
            rotateRootCredentials: args.rotateRootCredentials,
            vaultOpts,
            postgresServer: this.postgres,
            ...(args.sharedMount && existingVault
                ? { existingMount: { address: existingVault.address, token: existingVault.token, caCertificate: existingVault.caCertificate } }
                : {}),
        };
        // Every access model first: the mount, which the first database's engine holds, depends on all of them.
        const accessModels: PostgresAccessModel[] = [];
        for (const spec of databases) accessModels.push(declareAccessModel(this, name, spec, shared, accessModels[0]));
        const declared: StackDatabase[] = [];
        databases.forEach((spec, index) => {
            declared.push(declareDatabase(name, spec, accessModels[index], plan[index], shared, { engine: declared[0]?.engine, accessModels }));
        });
        this.accessModel = declared[0].accessModel;
        this.groupRoles = this.accessModel.groupRoles;
        this.engine = declared[0].engine;
        this.mountPath = this.engine.mountPath;
        this.databases = Object.fromEntries(declared.map((database) => [database.name, database]));
        this.roles = Object.assign({}, ...declared.map((database) => database.roles));
        this.credsPaths = pulumi
            .all(Object.entries(this.roles).map(([roleName, role]) => pulumi.all([roleName, role.credsPath])))
            .apply((entries) => Object.fromEntries(entries));
        this.staticCredsPaths = pulumi.all(declared.flatMap((database) => database.staticCredsPaths)).apply((entries) => Object.fromEntries(entries));
        const byDatabase = (value: (model: PostgresAccessModel) => pulumi.Output<string>): pulumi.Output<Record<string, string>> =>
            pulumi.all(declared.map((database) => pulumi.all([database.name, value(database.accessModel)]))).apply((entries) => Object.fromEntries(entries));
        this.vaultAdmins = byDatabase((model) => model.vaultAdminUsername);
        this.vaultAdminPasswords = pulumi.secret(args.rotateRootCredentials ? pulumi.output<Record<string, string>>({}) : byDatabase((model) => model.vaultAdminPassword));
        this.connectionBudget = limits.connectionBudget;
        this.roleDatabases = Object.fromEntries(databases.flatMap((spec) => [...spec.roles, ...spec.staticRoles].map((role) => [role.name, spec.name])));

        // Plain names: the connections are named after the database (DatabaseSecretsEngine's default) and the layout.
        const identity = declareIdentity(name, {
            approlePath,
            sharedApprole: args.sharedApprole,
            apps,
            jwtIssuers,
            ci: args.ciOidc,
            mountPath,
            opts: goesWithServer,
            scope: {
                mountPath,
                connectionNames: plan.flatMap((planned, index) => planned.groups.map((group) => `${databases[index].name}${group.suffix}`)),
                rotateRoot: args.rotateRootCredentials ?? DEFAULTS.rotateRootCredentials,
                roleNames: roles.map((role) => role.name),
                staticRoleNames: databases.flatMap((spec) => spec.staticRoles.map((role) => role.name)),
                auditPath: this.vault?.audit ? AUDIT_DEVICE_PATH : undefined,
                sharedMount: args.sharedMount === true,
                policyNames: this.vault?.mode === "server" ? OPERATOR_POLICY_NAMES : [],
            },
        });
        this.approle = identity.approle;
        this.jwtAuth = identity.jwtAuth;
        this.appAccess = identity.appAccess;
        this.apps = identity.apps;
        this.ci = identity.ci;
        this.ciLogin = identity.ciLogin;
        this.deployerPolicy = identity.deployerPolicy;
        this.previewPolicy = identity.previewPolicy;

        this.agents = pulumi
            .all([this.vaultAddress, this.postgresAddress, this.accessModel.database, this.credsPaths, this.apps, this.vaultCaCertificate, this.postgresTls.caCertificate])
            .apply(([vaultAddress, postgresAddress, database, credsPathsByRole, appsByName, vaultCaCertificate, postgresCaCertificate]) =>
                stackAgentConfigs(
                    { vaultAddress, postgresAddress, database, roleDatabases: this.roleDatabases, credsPaths: credsPathsByRole, apps: appsByName, vaultCaCertificate, postgresCaCertificate, postgresSslMode: this.postgresTls.sslMode },
                    apps,
                ),
            );

        this.registerOutputs({ caCertificate: this.caCertificate, vaultCaCertificate: this.vaultCaCertificate, staticCredsPaths: this.staticCredsPaths, agents: this.agents, deployerPolicy: this.deployerPolicy, previewPolicy: this.previewPolicy, ...(this.ciLogin ? { ci: this.ciLogin } : {}), vaultAddress: this.vaultAddress, postgresAddress: this.postgresAddress, mountPath: this.mountPath, credsPaths: this.credsPaths, roleDatabases: this.roleDatabases, apps: this.apps, vaultAdmins: this.vaultAdmins });
    }
}
