/**
 * One database of the composite: its access model (database, group roles, Vault admin), its connection configs on
 * the stack's one mount, and its dynamic and static roles. The first database's resources keep the names they had
 * before further databases existed (`<stack>-access`, `<stack>-engine`); a further one's carry its name
 * (`<stack>-db-<database>-access`). Roles are named by role, unique across the stack's databases.
 */
import * as pulumi from "@pulumi/pulumi";
import { PostgresAccessModel } from "./access-model";
import { DatabaseConnections } from "./connection-layout";
import { DatabaseRole } from "./database-role";
import { PostgresClientTls, VaultServerTlsFiles } from "./postgres-tls";
import { LeaseRevocation } from "./lease-revocation";
import { DatabaseSecretsEngine } from "./secrets-engine";
import { StaticRole } from "./static-role";
import { ConnectionLayout, DEFAULTS, Flavor, ResolvedDatabaseSpec, vaultAdminFor } from "./validate";

/** What every database of the stack shares: the servers and how they are reached, and the Vault options. */
export interface SharedDatabaseSettings {
    /** The Pulumi side's PostgreSQL admin connection. */
    pg: { host: pulumi.Input<string>; port: pulumi.Input<number>; superuser: pulumi.Input<string>; superuserPassword: pulumi.Input<string>; tls: PostgresClientTls };
    /** Where Vault reaches PostgreSQL. */
    vaultSeesPostgres: { host: pulumi.Input<string>; port: pulumi.Input<number> };
    flavor: Flavor;
    vaultTlsFiles: VaultServerTlsFiles;
    mountPath: string;
    /** The first database's Vault admin. */
    vaultAdminUsername: string;
    maxOpenConnections: number;
    layout: ConnectionLayout;
    rotateRootCredentials?: boolean;
    /** Vault resources' options: parent, provider, replaceWith. */
    vaultOpts: pulumi.CustomResourceOptions & pulumi.ComponentResourceOptions;
    /** The PostgreSQL container, which every database's Vault side outlives on destroy. */
    postgresServer?: pulumi.Resource;
    /**
     * The mount exists and is shared with other stacks: given, with what revokes a role's leases when the stack lets
     * go of it (the stack's Vault address, a token allowed `sudo` on `sys/leases/revoke-prefix/<mount>/creds/*`).
     */
    existingMount?: { address: pulumi.Input<string>; token?: pulumi.Input<string>; caCertificate?: pulumi.Input<string> };
}

/** A declared database. */
export interface StackDatabase {
    name: string;
    accessModel: PostgresAccessModel;
    engine: DatabaseSecretsEngine;
    roles: Record<string, DatabaseRole>;
    staticCredsPaths: pulumi.Output<[string, string]>[];
}

/** The first database's access model: its provider and admin check serve every further database. */
export function declareAccessModel(parent: pulumi.Resource, stack: string, spec: ResolvedDatabaseSpec, shared: SharedDatabaseSettings, first?: PostgresAccessModel): PostgresAccessModel {
    const { pg } = shared;
    return new PostgresAccessModel(
        first ? `${stack}-db-${spec.name}-access` : `${stack}-access`,
        {
            host: pg.host,
            port: pg.port,
            superuser: pg.superuser,
            superuserPassword: pg.superuserPassword,
            tls: pg.tls,
            database: spec.name,
            vaultAdminUsername: first ? vaultAdminFor(spec.name) : shared.vaultAdminUsername,
            ...(first ? { shareProviderOf: first } : {}),
        },
        { parent },
    );
}

/**
 * The Vault side of one database. `mountOwner` (the first database's engine) holds the mount; its `dependsOn` names
 * every database's access model, since unmounting revokes the leases of all of them.
 */
export function declareDatabase(
    stack: string,
    spec: ResolvedDatabaseSpec,
    accessModel: PostgresAccessModel,
    connections: DatabaseConnections,
    shared: SharedDatabaseSettings,
    mountOwner: { engine?: DatabaseSecretsEngine; accessModels: PostgresAccessModel[] },
): StackDatabase {
    const { pg, vaultOpts } = shared;
    const isFirst = mountOwner.engine === undefined;
    const dependsOn = [...(isFirst ? mountOwner.accessModels : [accessModel]), ...(shared.postgresServer ? [shared.postgresServer] : [])];
    const engine = new DatabaseSecretsEngine(
        isFirst ? `${stack}-engine` : `${stack}-db-${spec.name}-engine`,
        {
            mountPath: shared.mountPath,
            mount: mountOwner.engine?.mount,
            existingMount: shared.existingMount !== undefined,
            database: accessModel.database,
            host: shared.vaultSeesPostgres.host,
            port: shared.vaultSeesPostgres.port,
            tls: pg.tls,
            flavor: shared.flavor,
            vaultTlsFiles: shared.vaultTlsFiles,
            adminUsername: accessModel.vaultAdminUsername,
            adminPassword: accessModel.vaultAdminPassword,
            allowedRoles: [...spec.roles, ...spec.staticRoles].map((role) => role.name),
            maxOpenConnections: shared.maxOpenConnections,
            connectionBudget: connections.connectionBudget,
            connections: shared.layout,
            // Static roles are laid out like dynamic ones: with "per-role" each gets a connection of its own.
            accessLevels: Object.fromEntries([...spec.roles, ...spec.staticRoles].map((role) => [role.name, role.access])),
            rotateRootCredentials: shared.rotateRootCredentials ?? DEFAULTS.rotateRootCredentials,
        },
        { ...vaultOpts, dependsOn },
    );
    const connectionOf = (role: string): pulumi.Output<string> => engine.connectionNames.apply((names) => names[role]);
    // Deleting the mount deletes its roles; until then, revoking its leases needs them. A shared mount stays: each
    // role is deleted on its own, after its leases are revoked.
    const roleOpts = shared.existingMount ? { ...vaultOpts } : { ...vaultOpts, deletedWith: engine.mount };
    const roles: Record<string, DatabaseRole> = {};
    for (const role of spec.roles) {
        roles[role.name] = new DatabaseRole(
            `${stack}-role-${role.name}`,
            {
                name: role.name,
                access: role.access,
                defaultTtl: role.defaultTtlSeconds,
                maxTtl: role.maxTtlSeconds,
                mountPath: engine.mountPath,
                connectionName: connectionOf(role.name),
                groupRoles: accessModel.groupRoles,
            },
            roleOpts,
        );
        if (shared.existingMount) {
            new LeaseRevocation(
                `${stack}-revoke-${role.name}`,
                { ...shared.existingMount, prefix: pulumi.interpolate`${engine.mountPath}/creds/${role.name}` },
                { parent: vaultOpts.parent, dependsOn: [roles[role.name], ...engine.connections] },
            );
        }
    }
    const staticCredsPaths = spec.staticRoles.map((role) => {
        const staticRole = new StaticRole(
            `${stack}-static-${role.name}`,
            {
                name: role.name,
                access: role.access,
                rotationPeriod: role.rotationPeriodSeconds,
                rotationSchedule: role.rotationSchedule,
                host: pg.host,
                port: pg.port,
                superuser: pg.superuser,
                superuserPassword: pg.superuserPassword,
                tls: pg.tls,
                groupRoles: accessModel.groupRoles,
                vaultAdminUsername: accessModel.vaultAdminUsername,
                mountPath: engine.mountPath,
                connectionName: connectionOf(role.name),
            },
            // Like a dynamic role: its Vault side goes with the mount; its user stays a Postgres resource.
            { ...roleOpts, dependsOn: [accessModel] },
        );
        return pulumi.all([role.name, staticRole.credsPath]);
    });
    return { name: spec.name, accessModel, engine, roles, staticCredsPaths };
}
