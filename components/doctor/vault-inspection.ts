/**
 * What the doctor reads from Vault, through the package's one Vault client (vault-api.ts), and the pure checks of it:
 * health and seal state (check "vault"), each role's connection config (check "connection") and each role's leases.
 * Everything here only reads: `sys/health`, `auth/token/lookup-self`, `<mount>/roles/*`, `<mount>/static-roles/*`,
 * `<mount>/config/*`, `LIST sys/leases/lookup/<mount>/creds/<role>` (needs sudo) and `PUT sys/leases/lookup`.
 */
import { VaultError, vaultRequest } from "../vault-api";
import { DoctorFinding } from "./findings";
import { RoleLease } from "./lease-matching";
import { DoctorTarget } from "./target";

type VaultAccess = DoctorTarget["vault"];

const request = <T>(vault: VaultAccess, method: string, path: string, body?: Record<string, unknown>): Promise<T> =>
    vaultRequest<T>(vault.address, vault.token, method, path, body, { caCertificate: vault.caCertificate });

/** `sys/health`'s answer, whatever the state: every state answers 200 with these query parameters. */
export interface VaultHealth {
    initialized: boolean;
    sealed: boolean;
    standby: boolean;
    version?: string;
}

export function readHealth(vault: VaultAccess): Promise<VaultHealth> {
    return request<VaultHealth>(vault, "GET", "sys/health?standbyok=true&perfstandbyok=true&sealedcode=200&uninitcode=200&drsecondarycode=200");
}

/** Whether Vault can serve the stack, and if not, why; a standby forwards requests, so it is fine. */
export function healthFinding(address: string, health: VaultHealth): DoctorFinding {
    const version = health.version ? ` (${health.version})` : "";
    if (!health.initialized) return { check: "vault", subject: address, severity: "fail", detail: `not initialised${version}: it holds nothing yet (pulumi up initialises the stack's own)` };
    if (health.sealed) return { check: "vault", subject: address, severity: "fail", detail: `sealed${version}: nothing is issued or revoked until it is unsealed (npm run up unseals the stack's own)` };
    return { check: "vault", subject: address, severity: "ok", detail: `initialised, unsealed, ${health.standby ? "standby (forwards to the active node)" : "active"}${version}` };
}

/** Throws one line when the token is not valid at all. */
export async function checkToken(vault: VaultAccess): Promise<void> {
    try {
        await request(vault, "GET", "auth/token/lookup-self");
    } catch (error) {
        if (error instanceof VaultError && (error.status === 403 || error.status === 401)) {
            throw new Error(`Vault at ${vault.address} refused the token (${error.status}): set VAULT_TOKEN to a valid token (root, or one allowed to read the mount and sys/leases/lookup)`);
        }
        throw error;
    }
}

/** Reads a path, undefined when it does not exist (404). */
async function readIfPresent<T>(vault: VaultAccess, path: string): Promise<T | undefined> {
    try {
        return await request<T>(vault, "GET", path);
    } catch (error) {
        if (error instanceof VaultError && error.status === 404) return undefined;
        throw error;
    }
}

/** Which connection config a role (or static role) uses; undefined when Vault has no such role. */
export async function readRoleConnection(vault: VaultAccess, mount: string, role: string, kind: "roles" | "static-roles"): Promise<{ connection: string; username?: string } | undefined> {
    const answer = await readIfPresent<{ data: { db_name: string; username?: string } }>(vault, `${mount}/${kind}/${role}`);
    return answer && { connection: answer.data.db_name, ...(answer.data.username ? { username: answer.data.username } : {}) };
}

/** A connection config as Vault reads it back (never the password). */
export interface ConnectionConfig {
    pluginName: string;
    connectionUrl: string;
    username: string;
    allowedRoles: string[];
    maxOpenConnections?: number;
}

export async function readConnectionConfig(vault: VaultAccess, mount: string, name: string): Promise<ConnectionConfig | undefined> {
    type Answer = { data: { plugin_name: string; allowed_roles?: string[]; connection_details: { connection_url?: string; username?: string; max_open_connections?: number } } };
    const answer = await readIfPresent<Answer>(vault, `${mount}/config/${name}`);
    if (!answer) return undefined;
    const details = answer.data.connection_details ?? {};
    return {
        pluginName: answer.data.plugin_name,
        connectionUrl: details.connection_url ?? "",
        username: details.username ?? "",
        allowedRoles: answer.data.allowed_roles ?? [],
        ...(details.max_open_connections !== undefined ? { maxOpenConnections: details.max_open_connections } : {}),
    };
}

/** The database and sslmode of a connection URL template (`postgresql://{{username}}:{{password}}@hosts/db?...`). */
export function connectionUrlParts(url: string): { hosts: string; database: string; sslMode?: string } | undefined {
    const match = /@([^/?]+)\/([^?]*)(?:\?(.*))?$/.exec(url);
    if (!match) return undefined;
    const sslMode = new URLSearchParams(match[3] ?? "").get("sslmode") ?? undefined;
    return { hosts: match[1], database: decodeURIComponent(match[2]), ...(sslMode ? { sslMode } : {}) };
}

/** What is wrong with a connection config against what the stack declares for it; empty when nothing. */
export function connectionConfigProblems(config: ConnectionConfig, expected: { database: string; admin: string; roles: readonly string[] }): string[] {
    const problems: string[] = [];
    if (config.pluginName !== "postgresql-database-plugin") problems.push(`plugin ${config.pluginName}, not postgresql-database-plugin`);
    if (config.username !== expected.admin) problems.push(`logs in as ${config.username || "(nobody)"}, not the Vault admin ${expected.admin}`);
    const database = connectionUrlParts(config.connectionUrl)?.database;
    if (database !== expected.database) problems.push(`connects to database ${database ?? "(unreadable URL)"}, not ${expected.database}`);
    const refused = expected.roles.filter((role) => !config.allowedRoles.includes(role) && !config.allowedRoles.includes("*"));
    if (refused.length > 0) problems.push(`allowed_roles lacks ${refused.join(", ")}: Vault refuses to issue for ${refused.length === 1 ? "it" : "them"}`);
    return problems;
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < items.length) {
            const index = next++;
            results[index] = await work(items[index]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

/**
 * The role's leases with their issue and expire times. Listing needs sudo on `sys/leases/lookup/<mount>/creds/<role>`;
 * no lease at all answers 404. A lease revoked between listing and lookup is left out.
 */
export async function readRoleLeases(vault: VaultAccess, mount: string, role: string): Promise<RoleLease[]> {
    const prefix = `${mount}/creds/${role}/`;
    let keys: string[];
    try {
        keys = (await request<{ data: { keys: string[] } }>(vault, "LIST", `sys/leases/lookup/${prefix}`)).data.keys;
    } catch (error) {
        if (error instanceof VaultError && error.status === 404) return [];
        throw error;
    }
    const leases = await mapLimited(keys.filter((key) => !key.endsWith("/")), 8, async (key): Promise<RoleLease | undefined> => {
        try {
            const { data } = await request<{ data: { id: string; issue_time: string; expire_time: string | null } }>(vault, "PUT", "sys/leases/lookup", { lease_id: `${prefix}${key}` });
            return { id: data.id, issueTime: new Date(data.issue_time), ...(data.expire_time ? { expireTime: new Date(data.expire_time) } : {}) };
        } catch (error) {
            if (error instanceof VaultError && error.status === 400) return undefined;
            throw error;
        }
    });
    return leases.filter((lease): lease is RoleLease => lease !== undefined);
}
