/**
 * A real non-dev Vault-API server for the live suite: `vault|bao server -config=<file>` with raft storage in a temp
 * dir, on free 127.0.0.1 ports, uninitialised and sealed as a fresh server is. The config file is the one the stack
 * uploads into its container, rendered by the same pure function (components/server-config.ts); `localServerConfig`
 * below is the one place that swaps the container's addresses and paths for the local process's.
 *
 * Raft, not file: OpenBao 2.7 answers "unknown storage type file", and raft is the stack's default for both flavors.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Flavor, serverConfigHcl } from "../../components";
import { findVaultBinary, freePort, INSTALL_VAULT, register, Running, supervise, Supervised, unregister, vaultFlavor, vaultRequest, waitForExit, waitUntilReady } from "./harness";

export interface SealedVaultServer {
    /** http://127.0.0.1:PORT */
    address: string;
    flavor: Flavor;
    binary: string;
    /** The rendered config file the process runs with. */
    configFile: string;
    /** Where the audit device writes (the container's path, rewritten by localServerConfig and the applier). */
    auditLogPath: string;
    logFile: string;
    /** The server process's pid while it runs (the benchmark reads its memory). */
    pid(): number | undefined;
    /** SIGKILL, as a crash or a pulled plug would: no seal, no flush. */
    kill(): Promise<void>;
    /** Starts the process again on the same config and data: sealed. */
    start(): Promise<void>;
    /**
     * A lost data volume: SIGKILL, then the data directory removed and made again, empty. `start()` then runs a new,
     * uninitialised server on the same config and address.
     */
    loseData(): Promise<void>;
    /** Stops it and removes every file. */
    stop(): Promise<void>;
}

/** The flavor of the local server binary: the program is recorded with it, so its resources match the server. */
export function localFlavor(): Flavor {
    const binary = findVaultBinary();
    if (!binary) throw new Error(`no Vault-API server found (${INSTALL_VAULT})`);
    return vaultFlavor(binary);
}

/** The container's config with the local process's listener addresses and paths (the only rewrite). */
export function localServerConfig(flavor: Flavor, port: number, clusterPort: number, dataDir: string, auditLogPath: string, unauthenticatedMetrics = false): string {
    return serverConfigHcl({
        flavor,
        storage: "raft",
        listenAddress: `127.0.0.1:${port}`,
        clusterListenAddress: `127.0.0.1:${clusterPort}`,
        storagePath: dataDir,
        apiAddr: `http://127.0.0.1:${port}`,
        clusterAddr: `http://127.0.0.1:${clusterPort}`,
        nodeId: "vault-pg-live",
        auditLogPath,
        unauthenticatedMetrics,
    });
}

/** `unauthenticatedMetrics`: the listener serves `sys/metrics` without a token (config `vaultUnauthenticatedMetrics`). */
export async function startSealedVault(options: { unauthenticatedMetrics?: boolean } = {}): Promise<SealedVaultServer> {
    const binary = findVaultBinary();
    if (!binary) throw new Error(`no Vault-API server found (${INSTALL_VAULT})`);
    const flavor = localFlavor();
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-sealed-"));
    const dataDir = path.join(baseDir, "data");
    fs.mkdirSync(dataDir);
    const logFile = path.join(baseDir, "server.log");
    const configFile = path.join(baseDir, "server.hcl");
    const [port, clusterPort] = [await freePort(), await freePort()];
    const address = `http://127.0.0.1:${port}`;
    const auditLogPath = path.join(baseDir, "audit.log");
    fs.writeFileSync(configFile, localServerConfig(flavor, port, clusterPort, dataDir, auditLogPath, options.unauthenticatedMetrics));

    // As in harness.ts: no VAULT_*/BAO_* settings of the developer's, and a HOME of our own.
    const env: NodeJS.ProcessEnv = { HOME: baseDir };
    for (const [name, value] of Object.entries(process.env)) {
        if (!/^(VAULT|BAO)_/.test(name) && name !== "HOME") env[name] = value;
    }
    let server: Supervised | undefined;
    const launch = async (): Promise<void> => {
        const log = fs.openSync(logFile, "a");
        server = supervise(spawn(binary, ["server", `-config=${configFile}`], { env, stdio: ["ignore", log, log] }));
        fs.closeSync(log);
        const running = server;
        // seal-status answers (200) as soon as the listener is up, sealed or not.
        await waitUntilReady(`${path.basename(binary)} server on ${address}`, running, logFile, 20_000, async () => {
            return vaultRequest(address, undefined, "GET", "sys/seal-status").then(() => true, () => false);
        });
    };
    const killNow = async (): Promise<void> => {
        const current = server;
        if (!current?.isRunning()) return;
        current.child.kill("SIGKILL");
        if (!(await waitForExit(current, 10_000))) throw new Error(`${binary} on ${address} survived SIGKILL`);
    };

    const cleanup: Running = {
        killNow() {
            unregister(cleanup);
            if (server?.isRunning()) server.child.kill("SIGKILL");
            fs.rmSync(baseDir, { recursive: true, force: true });
        },
        async dispose() {
            unregister(cleanup);
            try {
                await killNow();
            } finally {
                fs.rmSync(baseDir, { recursive: true, force: true });
            }
        },
    };
    register(cleanup);
    try {
        await launch();
    } catch (error) {
        await cleanup.dispose().catch(() => undefined);
        throw error;
    }
    return {
        address,
        flavor,
        binary,
        configFile,
        auditLogPath,
        logFile,
        pid: () => (server?.isRunning() ? server.child.pid : undefined),
        kill: killNow,
        async start() {
            if (server?.isRunning()) throw new Error(`${binary} on ${address} is already running`);
            await launch();
        },
        async loseData() {
            await killNow();
            fs.rmSync(dataDir, { recursive: true, force: true });
            fs.mkdirSync(dataDir);
        },
        stop: () => cleanup.dispose(),
    };
}
