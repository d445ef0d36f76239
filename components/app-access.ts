/**
 * One application's access (AppAccess): its least-privilege Vault policy and the login bound to it: an AppRole role,
 * or a role of a JWT auth method bound to the token its platform gives it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { appPolicy } from "./hcl";
import { jwtRoleArgs } from "./jwt-auth";
import { childLifecycle } from "./lifecycle";
import { AppSpec, checkSafeName, invalid, MAX_APP_NAME_LENGTH, MAX_VAULT_ROLE_NAME_LENGTH, resolveJwtBinding, resolveTokenTtls } from "./validate";

export interface AppAccessArgs extends AppSpec {
    /**
     * Path of the database secrets engine. Pass it as a plain string where you can: the policy text is then known
     * at preview, so a policy pack can check it on a stack that does not exist yet.
     */
    mountPath: pulumi.Input<string>;
    /** Path of the AppRole auth method (`AppRoleAuth.path`); needed unless the app logs in with `jwt`. */
    approlePath?: pulumi.Input<string>;
    /**
     * With `jwt`: the JWT auth method's path as an Output (`JwtAuth.path`), so the role is created after the method;
     * default `jwt.auth`.
     */
    jwtAuthPath?: pulumi.Input<string>;
}

/** How an app logs in: `approle` (role id and secret id) or `jwt` (a token its platform signs). */
export type AppLoginMethod = "approle" | "jwt";

/** Name of an application's policy. */
export function appPolicyName(appName: string): string {
    return `${appName}-db`;
}

/**
 * One application's access: a least-privilege policy (its roles' creds paths, renew and revoke of those leases, its
 * own token) and a login role bound to it alone, without the default policy: an AppRole role, or with `jwt` a role of
 * that JWT auth method bound to the binding's claims. Pass the provider in `opts.providers`; `opts.deletedWith` and
 * `opts.replaceWith` are passed on to the policy and the login role.
 */
export class AppAccess extends pulumi.ComponentResource {
    public readonly policyName: pulumi.Output<string>;
    public readonly method: AppLoginMethod;
    /** The AppRole role id (AppRole only): not a secret on its own, the app also needs a secret id. */
    public readonly roleId?: pulumi.Output<string>;
    /** Where the app logs in: `auth/<approle or jwt path>/login`, as role `roleName`. */
    public readonly loginPath: pulumi.Output<string>;
    /** The role it logs in as: the app's name. */
    public readonly roleName: string;
    public readonly policy: vault.Policy;
    public readonly approleRole?: vault.approle.AuthBackendRole;
    public readonly jwtRole?: vault.jwt.AuthBackendRole;

    constructor(name: string, args: AppAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        const where = `AppAccess ${name}`;
        const appName = checkSafeName(where, "name", args.name, MAX_APP_NAME_LENGTH);
        const staticRoles = args.staticRoles ?? [];
        if (!Array.isArray(args.roles) || (args.roles.length === 0 && staticRoles.length === 0)) {
            throw invalid(where, "roles", args.roles, "an app needs a non-empty list of role names");
        }
        args.roles.forEach((role, index) => checkSafeName(where, `roles[${index}]`, role, MAX_VAULT_ROLE_NAME_LENGTH));
        staticRoles.forEach((role, index) => checkSafeName(where, `staticRoles[${index}]`, role, MAX_VAULT_ROLE_NAME_LENGTH));
        const jwt = args.jwt === undefined ? undefined : resolveJwtBinding(where, args.jwt);
        if (jwt === undefined && args.approlePath === undefined) throw invalid(where, "approlePath", undefined, "an app logs in with AppRole (approlePath) or with jwt");
        if (jwt !== undefined && args.secretIdTtl !== undefined) throw invalid(where, "secretIdTtl", args.secretIdTtl, "applies only to AppRole logins; this app logs in with jwt");
        // On its own, an app's token lives at most its TTL unless told otherwise.
        const ttls = resolveTokenTtls(where, args, (tokenTtlSeconds) => tokenTtlSeconds);
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:auth:AppAccess", name, {}, opts);

        const policy = new vault.Policy(
            `${name}-policy`,
            { name: appPolicyName(appName), policy: pulumi.output(args.mountPath).apply((mount) => appPolicy(mount, args.roles, staticRoles)) },
            { parent: this, ...childLifecycle(opts) },
        );
        this.policy = policy;
        this.policyName = policy.name;
        this.roleName = appName;
        if (jwt !== undefined) {
            this.method = "jwt";
            const token = { policies: [policy.name], ttlSeconds: ttls.tokenTtlSeconds, maxTtlSeconds: ttls.tokenMaxTtlSeconds };
            this.jwtRole = new vault.jwt.AuthBackendRole(`${name}-jwt`, jwtRoleArgs(args.jwtAuthPath ?? jwt.auth, appName, jwt, token), { parent: this, ...childLifecycle(opts) });
            this.loginPath = pulumi.interpolate`auth/${this.jwtRole.backend}/login`;
        } else {
            this.method = "approle";
            const role = new vault.approle.AuthBackendRole(
                `${name}-approle`,
                {
                    backend: args.approlePath!,
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
            this.approleRole = role;
            this.roleId = role.roleId;
            this.loginPath = pulumi.interpolate`auth/${role.backend}/login`;
        }
        this.registerOutputs({ policyName: this.policyName, loginPath: this.loginPath, ...(this.roleId ? { roleId: this.roleId } : {}) });
    }
}
