/**
 * The one Vault HTTP client of the package, its tests and its benchmark: one request to the Vault (or OpenBao) API,
 * answered with its JSON body, or a `VaultError` carrying the status and the errors the server gave (each server
 * words its errors its own way: callers look at the status). Node's http/https, so a caller may pass a keep-alive
 * agent (the benchmark does: fetch spends about three times the CPU per request on a machine it shares with Vault).
 *
 * No module state, and modules only through `require`: the unseal step's dynamic provider (vault-init.ts) calls it,
 * and Pulumi serializes what that provider uses into the state.
 */
import type { Agent } from "http";
import { describeTlsFailure } from "./tls-errors";

/** How a request reaches the server: a keep-alive agent, and the CA of an https:// server's certificate (PEM). */
export interface VaultRequestOptions {
    agent?: Agent;
    caCertificate?: string;
}

/** A non-2xx answer of the Vault API. */
export class VaultError extends Error {
    constructor(
        public readonly status: number,
        public readonly errors: string[],
        request: string,
    ) {
        super(`${request} -> ${status}: ${errors.join("; ") || "(no message)"}`);
        this.name = "VaultError";
    }
}

/**
 * `method` `<address>/v1/<apiPath>` with the token (if any) and a JSON body (if any); resolves with the parsed answer
 * (`{}` when empty) and rejects with a VaultError on any non-2xx answer, or with one line naming the server when its
 * certificate does not verify.
 */
export function vaultRequest<T = unknown>(
    address: string,
    token: string | undefined,
    method: string,
    apiPath: string,
    body?: Record<string, unknown>,
    options: VaultRequestOptions = {},
): Promise<T> {
    const url = new URL(`${address.replace(/\/$/, "")}/v1/${apiPath}`);
    const transport = (url.protocol === "https:" ? require("https") : require("http")) as typeof import("http");
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = {};
    if (token !== undefined) headers["x-vault-token"] = token;
    if (payload !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
    const request = `${method} ${apiPath}`;
    return new Promise<T>((resolveRequest, reject) => {
        const tls = options.caCertificate === undefined ? {} : { ca: options.caCertificate };
        const outgoing = transport.request(url, { method, headers, agent: options.agent, ...tls }, (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("error", reject);
            response.on("end", () => {
                const text = Buffer.concat(chunks).toString("utf8");
                const status = response.statusCode ?? 0;
                let parsed: unknown = {};
                if (text) {
                    try {
                        parsed = JSON.parse(text);
                    } catch {
                        if (status >= 200 && status < 300) return reject(new Error(`${request} -> ${status}: not JSON: ${text.slice(0, 200)}`));
                        parsed = { errors: [text.slice(0, 300)] };
                    }
                }
                if (status >= 200 && status < 300) return resolveRequest(parsed as T);
                const errors = (parsed as { errors?: unknown }).errors;
                reject(new VaultError(status, Array.isArray(errors) ? errors.map(String) : [], request));
            });
        });
        outgoing.on("error", (error) => {
            const certificateFailure = describeTlsFailure(`Vault at ${url.host}`, error);
            reject(certificateFailure === undefined ? error : Object.assign(new Error(certificateFailure), { name: "TlsVerificationError", code: (error as { code?: string }).code }));
        });
        outgoing.end(payload);
    });
}
