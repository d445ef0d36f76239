/**
 * The one Vault HTTP client of the package, its tests and its benchmark: one request to the Vault (or OpenBao) API,
 * answered with its JSON body (a Raft snapshot or Prometheus text: as a stream), or a `VaultError` carrying the
 * status and the errors the server gave (each server words its errors its own way: callers look at the status).
 * Node's http/https, so a caller may pass a keep-alive agent (the benchmark does: fetch spends about three times the
 * CPU per request on a machine it shares with Vault).
 *
 * No module state, and modules only through `require`: the unseal step's dynamic provider (vault-init.ts) calls it,
 * and Pulumi serializes what that provider uses into the state.
 */
import type { Agent, ClientRequest, IncomingMessage } from "http";
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
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = {};
    if (payload !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
    const request = `${method} ${apiPath}`;
    return new Promise<T>((resolveRequest, reject) => {
        const outgoing = openRequest(address, token, method, apiPath, headers, options, reject, (response) => {
            readBody(response, reject, (text, status) => {
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
                reject(vaultError(status, parsed, request));
            });
        });
        outgoing.end(payload);
    });
}

/** A body sent as it is (not JSON): a stream, e.g. a snapshot file, and its length in bytes. */
export interface RawBody {
    stream: NodeJS.ReadableStream;
    length: number;
}

/**
 * The same request for bodies that are not JSON (a Raft snapshot each way, Prometheus text): sends `body` as it is
 * and resolves with the answer as a stream, for the caller to read or pipe; a non-2xx answer rejects with a
 * VaultError as vaultRequest's does.
 */
export function vaultStreamRequest(
    address: string,
    token: string | undefined,
    method: string,
    apiPath: string,
    body?: RawBody,
    options: VaultRequestOptions = {},
): Promise<IncomingMessage> {
    const headers: Record<string, string | number> = body ? { "content-type": "application/octet-stream", "content-length": body.length } : {};
    return new Promise((resolveRequest, reject) => {
        const outgoing = openRequest(address, token, method, apiPath, headers, options, reject, (response) => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolveRequest(response);
            readBody(response, reject, (text) => {
                let parsed: unknown;
                try {
                    parsed = JSON.parse(text);
                } catch {
                    parsed = { errors: text ? [text.slice(0, 300)] : [] };
                }
                reject(vaultError(status, parsed, `${method} ${apiPath}`));
            });
        });
        if (body) {
            body.stream.on("error", (error: Error) => outgoing.destroy(error));
            body.stream.pipe(outgoing);
        } else {
            outgoing.end();
        }
    });
}

/** Starts a request; a certificate that does not verify rejects with one line naming the server. */
function openRequest(
    address: string,
    token: string | undefined,
    method: string,
    apiPath: string,
    headers: Record<string, string | number>,
    options: VaultRequestOptions,
    reject: (error: Error) => void,
    onResponse: (response: IncomingMessage) => void,
): ClientRequest {
    const url = new URL(`${address.replace(/\/$/, "")}/v1/${apiPath}`);
    const transport = (url.protocol === "https:" ? require("https") : require("http")) as typeof import("http");
    const allHeaders = token === undefined ? headers : { ...headers, "x-vault-token": token };
    const tls = options.caCertificate === undefined ? {} : { ca: options.caCertificate };
    const outgoing = transport.request(url, { method, headers: allHeaders, agent: options.agent, ...tls }, onResponse);
    outgoing.on("error", (error) => {
        const certificateFailure = describeTlsFailure(`Vault at ${url.host}`, error);
        reject(certificateFailure === undefined ? error : Object.assign(new Error(certificateFailure), { name: "TlsVerificationError", code: (error as { code?: string }).code }));
    });
    return outgoing;
}

function readBody(response: IncomingMessage, reject: (error: Error) => void, onEnd: (text: string, status: number) => void): void {
    const chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.on("error", reject);
    response.on("end", () => onEnd(Buffer.concat(chunks).toString("utf8"), response.statusCode ?? 0));
}

function vaultError(status: number, parsed: unknown, request: string): VaultError {
    const errors = (parsed as { errors?: unknown } | null)?.errors;
    return new VaultError(status, Array.isArray(errors) ? errors.map(String) : [], request);
}
