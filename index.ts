/**
 * The dev stack: read typed config, build one VaultPostgres, export what applications and operators need.
 * Nothing else lives here; the components are importable on their own (see components/index.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { RawStackConfig, readStackConfig, STACK_CONFIG_KEYS, VaultPostgres } from "./components";

const projectConfig = new pulumi.Config();
const read = (key: string): string | pulumi.Output<string> | undefined =>
    (STACK_CONFIG_KEYS as Record<string, string>)[key] === "secret" ? projectConfig.getSecret(key) : projectConfig.get(key);
const raw: RawStackConfig = {};
for (const key of Object.keys(STACK_CONFIG_KEYS)) {
    raw[key] = read(key);
}
// Keys set in the stack but unknown to the program are reported too.
for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
    const [namespace, key] = fullKey.split(":");
    if (namespace === pulumi.getProject() && !(key in raw)) {
        raw[key] = read(key);
    }
}
const settings = readStackConfig(raw);

const stack = new VaultPostgres(`vault-pg-${pulumi.getStack()}`, settings);

export const vaultAddress = stack.vaultAddress;
export const vaultFlavor = stack.vault?.flavor;
/** Only when the stack runs its own Vault server. */
export const vaultRootToken = stack.vault?.rootToken;
/** Only in server mode: the unseal key shares (secret; README "Server mode" says how to take them out). */
export const vaultUnsealKeys = stack.vault?.unsealKeys;
export const vaultMode = stack.vault?.mode;
/** The ACL policy a CI pipeline's token needs to apply this stack's Vault resources. */
export const deployerPolicy = stack.deployerPolicy;
export const postgresAddress = stack.postgresAddress;
/** Only when the stack runs its own PostgreSQL container. */
export const postgresSuperuserPassword = stack.postgres?.superuserPassword;
export const vaultAdminPassword = stack.accessModel.vaultAdminPassword;
export const database = stack.accessModel.database;
export const mountPath = stack.mountPath;
export const credsPaths = stack.credsPaths;
export const groupRoles = stack.groupRoles;
export const apps = stack.apps;
export const staticCredsPaths = stack.staticCredsPaths;
export const agents = stack.agents;
