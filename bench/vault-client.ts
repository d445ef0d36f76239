/**
 * A lean Vault HTTP client for the benchmark: node's http module on keep-alive sockets. The client shares the two
 * cores with Vault and PostgreSQL, and fetch spends about three times the CPU per request; every CPU millisecond the
 * client spends is one Vault cannot.
 */
import * as http from "http";

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function vaultCall<T = unknown>(address: string, token: string, method: string, apiPath: string, body?: Record<string, unknown>): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolveCall, reject) => {
        const request = http.request(
            `${address}/v1/${apiPath}`,
            { method, agent, headers: { "x-vault-token": token, ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}) } },
            (response) => {
                const chunks: Buffer[] = [];
                response.on("data", (chunk: Buffer) => chunks.push(chunk));
                response.on("end", () => {
                    const text = Buffer.concat(chunks).toString("utf8");
                    const status = response.statusCode ?? 0;
                    if (status < 200 || status >= 300) reject(new Error(`${method} ${apiPath} -> ${status}: ${text.slice(0, 300)}`));
                    else resolveCall((text ? JSON.parse(text) : {}) as T);
                });
                response.on("error", reject);
            },
        );
        request.on("error", reject);
        request.end(payload);
    });
}

/** Stops keeping sockets open, so the process can exit. */
export function closeVaultClient(): void {
    agent.destroy();
}
