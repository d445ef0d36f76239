/**
 * The guardrails, as plain policy objects (no PolicyPack here, so tests can import them without starting a server).
 * Each violation message says what is wrong and how to fix it.
 */
import { EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

export const TYPES = {
    role: "vault:database/secretBackendRole:SecretBackendRole",
    policy: "vault:index/policy:Policy",
    connection: "vault:database/secretBackendConnection:SecretBackendConnection",
    container: "docker:index/container:Container",
} as const;

/** Pack config: the longest TTL a database role may hand out. */
export interface GuardrailConfig {
    maxTtlCapSeconds: number;
}
export const DEFAULT_MAX_TTL_CAP_SECONDS = 86400;

const enforcementLevel: EnforcementLevel = "mandatory";

/** Checks the pack config the same way for `pulumi preview --policy-pack-config` and for tests. */
export function checkGuardrailConfig(config: Record<string, unknown>): GuardrailConfig {
    for (const key of Object.keys(config)) {
        if (key !== "maxTtlCapSeconds" && key !== "enforcementLevel") {
            throw new Error(`policy pack config: ${key} = ${JSON.stringify(config[key])}: unknown setting; known settings are maxTtlCapSeconds, enforcementLevel`);
        }
    }
    const cap = config.maxTtlCapSeconds ?? DEFAULT_MAX_TTL_CAP_SECONDS;
    if (typeof cap !== "number" || !Number.isInteger(cap) || cap < 1) {
        throw new Error(`policy pack config: maxTtlCapSeconds = ${JSON.stringify(cap)}: must be a whole number of seconds, 1 or more`);
    }
    return { maxTtlCapSeconds: cap };
}

// ---------------------------------------------------------------------------------------------------------------
// Pure checks: each returns the violation messages for one resource's props.
// ---------------------------------------------------------------------------------------------------------------

const PRIVILEGED_ROLE_OPTIONS = ["SUPERUSER", "CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS"];

/** Vault splits statements on `;`: check them the way Vault runs them. */
export function splitStatements(statements: unknown): string[] {
    if (!Array.isArray(statements)) return [];
    return statements
        .flatMap((statement) => String(statement).split(";"))
        .map((statement) => statement.trim())
        .filter((statement) => statement.length > 0);
}

/** Removes quoted strings and identifiers, so `'{{password}}'` or `"SUPERUSER-ish"` cannot trip a keyword. */
function withoutQuoted(sql: string): string {
    return sql.replace(/'(?:[^']|'')*'/g, "''").replace(/"(?:[^"]|"")*"/g, '""');
}

export function checkCreationStatements(props: Record<string, unknown>): string[] {
    const statements = splitStatements(props.creationStatements);
    const messages: string[] = [];
    for (const statement of statements) {
        const bare = withoutQuoted(statement);
        for (const option of PRIVILEGED_ROLE_OPTIONS) {
            // A whole word: NOSUPERUSER and friends are fine.
            if (new RegExp(`(?<![A-Za-z_])${option}(?![A-Za-z_])`, "i").test(bare)) {
                messages.push(
                    `creation statement grants ${option}: "${statement}". ` +
                        `Remove ${option}; give credentials their privileges by membership in a NOLOGIN group role (CREATE ROLE ... IN ROLE <group>).`,
                );
            }
        }
    }
    if (!statements.some((statement) => /VALID\s+UNTIL\s+'\{\{expiration\}\}'/i.test(statement))) {
        messages.push(
            "creation statements do not set VALID UNTIL '{{expiration}}': the user would outlive its lease if revocation fails. " +
                "Add VALID UNTIL '{{expiration}}' to the CREATE ROLE statement.",
        );
    }
    return messages;
}

export function checkRevocationStatements(props: Record<string, unknown>): string[] {
    const statements = splitStatements(props.revocationStatements);
    if (statements.length === 0) {
        return [
            "the role has no revocation statements: Vault's default revocation fails when the user owns objects. " +
                "Add revocation statements: REASSIGN OWNED BY \"{{name}}\" TO <owner group>, DROP OWNED BY \"{{name}}\", DROP ROLE \"{{name}}\".",
        ];
    }
    const firstReassign = statements.findIndex((statement) => /REASSIGN\s+OWNED/i.test(statement));
    const messages: string[] = [];
    statements.forEach((statement, index) => {
        if (/DROP\s+OWNED/i.test(statement) && (firstReassign < 0 || firstReassign > index)) {
            messages.push(
                `revocation runs "${statement}" before any REASSIGN OWNED: it would delete every table the user created. ` +
                    "Put REASSIGN OWNED BY \"{{name}}\" TO <owner group> before DROP OWNED.",
            );
        }
    });
    return messages;
}

export function checkTtls(props: Record<string, unknown>, config: GuardrailConfig): string[] {
    const defaultTtl = Number(props.defaultTtl ?? 0);
    const maxTtl = Number(props.maxTtl ?? 0);
    const cap = config.maxTtlCapSeconds;
    if (!(defaultTtl > 0) || !(maxTtl > 0)) {
        return [`defaultTtl (${props.defaultTtl ?? "unset"}) and maxTtl (${props.maxTtl ?? "unset"}) must both be set above 0, or the mount's defaults (up to 32 days) apply. Set both explicitly, maxTtl at most ${cap}s.`];
    }
    const messages: string[] = [];
    if (defaultTtl > maxTtl) {
        messages.push(`defaultTtl ${defaultTtl}s exceeds maxTtl ${maxTtl}s. Lower defaultTtl to at most maxTtl.`);
    }
    if (maxTtl > cap) {
        messages.push(`maxTtl ${maxTtl}s exceeds the cap of ${cap}s. Lower maxTtl, or raise maxTtlCapSeconds in the policy pack config.`);
    }
    return messages;
}

/** One `path "..." { capabilities = [...] }` block of a Vault policy. */
export interface PolicyPathRule {
    path: string;
    capabilities: string[];
}

/** Reads the path blocks of an HCL policy (comments ignored). Enough for the policies Vault accepts in practice. */
export function parsePolicyPaths(hcl: string): PolicyPathRule[] {
    const text = hcl.replace(/(^|[^:"])(#|\/\/)[^\n]*/g, "$1");
    const rules: PolicyPathRule[] = [];
    const block = /path\s+"((?:[^"\\]|\\.)*)"\s*\{([^}]*)\}/g;
    for (let match = block.exec(text); match; match = block.exec(text)) {
        const capabilities = /capabilities\s*=\s*\[([^\]]*)\]/.exec(match[2]);
        rules.push({
            path: match[1],
            capabilities: capabilities ? [...capabilities[1].matchAll(/"([^"]*)"/g)].map((capability) => capability[1].toLowerCase()) : [],
        });
    }
    return rules;
}

const WRITE_CAPABILITIES = ["create", "update", "patch", "delete", "sudo"];
/** Wildcards that act on one lease at a time: an app renewing or revoking its own leases by id. */
const LEASE_PATHS = /^sys\/leases\/(renew|revoke)\/[^*+]+\/\*$/;

export function checkVaultPolicy(props: Record<string, unknown>): string[] {
    const messages: string[] = [];
    for (const rule of parsePolicyPaths(String(props.policy ?? ""))) {
        const literalPrefix = rule.path.split(/[*+]/)[0];
        const isWildcard = literalPrefix !== rule.path;
        if (rule.capabilities.includes("sudo")) {
            messages.push(`path "${rule.path}" grants sudo. Remove "sudo": applications never need root-protected endpoints.`);
        }
        if (rule.path === "sys" || (isWildcard && ["sys", "sys/"].includes(literalPrefix))) {
            messages.push(`path "${rule.path}" grants ${JSON.stringify(rule.capabilities)} on all of sys/. Grant the exact sys/ paths needed instead (for leases: sys/leases/renew/<mount>/creds/<role>/*).`);
            continue;
        }
        const broad = rule.capabilities.filter((capability) => WRITE_CAPABILITIES.includes(capability) || capability === "*");
        const leaseOnly = LEASE_PATHS.test(rule.path) && broad.every((capability) => capability === "update");
        if (isWildcard && broad.length > 0 && !leaseOnly) {
            messages.push(`wildcard path "${rule.path}" grants ${JSON.stringify(broad)}. On a wildcard path grant only read or list (update only on sys/leases/renew|revoke/<prefix>/*), or name the exact paths.`);
        }
    }
    return messages;
}

export function checkConnection(props: Record<string, unknown>): string[] {
    return props.verifyConnection === false
        ? ["verifyConnection is off: a wrong URL or password would only fail when an app asks for credentials. Remove verifyConnection: false (it defaults to true)."]
        : [];
}

export function checkContainer(props: Record<string, unknown>): string[] {
    return props.privileged === true
        ? ["the container runs privileged: it could take over the Docker host. Remove privileged: true; add only the capabilities it needs."]
        : [];
}

// ---------------------------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------------------------

function policyFor(
    name: string,
    description: string,
    type: string,
    check: (props: Record<string, unknown>, config: GuardrailConfig) => string[],
    configSchema?: ResourceValidationPolicy["configSchema"],
): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel,
        configSchema,
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (args.type !== type) return;
            const config = checkGuardrailConfig(configSchema ? args.getConfig<Record<string, unknown>>() : {});
            for (const message of check(args.props, config)) reportViolation(message);
        },
    };
}

export const allPolicies: ResourceValidationPolicy[] = [
    policyFor(
        "db-role-no-privileged-options",
        "Database role creation statements grant no SUPERUSER, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS, and set VALID UNTIL '{{expiration}}'.",
        TYPES.role,
        checkCreationStatements,
    ),
    policyFor(
        "db-role-safe-revocation",
        "Every database role has revocation statements, and DROP OWNED only after REASSIGN OWNED.",
        TYPES.role,
        checkRevocationStatements,
    ),
    policyFor("db-role-bounded-ttl", "defaultTtl <= maxTtl <= a configurable cap (default 24h).", TYPES.role, checkTtls, {
        properties: { maxTtlCapSeconds: { type: "integer", minimum: 1, default: DEFAULT_MAX_TTL_CAP_SECONDS } },
    }),
    policyFor("vault-policy-least-privilege", "Vault policies grant no sudo, nothing on all of sys/, and no write capabilities on wildcard paths.", TYPES.policy, checkVaultPolicy),
    policyFor("db-connection-verified", "Database connections keep verifyConnection on.", TYPES.connection, checkConnection),
    policyFor("container-not-privileged", "Containers do not run privileged.", TYPES.container, checkContainer),
];

/** One violation found by `validateResources`. */
export interface Violation {
    policy: string;
    resource: string;
    message: string;
}

/** Runs one policy on one resource the way the engine does; returns its violation messages. */
export async function runPolicy(
    policy: ResourceValidationPolicy,
    resource: { type: string; name: string; props: Record<string, unknown> },
    config: Record<string, unknown> = {},
): Promise<string[]> {
    const messages: string[] = [];
    const args = {
        type: resource.type,
        name: resource.name,
        urn: `urn:pulumi:test::test::${resource.type}::${resource.name}`,
        props: resource.props,
        opts: {},
        stackTags: new Map<string, string>(),
        isType: () => false,
        notApplicable: () => undefined,
        getConfig: <T>() => ({ ...config }) as T,
    } as unknown as ResourceValidationArgs;
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
    for (const validate of validations) await validate(args, (message) => messages.push(message));
    return messages;
}

/** Runs every policy over every resource; for tests that feed a whole stack through the pack. */
export async function validateResources(
    resources: { type: string; name: string; props: Record<string, unknown> }[],
    config: Partial<GuardrailConfig> = {},
): Promise<Violation[]> {
    const violations: Violation[] = [];
    for (const resource of resources) {
        for (const policy of allPolicies) {
            for (const message of await runPolicy(policy, resource, config)) {
                violations.push({ policy: policy.name, resource: resource.name, message });
            }
        }
    }
    return violations;
}
