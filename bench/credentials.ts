/**
 * Credential benchmark on real servers (the live suite's harness): issue and revoke credentials through the Vault
 * API for each access level of the dev stack, at 10 and at 1000 tables, sequentially and at concurrency 8, and
 * compare with (a) the floor, the same statements run directly on PostgreSQL, and (b) the seed articles' pattern,
 * a role that grants and revokes per table.
 *
 * Usage: npm run bench [-- --sequential 200 --concurrent 400 --concurrency 8 --out bench/results/credentials.json]
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import { ACCESS_LEVELS, AccessLevel, quoteIdent, roleStatements } from "../components";
import { plain, TYPES } from "../test/helpers/pulumi-mocks";
import { LiveStack, startLiveStack } from "../test/live/live-stack";

interface Options {
    sequential: number;
    concurrent: number;
    concurrency: number;
    tableCounts: number[];
    out: string;
}

function parseOptions(argv: string[]): Options {
    const options: Options = { sequential: 200, concurrent: 400, concurrency: 8, tableCounts: [10, 1000], out: "bench/results/credentials.json" };
    for (let index = 0; index < argv.length; index += 2) {
        const [flag, value] = [argv[index], argv[index + 1]];
        if (flag === "--help" || flag === "-h") {
            console.log("usage: npm run bench [-- --sequential N --concurrent N --concurrency N --tables 10,1000 --out FILE]");
            process.exit(0);
        }
        const number = Number(value);
        if (flag === "--sequential" && number > 0) options.sequential = number;
        else if (flag === "--concurrent" && number > 0) options.concurrent = number;
        else if (flag === "--concurrency" && number > 0) options.concurrency = number;
        else if (flag === "--tables" && value) options.tableCounts = value.split(",").map(Number);
        else if (flag === "--out" && value) options.out = value;
        else throw new Error(`bench: unknown or bad option ${flag} ${value ?? ""}`);
    }
    return options;
}

interface Latencies {
    p50: number;
    p95: number;
    perSecond: number;
    count: number;
}

function summarize(samplesMs: number[], wallMs: number): Latencies {
    const sorted = [...samplesMs].sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { p50: round(at(0.5)), p95: round(at(0.95)), perSecond: round((samplesMs.length / wallMs) * 1000), count: samplesMs.length };
}

const round = (value: number): number => Math.round(value * 100) / 100;

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
    const start = process.hrtime.bigint();
    const result = await run();
    return [result, Number(process.hrtime.bigint() - start) / 1e6];
}

/** Runs `count` operations with at most `concurrency` in flight; returns per-operation latencies and wall time. */
async function load<T>(count: number, concurrency: number, operation: (index: number) => Promise<T>): Promise<{ results: T[]; samples: number[]; wallMs: number }> {
    const results: T[] = new Array(count);
    const samples: number[] = new Array(count);
    let next = 0;
    const [, wallMs] = await timed(() =>
        Promise.all(
            Array.from({ length: concurrency }, async () => {
                while (next < count) {
                    const index = next++;
                    [results[index], samples[index]] = await timed(() => operation(index));
                }
            }),
        ),
    );
    return { results, samples, wallMs };
}

interface Row {
    scenario: string;
    access: AccessLevel;
    tables: number;
    mode: "sequential" | "concurrent";
    issue: Latencies;
    revoke: Latencies;
}

/** Issue then revoke through Vault with the root token. */
async function measureVault(stack: LiveStack, credsPath: string, count: number, concurrency: number): Promise<{ issue: Latencies; revoke: Latencies }> {
    const issued = await load(count, concurrency, () => stack.readCreds(stack.vault.rootToken, credsPath));
    const revoked = await load(count, concurrency, (index) => stack.root("PUT", `sys/leases/revoke/${issued.results[index].leaseId}`, {}));
    return { issue: summarize(issued.samples, issued.wallMs), revoke: summarize(revoked.samples, revoked.wallMs) };
}

/** A SCRAM-SHA-256 verifier, as Vault computes it with `password_authentication = scram-sha-256`. */
function scramVerifier(password: string): string {
    const salt = randomBytes(16);
    const salted = pbkdf2Sync(password, salt, 4096, 32, "sha256");
    const storedKey = createHash("sha256").update(createHmac("sha256", salted).update("Client Key").digest()).digest();
    const serverKey = createHmac("sha256", salted).update("Server Key").digest();
    return `SCRAM-SHA-256$4096:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/**
 * The floor: the same statements, one transaction each, on a direct connection as the Vault admin role. With
 * `prehashed`, the password is a SCRAM verifier hashed once up front, so PostgreSQL does no hashing: this splits
 * the floor into hashing and catalog work.
 */
async function measureFloor(
    admin: Client,
    statements: { creation: string[]; revocation: string[] },
    count: number,
    prehashed = false,
): Promise<{ issue: Latencies; revoke: Latencies }> {
    const expiration = new Date(Date.now() + 3_600_000).toISOString();
    const password = prehashed ? scramVerifier("floor-Password-1") : "floor-Password-1";
    const render = (sql: string, name: string): string =>
        sql.replace(/\{\{name\}\}/g, name).replace(/\{\{password\}\}/g, password).replace(/\{\{expiration\}\}/g, expiration);
    const names = Array.from({ length: count }, (_, index) => `v-floor-${prehashed ? "h" : "p"}-${index}-${Date.now()}`);
    const transaction = async (sqls: string[], name: string): Promise<void> => {
        await admin.query("BEGIN");
        for (const sql of sqls) await admin.query(render(sql, name));
        await admin.query("COMMIT");
    };
    const issued = await load(count, 1, (index) => transaction(statements.creation, names[index]));
    const revoked = await load(count, 1, (index) => transaction(statements.revocation, names[index]));
    return { issue: summarize(issued.samples, issued.wallMs), revoke: summarize(revoked.samples, revoked.wallMs) };
}

/** The seed articles' pattern: privileges granted to, and revoked from, every table for every credential. */
function seedStatements(access: AccessLevel): { creation: string[]; revocation: string[] } {
    const privileges = access === "readonly" ? "SELECT" : "SELECT, INSERT, UPDATE, DELETE";
    return {
        creation: [
            `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`,
            `GRANT ${privileges} ON ALL TABLES IN SCHEMA public TO "{{name}}"`,
        ],
        revocation: [`REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM "{{name}}"`, `DROP ROLE IF EXISTS "{{name}}"`],
    };
}

async function ensureTables(stack: LiveStack, count: number): Promise<void> {
    const existing = Number((await stack.postgres.query("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'", [], stack.database)).rows[0].n);
    // Created as the owner group, as owner credentials would, so the groups' default privileges cover them.
    const statements = [`SET ROLE ${quoteIdent(stack.groupRoles.owner)}`];
    for (let index = existing; index < count; index++) {
        statements.push(`CREATE TABLE bench_${index} (id serial PRIMARY KEY, payload text)`);
    }
    if (statements.length > 1) await stack.postgres.query(statements.join(";\n"), [], stack.database);
}

async function main(): Promise<void> {
    const options = parseOptions(process.argv.slice(2));
    const stack = await startLiveStack();
    const rows: Row[] = [];
    try {
        const connection = stack.resources.find((resource) => resource.type === TYPES.connection);
        if (!connection) throw new Error("bench: the dev stack declares no database connection");
        const connectionInputs = plain<{ backend: string; name: string; postgresql: { username: string; password: string; connectionUrl: string } }>(connection.inputs);
        const admin = new Client({
            host: stack.postgres.host,
            port: stack.postgres.port,
            database: stack.database,
            user: connectionInputs.postgresql.username,
            password: connectionInputs.postgresql.password,
        });
        await admin.connect();
        const config = await stack.root<{ data: Record<string, unknown> }>("GET", `${connectionInputs.backend}/config/${connectionInputs.name}`);

        // The seed pattern gets a connection of its own, so the stack's connection stays as declared.
        await stack.root("POST", `${connectionInputs.backend}/config/bench-seed`, {
            plugin_name: "postgresql-database-plugin",
            connection_url: (config.data.connection_details as { connection_url: string }).connection_url,
            username: connectionInputs.postgresql.username,
            password: connectionInputs.postgresql.password,
            allowed_roles: ACCESS_LEVELS.map((access) => `seed-${access}`),
            max_open_connections: (config.data.connection_details as { max_open_connections?: number }).max_open_connections ?? 4,
        });
        for (const access of ACCESS_LEVELS) {
            const seed = seedStatements(access);
            await stack.root("POST", `${connectionInputs.backend}/roles/seed-${access}`, {
                db_name: "bench-seed",
                creation_statements: seed.creation,
                revocation_statements: seed.revocation,
                default_ttl: 3600,
                max_ttl: 7200,
            });
        }

        for (const tables of options.tableCounts) {
            await ensureTables(stack, tables);
            for (const access of ACCESS_LEVELS) {
                const credsPath = stack.credsPaths[access];
                if (!credsPath) throw new Error(`bench: the dev stack has no role named ${access}`);
                const ours = roleStatements(access, stack.groupRoles);
                const sequential = await measureVault(stack, credsPath, options.sequential, 1);
                rows.push({ scenario: "ours (vault)", access, tables, mode: "sequential", ...sequential });
                const concurrent = await measureVault(stack, credsPath, options.concurrent, options.concurrency);
                rows.push({ scenario: "ours (vault)", access, tables, mode: "concurrent", ...concurrent });
                const floor = await measureFloor(admin, ours, options.sequential);
                rows.push({ scenario: "floor (direct sql)", access, tables, mode: "sequential", ...floor });
                const floorPrehashed = await measureFloor(admin, ours, options.sequential, true);
                rows.push({ scenario: "floor, pre-hashed password", access, tables, mode: "sequential", ...floorPrehashed });
                const seed = await measureVault(stack, `${connectionInputs.backend}/creds/seed-${access}`, options.sequential, 1);
                rows.push({ scenario: "seed pattern (vault)", access, tables, mode: "sequential", ...seed });
                process.stderr.write(`measured ${access} at ${tables} tables\n`);
            }
        }
        await admin.end();
        // What any Vault request costs here: HTTP, token lookup, routing, no database.
        const roundTrips = await load(options.sequential, 1, () => stack.root("GET", "auth/token/lookup-self"));
        report(rows, summarize(roundTrips.samples, roundTrips.wallMs), options);
    } finally {
        await stack.stop();
    }
}

function report(rows: Row[], vaultRoundTrip: Latencies, options: Options): void {
    const header = ["scenario", "access", "tables", "mode", "issue p50", "issue p95", "issue/s", "revoke p50", "revoke p95", "revoke/s"];
    const lines = rows.map((row) => [
        row.scenario,
        row.access,
        String(row.tables),
        row.mode,
        `${row.issue.p50} ms`,
        `${row.issue.p95} ms`,
        String(row.issue.perSecond),
        `${row.revoke.p50} ms`,
        `${row.revoke.p95} ms`,
        String(row.revoke.perSecond),
    ]);
    const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column].length)));
    const format = (cells: string[]): string => cells.map((cell, column) => cell.padEnd(widths[column])).join("  ");
    console.log(format(header));
    console.log(widths.map((width) => "-".repeat(width)).join("  "));
    lines.forEach((line) => console.log(format(line)));

    const find = (scenario: string, access: AccessLevel, tables: number, mode = "sequential"): Row | undefined =>
        rows.find((row) => row.scenario === scenario && row.access === access && row.tables === tables && row.mode === mode);
    const [few, many] = [Math.min(...options.tableCounts), Math.max(...options.tableCounts)];
    const ratios = ACCESS_LEVELS.map((access) => {
        const ours = find("ours (vault)", access, many)!;
        const oursFew = find("ours (vault)", access, few)!;
        const floor = find("floor (direct sql)", access, many)!;
        const prehashed = find("floor, pre-hashed password", access, many)!;
        const seed = find("seed pattern (vault)", access, many)!;
        return {
            access,
            issueOursOverFloor: round(ours.issue.p50 / floor.issue.p50),
            issueManyOverFew: round(ours.issue.p50 / oursFew.issue.p50),
            revokeManyOverFew: round(ours.revoke.p50 / oursFew.revoke.p50),
            issueSeedOverOurs: round(seed.issue.p50 / ours.issue.p50),
            revokeSeedOverOurs: round(seed.revoke.p50 / ours.revoke.p50),
            revokeP50AtManyMs: ours.revoke.p50,
            // Where issuing time goes: PostgreSQL's catalog work, password hashing, and what Vault adds on top.
            issueCatalogMs: prehashed.issue.p50,
            issueHashingMs: round(floor.issue.p50 - prehashed.issue.p50),
            issueVaultOverheadMs: round(ours.issue.p50 - floor.issue.p50),
        };
    });
    console.log(`\nVault round trip (GET auth/token/lookup-self, no database): p50 ${vaultRoundTrip.p50} ms, p95 ${vaultRoundTrip.p95} ms`);
    console.log(`\nratios (p50, sequential; "many" = ${many} tables, "few" = ${few} tables)`);
    console.table(ratios);
    const targets = ratios.map((ratio) => ({
        access: ratio.access,
        "issue ≤ 1.5 × floor": ratio.issueOursOverFloor <= 1.5,
        "issue many/few ≤ 1.2": ratio.issueManyOverFew <= 1.2,
        "revoke many/few ≤ 1.2": ratio.revokeManyOverFew <= 1.2,
        "revoke p50 ≤ 5 ms": ratio.revokeP50AtManyMs <= 5,
    }));
    console.table(targets);

    const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };
    fs.mkdirSync(path.dirname(options.out), { recursive: true });
    fs.writeFileSync(options.out, JSON.stringify({ date: new Date().toISOString(), machine, options, rows, vaultRoundTrip, ratios, targets }, null, 2) + "\n");
    console.log(`\nwritten to ${options.out}`);
}

main().catch((error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
});
