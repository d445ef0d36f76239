/**
 * Credential benchmark on real servers (the live suite's harness), interleaved: every round runs a short batch of
 * every scenario, in an order that rotates from round to round, so that whatever else the machine does lands on all
 * scenarios alike. Ratios are computed within each round; the report gives their median, min–max and spread
 * (max / min) over rounds. See `--help` for the options and README "Performance" for the scenarios.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import { ACCESS_LEVELS, AccessLevel, DEFAULTS, roleStatements } from "../components";
import { LiveStack, startLiveStack } from "../test/live/live-stack";
import { ResourceUse, sampleResources } from "./resources";
import { adminClients, BenchTarget, LAYOUTS, poolLabel, prepareTargets, stackAdmin } from "./setup";
import { Latencies, load, OverRounds, overRounds, round } from "./stats";
import { closeVaultClient, vaultCall } from "./vault-client";

const OPTIONS = {
    rounds: { value: 5, help: "measured rounds (at least 5 for medians worth the name)" },
    warmup: { value: 1, help: "rounds run first and discarded (pools, caches)" },
    batch: { value: 30, help: "sequential issues (then revokes) per scenario per round" },
    seedBatch: { value: 6, help: "sequential issues per round for the per-table seed pattern (slow at 1000 tables)" },
    mixed: { value: 150, help: "issues (then revokes) per round in each mixed concurrent scenario" },
    concurrency: { value: 8, help: "requests in flight in the mixed scenarios, Vault and floor alike" },
    tables: { value: "10,1000", help: "table counts, one database each" },
    out: { value: "bench/results/credentials.json", help: "JSON output: options, machine, every round, the summary" },
};
type Options = { [K in keyof typeof OPTIONS]: (typeof OPTIONS)[K]["value"] };
const flagOf = (key: string): string => `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;

function usage(): string {
    const lines = Object.entries(OPTIONS).map(([key, option]) => `  ${flagOf(key).padEnd(14)} ${option.help} (default ${option.value})`);
    return ["usage: npm run bench [-- OPTIONS]", ...lines, "  --help         this text"].join("\n");
}

function parseOptions(argv: string[]): Options {
    const options = Object.fromEntries(Object.entries(OPTIONS).map(([key, option]) => [key, option.value])) as Options;
    for (let index = 0; index < argv.length; index += 2) {
        if (argv[index] === "--help" || argv[index] === "-h") {
            console.log(usage());
            process.exit(0);
        }
        const key = Object.keys(OPTIONS).find((name) => flagOf(name) === argv[index]) as keyof Options | undefined;
        const value = argv[index + 1];
        const fail = (why: string): never => {
            console.error(`bench: ${argv[index]} ${value ?? ""}: ${why}\n${usage()}`);
            process.exit(2);
        };
        if (!key || value === undefined) fail("unknown option or missing value");
        else if (typeof OPTIONS[key].value === "number") {
            const number = Number(value);
            const minimum = key === "warmup" ? 0 : 1;
            if (!Number.isInteger(number) || number < minimum) fail(`must be a whole number ≥ ${minimum}`);
            (options[key] as number) = number;
        } else if (key === "tables" && !/^\d+(,\d+)*$/.test(value)) fail("a comma-separated list of table counts");
        else (options[key] as string) = value;
    }
    return options;
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------------------

interface Measured {
    issue: Latencies;
    revoke: Latencies;
    resources?: ResourceUse;
}

interface Scenario {
    key: string;
    run(): Promise<Measured>;
}

/**
 * A SCRAM-SHA-256 verifier, as Vault sends it with `password_authentication = scram-sha-256`: PostgreSQL stores it
 * without hashing. Computed once, outside the timing, so the floor is PostgreSQL's work on Vault's statements.
 */
function scramVerifier(password: string): string {
    const salt = randomBytes(16);
    const salted = pbkdf2Sync(password, salt, 4096, 32, "sha256");
    const storedKey = createHash("sha256").update(createHmac("sha256", salted).update("Client Key").digest()).digest();
    const serverKey = createHmac("sha256", salted).update("Server Key").digest();
    return `SCRAM-SHA-256$4096:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

const VERIFIER = scramVerifier(randomBytes(12).toString("base64url"));
let floorUsers = 0;

/** Issue `count` credentials through Vault (`pick` chooses each one's creds path), then revoke them. */
async function throughVault(stack: LiveStack, count: number, concurrency: number, pick: (index: number) => string): Promise<Measured> {
    const call = <T>(method: string, apiPath: string, body?: Record<string, unknown>): Promise<T> => vaultCall<T>(stack.vault.address, stack.vault.rootToken, method, apiPath, body);
    const issued = await load(count, concurrency, (index) => call<{ lease_id: string }>("GET", pick(index)));
    const revoked = await load(count, concurrency, (index) => call("PUT", `sys/leases/revoke/${issued.results[index].lease_id}`, {}));
    return { issue: issued.latencies, revoke: revoked.latencies };
}

/** The floor: the same statements, one transaction each, as the Vault admin directly on PostgreSQL. */
async function direct(clients: Client[], count: number, statementsOf: (index: number) => { creation: string[]; revocation: string[] }): Promise<Measured> {
    const expiration = new Date(Date.now() + 3_600_000).toISOString();
    const names = Array.from({ length: count }, () => `v-floor-${process.pid}-${floorUsers++}`);
    const render = (sql: string, name: string): string =>
        sql.replace(/\{\{name\}\}/g, name).replace(/\{\{password\}\}/g, VERIFIER).replace(/\{\{expiration\}\}/g, expiration);
    const transaction = async (client: Client, sqls: string[], name: string): Promise<void> => {
        await client.query("BEGIN");
        for (const sql of sqls) await client.query(render(sql, name));
        await client.query("COMMIT");
    };
    const issued = await load(count, clients.length, (index, worker) => transaction(clients[worker], statementsOf(index).creation, names[index]));
    const revoked = await load(count, clients.length, (index, worker) => transaction(clients[worker], statementsOf(index).revocation, names[index]));
    return { issue: issued.latencies, revoke: revoked.latencies };
}

async function withResources(stack: LiveStack, applicationName: string, run: () => Promise<Measured>): Promise<Measured> {
    const sampler = await sampleResources(stack.postgres, stack.vault.address, applicationName);
    let measured: Measured | undefined;
    try {
        measured = await run();
    } finally {
        const resources = await sampler.stop();
        if (measured) measured = { ...measured, resources };
    }
    return measured;
}

function scenarios(stack: LiveStack, targets: BenchTarget[], floorClients: Map<string, Client[]>, options: Options): Scenario[] {
    const list: Scenario[] = [];
    const mix = (index: number): AccessLevel => ACCESS_LEVELS[index % ACCESS_LEVELS.length];
    const ours = (access: AccessLevel): ReturnType<typeof roleStatements> => roleStatements(access, stack.groupRoles);
    for (const target of targets) {
        const t = `t${target.tables}`;
        const clients = floorClients.get(target.database)!;
        for (const access of ACCESS_LEVELS) {
            list.push({ key: `ours ${t} ${access}`, run: () => throughVault(stack, options.batch, 1, () => target.credsPaths[DEFAULTS.connections][access]) });
            list.push({ key: `floor ${t} ${access}`, run: () => direct(clients.slice(0, 1), options.batch, () => ours(access)) });
            list.push({ key: `seed ${t} ${access}`, run: () => throughVault(stack, options.seedBatch, 1, () => target.credsPaths.seed[access]) });
        }
        for (const layout of LAYOUTS) {
            list.push({
                key: `mixed ${t} ${layout}`,
                run: () => withResources(stack, poolLabel(target.database, layout), () => throughVault(stack, options.mixed, options.concurrency, (index) => target.credsPaths[layout][mix(index)])),
            });
        }
        list.push({
            key: `mixed ${t} floor`,
            run: () => withResources(stack, poolLabel(target.database, "floor"), () => direct(clients.slice(0, options.concurrency), options.mixed, (index) => ours(mix(index)))),
        });
    }
    // What any Vault request costs here: HTTP, token lookup, routing, no database.
    list.push({
        key: "vault round trip",
        run: async () => {
            const trips = await load(options.batch, 1, () => vaultCall(stack.vault.address, stack.vault.rootToken, "GET", "auth/token/lookup-self"));
            return { issue: trips.latencies, revoke: trips.latencies };
        },
    });
    return list;
}

// ---------------------------------------------------------------------------------------------------------------
// Ratios
// ---------------------------------------------------------------------------------------------------------------

interface RatioSpec {
    name: string;
    of: (results: Record<string, Measured>) => number;
    /** e.g. "≤ 1.5" */
    target?: { op: "≤" | "≥"; value: number };
}

function ratioSpecs(tableCounts: number[]): RatioSpec[] {
    const specs: RatioSpec[] = [];
    const p50 = (key: string, op: "issue" | "revoke") => (results: Record<string, Measured>): number => results[key][op].p50;
    const rate = (key: string, op: "issue" | "revoke") => (results: Record<string, Measured>): number => results[key][op].perSecond;
    const divide = (a: (r: Record<string, Measured>) => number, b: (r: Record<string, Measured>) => number) => (r: Record<string, Measured>): number => a(r) / b(r);
    for (const tables of tableCounts) {
        const t = `t${tables}`;
        for (const access of ACCESS_LEVELS) {
            specs.push({ name: `issue p50 ours/floor ${t} ${access}`, of: divide(p50(`ours ${t} ${access}`, "issue"), p50(`floor ${t} ${access}`, "issue")), target: { op: "≤", value: 1.5 } });
            specs.push({ name: `revoke p50 ours/floor ${t} ${access}`, of: divide(p50(`ours ${t} ${access}`, "revoke"), p50(`floor ${t} ${access}`, "revoke")) });
            specs.push({ name: `issue p50 seed/ours ${t} ${access}`, of: divide(p50(`seed ${t} ${access}`, "issue"), p50(`ours ${t} ${access}`, "issue")) });
            specs.push({ name: `revoke p50 seed/ours ${t} ${access}`, of: divide(p50(`seed ${t} ${access}`, "revoke"), p50(`ours ${t} ${access}`, "revoke")) });
        }
        for (const layout of ["per-role", "per-access"]) {
            specs.push({ name: `mixed issue/s ${layout}/single ${t}`, of: divide(rate(`mixed ${t} ${layout}`, "issue"), rate(`mixed ${t} single`, "issue")), target: { op: "≥", value: 1.5 } });
            specs.push({ name: `mixed revoke/s ${layout}/single ${t}`, of: divide(rate(`mixed ${t} ${layout}`, "revoke"), rate(`mixed ${t} single`, "revoke")) });
        }
        for (const layout of LAYOUTS) {
            specs.push({ name: `mixed issue/s ${layout}/floor ${t}`, of: divide(rate(`mixed ${t} ${layout}`, "issue"), rate(`mixed ${t} floor`, "issue")), target: { op: "≥", value: 0.7 } });
        }
    }
    // Only with two table counts measured: how the cost grows with the schema.
    if (tableCounts.length >= 2) {
        const [few, many] = [Math.min(...tableCounts), Math.max(...tableCounts)];
        for (const access of ACCESS_LEVELS) {
            for (const op of ["issue", "revoke"] as const) {
                specs.push({ name: `${op} p50 ours t${many}/t${few} ${access}`, of: divide(p50(`ours t${many} ${access}`, op), p50(`ours t${few} ${access}`, op)), target: { op: "≤", value: 1.2 } });
                specs.push({ name: `${op} p50 seed t${many}/t${few} ${access}`, of: divide(p50(`seed t${many} ${access}`, op), p50(`seed t${few} ${access}`, op)) });
            }
        }
    }
    return specs;
}

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

/** Round r starts at a different place in the list, so no scenario always runs first or after the same one. */
function rotated<T>(list: T[], roundIndex: number, rounds: number): T[] {
    const step = Math.max(1, Math.floor(list.length / Math.max(rounds, 1)));
    const start = (roundIndex * step) % list.length;
    return [...list.slice(start), ...list.slice(0, start)];
}

interface Round {
    index: number;
    order: string[];
    results: Record<string, Measured>;
    ratios: Record<string, number>;
}

async function main(): Promise<void> {
    const options = parseOptions(process.argv.slice(2));
    const tableCounts = options.tables.split(",").map(Number);
    const started = Date.now();
    const stack = await startLiveStack();
    const openClients: Client[] = [];
    try {
        const admin = stackAdmin(stack);
        const targets = await prepareTargets(stack, tableCounts, admin);
        const floorClients = new Map<string, Client[]>();
        for (const target of targets) {
            const clients = await adminClients(stack, target.database, admin, options.concurrency);
            openClients.push(...clients);
            floorClients.set(target.database, clients);
        }
        const list = scenarios(stack, targets, floorClients, options);
        const specs = ratioSpecs(tableCounts);
        const rounds: Round[] = [];
        for (let index = -options.warmup; index < options.rounds; index++) {
            const order = rotated(list, index + options.warmup, options.rounds + options.warmup);
            const results: Record<string, Measured> = {};
            for (const scenario of order) results[scenario.key] = await scenario.run();
            const ratios = Object.fromEntries(specs.map((spec) => [spec.name, round(spec.of(results))]));
            if (index >= 0) rounds.push({ index, order: order.map((scenario) => scenario.key), results, ratios });
            process.stderr.write(`${index < 0 ? "warm-up" : `round ${index + 1}/${options.rounds}`} done after ${Math.round((Date.now() - started) / 1000)} s\n`);
        }
        report(rounds, specs, list.map((scenario) => scenario.key), options);
    } finally {
        await Promise.allSettled(openClients.map((client) => client.end()));
        closeVaultClient();
        await stack.stop();
    }
}

function table(header: string[], rows: string[][]): void {
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
    const format = (cells: string[]): string => cells.map((cell, column) => cell.padEnd(widths[column])).join("  ");
    console.log(format(header));
    console.log(widths.map((width) => "-".repeat(width)).join("  "));
    rows.forEach((row) => console.log(format(row)));
}

function report(rounds: Round[], specs: RatioSpec[], keys: string[], options: Options): void {
    const figure = (key: string, pick: (measured: Measured) => number): OverRounds => overRounds(rounds.map((entry) => pick(entry.results[key])));
    const show = (stats: OverRounds): string => `${stats.median} (${stats.min}–${stats.max})`;
    console.log(`\nper scenario: median over ${rounds.length} rounds (min–max)`);
    table(
        ["scenario", "issue p50 ms", "issue/s", "revoke p50 ms", "revoke/s"],
        keys.map((key) => [
            key,
            show(figure(key, (m) => m.issue.p50)),
            show(figure(key, (m) => m.issue.perSecond)),
            show(figure(key, (m) => m.revoke.p50)),
            show(figure(key, (m) => m.revoke.perSecond)),
        ]),
    );

    const summary = specs.map((spec) => {
        const stats = overRounds(rounds.map((entry) => entry.ratios[spec.name]));
        const met = spec.target === undefined ? undefined : spec.target.op === "≤" ? stats.median <= spec.target.value : stats.median >= spec.target.value;
        return { name: spec.name, ...stats, target: spec.target ? `${spec.target.op} ${spec.target.value}` : "", met };
    });
    console.log(`\nratios, computed within each round: median over ${rounds.length} rounds, min–max, spread = max/min`);
    table(
        ["ratio", "median", "min–max", "spread", "target", "met"],
        summary.map((entry) => [entry.name, String(entry.median), `${entry.min}–${entry.max}`, String(entry.spread), entry.target, entry.met === undefined ? "" : entry.met ? "yes" : "NO"]),
    );

    const mixedKeys = keys.filter((key) => key.startsWith("mixed "));
    const resources = mixedKeys.map((key) => {
        const uses = rounds.map((entry) => entry.results[key].resources!);
        const peak = (pick: (use: ResourceUse) => number): string => String(Math.max(...uses.map(pick)));
        // Each credential is one issue and one revoke.
        const perCredential = (pick: (use: ResourceUse) => number): string => String(overRounds(uses.map((use) => pick(use) / options.mixed)).median);
        return [
            key,
            peak((u) => u.poolConnections),
            peak((u) => u.allConnections),
            peak((u) => u.vaultRssMiB),
            peak((u) => u.postgresPssMiB),
            perCredential((u) => u.cpuMs.vault),
            perCredential((u) => u.cpuMs.postgres),
            perCredential((u) => u.cpuMs.bench),
        ];
    });
    console.log(`\nresources in the mixed scenarios at concurrency ${options.concurrency}: peaks over rounds; CPU ms per credential (issue + revoke), median`);
    table(["scenario", "its pool", "all pg conns", "vault RSS MiB", "pg PSS MiB", "cpu vault", "cpu pg", "cpu bench"], resources);

    const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), loadAverage: os.loadavg(), node: process.version, platform: `${os.platform()} ${os.release()}` };
    fs.mkdirSync(path.dirname(options.out), { recursive: true });
    fs.writeFileSync(options.out, JSON.stringify({ date: new Date().toISOString(), machine, options, defaultLayout: DEFAULTS.connections, rounds, summary }, null, 2) + "\n");
    console.log(`\nwritten to ${options.out}`);
}

main().catch((error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
});
