/**
 * The ACL policies of a server-mode Vault's two unattended jobs, so that neither runs with the root token: a backup
 * job that takes Raft snapshots (`npm run backup`) and a Prometheus scraper. Pure functions; VaultServer declares
 * them in server mode and the stack outputs their names (docs/server-mode.md, "Backup and restore" and "Metrics").
 */
import { PolicyRule, renderPolicy } from "./hcl";

export const BACKUP_POLICY_NAME = "vault-pg-backup";
export const METRICS_POLICY_NAME = "vault-pg-metrics";
/** Both, for the deployer policy: a deployer token applies them in server mode. */
export const OPERATOR_POLICY_NAMES: readonly string[] = [BACKUP_POLICY_NAME, METRICS_POLICY_NAME];

/**
 * A periodic token keeps living only while someone renews it: each job renews its own token, so a token made once
 * for a cron job or a scraper lives as long as the job runs. The default policy would allow this too; the tokens
 * are made without it (`-no-default-policy`), so each policy says it.
 */
const OWN_TOKEN_RULES: PolicyRule[] = [
    { path: "auth/token/renew-self", capabilities: ["update"], comment: "Renew its own (periodic) token." },
    { path: "auth/token/lookup-self", capabilities: ["read"], comment: "Read its own token's TTL." },
];

/**
 * `GET sys/storage/raft/snapshot` needs `read` and no `sudo`: the path is not among the system backend's root paths
 * (`PathsSpecial.Root` in `vault/logical_system.go` of hashicorp/vault and `internal/vault/logical_system.go` of
 * openbao/openbao, which list only `storage/raft/snapshot-auto/config/*` of the raft paths). Restoring
 * (`POST sys/storage/raft/snapshot-force`) runs with the root token of the new server it restores onto: no policy here.
 */
function backupPolicyRules(): PolicyRule[] {
    return [{ path: "sys/storage/raft/snapshot", capabilities: ["read"], comment: "Take a Raft snapshot, nothing else." }, ...OWN_TOKEN_RULES];
}

/** `GET sys/metrics` needs `read` (Vault and OpenBao API docs, `/sys/metrics`), unless the listener lets anyone in. */
function metricsPolicyRules(): PolicyRule[] {
    return [{ path: "sys/metrics", capabilities: ["read"], comment: "Read the server's metrics, nothing else." }, ...OWN_TOKEN_RULES];
}

export function backupPolicy(): string {
    return renderPolicy(backupPolicyRules());
}

export function metricsPolicy(): string {
    return renderPolicy(metricsPolicyRules());
}
