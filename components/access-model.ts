/**
 * The Postgres side of the access model (PostgresAccessModel): the application database, three NOLOGIN group roles
 * holding every privilege, the Vault admin that adds credentials to them, and the grant plan (accessGrantPlan).
 */
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PostgresAdminCheck } from "./postgres-admin-check";
import { postgresAdminProvider } from "./postgres-provider";
import { AccessLevel, ACCESS_LEVELS, GroupRoleNames, groupRoleNames } from "./sql";
import { checkClientTls, checkPort, checkSqlName, DEFAULTS, MAX_GROUP_PREFIX_LENGTH, PostgresClientTls } from "./validate";

/** One privilege grant of the access model, as `@pulumi/postgresql` declares it. */
export interface PrivilegeGrant {
    access: AccessLevel;
    /** "grant": on existing objects; "default": `ALTER DEFAULT PRIVILEGES FOR ROLE <owner group>` for future ones. */
    kind: "grant" | "default";
    objectType: "database" | "schema" | "table" | "sequence";
    privileges: string[];
}

type MemberAccess = Exclude<AccessLevel, "owner">;
const TABLE_PRIVILEGES: Record<MemberAccess, string[]> = {
    readonly: ["SELECT"],
    readwrite: ["DELETE", "INSERT", "SELECT", "UPDATE"],
};
const SEQUENCE_PRIVILEGES: Record<MemberAccess, string[]> = {
    readonly: ["SELECT"],
    readwrite: ["SELECT", "UPDATE", "USAGE"],
};

/**
 * Everything the three group roles are granted, and nothing a credential is granted: credentials only join a group.
 * Objects the owner group creates later are covered by default privileges for the other two groups.
 *
 * The owner group gets no table or sequence grant: it owns what its credentials create, and an owner holds every
 * privilege implicitly. A grant list would also drift: the postgresql provider reads a table grant back by comparing
 * each table's ACL with the list, and from PostgreSQL 17 an owner's ACL carries MAINTAIN as well.
 */
export function accessGrantPlan(): PrivilegeGrant[] {
    const plan: PrivilegeGrant[] = [];
    for (const access of ACCESS_LEVELS) {
        plan.push({ access, kind: "grant", objectType: "database", privileges: ["CONNECT", "TEMPORARY"] });
        plan.push({ access, kind: "grant", objectType: "schema", privileges: access === "owner" ? ["CREATE", "USAGE"] : ["USAGE"] });
        if (access === "owner") continue;
        plan.push({ access, kind: "grant", objectType: "table", privileges: TABLE_PRIVILEGES[access] });
        plan.push({ access, kind: "grant", objectType: "sequence", privileges: SEQUENCE_PRIVILEGES[access] });
        plan.push({ access, kind: "default", objectType: "table", privileges: TABLE_PRIVILEGES[access] });
        plan.push({ access, kind: "default", objectType: "sequence", privileges: SEQUENCE_PRIVILEGES[access] });
    }
    return plan;
}

export interface PostgresAccessModelArgs {
    /** Address the Pulumi process connects to as the admin: a superuser, or a role with CREATEROLE and CREATEDB. */
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    superuser: pulumi.Input<string>;
    superuserPassword: pulumi.Input<string>;
    /** The application database to create; default "app". */
    database?: string;
    /** Prefix of the group roles (`<prefix>_readonly`, `_readwrite`, `_owner`); default: the database name. */
    groupRolePrefix?: string;
    /** Schema the groups get access to; default "public". */
    schema?: string;
    /** The login role Vault uses; default "vault_admin". */
    vaultAdminUsername?: string;
    /** TLS of the Pulumi process's connection: sslmode and CA; default sslmode "disable". */
    tls?: PostgresClientTls;
    /**
     * Another access model's provider and admin check, for a further database on the same server: one provider (one
     * plugin process and its connection pools) for every database of a stack, and one check.
     */
    shareProviderOf?: PostgresAccessModel;
}

/**
 * The Postgres side of the model: the application database, three NOLOGIN group roles holding all privileges, and a
 * Vault admin role with CREATEROLE (never SUPERUSER) and admin option on the groups, so it can add members. The
 * admin that creates them may be a superuser or a managed service's admin with CREATEROLE and CREATEDB: it grants
 * only roles it created, which PostgreSQL 16+ allows (the creator holds ADMIN OPTION on them).
 */
export class PostgresAccessModel extends pulumi.ComponentResource {
    public readonly database: pulumi.Output<string>;
    public readonly schema: string;
    public readonly groupRoles: GroupRoleNames;
    /** Resolves only once the admin role, its memberships and every grant exist: Vault connects after that. */
    public readonly vaultAdminUsername: pulumi.Output<string>;
    public readonly vaultAdminPassword: pulumi.Output<string>;
    public readonly provider: postgresql.Provider;
    /** The application database, the three group roles and the Vault admin role, for options such as `dependsOn`. */
    public readonly appDatabase: postgresql.Database;
    public readonly groups: Record<AccessLevel, postgresql.Role>;
    public readonly vaultAdmin: postgresql.Role;
    /** The admin privilege check every Postgres resource here waits for. */
    public readonly adminCheck: PostgresAdminCheck;

    constructor(name: string, args: PostgresAccessModelArgs, opts?: pulumi.ComponentResourceOptions) {
        const where = `PostgresAccessModel ${name}`;
        checkPort(where, "port", args.port);
        const databaseName = checkSqlName(where, "database", args.database ?? DEFAULTS.database);
        const prefix = checkSqlName(where, "groupRolePrefix", args.groupRolePrefix ?? databaseName, MAX_GROUP_PREFIX_LENGTH);
        const schema = checkSqlName(where, "schema", args.schema ?? "public");
        const adminName = checkSqlName(where, "vaultAdminUsername", args.vaultAdminUsername ?? DEFAULTS.vaultAdminUsername);
        const tls = checkClientTls(where, args.tls);
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:postgres:PostgresAccessModel", name, {}, opts);
        this.schema = schema;
        this.groupRoles = groupRoleNames(prefix);

        this.provider = args.shareProviderOf?.provider ?? postgresAdminProvider(name, { ...args, tls }, this);
        // A missing privilege stops the program here, before any Postgres resource exists.
        this.adminCheck =
            args.shareProviderOf?.adminCheck ??
            new PostgresAdminCheck(
                `${name}-admin-check`,
                { host: args.host, port: args.port, username: args.superuser, password: args.superuserPassword, database: databaseName, ...tls },
                { parent: this },
            );
        const childOpts = { parent: this, provider: this.provider };
        const checkedOpts = { ...childOpts, dependsOn: [this.adminCheck] };

        const groups = Object.fromEntries(
            ACCESS_LEVELS.map((access) => [
                access,
                new postgresql.Role(`${name}-${access}`, { name: this.groupRoles[access], login: false }, checkedOpts),
            ]),
        ) as Record<AccessLevel, postgresql.Role>;
        const adminPassword = pulumi.secret(
            new random.RandomPassword(`${name}-vault-admin-password`, { length: 32, special: false }, { parent: this }).result,
        );
        // Its memberships are the GrantRole resources below (they carry ADMIN OPTION, which `roles` cannot). The
        // provider reads every membership back into `roles`, so without ignoreChanges a refresh followed by an
        // update would revoke them all.
        const admin = new postgresql.Role(
            `${name}-vault-admin`,
            { name: adminName, login: true, createRole: true, password: adminPassword },
            { ...checkedOpts, ignoreChanges: ["roles"] },
        );

        // Dropping the database ends every session in it, Vault's pooled ones as the Vault admin included, and only a
        // role with the privileges of a session's user may end it: from PostgreSQL 16 a non-superuser admin holds ADMIN
        // OPTION on the roles it created, not their privileges (unless createrole_self_grant says so). The provider
        // reads back the first pg_auth_members row of the pair (getGrantRoleQuery, resource_postgresql_grant_role.go),
        // which on 16+ is that creator's row with admin option; every argument forces a new grant, so the read value
        // is ignored rather than replacing the grant on every up. Asking for the admin option instead is refused on
        // 16+ ("ADMIN option cannot be granted back to your own grantor").
        const adminSessions = new postgresql.GrantRole(
            `${name}-admin-in-vault-admin`,
            { role: args.superuser, grantRole: admin.name, withAdminOption: false },
            { ...childOpts, dependsOn: [admin], ignoreChanges: ["withAdminOption"] },
        );
        // The provider drops a role after reassigning what it owns in its own database (postgres) only: the owner
        // group's tables in this database block DROP ROLE until the database is gone, so it goes first on destroy,
        // while the admin may still end the Vault admin's sessions.
        const database = new postgresql.Database(`${name}-database`, { name: databaseName }, { ...childOpts, dependsOn: [...Object.values(groups), adminSessions] });

        // Catalog updates in parallel fail with "tuple concurrently updated": apply grants one after another.
        let previous: pulumi.CustomResource = adminSessions;
        for (const access of ACCESS_LEVELS) {
            previous = new postgresql.GrantRole(
                `${name}-vault-admin-in-${access}`,
                { role: admin.name, grantRole: groups[access].name, withAdminOption: true },
                { ...childOpts, dependsOn: [previous] },
            );
        }
        for (const grant of accessGrantPlan()) {
            const grantName = `${name}-${grant.access}-${grant.kind}-${grant.objectType}`;
            const target = {
                database: database.name,
                role: groups[grant.access].name,
                schema: grant.objectType === "database" ? undefined : this.schema,
                objectType: grant.objectType,
                privileges: grant.privileges,
            };
            const grantOpts = { ...childOpts, dependsOn: [previous] };
            previous =
                grant.kind === "grant"
                    ? new postgresql.Grant(grantName, target, grantOpts)
                    : new postgresql.DefaultPrivileges(grantName, { ...target, owner: groups.owner.name }, grantOpts);
        }
        // PostgreSQL gives PUBLIC CONNECT and TEMPORARY on every new database, so any login role of the cluster could
        // connect to this one. Only its groups (their credentials and the Vault admin, a member), its owner and
        // superusers may. The provider takes "public" as PUBLIC and reads its privileges as grantee 0 (getRoleOID,
        // postgresql/helpers.go); an empty list revokes them all.
        previous = new postgresql.Grant(
            `${name}-public-database`,
            { database: database.name, role: "public", objectType: "database", privileges: [] },
            { ...childOpts, dependsOn: [previous] },
        );
        // PostgreSQL 14 and earlier also give PUBLIC CREATE on schema public: a readonly credential could create
        // tables there. Only the groups' own grants remain (from 15, PUBLIC has USAGE only, which the groups hold).
        previous = new postgresql.Grant(
            `${name}-public-schema`,
            { database: database.name, role: "public", schema: this.schema, objectType: "schema", privileges: [] },
            { ...childOpts, dependsOn: [previous] },
        );

        this.appDatabase = database;
        this.groups = groups;
        this.vaultAdmin = admin;
        this.database = database.name;
        this.vaultAdminUsername = pulumi.all([admin.name, previous.id]).apply(([adminRoleName]) => adminRoleName);
        this.vaultAdminPassword = adminPassword;
        this.registerOutputs({
            database: this.database,
            groupRoles: this.groupRoles,
            vaultAdminUsername: this.vaultAdminUsername,
            vaultAdminPassword: this.vaultAdminPassword,
        });
    }
}
