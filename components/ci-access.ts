/**
 * CI's access to the stack (CiAccess): the repository's workflows log in to Vault with the job's OIDC token. Every
 * run of the repository (pull requests too) may log in as the preview role, whose policy reads what a
 * `pulumi preview --refresh` reads and writes nothing; runs on the deploy branch (and in the deploy environment, where
 * set) as the deploy role, with the deployer policy. No Vault token is stored anywhere.
 */
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { JwtAuth, jwtRoleArgs } from "./jwt-auth";
import { childLifecycle } from "./lifecycle";
import { checkSafeName, CiOidcSpec, DEFAULTS, MAX_VAULT_ROLE_NAME_LENGTH, resolveCiOidc } from "./validate";

export interface CiAccessArgs extends CiOidcSpec {
    /** Prefix of its policy and role names: `<prefix>-preview`, `<prefix>-deployer` and `<prefix>-deploy`. */
    prefix: string;
    /** The policy (HCL) a deploy may apply the stack with (`deployerPolicy`). */
    deployerPolicy: pulumi.Input<string>;
    /** The policy (HCL) a preview reads the stack with (`previewPolicy`). */
    previewPolicy: pulumi.Input<string>;
}

/** The names CiAccess gives its policies and roles. */
export function ciNames(prefix: string): { previewPolicy: string; deployerPolicy: string; previewRole: string; deployRole: string } {
    return { previewPolicy: `${prefix}-preview`, deployerPolicy: `${prefix}-deployer`, previewRole: `${prefix}-preview`, deployRole: `${prefix}-deploy` };
}

/** What a workflow needs to log in (the `ci` stack output). */
export interface CiLogin {
    /** `auth/<path>/login`. */
    loginPath: string;
    /** The audience to ask GitHub for. */
    audience: string;
    previewRole: string;
    deployRole: string;
}

/** Pass the provider in `opts.providers`; `opts.deletedWith` and `opts.replaceWith` are passed on to its resources. */
export class CiAccess extends pulumi.ComponentResource {
    public readonly auth: JwtAuth;
    public readonly previewPolicy: vault.Policy;
    public readonly deployerPolicy: vault.Policy;
    public readonly previewRole: vault.jwt.AuthBackendRole;
    public readonly deployRole: vault.jwt.AuthBackendRole;
    public readonly login: pulumi.Output<CiLogin>;

    constructor(name: string, args: CiAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        const where = `CiAccess ${name}`;
        const prefix = checkSafeName(where, "prefix", args.prefix, MAX_VAULT_ROLE_NAME_LENGTH - "-deployer".length);
        const { prefix: _prefix, deployerPolicy, previewPolicy, ...spec } = args;
        const ci = resolveCiOidc(where, spec)!;
        const names = ciNames(prefix);
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:auth:CiAccess", name, {}, opts);
        const child = { parent: this, ...childLifecycle(opts) };
        this.auth = new JwtAuth(
            `${name}-auth`,
            ci.existingAuth ? { path: ci.path, existing: true } : { path: ci.path, oidcDiscoveryUrl: ci.issuer, boundIssuer: ci.issuer },
            { parent: this, deletedWith: opts?.deletedWith, replaceWith: opts?.replaceWith },
        );
        this.previewPolicy = new vault.Policy(`${name}-preview-policy`, { name: names.previewPolicy, policy: previewPolicy }, child);
        this.deployerPolicy = new vault.Policy(`${name}-deployer-policy`, { name: names.deployerPolicy, policy: deployerPolicy }, child);
        this.previewRole = new vault.jwt.AuthBackendRole(
            `${name}-preview-role`,
            jwtRoleArgs(this.auth.path, names.previewRole, ci.preview, {
                policies: [this.previewPolicy.name],
                ttlSeconds: DEFAULTS.ciPreviewTokenTtlSeconds,
                maxTtlSeconds: DEFAULTS.ciPreviewTokenTtlSeconds,
            }),
            child,
        );
        this.deployRole = new vault.jwt.AuthBackendRole(
            `${name}-deploy-role`,
            jwtRoleArgs(this.auth.path, names.deployRole, ci.deploy, {
                policies: [this.deployerPolicy.name],
                ttlSeconds: DEFAULTS.ciDeployTokenTtlSeconds,
                maxTtlSeconds: DEFAULTS.ciDeployTokenTtlSeconds,
            }),
            child,
        );
        this.login = pulumi.all([this.previewRole.backend, this.previewRole.roleName, this.deployRole.roleName]).apply(([path, previewRole, deployRole]) => ({
            loginPath: `auth/${path}/login`,
            audience: ci.audience,
            previewRole,
            deployRole,
        }));
        this.registerOutputs({ login: this.login });
    }
}
