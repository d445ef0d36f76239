/**
 * Logins with tokens a platform signs, on the real Vault-API server: the stack's JWT auth methods (keys by OIDC
 * discovery, and by given public keys) and roles as the program declares them, tokens signed by a test issuer on
 * 127.0.0.1 (test/live/oidc-issuer.ts). Kubernetes- and GitHub-shaped tokens get exactly their app's policy; tokens
 * with another audience, subject, repository or ref, expired ones and ones signed by another key are refused. CI logs
 * in with `npm run ci-login` from GitHub's token endpoint as a job sees it; the preview role reads everything a
 * refresh of the stack reads and may write none of it.
 */
import { ChildProcess, execFile, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AGENT_FILES } from "../../components/agent-config";
import { refresh, applyResources } from "./applier";
import { describeLive } from "./harness";
import { LiveStack, startLiveStack } from "./live-stack";
import { rsaKey, startIssuer, TestIssuer } from "./oidc-issuer";

const REPO_ROOT = path.join(__dirname, "../..");
const REPOSITORY = "acme/shop";
const GITHUB_AUDIENCE = "https://github.com/acme";
const ORDERS = { name: "orders", roles: ["readwrite"], jwt: { auth: "kubernetes", audience: "vault", kubernetes: { namespace: "shop", serviceAccount: "orders" } } };
const NIGHTLY = { name: "nightly", roles: ["readonly"], jwt: { auth: "ci-keys", github: { repository: REPOSITORY, ref: "refs/heads/main" } } };
const ORDERS_SUBJECT = "system:serviceaccount:shop:orders";
/** Any issuer's token bound by subject and a claim, its keys from a JWKS URL. */
const BILLING = { name: "billing", roles: ["readonly"], jwt: { auth: "cluster-jwks", audience: "vault", subject: "svc-billing", claims: { groups: ["db-readers", "ops"] } } };
/** Leases of a few seconds, so the agent fetches new credentials several times during the test. */
const ROTATING_ROLE = { name: "jwt-rotating", access: "readonly", defaultTtl: 6, maxTtl: 12 };
const ROTATING = {
    name: "rotating",
    roles: [ROTATING_ROLE.name],
    tokenTtl: 5,
    tokenMaxTtl: 600,
    jwt: { auth: "kubernetes", audience: "vault", kubernetes: { namespace: "shop", serviceAccount: "rotating" } },
};
const githubClaims = (ref: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    sub: `repo:${REPOSITORY}:ref:${ref}`,
    repository: REPOSITORY,
    repository_owner: "acme",
    ref,
    aud: GITHUB_AUDIENCE,
    ...extra,
});

/** The HTTP status of a request: 200 when it succeeds. */
const status = (request: Promise<unknown>): Promise<number> => request.then(() => 200, (error: { status?: number }) => error.status ?? -1);

describeLive("JWT and OIDC logins for applications and CI", () => {
    let issuer: TestIssuer;
    let stack: LiveStack;
    /** What GitHub's token endpoint puts in the next job token (besides the audience asked for). */
    let jobClaims: Record<string, unknown> = githubClaims("refs/heads/main");
    let dir: string;

    beforeAll(async () => {
        issuer = await startIssuer((audience) => ({ ...jobClaims, aud: audience }));
        stack = await startLiveStack({
            config: (config) => ({
                ...config,
                jwtAuth: JSON.stringify([
                    { path: "kubernetes", oidcDiscoveryUrl: issuer.url },
                    { path: "ci-keys", publicKeys: [issuer.publicKeyPem], boundIssuer: issuer.url },
                    { path: "cluster-jwks", jwksUrl: `${issuer.url}/keys`, boundIssuer: issuer.url },
                ]),
                roles: JSON.stringify([...JSON.parse(config.roles), ROTATING_ROLE]),
                apps: JSON.stringify([...JSON.parse(config.apps), ORDERS, NIGHTLY, ROTATING, BILLING]),
                ciOidc: JSON.stringify({ repository: REPOSITORY, issuer: issuer.url }),
            }),
        });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-jwt-"));
    }, 120_000);

    const children: ChildProcess[] = [];
    afterAll(async () => {
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        await stack?.stop();
        await issuer?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    /** The text of each policy a token has. */
    const policyTextOf = async (token: string): Promise<string[]> => {
        const { data } = await stack.as<{ data: { policies: string[] } }>(token, "GET", "auth/token/lookup-self");
        return Promise.all(data.policies.map(async (name) => (await stack.root<{ data: { policy: string } }>("GET", `sys/policies/acl/${name}`)).data.policy));
    };

    const loginAs = (authPath: string, role: string, jwt: string) =>
        stack.as<{ auth: { client_token: string; policies: string[] } }>("", "POST", `auth/${authPath}/login`, { role, jwt });

    it("logs a Kubernetes service account in (keys by OIDC discovery) with exactly its app's policy", async () => {
        const login = await loginAs("kubernetes", ORDERS.name, issuer.sign({ sub: ORDERS_SUBJECT, aud: "vault" }));
        expect(login.auth.policies).toEqual([stack.apps[ORDERS.name].policyName]);
        const token = login.auth.client_token;
        const creds = await stack.readCreds(token, stack.credsPaths.readwrite);
        const client = await stack.connect(creds);
        try {
            expect((await client.query("SELECT current_user AS name")).rows[0].name).toBe(creds.username);
        } finally {
            await client.end();
        }
        expect(await status(stack.readCreds(token, stack.credsPaths.owner))).toBe(403);
        expect(stack.apps[ORDERS.name]).toMatchObject({ method: "jwt", loginPath: "auth/kubernetes/login", role: ORDERS.name });
        expect(stack.apps[ORDERS.name].roleId).toBeUndefined();
    });

    it("logs a GitHub Actions job in (given public keys) with exactly its app's policy", async () => {
        const login = await loginAs("ci-keys", NIGHTLY.name, issuer.sign(githubClaims("refs/heads/main")));
        expect(login.auth.policies).toEqual([stack.apps[NIGHTLY.name].policyName]);
        await stack.readCreds(login.auth.client_token, stack.credsPaths.readonly);
        expect(await status(stack.readCreds(login.auth.client_token, stack.credsPaths.readwrite))).toBe(403);
    });

    it("logs any issuer's token in by subject and claims (keys from a JWKS URL), a list of claim values matching any one", async () => {
        const login = await loginAs("cluster-jwks", BILLING.name, issuer.sign({ sub: "svc-billing", aud: "vault", groups: "ops" }));
        expect(login.auth.policies).toEqual([stack.apps[BILLING.name].policyName]);
        const refused = await Promise.all([
            status(loginAs("cluster-jwks", BILLING.name, issuer.sign({ sub: "svc-billing", aud: "vault", groups: "finance" }))),
            status(loginAs("cluster-jwks", BILLING.name, issuer.sign({ sub: "svc-payroll", aud: "vault", groups: "ops" }))),
        ]);
        expect(refused.map((code) => [400, 403].includes(code))).toEqual([true, true]);
    });

    it("refuses a wrong audience, subject, repository or ref, an expired token and one signed by another key", async () => {
        const now = Math.floor(Date.now() / 1000);
        const refused: [string, string, string, string][] = [
            ["audience", "kubernetes", ORDERS.name, issuer.sign({ sub: ORDERS_SUBJECT, aud: "another-service" })],
            ["subject", "kubernetes", ORDERS.name, issuer.sign({ sub: "system:serviceaccount:shop:payments", aud: "vault" })],
            ["repository", "ci-keys", NIGHTLY.name, issuer.sign(githubClaims("refs/heads/main", { repository: "acme/other", sub: "repo:acme/other:ref:refs/heads/main" }))],
            ["ref", "ci-keys", NIGHTLY.name, issuer.sign(githubClaims("refs/pull/7/merge"))],
            ["expiry", "kubernetes", ORDERS.name, issuer.sign({ sub: ORDERS_SUBJECT, aud: "vault", iat: now - 3600, nbf: now - 3600, exp: now - 600 })],
            ["key", "kubernetes", ORDERS.name, issuer.sign({ sub: ORDERS_SUBJECT, aud: "vault" }, rsaKey())],
            ["key", "ci-keys", NIGHTLY.name, issuer.sign(githubClaims("refs/heads/main"), rsaKey())],
        ];
        const answers = await Promise.all(refused.map(([, authPath, role, jwt]) => status(loginAs(authPath, role, jwt))));
        // A refused login is a client error (400 or 403 by the server's choice), and never a token.
        expect(refused.map(([what], index) => [what, [400, 403].includes(answers[index])])).toEqual(refused.map(([what]) => [what, true]));
    });

    it("gives a pull request's job the preview role only, and the deploy branch's job the deployer role", async () => {
        const ci = stack.deployedOutputs().ci as { loginPath: string; audience: string; previewRole: string; deployRole: string };
        expect(ci).toEqual({ loginPath: "auth/github-actions/login", audience: GITHUB_AUDIENCE, previewRole: expect.any(String), deployRole: expect.any(String) });
        // What the workflow runs: pulumi stack output --json | npm run ci-login -- --outputs - --as <kind>.
        const job = async (claims: Record<string, unknown>, kind: "preview" | "deploy"): Promise<{ code: number; token?: string; env: string; stderr: string; stdout: string }> => {
            jobClaims = claims;
            const githubEnv = path.join(dir, `github-env-${kind}-${String(claims.ref).replace(/\W/g, "_")}`);
            fs.writeFileSync(githubEnv, "");
            const env = {
                PATH: process.env.PATH,
                ACTIONS_ID_TOKEN_REQUEST_URL: issuer.actionsTokenUrl,
                ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.actionsRequestToken,
                GITHUB_ENV: githubEnv,
                GITHUB_REPOSITORY: REPOSITORY,
                RUNNER_TEMP: dir,
            };
            const args = ["-r", "ts-node/register/transpile-only", "scripts/ci-login.ts", "--outputs", "-", "--as", kind];
            const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
                const child = execFile(process.execPath, args, { cwd: REPO_ROOT, env }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
                child.stdin?.end(JSON.stringify(stack.deployedOutputs()));
            });
            const written = fs.readFileSync(githubEnv, "utf8");
            return { ...result, env: written, token: /^VAULT_TOKEN=(.+)$/m.exec(written)?.[1] };
        };
        const pullRequest = githubClaims("refs/pull/7/merge", { event_name: "pull_request" });
        const preview = await job(pullRequest, "preview");
        expect(preview.code).toBe(0);
        expect(preview.env).toContain(`\nVAULT_ADDR=${stack.vault.address}\n`);
        // Masked before anything could print it.
        expect(preview.stdout).toBe(`::add-mask::${preview.token}\n`);
        const outputs = stack.deployedOutputs();
        expect(await policyTextOf(preview.token!)).toEqual([outputs.previewPolicy]);

        const deployFromPullRequest = await job(pullRequest, "deploy");
        expect(deployFromPullRequest.code).toBe(1);
        expect(deployFromPullRequest.token).toBeUndefined();
        expect(deployFromPullRequest.stderr).toContain(`refused this job as role "${ci.deployRole}"`);

        const deploy = await job(githubClaims("refs/heads/main", { event_name: "push" }), "deploy");
        expect(deploy.code).toBe(0);
        expect(await policyTextOf(deploy.token!)).toEqual([outputs.deployerPolicy]);
    }, 60_000);

    it("lets the preview token read all a refresh of the stack reads, and write none of it", async () => {
        jobClaims = githubClaims("refs/pull/8/merge", { event_name: "pull_request" });
        const ci = stack.deployedOutputs().ci as { previewRole: string };
        const login = await loginAs("github-actions", ci.previewRole, issuer.sign({ ...jobClaims, aud: GITHUB_AUDIENCE }));
        // The provider works with a child token of the one it is given (internal/provider/meta.go, createChildToken).
        const child = await stack.as<{ auth: { client_token: string } }>(login.auth.client_token, "POST", "auth/token/create", { ttl: "10m" });
        const targets = { ...stack.targets(), vault: { ...stack.targets().vault, rootToken: child.auth.client_token } };

        const refreshed = await refresh(stack.state, targets);
        expect(refreshed.dropped.map((resource) => resource.name)).toEqual([]);
        // PostgreSQL's side is read with the stack's PostgreSQL admin, not this token (refresh.test.ts covers its drift).
        expect(refreshed.drift.filter((entry) => entry.type.startsWith("vault:"))).toEqual([]);

        const vaultResources = stack.state.filter((resource) => resource.custom && resource.type.startsWith("vault:"));
        expect(vaultResources.length).toBeGreaterThan(20);
        const writes = await Promise.all(vaultResources.map((resource) => applyResources([resource], targets, "vault").then(() => "written", (error: Error) => (/-> 403:/.test(error.message) ? "403" : error.message))));
        expect(vaultResources.map((resource, index) => `${resource.type} ${resource.name}: ${writes[index]}`).filter((line) => !line.endsWith(": 403"))).toEqual([]);
    }, 60_000);

    it("runs Vault Agent with JWT auto-auth: a plain process stays on valid, rotating credentials", async () => {
        const files = {
            jwt: path.join(dir, "projected-token"),
            pid: path.join(dir, "app.pid"),
            env: path.join(dir, AGENT_FILES.env),
            token: path.join(dir, "agent-token"),
            agentLog: path.join(dir, "agent.log"),
            appLog: path.join(dir, "app.log"),
        };
        // What the kubelet does for a projected service account token: a file, rotated in place, never removed.
        fs.writeFileSync(files.jwt, issuer.sign({ sub: "system:serviceaccount:shop:rotating", aud: "vault" }), { mode: 0o600 });
        execFileSync(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", "scripts/agent-config.ts", "--app", ROTATING.name, "--out", dir, "--jwt-file", files.jwt, "--token-sink", files.token, "--outputs", "-"],
            { cwd: REPO_ROOT, input: JSON.stringify(stack.deployedOutputs()), stdio: ["pipe", "pipe", "pipe"] },
        );
        expect(fs.existsSync(path.join(dir, "role-id"))).toBe(false);
        const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir };
        const spawnLogged = (command: string, args: string[], logFile: string, pipeStdout = false): ChildProcess => {
            const log = fs.openSync(logFile, "a");
            const child = spawn(command, args, { env, stdio: ["ignore", pipeStdout ? "pipe" : log, log] });
            fs.closeSync(log);
            children.push(child);
            return child;
        };
        const tail = (file: string): string => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").slice(-30).join("\n") : "(no log)");
        const waitFor = async (what: string, limitMs: number, done: () => boolean): Promise<void> => {
            const started = Date.now();
            while (!done()) {
                if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}\nagent log:\n${tail(files.agentLog)}\napp log:\n${tail(files.appLog)}`);
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
        };
        const agent = spawnLogged(stack.vault.binary, ["agent", `-config=${path.join(dir, "agent.hcl")}`], files.agentLog);
        await waitFor("the agent to render the env file", 20_000, () => fs.existsSync(files.env));
        expect(fs.existsSync(files.jwt)).toBe(true);

        const app = spawnLogged(process.execPath, [path.join(REPO_ROOT, "examples/app/env-file-app.js"), files.env, files.pid, "5"], files.appLog, true);
        let output = "";
        app.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
        const switches = (): number => (fs.existsSync(files.appLog) ? (fs.readFileSync(files.appLog, "utf8").match(/^switched credentials: /gm) ?? []).length : 0);
        let policies: string[];
        try {
            await waitFor("two rotations in the app", 60_000, () => switches() >= 2);
            app.kill("SIGTERM");
            await waitFor("the app's summary", 10_000, () => app.exitCode !== null);
            const agentToken = fs.readFileSync(files.token, "utf8").trim();
            policies = (await stack.root<{ data: { policies: string[] } }>("POST", "auth/token/lookup", { token: agentToken })).data.policies;
        } finally {
            agent.kill("SIGTERM");
        }
        const summary = JSON.parse(output) as { queries: number; failures: string[]; switches: unknown[] };
        expect(summary.failures).toEqual([]);
        expect(summary.switches.length).toBeGreaterThanOrEqual(2);
        expect(policies).toEqual([stack.apps[ROTATING.name].policyName]);
    }, 120_000);
});
