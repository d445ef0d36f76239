/**
 * A JWT auth method (JwtAuth): Vault verifies tokens an issuer signs (a Kubernetes cluster, GitHub Actions, any OIDC
 * provider) with keys from OIDC discovery, a JWKS URL or given public keys, and logs the bearer in as one of its roles.
 * `jwtRoleArgs` renders such a role, bound to the claims of one binding; apps (AppAccess) and CI (CiAccess) use it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { childLifecycle } from "./lifecycle";
import { JwtIssuerSpec, JwtRoleBinding, resolveJwtIssuer } from "./validate";

export type JwtAuthArgs = JwtIssuerSpec;

/**
 * One JWT auth method. Pass the provider in `opts.providers`; `opts.deletedWith` and `opts.replaceWith` are passed on
 * to the auth backend.
 */
export class JwtAuth extends pulumi.ComponentResource {
    /** Mount path of the auth method (without the `auth/` prefix). */
    public readonly path: pulumi.Output<string>;
    public readonly backend: vault.jwt.AuthBackend;

    constructor(name: string, args: JwtAuthArgs, opts?: pulumi.ComponentResourceOptions) {
        const spec = resolveJwtIssuer(`JwtAuth ${name}`, args);
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:auth:JwtAuth", name, {}, opts);
        // terraform-provider-vault reads a JWT auth method by its path, its id (vault/resource_jwt_auth_backend.go).
        this.backend = spec.existing
            ? vault.jwt.AuthBackend.get(`${name}-backend`, spec.path, undefined, { parent: this })
            : new vault.jwt.AuthBackend(`${name}-backend`, jwtBackendArgs(spec), { parent: this, ...childLifecycle(opts) });
        this.path = this.backend.path.apply((path) => path ?? spec.path);
        this.registerOutputs({ path: this.path });
    }
}

/** The auth method's arguments: type `jwt` and one source of keys (a CA only for a URL Vault fetches). */
export function jwtBackendArgs(spec: JwtIssuerSpec): vault.jwt.AuthBackendArgs {
    return {
        type: "jwt",
        path: spec.path,
        description: "Applications and CI logging in with tokens their platform signs",
        ...(spec.oidcDiscoveryUrl !== undefined ? { oidcDiscoveryUrl: spec.oidcDiscoveryUrl, ...(spec.caCertificate !== undefined ? { oidcDiscoveryCaPem: spec.caCertificate } : {}) } : {}),
        ...(spec.jwksUrl !== undefined ? { jwksUrl: spec.jwksUrl, ...(spec.caCertificate !== undefined ? { jwksCaPem: spec.caCertificate } : {}) } : {}),
        ...(spec.publicKeys !== undefined ? { jwtValidationPubkeys: spec.publicKeys } : {}),
        ...(spec.boundIssuer !== undefined ? { boundIssuer: spec.boundIssuer } : {}),
    };
}

/** What a login as the role gets: its policies and token lifetimes. */
export interface JwtRoleToken {
    policies: pulumi.Input<string>[];
    ttlSeconds: number;
    maxTtlSeconds: number;
}

/**
 * A role of a JWT auth method: tokens must carry the binding's audience, subject and claims (exact matches), and a
 * login gets the given policies only, without the default policy.
 */
export function jwtRoleArgs(backend: pulumi.Input<string>, roleName: string, binding: JwtRoleBinding, token: JwtRoleToken): vault.jwt.AuthBackendRoleArgs {
    return {
        backend,
        roleName,
        roleType: "jwt",
        boundAudiences: binding.boundAudiences,
        ...(binding.boundSubject !== undefined ? { boundSubject: binding.boundSubject } : {}),
        ...(binding.boundClaims !== undefined ? { boundClaims: binding.boundClaims, boundClaimsType: "string" } : {}),
        userClaim: binding.userClaim,
        tokenPolicies: token.policies,
        tokenNoDefaultPolicy: true,
        tokenTtl: token.ttlSeconds,
        tokenMaxTtl: token.maxTtlSeconds,
        tokenType: "service",
    };
}
