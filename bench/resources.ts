/**
 * What the servers use while the benchmark loads them: PostgreSQL client connections (all, and those of the
 * scenario's own pool, told apart by `application_name`), Vault's resident memory, PostgreSQL's memory summed over
 * the postmaster and its backends as PSS (shared buffers counted once, not once per backend), and the CPU time
 * Vault, PostgreSQL's backends and the benchmark process spent. Read from /proc: Linux only, else those stay 0.
 */
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import { PostgresServer } from "../test/live/harness";

export interface ResourceUse {
    /** Peak client connections carrying the scenario's application_name. */
    poolConnections: number;
    /** Peak client connections of the whole server (every pool the benchmark opened, idle ones included). */
    allConnections: number;
    vaultRssMiB: number;
    postgresPssMiB: number;
    /** CPU milliseconds spent during the scenario. */
    cpuMs: { vault: number; postgres: number; bench: number };
}

/** Clock ticks per second of /proc/<pid>/stat times: 100 on every Linux build Node runs on. */
const TICKS_PER_SECOND = 100;

function readKiB(file: string, field: string): number {
    try {
        const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(file, "utf8"));
        return match ? Number(match[1]) : 0;
    } catch {
        return 0; // the process ended between listing and reading
    }
}

interface Proc {
    pid: number;
    cpuTicks: number;
}

function readProc(pid: number): Proc | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        // After the command: state, ppid, ... utime and stime are the 12th and 13th fields.
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return { pid, cpuTicks: Number(fields[11]) + Number(fields[12]) };
    } catch {
        return undefined; // ended
    }
}

/** The postmaster's children (its backends), from the kernel's children list rather than a scan of /proc. */
function childrenOf(pid: number): number[] {
    try {
        return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
        return [];
    }
}

const vaultPids = new Map<string, number | undefined>();

/** The Vault dev server listening on `host`, found by its command line once per host. */
function findVault(host: string): number | undefined {
    if (!vaultPids.has(host)) vaultPids.set(host, scanForVault(host));
    return vaultPids.get(host);
}

function scanForVault(host: string): number | undefined {
    if (!fs.existsSync("/proc")) return undefined;
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
            if (cmdline.includes(`-dev-listen-address=${host}`) && !cmdline[0].endsWith("runuser")) return Number(entry);
        } catch {
            // ended
        }
    }
    return undefined;
}

/** Samples every `intervalMs` on one open connection (not counted) until stopped. */
export async function sampleResources(
    postgres: PostgresServer,
    vaultAddress: string,
    applicationName: string,
    intervalMs = 200,
): Promise<{ stop(): Promise<ResourceUse> }> {
    const client = new Client({ connectionString: postgres.connectionString() });
    await client.connect();
    const vaultPid = findVault(new URL(vaultAddress).host);
    let postmaster = -1;
    try {
        postmaster = Number(fs.readFileSync(path.join(postgres.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    } catch {
        // the data dir is not readable here: PostgreSQL's figures stay 0
    }
    const backends = (): Proc[] => childrenOf(postmaster).flatMap((pid) => readProc(pid) ?? []);
    const startBackendTicks = new Map(backends().map((proc) => [proc.pid, proc.cpuTicks]));
    const startVaultTicks = vaultPid === undefined ? 0 : (readProc(vaultPid)?.cpuTicks ?? 0);
    const startBench = process.cpuUsage();

    const use: ResourceUse = { poolConnections: 0, allConnections: 0, vaultRssMiB: 0, postgresPssMiB: 0, cpuMs: { vault: 0, postgres: 0, bench: 0 } };
    const sample = async (): Promise<void> => {
        if (vaultPid !== undefined) use.vaultRssMiB = Math.max(use.vaultRssMiB, readKiB(`/proc/${vaultPid}/status`, "VmRSS") / 1024);
        const members = [postmaster, ...childrenOf(postmaster)];
        use.postgresPssMiB = Math.max(use.postgresPssMiB, members.reduce((sum, pid) => sum + readKiB(`/proc/${pid}/smaps_rollup`, "Pss"), 0) / 1024);
        const counts = await client.query(
            "SELECT count(*) AS total, count(*) FILTER (WHERE application_name = $1) AS pool FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
            [applicationName],
        );
        use.allConnections = Math.max(use.allConnections, Number(counts.rows[0].total));
        use.poolConnections = Math.max(use.poolConnections, Number(counts.rows[0].pool));
    };
    let running = true;
    const loop = (async () => {
        while (running) {
            await sample();
            await new Promise((resolveTimer) => setTimeout(resolveTimer, intervalMs));
        }
    })();
    return {
        async stop() {
            running = false;
            await loop;
            await client.end();
            const ms = (ticks: number): number => Math.round((ticks * 1000) / TICKS_PER_SECOND);
            // Backends that ended during the scenario are not counted: the pools keep theirs open throughout.
            const backendTicks = backends().reduce((sum, proc) => sum + proc.cpuTicks - (startBackendTicks.get(proc.pid) ?? 0), 0);
            const bench = process.cpuUsage(startBench);
            return {
                ...use,
                vaultRssMiB: Math.round(use.vaultRssMiB),
                postgresPssMiB: Math.round(use.postgresPssMiB),
                cpuMs: {
                    vault: vaultPid === undefined ? 0 : ms((readProc(vaultPid)?.cpuTicks ?? startVaultTicks) - startVaultTicks),
                    postgres: ms(backendTicks),
                    bench: Math.round((bench.user + bench.system) / 1000),
                },
            };
        },
    };
}
