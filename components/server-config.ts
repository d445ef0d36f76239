/**
 * The server-mode config file of a Vault or OpenBao container, rendered by a pure function (no Pulumi here). The
 * live suite renders the same text and rewrites only the local process's addresses and paths (test/live/harness.ts).
 */
import { vaultTlsListenerHcl } from "./container-tls";
import { hclString } from "./hcl";
import { Flavor, VaultStorage } from "./validate";

/** Port of the cluster listener raft uses between nodes (Vault's and OpenBao's default). */
export const VAULT_CLUSTER_PORT = 8201;

/**
 * The image's own directories. Both images' entrypoints start `server` with `-config=<config dir>` (every file in
 * it is read) and chown the file and logs directories to the server's user (`.release/docker/docker-entrypoint.sh`
 * in hashicorp/vault and openbao/openbao), so the config goes into that directory and data and logs into these.
 */
export function flavorPaths(flavor: Flavor): { configDir: string; dataDir: string; logsDir: string } {
    const root = flavor === "openbao" ? "/openbao" : "/vault";
    return { configDir: `${root}/config`, dataDir: `${root}/file`, logsDir: `${root}/logs` };
}

/**
 * Whether the server locks its memory (mlockall), which needs the IPC_LOCK capability in a container:
 * - OpenBao removed mlock; `disable_mlock = false` is a config error (openbao/openbao
 *   `internal/helper/configutil/config.go`, "OpenBao has dropped support for mlock").
 * - Vault locks memory by default; its docs advise `disable_mlock = true` with integrated storage (raft), whose
 *   memory-mapped database mlockall would pull into RAM whole (Vault docs, configuration `disable_mlock`).
 * So only Vault with file storage locks memory, and only that container gets IPC_LOCK.
 */
export function locksMemory(flavor: Flavor, storage: VaultStorage): boolean {
    return flavor === "vault" && storage === "file";
}

export interface ServerConfigSettings {
    flavor: Flavor;
    storage: VaultStorage;
    /** host:port the API listener binds, e.g. "0.0.0.0:8200". */
    listenAddress: string;
    /** host:port the cluster listener binds (raft only). */
    clusterListenAddress: string;
    /** Where the storage backend writes. */
    storagePath: string;
    /** The address clients are redirected to, e.g. "http://vault-pg-dev-vault:8200". */
    apiAddr: string;
    /** The address other nodes reach this one at (raft only), e.g. "http://vault-pg-dev-vault:8201". */
    clusterAddr: string;
    /** This node's raft id. */
    nodeId: string;
    /** Where the file audit device writes. */
    auditLogPath: string;
    /**
     * Serve the API over TLS with the certificate and key at container-tls.ts's TLS_PATHS; default false (plain
     * HTTP, for a listener that only the local host reaches).
     */
    tls?: boolean;
    /**
     * Serve `sys/metrics` without a token (the listener's `unauthenticated_metrics_access`); default false: a token
     * with the metrics policy (operator-policies.ts) is needed. Only for a listener the local host alone reaches.
     */
    unauthenticatedMetrics?: boolean;
}

/**
 * How long the server keeps a Prometheus series after its last update; 0 would turn the Prometheus format off. Long
 * enough that a rare event (a failed revocation) is still there at any scrape interval, and the series are few.
 */
const PROMETHEUS_RETENTION = "1h";

/**
 * The server's telemetry: metrics in Prometheus format at `sys/metrics?format=prometheus`, without the host name in
 * each series' name (a container's host name changes with every new container; the instance label says which).
 */
function telemetryHcl(): string {
    return [`telemetry {`, `  prometheus_retention_time = ${hclString(PROMETHEUS_RETENTION)}`, `  disable_hostname          = true`, `}`].join("\n");
}

/** The listener's own telemetry stanza: what lets a scraper in without a token, when asked for. */
function listenerTelemetryLines(unauthenticatedMetrics: boolean | undefined): string[] {
    return unauthenticatedMetrics ? [`  telemetry {`, `    unauthenticated_metrics_access = true`, `  }`] : [];
}

/**
 * OpenBao refuses to enable audit devices through the API unless `unsafe_allow_api_audit_creation` is set, and
 * declares them in the config file instead (openbao/openbao `website/content/docs/configuration/audit.mdx`); Vault
 * enables them through `sys/audit` (the stack's `vault.Audit`).
 */
export function auditDeclaredInConfig(flavor: Flavor): boolean {
    return flavor === "openbao";
}

/** Path of the file audit device, in the API and in OpenBao's config stanza. */
export const AUDIT_DEVICE_PATH = "file";
export const AUDIT_DEVICE_DESCRIPTION = "Every request and response; secrets HMAC'd";

/** The server config file (HCL) for `server -config=...`. */
export function serverConfigHcl(settings: ServerConfigSettings): string {
    const lines: string[] = [];
    if (settings.storage === "raft") {
        lines.push(`storage "raft" {`, `  path    = ${hclString(settings.storagePath)}`, `  node_id = ${hclString(settings.nodeId)}`, `}`);
    } else {
        lines.push(`storage "file" {`, `  path = ${hclString(settings.storagePath)}`, `}`);
    }
    const clusterListen = settings.storage === "raft" ? settings.clusterListenAddress : undefined;
    lines.push(
        "",
        settings.tls
            ? vaultTlsListenerHcl(settings.listenAddress, clusterListen, listenerTelemetryLines(settings.unauthenticatedMetrics))
            : [
                  `listener "tcp" {`,
                  `  address         = ${hclString(settings.listenAddress)}`,
                  ...(clusterListen ? [`  cluster_address = ${hclString(clusterListen)}`] : []),
                  // Plain HTTP only when TLS is turned off (config `tls: false`), for a listener the local host reaches.
                  `  tls_disable     = true`,
                  ...listenerTelemetryLines(settings.unauthenticatedMetrics),
                  `}`,
              ].join("\n"),
        "",
        `api_addr = ${hclString(settings.apiAddr)}`,
    );
    if (settings.storage === "raft") lines.push(`cluster_addr = ${hclString(settings.clusterAddr)}`);
    if (settings.flavor === "vault" && !locksMemory(settings.flavor, settings.storage)) {
        lines.push("# Integrated storage memory-maps its database: Vault's docs advise against mlock with it.", "disable_mlock = true");
    }
    lines.push("", telemetryHcl());
    if (auditDeclaredInConfig(settings.flavor)) {
        lines.push(
            "",
            `audit "file" ${hclString(AUDIT_DEVICE_PATH)} {`,
            `  description = ${hclString(AUDIT_DEVICE_DESCRIPTION)}`,
            `  options {`,
            `    file_path = ${hclString(settings.auditLogPath)}`,
            `  }`,
            `}`,
        );
    }
    return `${lines.join("\n")}\n`;
}
