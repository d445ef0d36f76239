/**
 * The pack's policies: each one a name, a description, the resource type it checks and its check (from
 * sql-rules.ts, vault-policy-rules.ts, jwt-role-rules.ts, infrastructure-rules.ts), built as plain `ResourceValidationPolicy` objects so
 * tests can import them without starting a policy server; `allPolicies` is what index.ts packs. All are mandatory by
 * default. Running them outside the engine (tests) is in tests/util.ts.
 */
import { EnforcementLevel, PolicyConfigSchema, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { checkGuardrailConfig, configSchema, GuardrailConfig } from "./config";
import { checkConnection, checkConnectionTls, checkContainer } from "./infrastructure-rules";
import { checkJwtRole } from "./jwt-role-rules";
import { TYPES } from "./resource-types";
import { checkCreationStatements, checkRevocationStatements, checkTtls } from "./sql-rules";
import { checkVaultPolicy } from "./vault-policy-rules";

// The root project's unit tests (test/unit/bad-input.test.ts, test/unit/server-mode.test.ts) import these from here.
export { checkGuardrailConfig } from "./config";
export { parsePolicyPaths } from "./vault-policy-parser";

const enforcementLevel: EnforcementLevel = "mandatory";

/** The resource types of the policies built so far, filled by `policyFor`; exported as CHECKED_TYPES. */
const checkedTypes = new Set<string>();

/**
 * A policy that runs `check` on every resource of `type`, after checking its config (`schema` given: the pack config
 * of that policy; otherwise none), and reports each message `check` returns as a violation.
 */
function policyFor(
    name: string,
    description: string,
    type: string,
    check: (props: Record<string, unknown>, config: GuardrailConfig) => string[],
    schema?: PolicyConfigSchema,
): ResourceValidationPolicy {
    checkedTypes.add(type);
    return {
        name,
        description,
        enforcementLevel,
        configSchema: schema,
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (args.type !== type) return;
            const config = checkGuardrailConfig(schema ? args.getConfig<Record<string, unknown>>() : {});
            for (const message of check(args.props, config)) reportViolation(message);
        },
    };
}

export const dbRoleNoPrivilegedOptions = policyFor(
    "db-role-no-privileged-options",
    "Database role creation statements grant no SUPERUSER, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS, and set VALID UNTIL '{{expiration}}'.",
    TYPES.role,
    checkCreationStatements,
);

export const dbRoleSafeRevocation = policyFor(
    "db-role-safe-revocation",
    "Every database role has revocation statements, and DROP OWNED only after REASSIGN OWNED.",
    TYPES.role,
    checkRevocationStatements,
);

export const dbRoleBoundedTtl = policyFor(
    "db-role-bounded-ttl",
    "Database roles set defaultTtl <= maxTtl <= maxTtlCapSeconds (default 24h).",
    TYPES.role,
    checkTtls,
    configSchema,
);

export const vaultPolicyLeastPrivilege = policyFor(
    "vault-policy-least-privilege",
    "Vault policies grant no sudo (a deployer's only on one auth method, the audit devices and one role's leases), nothing on sys/ short of an exact endpoint, and only read or list on wildcard paths (but for renewing and revoking one role's leases); lease revocation only by URL under one role, renewal by body with update only.",
    TYPES.policy,
    checkVaultPolicy,
);

export const jwtRoleBound = policyFor(
    "jwt-role-bound",
    "JWT/OIDC auth roles are bound to a subject or claims and to audiences, set tokenNoDefaultPolicy, and a GitHub repository's role does not match its ref by a glob.",
    TYPES.jwtRole,
    checkJwtRole,
);

export const dbConnectionVerified = policyFor(
    "db-connection-verified",
    "Database connections keep verifyConnection on.",
    TYPES.connection,
    checkConnection,
);

export const dbConnectionTls = policyFor(
    "db-connection-tls",
    "Database connections verify PostgreSQL's certificate (sslmode verify-full or verify-ca), unless every host is this machine.",
    TYPES.connection,
    checkConnectionTls,
);

export const containerNotPrivileged = policyFor(
    "container-not-privileged",
    "Containers do not run privileged and add no capability but IPC_LOCK.",
    TYPES.container,
    checkContainer,
);

export const allPolicies: ResourceValidationPolicy[] = [
    dbRoleNoPrivilegedOptions,
    dbRoleSafeRevocation,
    dbRoleBoundedTtl,
    vaultPolicyLeastPrivilege,
    jwtRoleBound,
    dbConnectionVerified,
    dbConnectionTls,
    containerNotPrivileged,
];

/** Every resource type some policy checks (tests assert the dev stack, or for JWT roles a stack with JWT logins, declares each). */
export const CHECKED_TYPES: readonly string[] = [...checkedTypes];
