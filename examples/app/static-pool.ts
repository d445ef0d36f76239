/**
 * A `pg` pool on a static role: a fixed username whose password Vault rotates (`<mount>/static-creds/<name>`).
 *
 * A rotation (`ALTER ROLE ... PASSWORD`) leaves open connections alone; only new connections need the new password.
 * So the pool hands every new connection the password it last read, except close to a rotation: from
 * `guardMs` before the earliest moment Vault may rotate until it has rotated (its rotation queue runs every few seconds, so a
 * rotation can be late), new connections wait for the new password instead of trying one that is about to change.
 * Queries on open connections go on meanwhile.
 *
 * Importable by applications: it depends on `pg` only.
 */
import { Client, Pool, PoolConfig, QueryResult, QueryResultRow } from "pg";
import { AppRoleLogin, AppRoleSession } from "./approle-session";

export interface StaticPoolOptions extends AppRoleLogin {
    /** `<mount>/static-creds/<name>` (stack output `staticCredsPaths.<name>`). */
    staticCredsPath: string;
    /** Everything but user and password: host, port, database, pool size, ... */
    pool: Omit<PoolConfig, "user" | "password">;
    /** New connections wait for the new password from this long before a rotation; default 1000 ms. */
    guardMs?: number;
    onError?: (error: Error) => void;
    /** Called when the pool starts using a new password. */
    onRotate?: (event: { username: string; rotatedAt: string }) => void;
}

interface StaticCreds {
    username: string;
    password: string;
    /** Vault's `last_vault_rotation`: identifies the password generation. */
    rotatedAt: string;
    /** When Vault announces the next rotation (ms since the epoch). */
    nextRotationAt: number;
}

/** A `pg` Client class whose connections start only once `ready` resolves. */
function clientWaitingFor(ready: () => Promise<void>): typeof Client {
    return class extends Client {
        connect(): Promise<Client>;
        connect(callback: ((err: Error) => void) | ((err: null, client: Client) => void)): void;
        connect(callback?: ((err: Error) => void) | ((err: null, client: Client) => void)): Promise<Client> | void {
            const started = ready().then(() => super.connect());
            if (!callback) return started;
            const done = callback as (err: Error | null, client?: Client) => void;
            started.then((client) => done(null, client), (error: Error) => done(error));
        }
    };
}

const sleep = (ms: number): Promise<void> => new Promise((resolveTimer) => setTimeout(resolveTimer, ms));

export class StaticCredentialPool {
    private creds!: StaticCreds;
    private pool!: Pool;
    private refreshing?: Promise<StaticCreds>;
    private timer?: NodeJS.Timeout;
    private rotations = 0;
    private lastError?: Error;
    private closed = false;
    private readonly session: AppRoleSession;

    private constructor(private readonly options: StaticPoolOptions) {
        this.session = new AppRoleSession({ ...options, onError: (error) => this.report(error) });
    }

    static async start(options: StaticPoolOptions): Promise<StaticCredentialPool> {
        const instance = new StaticCredentialPool(options);
        await instance.session.start();
        instance.creds = await instance.read();
        instance.pool = new Pool({
            ...options.pool,
            user: instance.creds.username,
            password: () => instance.creds.password,
            Client: clientWaitingFor(() => instance.beforeConnect()),
        });
        instance.pool.on("error", (error) => instance.report(error));
        await instance.pool.query("SELECT 1");
        instance.schedule();
        return instance;
    }

    query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<QueryResult<R>> {
        if (this.closed) return Promise.reject(new Error("StaticCredentialPool: closed"));
        return this.pool.query<R>(text, params);
    }

    status(): { username: string; rotations: number; nextRotationInSeconds: number; lastError?: string } {
        return {
            username: this.creds.username,
            rotations: this.rotations,
            nextRotationInSeconds: Math.max(0, Math.round((this.creds.nextRotationAt - Date.now()) / 1000)),
            lastError: this.lastError?.message,
        };
    }

    async close(): Promise<void> {
        this.closed = true;
        clearTimeout(this.timer);
        this.session.close();
        await this.pool.end();
    }

    private async read(): Promise<StaticCreds> {
        const response = await this.session.request<{ data: { username: string; password: string; ttl: number; last_vault_rotation: string } }>(
            "GET",
            this.options.staticCredsPath,
        );
        const { username, password, ttl, last_vault_rotation: rotatedAt } = response.data;
        // `ttl` is whole seconds, and Vault's rotation queue compares whole seconds too: the rotation can come up
        // to a second before `now + ttl`, so count from a second earlier.
        return { username, password, rotatedAt, nextRotationAt: Date.now() + (ttl - 1) * 1000 };
    }

    /** Close to a rotation, a new connection waits until the new password is known. */
    private async beforeConnect(): Promise<void> {
        if (Date.now() >= this.creds.nextRotationAt - (this.options.guardMs ?? 1_000)) await this.refresh();
    }

    /** Reads the static creds until Vault has rotated past the password in hand (one reader at a time). */
    private refresh(): Promise<StaticCreds> {
        this.refreshing ??= (async () => {
            const known = this.creds.rotatedAt;
            for (;;) {
                try {
                    const next = await this.read();
                    if (next.rotatedAt !== known) {
                        this.creds = next;
                        this.rotations += 1;
                        this.options.onRotate?.({ username: next.username, rotatedAt: next.rotatedAt });
                        return next;
                    }
                } catch (error) {
                    this.report(error as Error);
                }
                if (this.closed) return this.creds;
                await sleep(100);
            }
        })().finally(() => {
            this.refreshing = undefined;
            this.schedule();
        });
        return this.refreshing;
    }

    /** Picks up each new password soon after the rotation, even while no new connection is opened. */
    private schedule(): void {
        if (this.closed) return;
        clearTimeout(this.timer);
        const delay = Math.max(0, this.creds.nextRotationAt - Date.now());
        this.timer = setTimeout(() => void this.refresh(), delay);
        this.timer.unref?.();
    }

    private report(error: Error): void {
        this.lastError = error;
        this.options.onError?.(error);
    }
}
