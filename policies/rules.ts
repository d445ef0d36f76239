/**
 * The guardrails, as plain policy objects (no PolicyPack here, so tests can import them without starting a server).
 * Each violation message says what is wrong and how to fix it.
 */
import {
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    unknownCheckingProxy,
    UnknownValueError,
} from "@pulumi/policy";

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

/** Config schema of `db-role-bounded-ttl`, the one policy with settings (`--policy-pack-config`). */
export const configSchema: PolicyConfigSchema = {
    properties: {
        maxTtlCapSeconds: {
            type: "integer",
            minimum: 1,
            default: DEFAULT_MAX_TTL_CAP_SECONDS,
            description: "The longest maxTtl, in seconds, a database role may have",
        },
    },
};

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
// SQL statements: each check returns the violation messages for one resource's props.
// ---------------------------------------------------------------------------------------------------------------

const PRIVILEGED_ROLE_OPTIONS = ["SUPERUSER", "CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS"];

/** Vault splits statements on `;`: check them the way Vault runs them. */
function splitStatements(statements: unknown): string[] {
    if (!Array.isArray(statements)) return [];
    return statements
        .flatMap((statement) => String(statement).split(";"))
        .map((statement) => statement.trim())
        .filter((statement) => statement.length > 0);
}

/**
 * Blanks out double-quoted identifiers, so a role named `"replication"` cannot trip a keyword. String literals stay:
 * they can hold SQL that runs (`EXECUTE 'ALTER ROLE ... SUPERUSER'`), and Vault's own are only `{{password}}` and
 * `{{expiration}}`.
 */
function withoutIdentifiers(sql: string): string {
    let out = "";
    let state: "code" | "string" | "identifier" = "code";
    for (let i = 0; i < sql.length; i++) {
        const char = sql[i];
        if (state === "code") {
            if (char === '"') {
                state = "identifier";
                out += '""';
                continue;
            }
            if (char === "'") state = "string";
            out += char;
        } else if (state === "string") {
            out += char;
            if (char === "'") {
                if (sql[i + 1] === "'") out += sql[++i];
                else state = "code";
            }
        } else if (char === '"') {
            if (sql[i + 1] === '"') i++;
            else state = "code";
        }
    }
    return out;
}

/** `word` as a whole keyword: NOSUPERUSER or SUPERUSER_X do not count. */
function hasKeyword(sql: string, word: string): boolean {
    return new RegExp(`(?<![A-Za-z0-9_$])${word}(?![A-Za-z0-9_$])`, "i").test(sql);
}

function checkCreationStatements(props: Record<string, unknown>): string[] {
    const statements = splitStatements(props.creationStatements);
    const messages: string[] = [];
    for (const statement of statements) {
        const code = withoutIdentifiers(statement);
        for (const option of PRIVILEGED_ROLE_OPTIONS) {
            if (hasKeyword(code, option)) {
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

function checkRevocationStatements(props: Record<string, unknown>): string[] {
    const statements = splitStatements(props.revocationStatements);
    if (statements.length === 0) {
        return [
            "the role has no revocation statements: Vault's default revocation fails when the user owns objects. " +
                "Add revocation statements: REASSIGN OWNED BY \"{{name}}\" TO <owner group>, DROP OWNED BY \"{{name}}\", DROP ROLE \"{{name}}\".",
        ];
    }
    // A DROP OWNED is safe only after a REASSIGN OWNED: in an earlier statement, or earlier in the same one.
    const messages: string[] = [];
    let reassigned = false;
    for (const statement of statements) {
        const code = withoutIdentifiers(statement);
        const reassignAt = code.search(/(?<![A-Za-z0-9_$])REASSIGN\s+OWNED(?![A-Za-z0-9_$])/i);
        const dropAt = code.search(/(?<![A-Za-z0-9_$])DROP\s+OWNED(?![A-Za-z0-9_$])/i);
        if (dropAt >= 0 && !reassigned && (reassignAt < 0 || reassignAt > dropAt)) {
            messages.push(
                `revocation runs "${statement}" before any REASSIGN OWNED: it would delete every table the user created. ` +
                    "Put REASSIGN OWNED BY \"{{name}}\" TO <owner group> before DROP OWNED.",
            );
        }
        reassigned ||= reassignAt >= 0;
    }
    return messages;
}

function checkTtls(props: Record<string, unknown>, config: GuardrailConfig): string[] {
    const defaultTtl = Number(props.defaultTtl ?? 0);
    const maxTtl = Number(props.maxTtl ?? 0);
    const cap = config.maxTtlCapSeconds;
    if (!(defaultTtl > 0) || !(maxTtl > 0)) {
        return [
            `defaultTtl (${props.defaultTtl ?? "unset"}) and maxTtl (${props.maxTtl ?? "unset"}) must both be set above 0, or the mount's defaults (up to 32 days) apply. ` +
                `Set both explicitly, maxTtl at most ${cap}s.`,
        ];
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

// ---------------------------------------------------------------------------------------------------------------
// Vault policies
// ---------------------------------------------------------------------------------------------------------------

/** One `path "..." { capabilities = [...] }` block of a Vault policy. */
export interface PolicyPathRule {
    path: string;
    capabilities: string[];
}

interface HclToken {
    kind: "string" | "word" | "punct";
    text: string;
}

const HCL_ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };

/** Tokens of an HCL 1 document: strings (unescaped), bare words and single punctuation; comments dropped. */
function tokenizeHcl(text: string): HclToken[] {
    const tokens: HclToken[] = [];
    let i = 0;
    while (i < text.length) {
        const char = text[i];
        if (/\s/.test(char)) {
            i++;
        } else if (char === "#" || text.startsWith("//", i)) {
            const end = text.indexOf("\n", i);
            i = end < 0 ? text.length : end;
        } else if (text.startsWith("/*", i)) {
            const end = text.indexOf("*/", i + 2);
            if (end < 0) throw new Error("unterminated /* comment");
            i = end + 2;
        } else if (char === '"') {
            let value = "";
            for (i++; i < text.length && text[i] !== '"'; i++) {
                if (text[i] === "\n") throw new Error("unterminated string");
                if (text[i] !== "\\") {
                    value += text[i];
                } else if (text[i + 1] === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
                    value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
                    i += 5;
                } else {
                    value += HCL_ESCAPES[text[i + 1]] ?? text[i + 1] ?? "";
                    i++;
                }
            }
            if (i >= text.length) throw new Error("unterminated string");
            tokens.push({ kind: "string", text: value });
            i++;
        } else if (/[A-Za-z0-9_.-]/.test(char)) {
            const word = /^[A-Za-z0-9_.-]+/.exec(text.slice(i))![0];
            tokens.push({ kind: "word", text: word });
            i += word.length;
        } else {
            tokens.push({ kind: "punct", text: char });
            i++;
        }
    }
    return tokens;
}

/** Reads `{ ... }` starting at tokens[start] (which must be `{`); returns the tokens inside and the index after `}`. */
function hclBlock(tokens: HclToken[], start: number): { body: HclToken[]; next: number } {
    if (tokens[start]?.text !== "{" || tokens[start].kind !== "punct") throw new Error(`expected "{" after a path`);
    let depth = 0;
    for (let i = start; i < tokens.length; i++) {
        if (tokens[i].kind !== "punct") continue;
        if (tokens[i].text === "{") depth++;
        if (tokens[i].text === "}" && --depth === 0) return { body: tokens.slice(start + 1, i), next: i + 1 };
    }
    throw new Error("unbalanced braces");
}

/** The `capabilities = [...]` list at the top level of a path block (nested blocks such as allowed_parameters skipped). */
function hclCapabilities(body: HclToken[]): string[] {
    const capabilities: string[] = [];
    let depth = 0;
    for (let i = 0; i < body.length; i++) {
        const token = body[i];
        if (token.kind === "punct" && (token.text === "{" || token.text === "[")) depth++;
        if (token.kind === "punct" && (token.text === "}" || token.text === "]")) depth--;
        const isKey = depth === 0 && (token.kind === "word" || token.kind === "string") && token.text === "capabilities";
        if (isKey && body[i + 1]?.text === "=" && body[i + 2]?.text === "[") {
            for (i += 3; i < body.length && !(body[i].kind === "punct" && body[i].text === "]"); i++) {
                if (body[i].kind === "string" || body[i].kind === "word") capabilities.push(body[i].text.toLowerCase());
            }
        }
    }
    return capabilities;
}

function jsonPolicyPaths(text: string): PolicyPathRule[] {
    const document = JSON.parse(text) as { path?: Record<string, { capabilities?: unknown }> };
    return Object.entries(document.path ?? {}).map(([path, rule]) => ({
        path,
        capabilities: Array.isArray(rule?.capabilities) ? rule.capabilities.map((capability) => String(capability).toLowerCase()) : [],
    }));
}

/**
 * Reads the path rules of a Vault policy: HCL (`path "x" { capabilities = [...] }`, also `path = { "x" = {...} }`;
 * `#`, `//` and `/* *\/` comments) or JSON. Throws on anything else: a policy holds nothing but path rules, and a
 * guardrail that cannot read one must not pass it.
 */
export function parsePolicyPaths(policy: string): PolicyPathRule[] {
    if (policy.trim().startsWith("{")) return jsonPolicyPaths(policy);
    const tokens = tokenizeHcl(policy);
    const rules: PolicyPathRule[] = [];
    let i = 0;
    while (i < tokens.length) {
        if (tokens[i].kind !== "word" || tokens[i].text !== "path") {
            throw new Error(`unexpected ${JSON.stringify(tokens[i].text)} where a path block should start`);
        }
        i++;
        if (tokens[i]?.kind === "string") {
            // path "x" { ... }  or  path "x" = { ... }
            const path = tokens[i].text;
            i += tokens[i + 1]?.text === "=" ? 2 : 1;
            const { body, next } = hclBlock(tokens, i);
            rules.push({ path, capabilities: hclCapabilities(body) });
            i = next;
        } else {
            // path = { "x" = { ... } "y" = { ... } }
            if (tokens[i]?.text === "=") i++;
            const { body, next } = hclBlock(tokens, i);
            for (let j = 0; j < body.length; ) {
                if (body[j].kind !== "string") throw new Error(`expected a quoted path, found ${JSON.stringify(body[j].text)}`);
                const path = body[j].text;
                j += body[j + 1]?.text === "=" ? 2 : 1;
                const inner = hclBlock(body, j);
                rules.push({ path, capabilities: hclCapabilities(inner.body) });
                j = inner.next;
                if (body[j]?.text === ",") j++;
            }
            i = next;
        }
    }
    return rules;
}

/** Capabilities a wildcard path may grant: it can reach paths nobody reviewed, so reading is all. */
const WILDCARD_CAPABILITIES = ["read", "list", "deny"];
/** The one write on wildcard paths: renewing or revoking leases of one named role, by lease id. */
const ROLE_LEASES = /^sys\/leases\/(renew|revoke)\/[^*+]+\/creds\/[^/*+]+\/\*$/;
/**
 * Endpoints that act on any lease named in the request body. Renewing in the body form
 * (`sys/leases/renew`, update only) is allowed: Vault's default policy grants it, Vault Agent and the Go client need
 * it, and a renewal never outlives the role's max TTL. Revoking that way would let a token end other apps' leases.
 * `sys/renew` and `sys/revoke` are the older spellings of the same endpoints.
 */
const ANY_LEASE_RENEW = ["sys/leases/renew", "sys/renew"];
const ANY_LEASE_REVOKE = ["sys/leases/revoke", "sys/revoke"];

function checkVaultPolicy(props: Record<string, unknown>): string[] {
    // Read outside the try: a policy text unknown at preview is the engine's to report (as "can't run during
    // preview", advisory), never a violation of this rule.
    const text = String(props.policy ?? "");
    let rules: PolicyPathRule[];
    try {
        rules = parsePolicyPaths(text);
    } catch (error) {
        return [
            `the policy cannot be read (${(error as Error).message}), so its grants cannot be checked. ` +
                'Write it as path "<path>" { capabilities = ["read"] } blocks, one per path.',
        ];
    }
    const messages: string[] = [];
    for (const rule of rules) {
        // deny overrides every other capability on the path: such a rule grants nothing.
        if (rule.capabilities.includes("deny")) continue;
        const fixedPart = rule.path.split(/[*+]/)[0];
        const isWildcard = fixedPart !== rule.path;
        const granted = JSON.stringify(rule.capabilities);
        if (rule.capabilities.includes("sudo")) {
            messages.push(`path "${rule.path}" grants sudo. Remove "sudo": applications never need root-protected endpoints.`);
        }
        if (rule.path === "sys" || rule.path === "sys/" || (isWildcard && "sys/".startsWith(fixedPart))) {
            messages.push(
                `path "${rule.path}" grants ${granted} on sys/ without naming an exact sys/ endpoint. ` +
                    "Name the exact sys/ paths needed (for leases: sys/leases/renew/<mount>/creds/<role>/* and sys/leases/revoke/<mount>/creds/<role>/*).",
            );
            continue;
        }
        const writes = rule.capabilities.filter((capability) => !WILDCARD_CAPABILITIES.includes(capability));
        if (ANY_LEASE_RENEW.includes(rule.path) && writes.some((capability) => capability !== "update")) {
            messages.push(
                `path "${rule.path}" grants ${JSON.stringify(writes)}. ` +
                    'Renewing a lease given in the body needs only ["update"]; grant nothing else there.',
            );
            continue;
        }
        if (ANY_LEASE_REVOKE.includes(rule.path) && rule.capabilities.length > 0) {
            messages.push(
                `path "${rule.path}" grants ${granted}: it revokes the lease named in the body, so a token could end other apps' leases. ` +
                    "Grant revoke only as sys/leases/revoke/<mount>/creds/<role>/* for the app's own roles.",
            );
            continue;
        }
        const roleLeases = ROLE_LEASES.test(rule.path) && writes.every((capability) => capability === "update");
        if (isWildcard && writes.length > 0 && !roleLeases) {
            messages.push(
                `wildcard path "${rule.path}" grants ${JSON.stringify(writes)}. ` +
                    "On a wildcard path grant only read or list (update only on sys/leases/renew|revoke/<mount>/creds/<role>/*), or name the exact paths.",
            );
        }
    }
    return messages;
}

// ---------------------------------------------------------------------------------------------------------------
// Connections and containers
// ---------------------------------------------------------------------------------------------------------------

function checkConnection(props: Record<string, unknown>): string[] {
    return props.verifyConnection === false
        ? ["verifyConnection is off: a wrong URL or password would only fail when an app asks for credentials. Remove verifyConnection: false (it defaults to true)."]
        : [];
}

/**
 * Capabilities a container may add: IPC_LOCK alone, which a server-mode HashiCorp Vault with file storage needs to
 * lock its memory (mlockall) so secrets are not swapped to disk. Nothing else the stack runs needs one.
 */
export const ALLOWED_ADDED_CAPABILITIES: readonly string[] = ["IPC_LOCK"];

function checkContainer(props: Record<string, unknown>): string[] {
    const messages: string[] = [];
    if (props.privileged === true) {
        messages.push("the container runs privileged: it could take over the Docker host. Remove privileged: true; add only the capabilities it needs.");
    }
    const capabilities = props.capabilities as { adds?: unknown } | undefined;
    const adds = Array.isArray(capabilities?.adds) ? capabilities.adds : [];
    for (const added of adds) {
        // Docker accepts "IPC_LOCK" and "CAP_IPC_LOCK", in any case.
        const name = typeof added === "string" ? added.toUpperCase().replace(/^CAP_/, "") : added;
        if (name === UNKNOWN_AT_PREVIEW) continue;
        if (typeof name !== "string" || !ALLOWED_ADDED_CAPABILITIES.includes(name)) {
            messages.push(`the container adds capability ${JSON.stringify(added)}; only ${ALLOWED_ADDED_CAPABILITIES.join(", ")} (memory locking for a Vault server) is allowed.`);
        }
    }
    return messages;
}

// ---------------------------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------------------------

function policyFor(
    name: string,
    description: string,
    type: string,
    check: (props: Record<string, unknown>, config: GuardrailConfig) => string[],
    schema?: PolicyConfigSchema,
): ResourceValidationPolicy {
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
    "Vault policies grant no sudo, nothing on sys/ short of an exact endpoint, and only read or list on wildcard paths (but for renewing and revoking one role's leases); lease revocation only by URL under one role, renewal by body with update only.",
    TYPES.policy,
    checkVaultPolicy,
);

export const dbConnectionVerified = policyFor(
    "db-connection-verified",
    "Database connections keep verifyConnection on.",
    TYPES.connection,
    checkConnection,
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
    dbConnectionVerified,
    containerNotPrivileged,
];

// ---------------------------------------------------------------------------------------------------------------
// Running policies outside the engine (tests, whole-stack checks)
// ---------------------------------------------------------------------------------------------------------------

/** A resource as the engine hands it to a policy: its type token, name and input properties. */
export interface PolicyResource {
    type: string;
    name: string;
    props: Record<string, unknown>;
}

/** One violation found by `validateResources`; `level` is set only on a policy that could not run at preview. */
export interface Violation {
    policy: string;
    resource: string;
    message: string;
    level?: "advisory";
}

/** The wire format's marker for a value unknown at preview (`@pulumi/pulumi/runtime/rpc.js`, `unknownValue`). */
export const UNKNOWN_AT_PREVIEW = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Props as the engine hands them to a policy: deserialized from the wire format and wrapped in the SDK's proxy,
 * which throws `UnknownValueError` when a policy reads a value marked `UNKNOWN_AT_PREVIEW`
 * (`@pulumi/policy/server.js`, `analyze`).
 */
function propsAsTheEngineSends(props: Record<string, unknown>): Record<string, unknown> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
        deserializeProperties(struct: { toJavaScript(): unknown }, proxySecrets: boolean): Record<string, unknown>;
    };
    return unknownCheckingProxy(deserializeProperties({ toJavaScript: () => props }, false));
}

const NO_OPTIONS: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

/** The arguments the engine passes to `validateResource`, with `config` as what `getConfig()` returns. */
export function resourceValidationArgs(resource: PolicyResource, config: Record<string, unknown> = {}): ResourceValidationArgs {
    const isType = (resourceClass: unknown): boolean => (resourceClass as { __pulumiType?: string }).__pulumiType === resource.type;
    return {
        type: resource.type,
        name: resource.name,
        urn: `urn:pulumi:test::test::${resource.type}::${resource.name}`,
        props: resource.props,
        opts: NO_OPTIONS,
        stackTags: new Map<string, string>(),
        isType,
        asType: <T>(resourceClass: unknown) => (isType(resourceClass) ? (resource.props as T) : undefined),
        getConfig: <T extends object>() => ({ ...config }) as T,
        notApplicable: (reason?: string): never => {
            throw new Error(`not applicable: ${reason ?? ""}`);
        },
    };
}

/**
 * Runs one policy on one resource the way the engine does; returns its violation messages in order. A read of a
 * value unknown at preview ends the policy with the engine's advisory note (prefixed "can't run"), as the engine does.
 */
export async function runPolicy(policy: ResourceValidationPolicy, resource: PolicyResource, config: Record<string, unknown> = {}): Promise<string[]> {
    const messages: string[] = [];
    const args = resourceValidationArgs({ ...resource, props: propsAsTheEngineSends(resource.props) }, config);
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
    for (const validate of validations) {
        try {
            await validate(args, (message) => messages.push(message));
        } catch (error) {
            if (!(error instanceof UnknownValueError)) throw error;
            messages.push(`can't run policy '${policy.name}' during preview: ${(error as Error).message}`);
        }
    }
    return messages;
}

/** Runs every policy over every resource; for tests that feed a whole stack through the pack. */
export async function validateResources(resources: PolicyResource[], config: { maxTtlCapSeconds?: number } = {}): Promise<Violation[]> {
    const violations: Violation[] = [];
    for (const resource of resources) {
        for (const policy of allPolicies) {
            for (const message of await runPolicy(policy, resource, config)) {
                const level = message.startsWith("can't run policy ") ? { level: "advisory" as const } : {};
                violations.push({ policy: policy.name, resource: resource.name, message, ...level });
            }
        }
    }
    return violations;
}
