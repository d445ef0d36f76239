/**
 * The real agent (`bao agent` / `vault agent`, the same binary as the server) with the config
 * `npm run agent-config` writes (scripts/agent-config.ts, rendered by components/agent-config.ts): it logs in with AppRole, renders an app's credentials into files, renews the lease and its own token under
 * the app's policy, and signals a plain process (examples/app/env-file-app.js, not the Node pool) that reads the env
 * file again on SIGHUP. Leases here live a few seconds, so the agent fetches new credentials several times.
 *
 * Slack by design: the agent's renewer stops renewing once the remaining lease is within its grace period, 10-20%
 * of the lease duration (`calculateGrace` in api/lifetime_watcher.go, openbao/openbao), and fetches new credentials
 * at once. With 6 s leases the app has at least ~0.6 s to switch; the test measures it per rotation.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AGENT_FILES } from "../../components/agent-config";
import { issueAppRoleLogin } from "../helpers/app-client";
import { describeLive, VaultError } from "./harness";
import { appendToConfig, LiveStack, startLiveStack } from "./live-stack";

const AGENT_ROLE = { name: "agented", access: "readonly", defaultTtl: 6, maxTtl: 12 };
/** Token TTL shorter than the test, so the agent must renew its own token; max TTL long, so it need not log in again. */
const AGENT_APP = { name: "agent-app", roles: ["agented"], tokenTtl: 5, tokenMaxTtl: 600 };
const MIN_ROTATIONS = 3;
const ROTATIONS_LIMIT_MS = 60_000;

interface AppSummary {
    queries: number;
    failures: string[];
    users: string[];
    switches: { at: number; from: string; to: string }[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolveTimer) => setTimeout(resolveTimer, ms));

async function waitFor<T>(what: string, limitMs: number, probe: () => T | undefined | Promise<T | undefined>, context = (): string => ""): Promise<T> {
    const started = Date.now();
    for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() - started > limitMs) throw new Error(`timed out after ${limitMs} ms waiting for ${what}\n${context()}`);
        await sleep(50);
    }
}

/** A child process whose output goes to a file; stopped in afterAll even when the test fails. */
function startProcess(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv, pipeStdout = false): ChildProcess {
    const log = fs.openSync(logFile, "a");
    const child = spawn(command, args, { env, stdio: ["ignore", pipeStdout ? "pipe" : log, log] });
    fs.closeSync(log);
    return child;
}

describeLive("Vault Agent renders rotating credentials for an app in any language", () => {
    let stack: LiveStack;
    let dir: string;
    const children: ChildProcess[] = [];
    const tail = (file: string): string => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").slice(-40).join("\n") : "(no log)");

    beforeAll(async () => {
        stack = await startLiveStack({
            config: appendToConfig({ roles: [AGENT_ROLE], apps: [AGENT_APP] }),
        });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-agent-"));
    }, 120_000);

    afterAll(async () => {
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        await stack?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("keeps a plain process on valid credentials across three rotations, renewing lease and token under the app's policy", async () => {
        const loginPath = stack.apps[AGENT_APP.name].loginPath;
        const { roleId, secretId } = await issueAppRoleLogin(stack.vault.address, stack.vault.rootToken, loginPath, AGENT_APP.name);
        const files = {
            roleId: path.join(dir, "role-id"),
            secretId: path.join(dir, "secret-id"),
            token: path.join(dir, "agent-token"),
            pid: path.join(dir, "app.pid"),
            config: path.join(dir, "agent.hcl"),
            json: path.join(dir, AGENT_FILES.json),
            env: path.join(dir, AGENT_FILES.env),
            agentLog: path.join(dir, "agent.log"),
            appLog: path.join(dir, "app.log"),
        };
        // What an operator runs: `npm run agent-config -- --app <app> --out <dir>`, here fed the live stack's outputs.
        const outputs = {
            vaultAddress: stack.vault.address,
            postgresAddress: `${stack.postgres.host}:${stack.postgres.port}`,
            database: stack.database,
            credsPaths: stack.credsPaths,
            apps: { ...stack.apps, [AGENT_APP.name]: { ...stack.apps[AGENT_APP.name], roleId } },
            agents: { [AGENT_APP.name]: { roles: AGENT_APP.roles } },
        };
        execFileSync(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", "scripts/agent-config.ts", "--app", AGENT_APP.name, "--out", dir, "--token-sink", files.token, "--outputs", "-"],
            { cwd: path.join(__dirname, "../.."), input: JSON.stringify(outputs), stdio: ["pipe", "pipe", "pipe"] },
        );
        expect(fs.readFileSync(files.roleId, "utf8").trim()).toBe(roleId);
        expect(fs.statSync(files.config).mode & 0o777).toBe(0o600);
        fs.writeFileSync(files.secretId, secretId, { mode: 0o600 });
        const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir };
        const agent = startProcess(stack.vault.binary, ["agent", `-config=${files.config}`], files.agentLog, env);
        children.push(agent);
        const agentContext = (): string => `agent log:\n${tail(files.agentLog)}`;
        await waitFor("the agent to render the env file", 20_000, () => (fs.existsSync(files.env) && fs.existsSync(files.json) ? true : undefined), agentContext);

        // Files an app reads: owner-only, complete, and consistent with each other.
        expect(fs.statSync(files.env).mode & 0o777).toBe(0o600);
        expect(fs.statSync(files.json).mode & 0o777).toBe(0o600);
        expect(fs.statSync(files.token).mode & 0o777).toBe(0o600);
        expect(fs.existsSync(files.secretId)).toBe(false);
        const first = JSON.parse(fs.readFileSync(files.json, "utf8")) as Record<string, unknown>;
        expect(first).toMatchObject({ host: stack.postgres.host, port: stack.postgres.port, database: stack.database });
        expect(String(first.username)).toMatch(/^v-agented-/);
        expect(fs.readFileSync(files.env, "utf8")).toContain(`PGUSER=${first.username}\nPGPASSWORD=${first.password}\n`);

        const app = startProcess(process.execPath, [path.join(__dirname, "../../examples/app/env-file-app.js"), files.env, files.pid, "5"], files.appLog, env, true);
        children.push(app);
        let output = "";
        app.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
        await waitFor("the app to write its pid", 10_000, () => (fs.existsSync(files.pid) ? true : undefined), () => tail(files.appLog));

        // While it runs: watch which users exist, when each old one disappears, and whether leases get renewed.
        const droppedAt = new Map<string, number>();
        const seen = new Set<string>();
        const renewedLeases = new Set<string>();
        let sampling = true;
        const sampler = (async () => {
            while (sampling) {
                const roles = await stack.postgres.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-agented-%'");
                const present = new Set(roles.rows.map((row: { rolname: string }) => row.rolname));
                present.forEach((user) => seen.add(user));
                for (const user of seen) if (!present.has(user) && !droppedAt.has(user)) droppedAt.set(user, Date.now());
                try {
                    const leaseId = String((JSON.parse(fs.readFileSync(files.json, "utf8")) as { lease_id: string }).lease_id);
                    const lease = await stack.root<{ data: { last_renewal: string | null } }>("PUT", "sys/leases/lookup", { lease_id: leaseId });
                    if (lease.data.last_renewal) renewedLeases.add(leaseId);
                } catch {
                    // The file is replaced atomically, but the lease it names may just have expired.
                }
                await sleep(50);
            }
        })();

        const appLogPath = files.appLog;
        // Counted from the app's own log: a user appears in pg_roles a moment before the app has moved to it.
        const switchesLogged = (): number => (fs.readFileSync(appLogPath, "utf8").match(/^switched credentials: /gm) ?? []).length;
        let summary: AppSummary;
        let tokenInfo: { data: { last_renewal_time?: number; policies: string[] } };
        const droppedBy = new Map<string, number>();
        try {
            try {
                await waitFor(
                    `${MIN_ROTATIONS} rotations in the app`,
                    ROTATIONS_LIMIT_MS,
                    () => (switchesLogged() >= MIN_ROTATIONS ? true : undefined),
                    () => `${agentContext()}\napp log:\n${tail(appLogPath)}`,
                );
                app.kill("SIGTERM");
                await waitFor("the app's summary", 10_000, () => (app.exitCode !== null ? true : undefined), () => tail(appLogPath));
                summary = JSON.parse(output) as AppSummary;
                // The agent's own token was renewed (it expires after 5 s otherwise) with nothing but the app's policy.
                const agentToken = fs.readFileSync(files.token, "utf8").trim();
                tokenInfo = await stack.root("POST", "auth/token/lookup", { token: agentToken });
            } finally {
                agent.kill("SIGTERM");
            }
            // Every user the app left is revoked by Vault when its lease runs out, after the app has moved on; the
            // sampler keeps watching until then, so each switch gets its slack measured.
            const replaced = summary.switches.map((change) => change.from);
            await waitFor("the replaced users to be dropped", AGENT_ROLE.maxTtl * 1000, () => (replaced.every((user) => droppedAt.has(user)) ? true : undefined));
            replaced.forEach((user) => droppedBy.set(user, droppedAt.get(user)!));
        } finally {
            sampling = false;
            await sampler;
        }
        expect(tokenInfo.data.policies).toEqual([stack.apps[AGENT_APP.name].policyName]);
        expect(tokenInfo.data.last_renewal_time ?? 0).toBeGreaterThan(0);

        expect(summary.failures).toEqual([]);
        expect(summary.queries).toBeGreaterThan(1000);
        expect(summary.switches.length).toBeGreaterThanOrEqual(MIN_ROTATIONS);
        expect(renewedLeases.size).toBeGreaterThan(0);
        const left = await stack.postgres.query("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", [[...droppedBy.keys()]]);
        expect(left.rows).toEqual([]);

        const slackMs = summary.switches.map((change) => droppedBy.get(change.from)! - change.at);
        console.log(`agent rotations: ${summary.switches.length}, queries: ${summary.queries}, slack before revocation (ms): ${slackMs.join(", ")}`);
        expect(Math.min(...slackMs)).toBeGreaterThan(100);
    }, 120_000);

    it("lets the app renew its own leases by body but revoke only by URL, and never another app's", async () => {
        const token = await stack.login(AGENT_APP.name);
        const own = await stack.readCreds(token, stack.credsPaths[AGENT_ROLE.name]);
        const renewed = await stack.as<{ lease_id: string }>(token, "PUT", "sys/leases/renew", { lease_id: own.leaseId, increment: 6 });
        expect(renewed.lease_id).toBe(own.leaseId);

        const status = async (request: Promise<unknown>): Promise<number> =>
            request.then(
                () => 200,
                (error: unknown) => (error instanceof VaultError ? error.status : Promise.reject(error)),
            );
        expect(await status(stack.as(token, "PUT", "sys/leases/revoke", { lease_id: own.leaseId }))).toBe(403);

        const webToken = await stack.login("web");
        const other = await stack.readCreds(webToken, stack.credsPaths.readonly);
        expect(await status(stack.as(token, "PUT", `sys/leases/revoke/${other.leaseId}`, {}))).toBe(403);
        expect((await stack.postgres.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [other.username])).rowCount).toBe(1);

        await stack.as(token, "PUT", `sys/leases/revoke/${own.leaseId}`, {});
        expect((await stack.postgres.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [own.username])).rowCount).toBe(0);
        await stack.root("PUT", `sys/leases/revoke/${other.leaseId}`, {});
    }, 60_000);
});
