/**
 * One application's access (AppAccess): its least-privilege Vault policy and the AppRole role bound to it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { appPolicy } from "./hcl";
import { childLifecycle } from "./lifecycle";
import { AppSpec, checkSafeName, invalid, MAX_APP_NAME_LENGTH, MAX_VAULT_ROLE_NAME_LENGTH, resolveTokenTtls } from "./validate";

export interface AppAccessArgs extends AppSpec {
    /**
     * Path of the database secrets engine. Pass it as a plain string where you can: the policy text is then known
     * at preview, so a policy pack can check it on a stack that does not exist yet.
     */
    mountPath: pulumi.Input<string>;
    /** Path of the AppRole auth method (`AppRoleAuth.path`). */
    approlePath: pulumi.Input<string>;
}

/** Name of an application's policy. */
export function appPolicyName(appName: string): string {
    return `${appName}-db`;
}

/**
 * One application's access: a least-privilege policy (its roles' creds paths, renew and revoke of those leases, its
 * own token) and an AppRole role bound to it alone, without the default policy. Pass the provider in `opts.providers`;
 * `opts.deletedWith` and `opts.replaceWith` are passed on to the policy and the AppRole role.
 */
export class AppAccess extends pulumi.ComponentResource {
    public readonly policyName: pulumi.Output<string>;
    /** The AppRole role id: not a secret on its own, the app also needs a secret id. */
    public readonly roleId: pulumi.Output<string>;
    /** Where the app logs in: `auth/<approle path>/login`. */
    public readonly loginPath: pulumi.Output<string>;
    public readonly policy: vault.Policy;
    public readonly approleRole: vault.approle.AuthBackendRole;

    constructor(name: string, args: AppAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        const where = `AppAccess ${name}`;
        const appName = checkSafeName(where, "name", args.name, MAX_APP_NAME_LENGTH);
        const staticRoles = args.staticRoles ?? [];
        if (!Array.isArray(args.roles) || (args.roles.length === 0 && staticRoles.length === 0)) {
            throw invalid(where, "roles", args.roles, "an app needs a non-empty list of role names");
        }
        args.roles.forEach((role, index) => checkSafeName(where, `roles[${index}]`, role, MAX_VAULT_ROLE_NAME_LENGTH));
        staticRoles.forEach((role, index) => checkSafeName(where, `staticRoles[${index}]`, role, MAX_VAULT_ROLE_NAME_LENGTH));
        // On its own, an app's token lives at most its TTL unless told otherwise.
        const ttls = resolveTokenTtls(where, args, (tokenTtlSeconds) => tokenTtlSeconds);
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:auth:AppAccess", name, {}, opts);

        const policy = new vault.Policy(
            `${name}-policy`,
            { name: appPolicyName(appName), policy: pulumi.output(args.mountPath).apply((mount) => appPolicy(mount, args.roles, staticRoles)) },
            { parent: this, ...childLifecycle(opts) },
        );
        const role = new vault.approle.AuthBackendRole(
            `${name}-approle`,
            {
                backend: args.approlePath,
                roleName: appName,
                tokenPolicies: [policy.name],
                tokenNoDefaultPolicy: true,
                tokenTtl: ttls.tokenTtlSeconds,
                tokenMaxTtl: ttls.tokenMaxTtlSeconds,
                secretIdTtl: ttls.secretIdTtlSeconds,
                tokenType: "service",
            },
            { parent: this, ...childLifecycle(opts) },
        );
        this.policy = policy;
        this.approleRole = role;

        this.policyName = policy.name;
        this.roleId = role.roleId;
        this.loginPath = pulumi.interpolate`auth/${role.backend}/login`;
        this.registerOutputs({ policyName: this.policyName, roleId: this.roleId, loginPath: this.loginPath });
    }
}
