/**
 * An application's Vault token, kept alive: AppRole login, `renew-self` at half-life while Vault extends the token,
 * and a new login before the token's max TTL. Vault revokes every lease a token created when the token expires, so
 * `onNewToken` tells the owner to move to credentials issued under the new token while the old one still lives.
 *
 * A login that fails (a secret id that expired or was destroyed: 400) is reported through `onError` with what to do,
 * and retried every second while the old token lasts: the app keeps serving on what it has until then.
 */
import * as http from "http";
import * as https from "https";

export interface AppRoleLogin {
    /** Vault API address, e.g. https://127.0.0.1:18200. */
    vaultAddress: string;
    /** The CA of the Vault API's certificate (PEM; stack output vaultCaCertificate), where the system does not trust it. */
    vaultCaCertificate?: string;
    /** `auth/<approle path>/login` (stack output `apps.<app>.loginPath`). */
    loginPath: string;
    /** Stack output `apps.<app>.roleId`. */
    roleId: string;
    /** Issued per deployment by an operator or pipeline. */
    secretId: string;
}

export interface SessionOptions extends AppRoleLogin {
    /** Log in again this long before the token's max TTL; default 30% of the token TTL, 1 s to 60 s. */
    reloginMarginMs?: number;
    onError?: (error: Error) => void;
    /** Called after a new login; the old token lives on until its own expiry (`expiryOf`). */
    onNewToken?: () => void;
}

/** An error answered by Vault, with its status and messages. */
export class VaultApiError extends Error {
    constructor(
        public readonly status: number,
        public readonly errors: string[],
        what: string,
    ) {
        super(`${what} -> ${status}: ${errors.join("; ") || "no message"}`);
        this.name = "VaultApiError";
    }
}

export class AppRoleSession {
    private current = "";
    private expiresAt = 0;
    /** The token before the last login and when it ends: its leases live until then, no longer. */
    private previous = { token: "", expiresAt: 0 };
    private ttlSeconds = 0;
    /** Vault stopped extending the token (renewal capped by its max TTL, or not renewable). */
    private final = false;
    private timer?: NodeJS.Timeout;
    private closed = false;

    constructor(private readonly options: SessionOptions) {}

    /** Logs in and starts keeping the token alive. */
    async start(): Promise<void> {
        await this.logIn();
        this.schedule();
    }

    get token(): string {
        return this.current;
    }

    /** When the current token expires unless renewed (ms since the epoch). */
    get tokenExpiresAt(): number {
        return this.expiresAt;
    }

    /** When a token this session logged in with ends (ms since the epoch): 0 for one older than the previous. */
    expiryOf(token: string): number {
        if (token === this.current) return this.expiresAt;
        return token === this.previous.token ? this.previous.expiresAt : 0;
    }

    close(): void {
        this.closed = true;
        clearTimeout(this.timer);
    }

    /** One Vault API call with the current token; throws VaultApiError on any non-2xx answer. */
    async request<T>(method: string, path: string, body?: Record<string, unknown>, token: string | undefined = this.current): Promise<T> {
        const { status, text } = await send(`${this.options.vaultAddress}/v1/${path}`, method, token, body, this.options.vaultCaCertificate);
        const parsed = (text ? JSON.parse(text) : {}) as T & { errors?: string[] };
        // Lease ids in URLs are shown up to their last segment only.
        if (status < 200 || status > 299) throw new VaultApiError(status, parsed.errors ?? [], `${method} ${path.replace(/\/[^/]*$/, "/…")}`);
        return parsed;
    }

    private async logIn(): Promise<void> {
        const { loginPath, roleId, secretId } = this.options;
        let response: { auth: { client_token: string; lease_duration: number; renewable: boolean } };
        try {
            response = await this.request("POST", loginPath, { role_id: roleId, secret_id: secretId }, undefined);
        } catch (error) {
            if (error instanceof VaultApiError && error.status === 400) {
                throw new Error(
                    `AppRole login refused (${error.message}): the secret id has expired, was used up or destroyed; ` +
                        "issue a new one and restart the app",
                );
            }
            throw error;
        }
        if (this.current) this.previous = { token: this.current, expiresAt: this.expiresAt };
        this.current = response.auth.client_token;
        this.ttlSeconds = response.auth.lease_duration;
        this.expiresAt = Date.now() + response.auth.lease_duration * 1000;
        this.final = !response.auth.renewable;
    }

    private margin(): number {
        return this.options.reloginMarginMs ?? Math.min(60_000, Math.max(1_000, this.ttlSeconds * 300));
    }

    private schedule(delayMs?: number): void {
        if (this.closed) return;
        clearTimeout(this.timer);
        const now = Date.now();
        const at = this.final ? this.expiresAt - this.margin() : now + (this.expiresAt - now) / 2;
        this.timer = setTimeout(() => void this.tick(), delayMs ?? Math.max(0, at - now));
        this.timer.unref?.();
    }

    private async tick(): Promise<void> {
        if (!this.final) {
            try {
                const renewed = await this.request<{ auth: { lease_duration: number; renewable: boolean } }>("POST", "auth/token/renew-self", {
                    increment: this.ttlSeconds,
                });
                this.expiresAt = Date.now() + renewed.auth.lease_duration * 1000;
                // Vault caps a renewal at the token's max TTL: a shorter token than asked for is the last one.
                this.final = !renewed.auth.renewable || renewed.auth.lease_duration < this.ttlSeconds;
            } catch (error) {
                this.report(error as Error);
                // Not renewed: treat the token as ending where it stands.
                this.final = true;
            }
        }
        if (this.final && Date.now() >= this.expiresAt - this.margin()) {
            try {
                await this.logIn();
                this.options.onNewToken?.();
            } catch (error) {
                this.report(error as Error);
                // Keep the old token while it lasts, and try again in a second.
                return this.schedule(1_000);
            }
        }
        this.schedule();
    }

    private report(error: Error): void {
        this.options.onError?.(error);
    }
}

/** One HTTP(S) request; `ca` verifies an https:// server's certificate (Node's fetch takes no CA of its own). */
function send(url: string, method: string, token: string | undefined, body: Record<string, unknown> | undefined, ca: string | undefined): Promise<{ status: number; text: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { "content-type": "application/json", ...(token ? { "x-vault-token": token } : {}) };
    const transport = url.startsWith("https:") ? https : http;
    return new Promise((resolve, reject) => {
        const request = transport.request(url, { method, headers, ...(ca ? { ca } : {}) }, (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("error", reject);
            response.on("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        });
        request.on("error", reject);
        request.end(payload);
    });
}
