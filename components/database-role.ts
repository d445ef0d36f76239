/**
 * One Vault database role (DatabaseRole): the statements that create, renew and revoke its credentials, and their TTLs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { credsPath } from "./hcl";
import { childLifecycle } from "./lifecycle";
import { GroupRoleNames, roleStatements } from "./sql";
import { DatabaseRoleSpec, resolveRole } from "./validate";

export interface DatabaseRoleArgs extends DatabaseRoleSpec {
    /** Path of the database secrets engine. */
    mountPath: pulumi.Input<string>;
    /** The engine's connection; pass `DatabaseSecretsEngine.connectionName` so the role waits for it. */
    connectionName: pulumi.Input<string>;
    /** The group roles of the access model. */
    groupRoles: GroupRoleNames;
}

/**
 * One Vault database role: credentials that join the group role of its access level, expire with their lease, and
 * are revoked without losing anything they created. Pass the Vault server's provider in `opts.providers`, and
 * `opts.deletedWith: engine.mount`: it is applied to the Vault role (as is `opts.replaceWith`), so that on destroy
 * the role stays until unmounting has revoked its leases. Leases issued before a role is deleted on its own remain
 * revocable: Vault keeps the connection name and revocation statements in each lease.
 */
export class DatabaseRole extends pulumi.ComponentResource {
    public readonly roleName: pulumi.Output<string>;
    /** Where an application reads credentials: `<mount>/creds/<role>`. */
    public readonly credsPath: pulumi.Output<string>;
    public readonly role: vault.database.SecretBackendRole;

    constructor(name: string, args: DatabaseRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        const spec = resolveRole(`DatabaseRole ${name}`, args);
        const statements = roleStatements(spec.access, args.groupRoles);
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:database:DatabaseRole", name, {}, opts);

        const role = new vault.database.SecretBackendRole(
            `${name}-role`,
            {
                backend: args.mountPath,
                name: spec.name,
                dbName: args.connectionName,
                creationStatements: statements.creation,
                revocationStatements: statements.revocation,
                renewStatements: statements.renew,
                rollbackStatements: statements.rollback,
                defaultTtl: spec.defaultTtlSeconds,
                maxTtl: spec.maxTtlSeconds,
            },
            // A new connection (dbName) replaces the role under the same name: creating first would write the new role and
            // then delete it (dbName forces replacement in terraform-provider-vault's resource_database_secret_backend_role.go).
            { parent: this, ...childLifecycle(opts), deleteBeforeReplace: true },
        );
        this.role = role;

        this.roleName = role.name;
        this.credsPath = pulumi.all([role.backend, role.name]).apply(([mount, roleName]) => credsPath(mount, roleName));
        this.registerOutputs({ roleName: this.roleName, credsPath: this.credsPath });
    }
}
