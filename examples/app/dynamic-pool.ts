/**
 * A `pg` pool that lives on dynamic credentials from a Vault (or OpenBao) database secrets engine.
 *
 * - logs in with AppRole and keeps its token alive (AppRoleSession: renew at half-life, a new login before the
 *   token's max TTL) and reads the creds path (both from the vault-pg stack outputs);
 * - renews the lease at half-life while Vault extends it; as soon as a renewal comes back capped by the role's max
 *   TTL (at least half a lease before the end), or is answered 400/404 (the lease is gone), it rotates at once:
 *   fetches new credentials, opens a new pool, sends new queries there, waits until the old pool has no query in
 *   flight, ends it, and revokes the old lease;
 * - after each new login it rotates too, since Vault revokes a token's leases when the token expires: a lease read
 *   under a replaced token counts as final and ends with that token, so a failed rotation is retried until then;
 * - retries Vault with exponential backoff, and reports every error that outlives the retries through `onError`
 *   and `status().lastError`: nothing is swallowed.
 *
 * Importable by applications: it depends on `pg` only.
 */
import { Pool, PoolConfig, QueryResult, QueryResultRow } from "pg";
import { AppRoleLogin, AppRoleSession, VaultApiError } from "./approle-session";

export { AppRoleLogin, VaultApiError };

export interface DynamicPoolOptions extends AppRoleLogin {
    /** `<mount>/creds/<role>` (stack output `credsPaths.<role>`). */
    credsPath: string;
    /** Everything but user and password: host, port, database, pool size, ... */
    pool: Omit<PoolConfig, "user" | "password">;
    /** Renew when this fraction of the lease has passed; default 0.5. */
    renewAt?: number;
    /** Rotate this long before the final expiry; default 30% of the last lease duration, 1 s to 30 s. */
    rotationMarginMs?: number;
    /** Log in again this long before the token's max TTL; default 30% of the token TTL, 1 s to 60 s. */
    reloginMarginMs?: number;
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

interface Lease {
    username: string;
    leaseId: string;
    /** The token that read it: Vault revokes the lease when that token expires. */
    token: string;
    pool: Pool;
    expiresAt: number;
    durationSeconds: number;
    final: boolean;
    retiring: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolveTimer) => setTimeout(resolveTimer, ms));

export class DynamicCredentialPool {
    private current!: Lease;
    private readonly session: AppRoleSession;
    private timer?: NodeJS.Timeout;
    private rotations = 0;
    private lastError?: Error;
    private closed = false;
    private rotating?: Promise<void>;
    private readonly draining = new Set<Promise<void>>();

    private constructor(private readonly options: DynamicPoolOptions) {
        this.session = new AppRoleSession({
            ...options,
            onError: (error) => this.report(error),
            // Leases die with the token that read them: move to credentials of the new token now.
            onNewToken: () => void this.tick(),
        });
    }

    /** Logs in, fetches the first credentials and verifies them with a query. */
    static async start(options: DynamicPoolOptions): Promise<DynamicCredentialPool> {
        const instance = new DynamicCredentialPool(options);
        await instance.session.start();
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
            leaseRemainingSeconds: Math.max(0, Math.round((this.endOf(this.current) - Date.now()) / 1000)),
            finalLease: this.isFinal(this.current),
            rotations: this.rotations,
            lastError: this.lastError?.message,
        };
    }

    /** Rotates now: new credentials, new pool, old pool drained and its lease revoked. */
    rotate(): Promise<void> {
        // A renewal or login that ends after close() must not open a pool nobody will end.
        if (this.closed) return Promise.resolve();
        this.rotating ??= this.switchLease().finally(() => {
            this.rotating = undefined;
        });
        return this.rotating;
    }

    /** Ends every pool and revokes the current lease. */
    async close(): Promise<void> {
        this.closed = true;
        clearTimeout(this.timer);
        this.session.close();
        await this.rotating?.catch(() => undefined);
        await Promise.all(this.draining);
        await this.retire(this.current);
    }

    // --- Vault ----------------------------------------------------------------------------------------------------

    private vault<T>(method: string, path: string, body?: Record<string, unknown>): Promise<T> {
        return this.session.request<T>(method, path, body);
    }

    /** Retries a Vault call with exponential backoff (200 ms doubling, at most 5 s); a 400 or 404 is final. */
    private async withRetry<T>(what: string, call: () => Promise<T>): Promise<T> {
        const attempts = this.options.attempts ?? 5;
        let delay = 200;
        for (let attempt = 1; ; attempt++) {
            try {
                return await call();
            } catch (error) {
                // The lease (or path) is gone: retrying cannot help, the caller acts at once.
                if (error instanceof VaultApiError && (error.status === 400 || error.status === 404)) throw error;
                if (attempt >= attempts) throw new Error(`${what} failed after ${attempts} attempts: ${(error as Error).message}`);
                await sleep(delay);
                delay = Math.min(delay * 2, 5_000);
            }
        }
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
            token: this.session.token,
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

    /** When the lease ends: its own expiry, or its token's if that comes first. */
    private endOf(lease: Lease): number {
        return Math.min(lease.expiresAt, this.session.expiryOf(lease.token));
    }

    /** No renewal keeps the lease: Vault capped it, or the token that read it has been replaced by a new login. */
    private isFinal(lease: Lease): boolean {
        return lease.final || lease.token !== this.session.token;
    }

    private schedule(): void {
        if (this.closed) return;
        clearTimeout(this.timer);
        const lease = this.current;
        const now = Date.now();
        const margin =
            this.options.rotationMarginMs ?? Math.min(30_000, Math.max(1_000, lease.durationSeconds * 300));
        const at = this.isFinal(lease) ? this.endOf(lease) - margin : now + (lease.expiresAt - now) * (this.options.renewAt ?? 0.5);
        this.timer = setTimeout(() => void this.tick(), Math.max(0, at - now));
        this.timer.unref?.();
    }

    /** Renews or rotates; runs on the lease's timer and right after each new login. */
    private async tick(): Promise<void> {
        if (this.closed) return;
        clearTimeout(this.timer);
        try {
            if (!this.isFinal(this.current)) await this.renew();
            // A capped renewal leaves at least half a lease: rotating now, not at the margin, keeps that slack.
            if (this.isFinal(this.current)) await this.rotate();
            // A rotation already under way at the new login read its credentials with the old token: once more.
            if (this.current.token !== this.session.token) await this.rotate();
        } catch (error) {
            this.report(error as Error);
            // Retry soon, before the credentials expire; once they have, every 100 ms rather than in a busy loop.
            await sleep(Math.max(100, Math.min(1_000, (this.endOf(this.current) - Date.now()) / 4)));
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
        while ((lease.pool.waitingCount > 0 || lease.pool.idleCount < lease.pool.totalCount) && Date.now() < this.endOf(lease)) {
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
