/**
 * Clusters for the high-availability tests, on 127.0.0.1 and free ports, stopped by PID like every harness server:
 * - a Raft cluster of the real Vault-API binary (`server -config`, one node per process, `retry_join` to every
 *   node), initialised and unsealed once with one Shamir key;
 * - a streaming standby of a harness PostgreSQL (`pg_basebackup -R`, which writes `primary_conninfo` and
 *   `standby.signal`; the same by hand where the binaries lack it), promotable with `pg_ctl promote`.
 */
import { execFile, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { Client, QueryResult } from "pg";
import { asPostgresUser, isRoot } from "./postgres-binaries";
import { findVaultBinary, freePort, PostgresServer, register, Running, supervise, Supervised, tail, unregister, VaultError, vaultRequest, waitForExit, waitUntilReady } from "./harness";

const execFileAsync = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolveTimer) => setTimeout(resolveTimer, ms));

// ---------------------------------------------------------------------------------------------------------------
// Vault Raft cluster
// ---------------------------------------------------------------------------------------------------------------

export interface RaftNodeSettings {
    nodeId: string;
    dataDir: string;
    /** host:port of the API listener; the node advertises http://<apiListen> as api_addr. */
    apiListen: string;
    /** host:port of the cluster listener (request forwarding, Raft); advertised as https://<clusterListen>. */
    clusterListen: string;
    /** API addresses of every node of the cluster, this one included: where `retry_join` looks for a leader. */
    peers: string[];
}

/**
 * One node's server config. `performance_multiplier = 1` gives Raft its tightest timers (about 1 s to notice a lost
 * leader); the default of 5 is meant for slow links, and leaves a cluster without a leader for 5 s or more.
 * TLS is off on loopback only; on a network, the listener takes `tls_cert_file`/`tls_key_file` instead.
 */
export function raftNodeConfig(node: RaftNodeSettings): string {
    const joins = node.peers.map((peer) => `  retry_join {\n    leader_api_addr = "${peer}"\n  }\n`).join("");
    return (
        `storage "raft" {\n  path    = "${node.dataDir}"\n  node_id = "${node.nodeId}"\n  performance_multiplier = 1\n${joins}}\n\n` +
        `listener "tcp" {\n  address         = "${node.apiListen}"\n  cluster_address = "${node.clusterListen}"\n  tls_disable     = true\n}\n\n` +
        `api_addr      = "http://${node.apiListen}"\ncluster_addr  = "https://${node.clusterListen}"\ndisable_mlock = true\n`
    );
}

export interface RaftNode {
    nodeId: string;
    /** http://127.0.0.1:PORT */
    address: string;
    pid: number;
    isRunning(): boolean;
    /** SIGKILL, then waits for the process to exit. */
    kill(): Promise<void>;
}

export interface RaftCluster {
    nodes: RaftNode[];
    rootToken: string;
    /** The node that answers `sys/leader` with is_self, asked of every running node. */
    leader(): Promise<RaftNode | undefined>;
    /**
     * A Vault request as a client with every node's address makes it: the first running node that accepts the
     * connection answers. A standby forwards the request to the active node over the cluster port, or (where
     * forwarding is off) answers 307 with the active node's address, which fetch follows with method and body.
     */
    request<T = Record<string, unknown>>(token: string | undefined, method: string, apiPath: string, body?: Record<string, unknown>): Promise<T>;
    stop(): Promise<void>;
}

/** Starts `size` nodes, initialises the first with one key share, unseals all, and waits until all are voters. */
export async function startRaftCluster(size = 3): Promise<RaftCluster> {
    const binary = findVaultBinary();
    if (!binary) throw new Error("no Vault-API server found");
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-raft-"));
    const settings: RaftNodeSettings[] = [];
    for (let index = 1; index <= size; index++) {
        settings.push({
            nodeId: `node${index}`,
            dataDir: path.join(baseDir, `node${index}`, "data"),
            apiListen: `127.0.0.1:${await freePort()}`,
            clusterListen: `127.0.0.1:${await freePort()}`,
            peers: [],
        });
    }
    const peers = settings.map((node) => `http://${node.apiListen}`);
    // The server's env: no VAULT_*/BAO_* from the developer, HOME in the temp dir.
    const env: NodeJS.ProcessEnv = { HOME: baseDir };
    for (const [name, value] of Object.entries(process.env)) {
        if (!/^(VAULT|BAO)_/.test(name) && name !== "HOME") env[name] = value;
    }

    const processes: { node: RaftNodeSettings; server: Supervised; logFile: string }[] = [];
    const cleanup: Running = {
        killNow() {
            unregister(cleanup);
            for (const { server } of processes) if (server.isRunning()) server.child.kill("SIGKILL");
            fs.rmSync(baseDir, { recursive: true, force: true });
        },
        async dispose() {
            unregister(cleanup);
            for (const { server } of processes) if (server.isRunning()) server.child.kill("SIGKILL");
            await Promise.all(processes.map(({ server }) => waitForExit(server, 5_000)));
            fs.rmSync(baseDir, { recursive: true, force: true });
        },
    };
    register(cleanup);

    const status = (address: string, apiPath: string): Promise<Record<string, unknown>> => vaultRequest<Record<string, unknown>>(address, undefined, "GET", apiPath);
    const answers = (address: string, apiPath: string): Promise<boolean> => vaultRequest(address, undefined, "GET", apiPath).then(() => true, () => false);
    let rootToken = "";
    try {
        for (const node of settings) {
            fs.mkdirSync(node.dataDir, { recursive: true });
            const configFile = path.join(baseDir, node.nodeId, "config.hcl");
            fs.writeFileSync(configFile, raftNodeConfig({ ...node, peers }));
            const logFile = path.join(baseDir, node.nodeId, "server.log");
            const log = fs.openSync(logFile, "a");
            const server = supervise(spawn(binary, ["server", `-config=${configFile}`], { env, stdio: ["ignore", log, log] }));
            fs.closeSync(log);
            processes.push({ node, server, logFile });
        }
        for (const { node, server, logFile } of processes) {
            // Any answer will do: an uninitialised, sealed node answers sys/seal-status with 200.
            await waitUntilReady(`raft ${node.nodeId}`, server, logFile, 20_000, () => answers(`http://${node.apiListen}`, "sys/seal-status"));
        }
        const [first, ...others] = processes;
        const firstAddress = `http://${first.node.apiListen}`;
        const init = await vaultRequest<{ keys: string[]; root_token: string }>(firstAddress, undefined, "PUT", "sys/init", { secret_shares: 1, secret_threshold: 1 });
        const unsealKey = init.keys[0];
        rootToken = init.root_token;
        await vaultRequest(firstAddress, undefined, "PUT", "sys/unseal", { key: unsealKey });
        await waitUntilReady(`raft ${first.node.nodeId} active`, first.server, first.logFile, 20_000, () => answers(firstAddress, "sys/health"));
        // Autopilot promotes a joined node to voter once it has been healthy this long (default 10 s).
        await vaultRequest(firstAddress, init.root_token, "POST", "sys/storage/raft/autopilot/configuration", { server_stabilization_time: "2s" });
        for (const { node, server, logFile } of others) {
            const address = `http://${node.apiListen}`;
            // retry_join stores the cluster's barrier on the node; the key then unseals it and completes the join.
            await waitUntilReady(`raft ${node.nodeId} joined`, server, logFile, 20_000, async () => (await status(address, "sys/seal-status")).initialized === true);
            await vaultRequest(address, undefined, "PUT", "sys/unseal", { key: unsealKey });
            await waitUntilReady(`raft ${node.nodeId} unsealed`, server, logFile, 30_000, async () => (await status(address, "sys/seal-status")).sealed === false);
        }
        await waitUntilReady("raft: every node a voter", first.server, first.logFile, 60_000, async () => {
            const configuration = await vaultRequest<{ data: { config: { servers: { voter: boolean }[] } } }>(firstAddress, init.root_token, "GET", "sys/storage/raft/configuration");
            const servers = configuration.data.config.servers;
            return servers.length === size && servers.every((server) => server.voter);
        });
    } catch (error) {
        const logs = processes.map(({ logFile }) => tail(logFile, 15)).join("");
        await cleanup.dispose().catch(() => undefined);
        throw new Error(`${(error as Error).message}${logs}`);
    }

    const nodes: RaftNode[] = processes.map(({ node, server }) => ({
        nodeId: node.nodeId,
        address: `http://${node.apiListen}`,
        pid: server.child.pid as number,
        isRunning: () => server.isRunning(),
        async kill() {
            server.child.kill("SIGKILL");
            if (!(await waitForExit(server, 5_000))) throw new Error(`raft ${node.nodeId} (pid ${server.child.pid}) did not exit after SIGKILL`);
        },
    }));
    return {
        nodes,
        rootToken,
        async leader() {
            for (const node of nodes.filter((candidate) => candidate.isRunning())) {
                try {
                    if ((await status(node.address, "sys/leader")).is_self === true) return node;
                } catch {
                    // this node does not answer; ask the next
                }
            }
            return undefined;
        },
        async request<T>(token: string | undefined, method: string, apiPath: string, body?: Record<string, unknown>): Promise<T> {
            const refused: string[] = [];
            for (const node of nodes) {
                try {
                    return await vaultRequest<T>(node.address, token, method, apiPath, body);
                } catch (error) {
                    // Until a new leader is elected a standby answers 307 to the dead one, which fetch follows into
                    // a refused connection. An HTTP answer is the cluster's answer. Anything else means none came (fetch's TypeError, from
                    // another realm than Jest's, so not instanceof TypeError here): try the next node.
                    if (error instanceof VaultError) throw error;
                    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
                    refused.push(`${node.nodeId}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
                }
            }
            throw new Error(`${method} ${apiPath}: no node answered (${refused.join("; ")})`);
        },
        stop: () => cleanup.dispose(),
    };
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL streaming standby
// ---------------------------------------------------------------------------------------------------------------

export interface PostgresStandby {
    host: "127.0.0.1";
    port: number;
    /** Runs SQL as the primary's superuser (replicated with everything else), on a short-lived connection. */
    query(sql: string, params?: unknown[], database?: string): Promise<QueryResult>;
    /** `pg_ctl promote -w`: returns once the server accepts writes. */
    promote(): Promise<void>;
    /** Immediate shutdown and removal of every file. */
    destroy(): Promise<void>;
}

/**
 * A hot standby of `primary`, streaming from it: `pg_basebackup -R` copies the cluster and writes
 * `primary_conninfo` (with the superuser's password) and `standby.signal`; the copy then gets its own port.
 */
export async function startStandby(primary: PostgresServer): Promise<PostgresStandby> {
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-standby-"));
    const dataDir = path.join(baseDir, "data");
    const logFile = path.join(baseDir, "postgres.log");
    const port = await freePort();
    const bin = (name: string): string => path.join(primary.binDir, name);
    let postmaster: Supervised | undefined;

    const stopNow = (): void => {
        if (!postmaster?.isRunning()) return;
        const [command, argv] = asPostgresUser(bin("pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "-t", "10", "stop"]);
        spawnSync(command, argv, { stdio: "ignore" });
    };
    const cleanup: Running = {
        killNow() {
            unregister(cleanup);
            stopNow();
            fs.rmSync(baseDir, { recursive: true, force: true });
        },
        async dispose() {
            unregister(cleanup);
            stopNow();
            if (postmaster) await waitForExit(postmaster, 10_000);
            fs.rmSync(baseDir, { recursive: true, force: true });
        },
    };
    register(cleanup);

    const query = async (sql: string, params: unknown[] = [], database = "postgres"): Promise<QueryResult> => {
        const client = new Client({ host: "127.0.0.1", port, user: primary.superuser, password: primary.superuserPassword, database });
        client.on("error", () => undefined);
        await client.connect();
        try {
            return await client.query(sql, params);
        } finally {
            await client.end();
        }
    };
    try {
        if (isRoot()) await execFileAsync("chown", ["postgres:postgres", baseDir]);
        if (fs.existsSync(bin("pg_basebackup"))) {
            const [backup, backupArgs] = asPostgresUser(bin("pg_basebackup"), [
                "-h", "127.0.0.1", "-p", String(primary.port), "-U", primary.superuser, "-D", dataDir, "-R", "-X", "stream", "--no-sync",
            ]);
            try {
                await execFileAsync(backup, backupArgs, { env: { ...process.env, PGPASSWORD: primary.superuserPassword } });
            } catch (error) {
                throw new Error(`pg_basebackup failed: ${(error as { stderr?: string }).stderr || (error as Error).message}`);
            }
        } else {
            await lowLevelBaseBackup(primary, dataDir);
        }
        // The copy carries the primary's port and socket folder: later lines win.
        fs.appendFileSync(path.join(dataDir, "postgresql.conf"), `\n# standby\nport = ${port}\nunix_socket_directories = '${baseDir}'\nhot_standby = on\n`);
        const log = fs.openSync(logFile, "a");
        const [command, argv] = asPostgresUser(bin("postgres"), ["-D", dataDir]);
        postmaster = supervise(spawn(command, argv, { stdio: ["ignore", log, log] }));
        fs.closeSync(log);
        const server = postmaster;
        await waitUntilReady(`standby on 127.0.0.1:${port}`, server, logFile, 20_000, async () => (await query("SELECT pg_is_in_recovery() AS r")).rows[0].r === true);
    } catch (error) {
        await cleanup.dispose().catch(() => undefined);
        throw error;
    }

    return {
        host: "127.0.0.1",
        port,
        query,
        async promote() {
            const [command, argv] = asPostgresUser(bin("pg_ctl"), ["-D", dataDir, "-w", "-t", "30", "promote"]);
            try {
                await execFileAsync(command, argv);
            } catch (error) {
                throw new Error(`pg_ctl promote failed: ${(error as { stderr?: string }).stderr || (error as Error).message}${tail(logFile)}`);
            }
        },
        destroy: () => cleanup.dispose(),
    };
}

/**
 * What `pg_basebackup -R` does, for binaries that ship without it (the embedded PostgreSQL 18 package has only
 * initdb, pg_ctl and postgres): a replication slot keeps the WAL from the start, `pg_backup_start`/`pg_backup_stop`
 * bracket a file copy of the running cluster (PostgreSQL docs, "Making a Base Backup Using the Low Level API"), and
 * `standby.signal` with `primary_conninfo` makes the copy a streaming standby.
 */
async function lowLevelBaseBackup(primary: PostgresServer, dataDir: string): Promise<void> {
    const slot = "vault_pg_standby";
    await primary.query("SELECT pg_create_physical_replication_slot($1, true)", [slot]);
    const client = new Client({ host: "127.0.0.1", port: primary.port, user: primary.superuser, password: primary.superuserPassword, database: "postgres" });
    await client.connect();
    try {
        await client.query("SELECT pg_backup_start('standby', true)");
        // The WAL comes by streaming; a running server's pid file and slots are its own.
        const skipContents = ["pg_wal", "pg_replslot"].map((dir) => path.join(primary.dataDir, dir) + path.sep);
        fs.cpSync(primary.dataDir, dataDir, {
            recursive: true,
            filter: (source) => !["postmaster.pid", "postmaster.opts"].includes(path.basename(source)) && !skipContents.some((dir) => source.startsWith(dir)),
        });
        const stopped = await client.query("SELECT labelfile FROM pg_backup_stop(false)");
        fs.writeFileSync(path.join(dataDir, "backup_label"), stopped.rows[0].labelfile as string);
    } finally {
        await client.end();
    }
    const conninfo = `host=127.0.0.1 port=${primary.port} user=${primary.superuser} password=${primary.superuserPassword}`;
    fs.appendFileSync(path.join(dataDir, "postgresql.auto.conf"), `primary_conninfo = '${conninfo}'\nprimary_slot_name = '${slot}'\n`);
    fs.writeFileSync(path.join(dataDir, "standby.signal"), "");
    fs.chmodSync(dataDir, 0o700);
    if (isRoot()) await execFileAsync("chown", ["-R", "postgres:postgres", dataDir]);
}

/** Waits until the standby has replayed everything the primary has written so far; returns how long that took. */
export async function waitForReplay(primary: PostgresServer, standby: PostgresStandby, timeoutMs = 10_000): Promise<number> {
    const started = Date.now();
    const target = (await primary.query("SELECT pg_current_wal_lsn()::text AS lsn")).rows[0].lsn as string;
    while (Date.now() - started < timeoutMs) {
        const caughtUp = await standby.query("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done", [target]);
        if (caughtUp.rows[0].done === true) return Date.now() - started;
        await sleep(50);
    }
    throw new Error(`standby on port ${standby.port} did not replay up to ${target} within ${timeoutMs} ms`);
}
