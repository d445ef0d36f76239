/**
 * Checks of the infrastructure around Vault, one per policy: `checkConnection` (db-connection-verified: a
 * `vault.database.SecretBackendConnection` keeps verifyConnection on), `checkConnectionTls` (db-connection-tls: it
 * verifies PostgreSQL's certificate) and `checkContainer` (container-not-privileged:
 * a `docker.Container` is not privileged and adds no capability outside ALLOWED_ADDED_CAPABILITIES). Each returns the
 * violation messages for one resource's props.
 */
import { UnknownValueError } from "@pulumi/policy";
import { UNKNOWN_AT_PREVIEW } from "./resource-types";

export function checkConnection(props: Record<string, unknown>): string[] {
    return props.verifyConnection === false
        ? ["verifyConnection is off: a wrong URL or password would only fail when an app asks for credentials. Remove verifyConnection: false (it defaults to true)."]
        : [];
}

/** sslmodes that check the server's certificate (pgx: verify-ca the chain, verify-full the chain and the host name). */
const VERIFYING_SSL_MODES = ["verify-ca", "verify-full"];

/** 127.0.0.0/8, ::1 and localhost: a connection that never leaves the machine. */
const isLoopback = (host: string): boolean => /^(localhost|\[?::1\]?|127\.\d+\.\d+\.\d+)$/i.test(host);

/**
 * Vault's connection to PostgreSQL carries every credential it creates and the Vault admin's password: its URL's
 * sslmode must verify the server (verify-full, or verify-ca), unless every host is this machine. A URL unknown at
 * preview is checked at `up`.
 */
export function checkConnectionTls(props: Record<string, unknown>): string[] {
    let url: unknown;
    try {
        url = (props.postgresql as { connectionUrl?: unknown } | undefined)?.connectionUrl;
    } catch (error) {
        // The engine's props throw on a value unknown at preview (the container's name): checked at `up`.
        if (error instanceof UnknownValueError) return [];
        throw error;
    }
    if (typeof url !== "string" || url.includes(UNKNOWN_AT_PREVIEW)) return [];
    const match = /@([^/?]+)(?:\/[^?]*)?(?:\?(.*))?$/.exec(url);
    if (!match) return [];
    const hosts = match[1].split(",").map((entry) => entry.replace(/:\d+$/, ""));
    const sslMode = new URLSearchParams(match[2] ?? "").get("sslmode") ?? "prefer";
    if (VERIFYING_SSL_MODES.includes(sslMode) || hosts.every(isLoopback)) return [];
    return [
        `Vault connects to ${hosts.join(", ")} with sslmode=${sslMode}: credentials and the Vault admin's password cross unverified` +
            (sslMode === "require" ? "" : " and may cross in clear") +
            ". Use verify-full with the server's CA (TLS on for the stack's containers; postgresCaCertificate for an existing server).",
    ];
}

/**
 * Capabilities a container may add: IPC_LOCK alone, which a server-mode HashiCorp Vault with file storage needs to
 * lock its memory (mlockall) so secrets are not swapped to disk. Nothing else the stack runs needs one.
 */
export const ALLOWED_ADDED_CAPABILITIES: readonly string[] = ["IPC_LOCK"];

export function checkContainer(props: Record<string, unknown>): string[] {
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
