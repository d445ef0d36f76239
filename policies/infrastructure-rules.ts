/**
 * Checks of the infrastructure around Vault, one per policy: `checkConnection` (db-connection-verified: a
 * `vault.database.SecretBackendConnection` keeps verifyConnection on) and `checkContainer` (container-not-privileged:
 * a `docker.Container` is not privileged and adds no capability outside ALLOWED_ADDED_CAPABILITIES). Each returns the
 * violation messages for one resource's props.
 */
import { UNKNOWN_AT_PREVIEW } from "./resource-types";

export function checkConnection(props: Record<string, unknown>): string[] {
    return props.verifyConnection === false
        ? ["verifyConnection is off: a wrong URL or password would only fail when an app asks for credentials. Remove verifyConnection: false (it defaults to true)."]
        : [];
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
