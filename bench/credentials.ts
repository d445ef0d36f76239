/**
 * Credential benchmark on real servers (the live suite's harness), interleaved: every round runs a short batch of
 * every scenario, in an order that rotates from round to round, so that whatever else the machine does lands on all
 * scenarios alike. Ratios are computed within each round; the report gives their median, min–max and spread
 * (max / min) over rounds. See `--help` for the options and docs/performance.md for the scenarios.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "crypto";
import * as http from "http";
import { Client } from "pg";
import { ACCESS_LEVELS, AccessLevel, roleStatements } from "../components";
import { vaultRequest } from "../components/vault-api";
import { LiveStack, startLiveStack } from "../test/live/live-stack";
import { ResourceUse, sampleResources } from "./resources";
import { adminClients, BenchTarget, LAYOUTS, poolLabel, prepareTargets, STACK_LAYOUT, stackAdmin } from "./setup";
import { Measured, ratioSpecs, report, Round } from "./report";
import { load, round, summarize, timed } from "./stats";

/**
 * Keep-alive sockets for the benchmark's Vault requests: the client shares the two cores with Vault and PostgreSQL,
 * and a new connection (or fetch, about three times the CPU per request) costs Vault CPU it would measure.
 */
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** Slices per round of each concurrent scenario: short enough that a busy spell of the machine spans several scenarios. */
const SLICES = 6;

const OPTIONS = {
    rounds: { value: 7, help: "measured rounds (at least 5 for medians worth the name)" },
    warmup: { value: 1, help: "rounds run first and discarded (pools, caches)" },
    batch: { value: 30, help: "sequential issues (then revokes) per scenario per round, interleaved operation by operation" },
    seedBatch: { value: 10, help: "sequential issues per round for the per-table seed pattern (slow at 1000 tables)" },
    mixed: { value: 240, help: `issues (then revokes) per round in each mixed concurrent scenario, in ${SLICES} alternating slices` },
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


/**
 * Measured one operation at a time, interleaved with every other sequential scenario: operation i of each runs
 * before operation i + 1 of any, so a busy moment of the machine lands on all of them alike. `every` thins out
 * slow scenarios (the seed pattern at 1000 tables): they run on every `every`-th turn only.
 */
interface Sequential {
    key: string;
    every: number;
    issue(): Promise<string>;
    /** Undefined for a scenario with nothing to undo. */
    revoke?(handle: string): Promise<unknown>;
}

/** Measured `count` operations at a time with `concurrency` in flight, in slices that alternate with the others'. */
interface Concurrent {
    key: string;
    /** application_name of the pool it loads, to count its connections. */
    pool: string;
    issue(index: number, worker: number): Promise<string>;
    revoke(handle: string, worker: number): Promise<unknown>;
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

/** The floor: the same statements, one transaction each, as the Vault admin directly on PostgreSQL. */
async function transaction(client: Client, sqls: string[], name: string): Promise<void> {
    const expiration = new Date(Date.now() + 3_600_000).toISOString();
    const render = (sql: string): string => sql.replace(/\{\{name\}\}/g, name).replace(/\{\{password\}\}/g, VERIFIER).replace(/\{\{expiration\}\}/g, expiration);
    await client.query("BEGIN");
    for (const sql of sqls) await client.query(render(sql));
    await client.query("COMMIT");
}

function scenarios(stack: LiveStack, targets: BenchTarget[], floorClients: Map<string, Client[]>, options: Options): { sequential: Sequential[]; concurrent: Concurrent[] } {
    const call = <T>(method: string, apiPath: string, body?: Record<string, unknown>): Promise<T> =>
        vaultRequest<T>(stack.vault.address, stack.vault.rootToken, method, apiPath, body, { agent: keepAlive });
    const issueVault = async (credsPath: string): Promise<string> => (await call<{ lease_id: string }>("GET", credsPath)).lease_id;
    const revokeVault = (leaseId: string): Promise<unknown> => call("PUT", `sys/leases/revoke/${leaseId}`, {});
    const ours = (access: AccessLevel): ReturnType<typeof roleStatements> => roleStatements(access, stack.groupRoles);
    const mix = (index: number): AccessLevel => ACCESS_LEVELS[index % ACCESS_LEVELS.length];
    const floorName = (access: AccessLevel): string => `v-floor-${access}-${process.pid}-${floorUsers++}`;
    const seedEvery = Math.max(1, Math.round(options.batch / options.seedBatch));

    const sequential: Sequential[] = [];
    const concurrent: Concurrent[] = [];
    for (const target of targets) {
        const t = `t${target.tables}`;
        const clients = floorClients.get(target.database)!;
        for (const access of ACCESS_LEVELS) {
            sequential.push({ key: `ours ${t} ${access}`, every: 1, issue: () => issueVault(target.credsPaths[STACK_LAYOUT][access]), revoke: revokeVault });
            sequential.push({
                key: `floor ${t} ${access}`,
                every: 1,
                issue: async () => {
                    const name = floorName(access);
                    await transaction(clients[0], ours(access).creation, name);
                    return name;
                },
                revoke: (name) => transaction(clients[0], ours(access).revocation, name),
            });
            sequential.push({ key: `seed ${t} ${access}`, every: seedEvery, issue: () => issueVault(target.credsPaths.seed[access]), revoke: revokeVault });
        }
        for (const layout of LAYOUTS) {
            concurrent.push({ key: `mixed ${t} ${layout}`, pool: poolLabel(target.database, layout), issue: (index) => issueVault(target.credsPaths[layout][mix(index)]), revoke: revokeVault });
        }
        // Each floor name carries its access level, so the revocation runs that level's statements.
        concurrent.push({
            key: `mixed ${t} floor`,
            pool: poolLabel(target.database, "floor"),
            issue: async (index, worker) => {
                const name = floorName(mix(index));
                await transaction(clients[worker], ours(mix(index)).creation, name);
                return name;
            },
            revoke: (name, worker) => transaction(clients[worker], ours(name.split("-")[2] as AccessLevel).revocation, name),
        });
    }
    // What any Vault request costs here: HTTP, token lookup, routing, no database.
    sequential.push({ key: "vault round trip", every: 1, issue: async () => (await call("GET", "auth/token/lookup-self"), "") });
    return { sequential, concurrent };
}

/** One round of the sequential scenarios, interleaved operation by operation, in the given order. */
async function runSequential(order: Sequential[], batch: number): Promise<Record<string, Measured>> {
    const handles = new Map<string, string[]>(order.map((scenario) => [scenario.key, []]));
    const issueMs = new Map<string, number[]>(order.map((scenario) => [scenario.key, []]));
    const revokeMs = new Map<string, number[]>(order.map((scenario) => [scenario.key, []]));
    for (let turn = 0; turn < batch; turn++) {
        for (const scenario of order) {
            if (turn % scenario.every !== 0) continue;
            const [handle, ms] = await timed(() => scenario.issue());
            handles.get(scenario.key)!.push(handle);
            issueMs.get(scenario.key)!.push(ms);
        }
    }
    for (let turn = 0; turn < batch; turn++) {
        for (const scenario of order) {
            const handle = handles.get(scenario.key)![Math.floor(turn / scenario.every)];
            if (turn % scenario.every !== 0 || !scenario.revoke || handle === undefined) continue;
            const revoke = scenario.revoke;
            revokeMs.get(scenario.key)!.push((await timed(() => revoke(handle)))[1]);
        }
    }
    const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
    return Object.fromEntries(
        order.map((scenario) => {
            const issue = issueMs.get(scenario.key)!;
            const revoke = scenario.revoke ? revokeMs.get(scenario.key)! : issue;
            return [scenario.key, { issue: summarize(issue, sum(issue)), revoke: summarize(revoke, sum(revoke)) }];
        }),
    );
}

/**
 * One round of the concurrent scenarios: each runs its share in `slices` slices, the order reversed every other
 * slice, so that no scenario always runs first or right after the same one.
 */
async function runConcurrent(stack: LiveStack, order: Concurrent[], options: Options, slices = SLICES): Promise<Record<string, Measured>> {
    const totals = new Map(order.map((scenario) => [scenario.key, { issue: [] as number[], issueWall: 0, revoke: [] as number[], revokeWall: 0, uses: [] as ResourceUse[] }]));
    const perSlice = Math.ceil(options.mixed / slices);
    for (let slice = 0; slice < slices; slice++) {
        for (const scenario of slice % 2 === 0 ? order : [...order].reverse()) {
            const total = totals.get(scenario.key)!;
            const sampler = await sampleResources(stack.postgres, stack.vault.address, scenario.pool);
            try {
                const issued = await load(perSlice, options.concurrency, (index, worker) => scenario.issue(slice * perSlice + index, worker));
                const revoked = await load(perSlice, options.concurrency, (index, worker) => scenario.revoke(issued.results[index], worker));
                total.issue.push(...issued.samples);
                total.issueWall += issued.wallMs;
                total.revoke.push(...revoked.samples);
                total.revokeWall += revoked.wallMs;
            } finally {
                total.uses.push(await sampler.stop());
            }
        }
    }
    return Object.fromEntries(
        order.map((scenario) => {
            const total = totals.get(scenario.key)!;
            const peak = (pick: (use: ResourceUse) => number): number => Math.max(...total.uses.map(pick));
            const cpu = (pick: (use: ResourceUse) => number): number => total.uses.reduce((sum, use) => sum + pick(use), 0);
            const resources: ResourceUse = {
                poolConnections: peak((use) => use.poolConnections),
                allConnections: peak((use) => use.allConnections),
                vaultRssMiB: peak((use) => use.vaultRssMiB),
                postgresPssMiB: peak((use) => use.postgresPssMiB),
                cpuMs: { vault: cpu((use) => use.cpuMs.vault), postgres: cpu((use) => use.cpuMs.postgres), bench: cpu((use) => use.cpuMs.bench) },
            };
            return [scenario.key, { issue: summarize(total.issue, total.issueWall), revoke: summarize(total.revoke, total.revokeWall), resources }];
        }),
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Ratios
// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

/** Round r starts at a different place in the list, so no scenario always runs first or after the same one. */
function rotated<T>(list: T[], roundIndex: number, rounds: number): T[] {
    const step = Math.max(1, Math.floor(list.length / Math.max(rounds, 1)));
    const start = (roundIndex * step) % list.length;
    return [...list.slice(start), ...list.slice(0, start)];
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
        const { sequential, concurrent } = scenarios(stack, targets, floorClients, options);
        const specs = ratioSpecs(tableCounts);
        const rounds: Round[] = [];
        const total = options.rounds + options.warmup;
        for (let index = -options.warmup; index < options.rounds; index++) {
            const sequentialOrder = rotated(sequential, index + options.warmup, total);
            const concurrentOrder = rotated(concurrent, index + options.warmup, total);
            const results = { ...(await runSequential(sequentialOrder, options.batch)), ...(await runConcurrent(stack, concurrentOrder, options)) };
            const ratios = Object.fromEntries(specs.map((spec) => [spec.name, round(spec.of(results))]));
            const order = [...sequentialOrder, ...concurrentOrder].map((scenario) => scenario.key);
            if (index >= 0) rounds.push({ index, order, results, ratios });
            process.stderr.write(`${index < 0 ? "warm-up" : `round ${index + 1}/${options.rounds}`} done after ${Math.round((Date.now() - started) / 1000)} s\n`);
        }
        report(rounds, specs, [...sequential, ...concurrent].map((scenario) => scenario.key), options);
    } finally {
        await Promise.allSettled(openClients.map((client) => client.end()));
        keepAlive.destroy();
        await stack.stop();
    }
}

main().catch((error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
});
