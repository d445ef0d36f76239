/**
 * The applier's mapping of the JWT auth resources (hashicorp/terraform-provider-vault, which @pulumi/vault bridges):
 * - vault/resource_jwt_auth_backend.go: create = POST sys/auth/<path> {type}, then a write of auth/<path>/config;
 *   read = GET sys/auth/<path> (missing: dropped), GET auth/<path>/config, GET sys/mounts/auth/<path>/tune;
 *   `type` forces new; delete = DELETE sys/auth/<path>.
 * - vault/resource_jwt_auth_backend_role.go: create and update write auth/<backend>/role/<name> (bound_claims values
 *   split on commas and trimmed, unless disable_bound_claims_parsing); `role_name` and `backend` force new.
 */
import { TYPES } from "../helpers/pulumi-mocks";
import { Inputs, notReplayed, ResourceOps, vault, vaultRead } from "./applier-providers";

const BACKEND_CONFIG: Record<string, string> = {
    oidcDiscoveryUrl: "oidc_discovery_url",
    oidcDiscoveryCaPem: "oidc_discovery_ca_pem",
    jwksUrl: "jwks_url",
    jwksCaPem: "jwks_ca_pem",
    jwtValidationPubkeys: "jwt_validation_pubkeys",
    boundIssuer: "bound_issuer",
};

function backendConfig(inputs: Inputs): Inputs {
    return Object.fromEntries(Object.entries(BACKEND_CONFIG).filter(([input]) => inputs[input] !== undefined).map(([input, field]) => [field, inputs[input]]));
}

const jwtBackend: ResourceOps = {
    inputs: ["type", "path", "description", ...Object.keys(BACKEND_CONFIG)],
    replaceOn: ["type"],
    async create(inputs, ctx) {
        return [
            ...(await vault(ctx, "POST", `sys/auth/${inputs.path}`, { type: inputs.type, description: inputs.description })),
            ...(await vault(ctx, "POST", `auth/${inputs.path}/config`, backendConfig(inputs))),
        ];
    },
    update: (_old, next, changed, ctx) =>
        changed.every((key) => key in BACKEND_CONFIG) ? vault(ctx, "POST", `auth/${next.path}/config`, backendConfig(next)) : notReplayed(TYPES.jwtAuthBackend, changed),
    delete: (inputs, ctx) => vault(ctx, "DELETE", `sys/auth/${inputs.path}`),
    async read(inputs, ctx) {
        if (!(await vaultRead(ctx, `sys/auth/${inputs.path}`, [400, 404]))) return undefined;
        if (!(await vaultRead(ctx, `auth/${inputs.path}/config`))) return undefined;
        await vaultRead(ctx, `sys/mounts/auth/${inputs.path}/tune`);
        return inputs;
    },
};

const jwtRole: ResourceOps = {
    inputs: ["backend", "roleName", "roleType", "boundAudiences", "boundSubject", "boundClaims", "boundClaimsType", "userClaim", "tokenPolicies", "tokenNoDefaultPolicy", "tokenTtl", "tokenMaxTtl", "tokenType"],
    replaceOn: ["backend", "roleName"],
    create: (inputs, ctx) =>
        vault(ctx, "POST", `auth/${inputs.backend}/role/${inputs.roleName}`, {
            role_type: inputs.roleType,
            bound_audiences: inputs.boundAudiences,
            ...(inputs.boundSubject !== undefined ? { bound_subject: inputs.boundSubject } : {}),
            ...(inputs.boundClaims !== undefined
                ? { bound_claims: Object.fromEntries(Object.entries(inputs.boundClaims as Record<string, string>).map(([claim, values]) => [claim, values.split(",").map((value) => value.trim())])) }
                : {}),
            ...(inputs.boundClaimsType !== undefined ? { bound_claims_type: inputs.boundClaimsType } : {}),
            user_claim: inputs.userClaim,
            token_policies: inputs.tokenPolicies,
            token_no_default_policy: inputs.tokenNoDefaultPolicy,
            token_ttl: inputs.tokenTtl,
            token_max_ttl: inputs.tokenMaxTtl,
            token_type: inputs.tokenType,
        }),
    update: (_old, next, _changed, ctx) => jwtRole.create(next, ctx),
    delete: (inputs, ctx) => vault(ctx, "DELETE", `auth/${inputs.backend}/role/${inputs.roleName}`),
    read: async (inputs, ctx) => ((await vaultRead(ctx, `auth/${inputs.backend}/role/${inputs.roleName}`)) ? inputs : undefined),
};

export const JWT_OPS: Record<string, ResourceOps> = {
    [TYPES.jwtAuthBackend]: jwtBackend,
    [TYPES.jwtRole]: jwtRole,
};
