/**
 * A `pg` pool that lives on dynamic credentials from a Vault (or OpenBao) database secrets engine.
 *
 * - logs in with AppRole and reads the creds path (both from the vault-pg stack outputs);
 * - renews the lease at half-life while Vault extends it; as soon as a renewal comes back capped by the role's max
 *   TTL (at least half a lease before the end), or fails, it rotates: fetches new credentials, opens a new pool, sends new queries there, waits until the old pool has
 *   no query in flight, ends it, and revokes the old lease;
 * - retries Vault with exponential backoff, and reports every error that outlives the retries through `onError`
 *   and `status().lastError`: nothing is swallowed.
 *
 * Importable by applications: it depends on `pg` only.
 */
import { Pool, PoolConfig, QueryResult, QueryResultRow } from "pg";

export interface AppRoleLogin {
    /** Vault API address, e.g. http://127.0.0.1:18200. */
    vaultAddress: string;
    /** `auth/<approle path>/login` (stack output `apps.<app>.loginPath`). */
    loginPath: string;
    /** Stack output `apps.<app>.roleId`. */
    roleId: string;
    /** Issued per deployment by an operator or pipeline. */
    secretId: string;
}

export interface DynamicPoolOptions extends AppRoleLogin {
    /** `<mount>/creds/<role>` (stack output `credsPaths.<role>`). */
    credsPath: string;
    /** Everything but user and password: host, port, database, pool size, ... */
    pool: Omit<PoolConfig, "user" | "password">;
    /** Renew when this fraction of the lease has passed; default 0.5. */
    renewAt?: number;
    /** Rotate this long before the final expiry; default 30% of the last lease duration, 1 s to 30 s. */
    rotationMarginMs?: number;
    /** Vault request attempts before an error is surfaced; default 5. */
    attempts?: number;
    /** Called with every error that survived its retries. */
    onError?: (error: Error) => void;
    /** Called after each switch to new credentials. */
    onRotate?: (event: { from: string; to: string }) => void;
}

export interface DynamicPoolStatus {
    username: string;
    /** Seconds until the current lease expires, if not renewed. */
    leaseRemainingSeconds: number;
    /** Whether Vault has stopped extending the lease (max TTL reached): a rotation is scheduled. */
    finalLease: boolean;
    rotations: number;
    lastError?: string;
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

interface Lease {
    username: string;
    leaseId: string;
    pool: Pool;
    expiresAt: number;
    durationSeconds: number;
    final: boolean;
    retiring: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolveTimer) => setTimeout(resolveTimer, ms));

export class DynamicCredentialPool {
    private current!: Lease;
    private token = "";
    private tokenExpiresAt = 0;
    private timer?: NodeJS.Timeout;
    private rotations = 0;
    private lastError?: Error;
    private closed = false;
    private rotating?: Promise<void>;
    private readonly draining = new Set<Promise<void>>();

    private constructor(private readonly options: DynamicPoolOptions) {}

    /** Logs in, fetches the first credentials and verifies them with a query. */
    static async start(options: DynamicPoolOptions): Promise<DynamicCredentialPool> {
        const instance = new DynamicCredentialPool(options);
        instance.current = await instance.openLease();
        instance.schedule();
        return instance;
    }

    /** Runs a query on the current credentials. */
    query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<QueryResult<R>> {
        if (this.closed) return Promise.reject(new Error("DynamicCredentialPool: closed"));
        // The pool is picked now, so a rotation that starts later waits for this query to finish.
        return this.current.pool.query<R>(text, params);
    }

    status(): DynamicPoolStatus {
        return {
            username: this.current.username,
            leaseRemainingSeconds: Math.max(0, Math.round((this.current.expiresAt - Date.now()) / 1000)),
            finalLease: this.current.final,
            rotations: this.rotations,
            lastError: this.lastError?.message,
        };
    }

    /** Rotates now: new credentials, new pool, old pool drained and its lease revoked. */
    rotate(): Promise<void> {
        this.rotating ??= this.switchLease().finally(() => {
            this.rotating = undefined;
        });
        return this.rotating;
    }

    /** Ends every pool and revokes the current lease. */
    async close(): Promise<void> {
        this.closed = true;
        clearTimeout(this.timer);
        await this.rotating?.catch(() => undefined);
        await Promise.all(this.draining);
        await this.retire(this.current);
    }

    // --- Vault ----------------------------------------------------------------------------------------------------

    private async vault<T>(method: string, path: string, body?: Record<string, unknown>, token: string | undefined = this.token): Promise<T> {
        const response = await fetch(`${this.options.vaultAddress}/v1/${path}`, {
            method,
            headers: { "content-type": "application/json", ...(token ? { "x-vault-token": token } : {}) },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await response.text();
        const parsed = text ? (JSON.parse(text) as T & { errors?: string[] }) : ({} as T & { errors?: string[] });
        if (!response.ok) throw new VaultApiError(response.status, parsed.errors ?? [], `${method} ${path.replace(/\/[^/]*$/, "/…")}`);
        return parsed;
    }

    /** Retries a Vault call with exponential backoff (200 ms doubling, at most 5 s); logs in again on a 403. */
    private async withRetry<T>(what: string, call: () => Promise<T>): Promise<T> {
        const attempts = this.options.attempts ?? 5;
        let delay = 200;
        for (let attempt = 1; ; attempt++) {
            try {
                if (Date.now() > this.tokenExpiresAt - 5_000) await this.login();
                return await call();
            } catch (error) {
                if (error instanceof VaultApiError && error.status === 403) this.tokenExpiresAt = 0;
                if (attempt >= attempts) throw new Error(`${what} failed after ${attempts} attempts: ${(error as Error).message}`);
                await sleep(delay);
                delay = Math.min(delay * 2, 5_000);
            }
        }
    }

    private async login(): Promise<void> {
        const { loginPath, roleId, secretId } = this.options;
        const response = await this.vault<{ auth: { client_token: string; lease_duration: number } }>(
            "POST",
            loginPath,
            { role_id: roleId, secret_id: secretId },
            undefined,
        );
        this.token = response.auth.client_token;
        this.tokenExpiresAt = Date.now() + response.auth.lease_duration * 1000;
    }

    // --- Leases ---------------------------------------------------------------------------------------------------

    private async openLease(): Promise<Lease> {
        const creds = await this.withRetry("reading credentials", () =>
            this.vault<{ data: { username: string; password: string }; lease_id: string; lease_duration: number; renewable: boolean }>(
                "GET",
                this.options.credsPath,
            ),
        );
        const pool = new Pool({ ...this.options.pool, user: creds.data.username, password: creds.data.password });
        const lease: Lease = {
            username: creds.data.username,
            leaseId: creds.lease_id,
            pool,
            expiresAt: Date.now() + creds.lease_duration * 1000,
            durationSeconds: creds.lease_duration,
            final: !creds.renewable,
            retiring: false,
        };
        // An idle client lost its connection (the pool replaces it). Once the pool is retired, the revocation
        // ending its last closing connections (SQLSTATE 57P01, admin shutdown) is expected, not an error.
        pool.on("error", (error: Error & { code?: string }) => {
            if (!(lease.retiring && error.code === "57P01")) this.report(error);
        });
        try {
            await pool.query("SELECT 1");
        } catch (error) {
            await this.retire(lease);
            throw error;
        }
        return lease;
    }

    private schedule(): void {
        if (this.closed) return;
        clearTimeout(this.timer);
        const lease = this.current;
        const now = Date.now();
        const margin =
            this.options.rotationMarginMs ?? Math.min(30_000, Math.max(1_000, lease.durationSeconds * 300));
        const at = lease.final ? lease.expiresAt - margin : now + (lease.expiresAt - now) * (this.options.renewAt ?? 0.5);
        this.timer = setTimeout(() => void this.tick(), Math.max(0, at - now));
        this.timer.unref?.();
    }

    private async tick(): Promise<void> {
        try {
            if (!this.current.final) await this.renew();
            // A capped renewal leaves at least half a lease: rotating now, not at the margin, keeps that slack.
            if (this.current.final) await this.rotate();
        } catch (error) {
            this.report(error as Error);
            // Retry soon, but never after the credentials expire.
            await sleep(Math.min(1_000, Math.max(0, this.current.expiresAt - Date.now()) / 4));
        }
        this.schedule();
    }

    private async renew(): Promise<void> {
        const lease = this.current;
        const requested = lease.durationSeconds;
        try {
            const renewed = await this.withRetry("renewing the lease", () =>
                this.vault<{ lease_duration: number; renewable: boolean }>("PUT", `sys/leases/renew/${lease.leaseId}`, { increment: requested }),
            );
            lease.expiresAt = Date.now() + renewed.lease_duration * 1000;
            // Vault caps a renewal at the role's max TTL: a shorter lease than asked for is the last one.
            lease.final = !renewed.renewable || renewed.lease_duration < requested;
            if (!lease.final) lease.durationSeconds = renewed.lease_duration;
        } catch (error) {
            this.report(error as Error);
            await this.rotate();
        }
    }

    private async switchLease(): Promise<void> {
        const next = await this.openLease();
        const previous = this.current;
        this.current = next;
        this.rotations += 1;
        this.options.onRotate?.({ from: previous.username, to: next.username });
        const drained = this.retire(previous).finally(() => this.draining.delete(drained));
        this.draining.add(drained);
    }

    /** Waits until no query runs on the pool (or its credentials expire), ends it, then revokes its lease. */
    private async retire(lease: Lease): Promise<void> {
        lease.retiring = true;
        while ((lease.pool.waitingCount > 0 || lease.pool.idleCount < lease.pool.totalCount) && Date.now() < lease.expiresAt) {
            await sleep(25);
        }
        await lease.pool.end().catch((error: Error) => this.report(error));
        try {
            await this.withRetry("revoking the old lease", () => this.vault("PUT", `sys/leases/revoke/${lease.leaseId}`, {}));
        } catch (error) {
            this.report(error as Error);
        }
    }

    private report(error: Error): void {
        this.lastError = error;
        this.options.onError?.(error);
    }
}
