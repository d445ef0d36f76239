/**
 * The pack config: its one setting, `maxTtlCapSeconds` of `db-role-bounded-ttl` (the longest maxTtl a database role
 * may have), the schema the engine checks `--policy-pack-config` against, and `checkGuardrailConfig`, which every
 * policy runs on its config before checking a resource. `enforcementLevel` may stand next to the setting; the engine
 * applies it.
 */
import { PolicyConfigSchema } from "@pulumi/policy";

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
