/**
 * What the stack costs itself: the time and memory to run index.ts under the mocks (registering every resource, as
 * `pulumi preview` has the program do) as roles grow from 3 to 300, on one database and over 20. Each size runs in a
 * fresh process, so memory is that size's alone. Prints a table; `--out FILE` writes the figures as JSON.
 *
 * Usage: npm run bench:program [-- --out bench/results/program.json]
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

interface Size {
    roles: number;
    databases: number;
}

interface Measured extends Size {
    resources: number;
    registerMs: number;
    maxRssMiB: number;
    heapUsedMiB: number;
}

const SIZES: Size[] = [
    { roles: 3, databases: 1 },
    { roles: 30, databases: 1 },
    { roles: 100, databases: 1 },
    { roles: 300, databases: 1 },
    { roles: 300, databases: 20 },
];

/** The dev stack's config with `roles` roles over `databases` databases, an app per two roles, and a budget to fit. */
function configFor(size: Size): Record<string, string> {
    const access = ["readonly", "readwrite", "owner"];
    const perDatabase = Math.ceil(size.roles / size.databases);
    const role = (name: string, index: number) => ({ name, access: access[index % 3], defaultTtl: "1h", maxTtl: "2h" });
    const names = Array.from({ length: size.databases }, (_, d) => Array.from({ length: perDatabase }, (_, r) => `d${d}-r${r}`)).flat().slice(0, size.roles);
    const first = names.filter((name) => name.startsWith("d0-"));
    const databases = Array.from({ length: size.databases - 1 }, (_, d) => ({ name: `db${d + 1}`, roles: names.filter((name) => name.startsWith(`d${d + 1}-`)).map(role) }));
    const apps = Array.from({ length: Math.max(1, Math.floor(size.roles / 2)) }, (_, index) => ({ name: `app${index}`, roles: [names[(2 * index) % names.length]] }));
    return {
        roles: JSON.stringify(first.map(role)),
        apps: JSON.stringify(apps),
        ...(databases.length > 0 ? { databases: JSON.stringify(databases), connectionBudget: String(2 * size.databases) } : {}),
    };
}

/** In the child: record the program once and print what it cost. */
async function measureHere(size: Size): Promise<void> {
    const { recordProgram } = await import("../test/live/live-stack");
    const extra = configFor(size);
    const started = process.hrtime.bigint();
    const program = await recordProgram((config) => ({ ...config, ...extra }));
    const registerMs = Number(process.hrtime.bigint() - started) / 1e6;
    const measured: Measured = {
        ...size,
        resources: program.resources.length,
        registerMs: Math.round(registerMs),
        maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
        heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 1048576),
    };
    process.stdout.write(`${JSON.stringify(measured)}\n`);
}

function main(): void {
    const argv = process.argv.slice(2);
    if (argv[0] === "--child") {
        measureHere(JSON.parse(argv[1]) as Size).then(() => process.exit(0), (error: Error) => {
            console.error(error.stack ?? error.message);
            process.exit(1);
        });
        return;
    }
    if (argv.includes("--help") || argv.includes("-h")) {
        console.log("usage: npm run bench:program [-- --out FILE]\nRuns index.ts under the mocks at 3, 30, 100 and 300 roles (and 300 over 20 databases), each in a fresh process, and prints the time and memory.");
        return;
    }
    const out = argv[argv.indexOf("--out") + 1] && argv.includes("--out") ? argv[argv.indexOf("--out") + 1] : undefined;
    const rows: Measured[] = SIZES.map((size) => {
        const text = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", __filename, "--child", JSON.stringify(size)], {
            cwd: path.join(__dirname, ".."),
            encoding: "utf8",
            stdio: ["ignore", "pipe", "inherit"],
            maxBuffer: 16 * 1024 * 1024,
        });
        return JSON.parse(text.trim().split("\n").pop()!) as Measured;
    });
    console.log("the program under mocks, each size in a fresh process");
    console.log("roles  databases  resources  register ms  max RSS MiB  heap MiB");
    for (const row of rows) {
        console.log(
            `${String(row.roles).padEnd(6)} ${String(row.databases).padEnd(10)} ${String(row.resources).padEnd(10)} ${String(row.registerMs).padEnd(12)} ${String(row.maxRssMiB).padEnd(12)} ${row.heapUsedMiB}`,
        );
    }
    if (out) {
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`);
        console.log(`written to ${out}`);
    }
}

main();
