/**
 * `checkVaultPolicy`, the check of vault-policy-least-privilege (`vault.Policy` props): no sudo but on the exact
 * root-protected endpoints that applying a stack needs (a deployer or preview policy), nothing on sys/ short
 * of an exact endpoint, only read or list on wildcard paths (but for renewing and revoking one role's leases), and
 * no lease revocation by a lease id in the body. Reads the policy with vault-policy-parser.ts; returns the violation
 * messages for one resource's props.
 */
import { parsePolicyPaths, PolicyPathRule } from "./vault-policy-parser";

/**
 * The root-protected endpoints the stack's deployer and preview policies name (components/deployer-policy.ts): one
 * auth method, the audit devices, one role's leases. Each is exact, so sudo there reaches nothing else.
 */
const DEPLOYER_SUDO = [/^sys\/auth\/[^*+]+$/, /^sys\/audit(\/[^*+]+)?$/, /^sys\/leases\/revoke-prefix\/[^*+]+\/creds\/[^/*+]+$/];

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

export function checkVaultPolicy(props: Record<string, unknown>): string[] {
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
        if (rule.capabilities.includes("sudo") && !DEPLOYER_SUDO.some((endpoint) => endpoint.test(rule.path))) {
            messages.push(
                `path "${rule.path}" grants sudo. Remove "sudo": applications never need root-protected endpoints, and a deployer only on sys/auth/<path>, sys/audit and sys/leases/revoke-prefix/<mount>/creds/<role>.`,
            );
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
