/**
 * The benchmark's figures: the ratios it computes within each round (with their targets), the tables it prints, and
 * the JSON file it writes with the date, the machine and the options of the run.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ACCESS_LEVELS } from "../components";
import { ResourceUse } from "./resources";
import { LAYOUTS, STACK_LAYOUT } from "./setup";
import { Latencies, OverRounds, overRounds } from "./stats";

export interface Measured {
    issue: Latencies;
    revoke: Latencies;
    resources?: ResourceUse;
}

export interface Round {
    index: number;
    order: string[];
    results: Record<string, Measured>;
    ratios: Record<string, number>;
}

export interface RatioSpec {
    name: string;
    of: (results: Record<string, Measured>) => number;
    /** e.g. "≤ 1.5" */
    target?: { op: "≤" | "≥"; value: number };
}

export function ratioSpecs(tableCounts: number[]): RatioSpec[] {
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

/** What the report needs of the run's options; all of them go into the JSON file. */
export interface ReportOptions {
    mixed: number;
    concurrency: number;
    out: string;
}

function table(header: string[], rows: string[][]): void {
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
    const format = (cells: string[]): string => cells.map((cell, column) => cell.padEnd(widths[column])).join("  ");
    console.log(format(header));
    console.log(widths.map((width) => "-".repeat(width)).join("  "));
    rows.forEach((row) => console.log(format(row)));
}

export function report(rounds: Round[], specs: RatioSpec[], keys: string[], options: ReportOptions): void {
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
    fs.writeFileSync(options.out, JSON.stringify({ date: new Date().toISOString(), machine, options, defaultLayout: STACK_LAYOUT, rounds, summary }, null, 2) + "\n");
    console.log(`\nwritten to ${options.out}`);
}
