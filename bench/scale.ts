/**
 * The scale scenario, on real servers: 300 roles over 20 databases (150 apps), once with the default layout
 * (`bounded`, connectionBudget 40) and once with a connection config per role (`per-role`, the budget raised to let
 * it through), each on a server-mode Vault of its own (raft, as a restart keeps its data) and the same PostgreSQL.
 * Per layout it prints: the apply time, issue/s and revoke/s of one credential per role at concurrency 8, the
 * connections Vault holds at peak and idle afterwards, Vault's resident and PostgreSQL's proportional memory at peak,
 * and, after the Vault process is killed, started and unsealed, the time until the first credential is issued.
 *
 * Usage: npm run bench:scale [-- --roles 300 --databases 20 --concurrency 8 --out FILE]
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { ConnectionLayout, DEFAULTS, vaultAdminFor } from "../components/validate";
import { initialize, unseal, waitForServer } from "../components/vault-init";
import { applyResources, destroy } from "../test/live/applier";
import { PostgresServer, startPostgres, stopAll, vaultRequest } from "../test/live/harness";
import { RecordedProgram, recordProgram } from "../test/live/live-stack";
import { SealedVaultServer, startSealedVault } from "../test/live/server-harness";

interface Options {
    roles: number;
    databases: number;
    concurrency: number;
    out?: string;
}

interface LayoutResult {
    layout: ConnectionLayout;
    connectionConfigs: number;
    applySeconds: number;
    issuePerSecond: number;
    revokePerSecond: number;
    peakConnections: number;
    idleConnections: number;
    vaultRssMiB: number;
    postgresPssMiB: number;
    restartToFirstCredentialMs: number;
}

function parseOptions(argv: string[]): Options {
    const options: Options = { roles: 300, databases: 20, concurrency: 8 };
    for (let index = 0; index < argv.length; index += 2) {
        const [flag, value] = [argv[index], argv[index + 1]];
        if (flag === "--help" || flag === "-h") {
            console.log("usage: npm run bench:scale [-- --roles 300 --databases 20 --concurrency 8 --out FILE]");
            process.exit(0);
        }
        if (flag === "--out" && value) options.out = value;
        else if (["--roles", "--databases", "--concurrency"].includes(flag) && /^\d+$/.test(value ?? "")) (options as unknown as Record<string, number>)[flag.slice(2)] = Number(value);
        else {
            console.error(`bench:scale: ${flag} ${value ?? ""}: unknown option or bad value`);
            process.exit(2);
        }
    }
    return options;
}

/** The stack config: `roles` roles over `databases` databases named `<prefix>0`..., an app per two roles. */
function stackConfig(options: Options, prefix: string, layout: ConnectionLayout): Record<string, string> {
    const access = ["readonly", "readwrite", "owner"];
    const perDatabase = Math.ceil(options.roles / options.databases);
    const databases = Array.from({ length: options.databases }, (_, d) => ({
        name: `${prefix}${d}`,
        roles: Array.from({ length: perDatabase }, (_, r) => ({ name: `${prefix}${d}-r${r}`, access: access[r % 3], defaultTtl: "1h", maxTtl: "2h" })),
    }));
    const roleNames = databases.flatMap((database) => database.roles.map((role) => role.name));
    const apps = Array.from({ length: Math.floor(roleNames.length / 2) }, (_, index) => ({ name: `${prefix}app${index}`, roles: [roleNames[2 * index], roleNames[2 * index + 1]] }));
    // bounded: the least budget that many databases need (one config each), as the live scale test uses.
    const budget = layout === "per-role" ? roleNames.length * DEFAULTS.maxOpenConnections : options.databases * DEFAULTS.maxOpenConnections;
    return {
        tls: "false",
        database: databases[0].name,
        roles: JSON.stringify(databases[0].roles),
        databases: JSON.stringify(databases.slice(1)),
        apps: JSON.stringify(apps),
        connections: layout,
        connectionBudget: String(budget),
    };
}

function kib(pid: number | undefined, file: string, field: string): number {
    if (pid === undefined) return 0;
    try {
        const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/${file}`, "utf8"));
        return match ? Number(match[1]) : 0;
    } catch {
        return 0;
    }
}

/** Peak connections of the layout's Vault admins, Vault's RSS and PostgreSQL's PSS, sampled every 50 ms. */
function sampler(postgres: PostgresServer, vault: SealedVaultServer, admins: string[]) {
    const peak = { connections: 0, vaultRss: 0, postgresPss: 0 };
    let running = true;
    const postmaster = Number(fs.readFileSync(path.join(postgres.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    const members = (): number[] => {
        try {
            return [postmaster, ...fs.readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number)];
        } catch {
            return [postmaster];
        }
    };
    const count = async (): Promise<number> =>
        Number((await postgres.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = ANY($1::text[])", [admins])).rows[0].n);
    const loop = (async () => {
        while (running) {
            peak.connections = Math.max(peak.connections, await count());
            peak.vaultRss = Math.max(peak.vaultRss, kib(vault.pid(), "status", "VmRSS"));
            peak.postgresPss = Math.max(peak.postgresPss, members().reduce((sum, pid) => sum + kib(pid, "smaps_rollup", "Pss"), 0));
            await new Promise((resolveTimer) => setTimeout(resolveTimer, 50));
        }
    })();
    return {
        count,
        async stop() {
            running = false;
            await loop;
            return { connections: peak.connections, vaultRssMiB: Math.round(peak.vaultRss / 1024), postgresPssMiB: Math.round(peak.postgresPss / 1024) };
        },
    };
}

async function pooled<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<number> {
    const started = Date.now();
    let next = 0;
    await Promise.all(Array.from({ length: limit }, async () => {
        while (next < items.length) await work(items[next++]);
    }));
    return (Date.now() - started) / 1000;
}

async function runLayout(options: Options, postgres: PostgresServer, layout: ConnectionLayout, prefix: string): Promise<LayoutResult> {
    const vault = await startSealedVault();
    try {
        const init = await initialize(vault.address, 1, 1);
        await unseal(vault.address, init.keys);
        const program = recordInChild(options, prefix, layout);
        const applyStarted = Date.now();
        await applyResources(program.resources, { postgres, vault: { address: vault.address, rootToken: init.rootToken } });
        const applySeconds = (Date.now() - applyStarted) / 1000;
        const connectionConfigs = program.resources.filter((resource) => resource.type === "vault:database/secretBackendConnection:SecretBackendConnection").length;
        const admins = [DEFAULTS.vaultAdminUsername, ...Array.from({ length: options.databases }, (_, d) => vaultAdminFor(`${prefix}${d}`))];
        const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
        const root = <T>(method: string, apiPath: string, body?: Record<string, unknown>): Promise<T> => vaultRequest<T>(vault.address, init.rootToken, method, apiPath, body, { agent });

        const sampling = sampler(postgres, vault, admins);
        const roles = Object.values(program.credsPaths);
        const leases: string[] = [];
        const issueSeconds = await pooled(roles, options.concurrency, async (credsPath) => leases.push((await root<{ lease_id: string }>("GET", credsPath)).lease_id));
        await new Promise((resolveTimer) => setTimeout(resolveTimer, 3000));
        const idleConnections = await sampling.count();
        const revokeSeconds = await pooled(leases, options.concurrency, (lease) => root("PUT", `sys/leases/revoke/${lease}`));
        const peak = await sampling.stop();

        // A restart: the process killed, started again on its data, unsealed; then the first credential.
        agent.destroy();
        await vault.kill();
        await vault.start();
        const restarted = Date.now();
        // Sockets kept alive to the killed process fail once each; waitForServer retries past them.
        await waitForServer(vault.address);
        const fresh = new http.Agent({ keepAlive: false });
        await unseal(vault.address, init.keys);
        for (;;) {
            const issued = await vaultRequest(vault.address, init.rootToken, "GET", roles[roles.length - 1], undefined, { agent: fresh }).then(() => true, () => false);
            if (issued) break;
            if (Date.now() - restarted > 120_000) throw new Error(`bench:scale: no credential within 120 s of the restart (${layout})`);
            await new Promise((resolveTimer) => setTimeout(resolveTimer, 100));
        }
        const restartToFirstCredentialMs = Date.now() - restarted;
        // The next layout's first database has the same Vault admin (vault_admin): this one's stack goes first.
        await destroy(program.resources, { postgres, vault: { address: vault.address, rootToken: init.rootToken } });
        return {
            layout,
            connectionConfigs,
            applySeconds: Math.round(applySeconds * 10) / 10,
            issuePerSecond: Math.round(roles.length / issueSeconds),
            revokePerSecond: Math.round(leases.length / revokeSeconds),
            peakConnections: peak.connections,
            idleConnections,
            vaultRssMiB: peak.vaultRssMiB,
            postgresPssMiB: peak.postgresPssMiB,
            restartToFirstCredentialMs,
        };
    } finally {
        await vault.stop();
    }
}

/**
 * The program recorded in a process of its own: index.ts runs once per process outside Jest (live-stack.ts,
 * recordProgram), and each layout needs its own recording.
 */
function recordInChild(options: Options, prefix: string, layout: ConnectionLayout): RecordedProgram {
    const text = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", __filename, "--record", JSON.stringify({ options, prefix, layout })], {
        cwd: path.join(__dirname, ".."),
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        maxBuffer: 256 * 1024 * 1024,
    });
    return JSON.parse(text) as RecordedProgram;
}

async function main(): Promise<void> {
    if (process.argv[2] === "--record") {
        const { options, prefix, layout } = JSON.parse(process.argv[3]) as { options: Options; prefix: string; layout: ConnectionLayout };
        const program = await recordProgram((config) => ({ ...config, ...stackConfig(options, prefix, layout) }));
        // Written in full before the process exits (a pipe takes large writes asynchronously).
        await new Promise<void>((resolveWrite) => process.stdout.write(JSON.stringify(program), () => resolveWrite()));
        return;
    }
    const options = parseOptions(process.argv.slice(2).filter((arg) => arg !== "--"));
    // per-role holds a connection per role: the server must take them all.
    const postgres = await startPostgres({ maxConnections: options.roles * DEFAULTS.maxOpenConnections + 100 });
    try {
        const results: LayoutResult[] = [];
        for (const [layout, prefix] of [["bounded", "b"], ["per-role", "p"]] as [ConnectionLayout, string][]) {
            results.push(await runLayout(options, postgres, layout, prefix));
        }
        console.log(`${options.roles} roles over ${options.databases} databases, ${Math.floor(options.roles / 2)} apps, concurrency ${options.concurrency}`);
        const columns: [string, keyof LayoutResult][] = [
            ["layout", "layout"], ["configs", "connectionConfigs"], ["apply s", "applySeconds"], ["issue/s", "issuePerSecond"], ["revoke/s", "revokePerSecond"],
            ["peak conns", "peakConnections"], ["idle conns", "idleConnections"], ["vault RSS MiB", "vaultRssMiB"], ["pg PSS MiB", "postgresPssMiB"], ["restart→cred ms", "restartToFirstCredentialMs"],
        ];
        console.log(columns.map(([title]) => title.padEnd(16)).join(""));
        for (const result of results) console.log(columns.map(([, key]) => String(result[key]).padEnd(16)).join(""));
        if (options.out) {
            fs.mkdirSync(path.dirname(options.out), { recursive: true });
            fs.writeFileSync(options.out, `${JSON.stringify({ date: new Date().toISOString(), options, results }, null, 2)}\n`);
            console.log(`written to ${options.out}`);
        }
    } finally {
        await postgres.destroy();
        await stopAll();
    }
}

main().then(() => process.exit(0), async (error: Error) => {
    console.error(error.stack ?? error.message);
    await stopAll().catch(() => undefined);
    process.exit(1);
});
