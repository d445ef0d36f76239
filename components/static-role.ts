/**
 * A PostgreSQL user with a fixed name whose password Vault owns and rotates (StaticRole).
 */
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { staticCredsPath } from "./hcl";
import { postgresAdminProvider } from "./postgres-provider";
import { AccessLevel, GroupRoleNames, staticRotationStatements } from "./sql";
import { childLifecycle } from "./lifecycle";
import { checkClientTls, invalid, PostgresClientTls, resolveStaticRole, StaticRoleSpec } from "./validate";

export interface StaticRoleArgs extends StaticRoleSpec {
    /** Where the Pulumi process reaches PostgreSQL as superuser (the access model's connection). */
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    superuser: pulumi.Input<string>;
    superuserPassword: pulumi.Input<string>;
    /** TLS of that connection: sslmode and CA; default sslmode "disable". */
    tls?: PostgresClientTls;
    /** The access model's group roles; the user joins `groupRoles[access]`. */
    groupRoles: GroupRoleNames;
    /** The Vault admin login role, which gets ADMIN OPTION on the user so it may set its password. */
    vaultAdminUsername: pulumi.Input<string>;
    /** Path of the database secrets engine and its connection (whose allowedRoles must list this name). */
    mountPath: pulumi.Input<string>;
    connectionName: pulumi.Input<string>;
}

/**
 * A PostgreSQL login user with a fixed name, for clients that pin a user (connection poolers, long migrations), and
 * the Vault static role that owns and rotates its password. Pulumi never sets or reads the password:
 * - the user is created without one; Vault sets the first on creating the static role, then one per rotation;
 * - its provider runs with `superuser: false` (postgres-provider.ts), so a refresh keeps the (empty) password from
 *   state instead of reading the verifier Vault set from pg_shadow, which would show as drift and be cleared by the
 *   next `up`;
 * - the static role reads back username, db_name, rotation_period/rotation_schedule and rotation_statements, never
 *   the password (`databaseSecretBackendStaticRoleRead`, vault/resource_database_secret_backend_static_role.go in
 *   hashicorp/terraform-provider-vault): declaring each of them means refresh shows no drift.
 * The Vault admin gets ADMIN OPTION on the user: PostgreSQL 16 and later let a CREATEROLE role alter only roles it
 * has ADMIN OPTION on, and the rotation statements do nothing but set the password.
 * Pass the Vault provider in `opts.providers` and the access model in `opts.dependsOn` (the user joins one of its
 * groups); the Postgres side uses a provider of its own.
 */
export class StaticRole extends pulumi.ComponentResource {
    public readonly username: pulumi.Output<string>;
    /** `<mount>/static-creds/<name>`: where an app reads the current password. */
    public readonly credsPath: pulumi.Output<string>;
    public readonly user: postgresql.Role;
    public readonly staticRole: vault.database.SecretBackendStaticRole;

    constructor(name: string, args: StaticRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        const where = `StaticRole ${name}`;
        const spec = resolveStaticRole(where, {
            name: args.name,
            access: args.access,
            ...(args.rotationPeriod === undefined ? {} : { rotationPeriod: args.rotationPeriod }),
            ...(args.rotationSchedule === undefined ? {} : { rotationSchedule: args.rotationSchedule }),
        });
        const group = args.groupRoles[spec.access as AccessLevel];
        const tls = checkClientTls(where, args.tls);
        if (Object.values(args.groupRoles).includes(spec.name)) {
            throw invalid(where, "name", spec.name, "a static user cannot take the name of a group role");
        }
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:database:StaticRole", name, {}, opts);

        const provider = postgresAdminProvider(name, { ...args, tls }, this);
        // opts.dependsOn (the access model: its group roles) goes to the user, which everything else here follows.
        this.user = new postgresql.Role(
            `${name}-user`,
            { name: spec.name, login: true, roles: [group] },
            { parent: this, provider, dependsOn: opts?.dependsOn },
        );
        const adminGrant = new postgresql.GrantRole(
            `${name}-vault-admin-grant`,
            { role: args.vaultAdminUsername, grantRole: this.user.name, withAdminOption: true },
            { parent: this, provider },
        );
        this.staticRole = new vault.database.SecretBackendStaticRole(
            `${name}-static-role`,
            {
                backend: args.mountPath,
                name: spec.name,
                dbName: args.connectionName,
                username: this.user.name,
                rotationPeriod: spec.rotationPeriodSeconds,
                rotationSchedule: spec.rotationSchedule,
                rotationStatements: staticRotationStatements(),
            },
            // Creating it rotates the password at once: the user and the admin's grant must exist. Only this Vault
            // side takes `opts.deletedWith`/`replaceWith`: the user is a Postgres resource and outlives a Vault server.
            { parent: this, dependsOn: [adminGrant], ...childLifecycle(opts) },
        );

        this.username = this.staticRole.username;
        this.credsPath = pulumi.all([this.staticRole.backend, this.staticRole.name]).apply(([mount, role]) => staticCredsPath(mount, role));
        this.registerOutputs({ username: this.username, credsPath: this.credsPath });
    }
}

