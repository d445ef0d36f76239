/**
 * The dev stack: read typed config, build one VaultPostgres, export what applications and operators need.
 * Nothing else lives here; the components are importable on their own (see components/index.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig, STACK_CONFIG_KEYS, VaultPostgres } from "./components";

const projectConfig = new pulumi.Config();
const raw: Record<string, string | undefined> = {};
for (const key of Object.keys(STACK_CONFIG_KEYS)) {
    raw[key] = projectConfig.get(key);
}
// Keys set in the stack but unknown to the program are reported too.
for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
    const [namespace, key] = fullKey.split(":");
    if (namespace === pulumi.getProject() && !(key in raw)) {
        raw[key] = projectConfig.get(key);
    }
}
const settings = readStackConfig(raw);

const stack = new VaultPostgres(`vault-pg-${pulumi.getStack()}`, settings);

export const vaultAddress = stack.vault.address;
export const vaultFlavor = stack.vault.flavor;
export const vaultRootToken = stack.vault.rootToken;
export const postgresAddress = pulumi.interpolate`${stack.postgres.host}:${stack.postgres.port}`;
export const postgresSuperuserPassword = stack.postgres.superuserPassword;
export const vaultAdminPassword = stack.accessModel.vaultAdminPassword;
export const database = stack.accessModel.database;
export const mountPath = stack.mountPath;
export const credsPaths = stack.credsPaths;
export const groupRoles = stack.groupRoles;
export const apps = stack.apps;
export const staticCredsPaths = stack.staticCredsPaths;
export const agents = stack.agents;
