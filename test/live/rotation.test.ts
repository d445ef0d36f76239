/**
 * The example application under steady load while its credentials rotate: a role whose leases live eight seconds at
 * most forces a rotation every few seconds; not one request may fail, and no old user may be left behind. The same
 * holds when the app's token is shorter-lived than its leases (a new login, and new credentials, every few seconds)
 * and when token and lease run out together. When the secret id expires, the app says so and keeps serving until
 * what it holds runs out.
 *
 * Slack by design: renewals (of lease and token) run at half-life, so a renewal capped by a max TTL is seen at least
 * half a TTL before the end, less Vault's rounding to whole seconds. The pool rotates right then; the session logs
 * in again 1 s (30% of the token TTL, at least 1 s) before its token ends, and the pool moves to the new token's
 * credentials at once, retrying until the old token ends if that fails. A rotation takes one creds read and one new
 * connection: tens of ms, half a second at worst on a loaded 2-core machine. Shorter TTLs (2 s) left under a second
 * and failed 1 run in 5 under load.
 */
import * as http from "http";
import { AddressInfo } from "net";
import { DynamicCredentialPool } from "../../examples/app/dynamic-pool";
import { createServer } from "../../examples/app/server";
import { issueAppRoleLogin } from "../helpers/app-client";
import { describeLive } from "./harness";
import { appendToConfig, LiveStack, startLiveStack } from "./live-stack";

const ROTATING_ROLE = { name: "rotating", access: "readonly", defaultTtl: 3, maxTtl: 8 };
const APPS = {
    /** Token lives 1 h: rotations come from the lease's max TTL alone. */
    rotator: { name: "rotator", roles: ["rotating"] },
    /** (a) Token TTL (3 s) and max TTL (5 s) shorter than the lease max TTL (8 s): a new login every ~3.5 s. */
    shortToken: { name: "short-token", roles: ["rotating"], tokenTtl: 3, tokenMaxTtl: 5 },
    /** (b) Token and lease both end 8 s after they start. */
    together: { name: "together", roles: ["rotating"], tokenTtl: 8, tokenMaxTtl: 8 },
    /** (d) Like (a), behind a Vault whose first credentials read under each new token fails. */
    flakyAfterLogin: { name: "flaky-after-login", roles: ["rotating"], tokenTtl: 3, tokenMaxTtl: 5 },
    /** (c) The secret id (7 s) allows one or two new logins (every ~3.5 s), never a third. */
    expiringSecretId: { name: "expiring-secret-id", roles: ["rotating"], tokenTtl: 3, tokenMaxTtl: 5, secretIdTtl: 7 },
};
const MIN_ROTATIONS = 3;
const LOAD_CONCURRENCY = 4;
/** Upper bound of a load phase: three rotations take about 20 s with these TTLs. */
const LOAD_LIMIT_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((resolveTimer) => setTimeout(resolveTimer, ms));

interface Served {
    database: DynamicCredentialPool;
    url: string;
    /** `<ms since start> <what failed>` per failed request, and the pool's reported errors with their time. */
    failures: { at: number; message: string }[];
    errors: { at: number; message: string }[];
    successesAfter(at: number): number;
    requests(): number;
    seenUsers: Set<string>;
    stop(): Promise<void>;
}

describeLive("an application living on rotating credentials", () => {
    let stack: LiveStack;

    beforeAll(async () => {
        stack = await startLiveStack({
            config: appendToConfig({ roles: [ROTATING_ROLE], apps: Object.values(APPS) }),
        });
        const ownerCreds = await stack.readCreds(stack.vault.rootToken, stack.credsPaths.owner);
        const owner = await stack.connect(ownerCreds);
        await owner.query("CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL)");
        await owner.query("INSERT INTO users (name) VALUES ('ada'), ('grace'), ('linus')");
        await owner.end();
        await stack.as(stack.vault.rootToken, "PUT", `sys/leases/revoke/${ownerCreds.leaseId}`, {});
    }, 120_000);

    afterAll(async () => {
        await stack?.stop();
    });

    /** Starts the example service for one app and puts it under steady load. */
    async function serve(app: string, vault: { address: string; attempts?: number } = { address: stack.vault.address }): Promise<Served> {
        const loginPath = stack.apps[app].loginPath;
        const { roleId, secretId } = await issueAppRoleLogin(stack.vault.address, stack.vault.rootToken, loginPath, app);
        const started = Date.now();
        const errors: Served["errors"] = [];
        const database = await DynamicCredentialPool.start({
            vaultAddress: vault.address,
            attempts: vault.attempts,
            loginPath,
            roleId,
            secretId,
            credsPath: stack.credsPaths[ROTATING_ROLE.name],
            pool: { host: stack.postgres.host, port: stack.postgres.port, database: stack.database, max: 8 },
            onError: (error) => errors.push({ at: Date.now() - started, message: error.message }),
        });
        const server = createServer(database).listen(0, "127.0.0.1");
        await new Promise((resolveListen) => server.once("listening", resolveListen));
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

        const seenUsers = new Set<string>();
        const samplerErrors: string[] = [];
        const successes: number[] = [];
        const failures: Served["failures"] = [];
        let requests = 0;
        let stopLoad = false;
        const sampler = setInterval(() => {
            stack.postgres
                .query("SELECT DISTINCT usename FROM pg_stat_activity WHERE usename LIKE 'v-rotating-%'")
                .then((result) => result.rows.forEach((row: { usename: string }) => seenUsers.add(row.usename)))
                .catch((error: Error) => samplerErrors.push(error.message));
        }, 100);
        const worker = async (): Promise<void> => {
            while (!stopLoad) {
                requests += 1;
                try {
                    const response = await fetch(`${url}/users`);
                    const body = (await response.json()) as unknown;
                    if (response.status === 200 && Array.isArray(body) && body.length === 3) successes.push(Date.now() - started);
                    else failures.push({ at: Date.now() - started, message: `${response.status} ${JSON.stringify(body)}` });
                } catch (error) {
                    failures.push({ at: Date.now() - started, message: (error as Error).message });
                }
            }
        };
        const workers = Array.from({ length: LOAD_CONCURRENCY }, worker);
        return {
            database,
            url,
            failures,
            errors,
            seenUsers,
            requests: () => requests,
            successesAfter: (at) => successes.filter((time) => time > at).length,
            async stop() {
                stopLoad = true;
                await Promise.all(workers);
                clearInterval(sampler);
                // The sampler watches; it must not fail the app's test, but must not hide a broken server either.
                expect(samplerErrors).toEqual([]);
                await new Promise((resolveClose) => server.close(resolveClose));
                await database.close();
            },
        };
    }

    async function untilRotations(served: Served, rotations: number): Promise<void> {
        const started = Date.now();
        while (served.database.status().rotations < rotations && Date.now() - started < LOAD_LIMIT_MS) await sleep(200);
    }

    /** Runs one app under load through three rotations; asserts nothing failed and no replaced user is left. */
    async function expectCleanRotations(app: string, whileServing?: (served: Served) => Promise<void>): Promise<void> {
        const served = await serve(app);
        await untilRotations(served, MIN_ROTATIONS);
        await whileServing?.(served);
        await served.stop();

        expect(served.database.status().rotations).toBeGreaterThanOrEqual(MIN_ROTATIONS);
        expect(served.failures).toEqual([]);
        expect(served.errors).toEqual([]);
        expect(served.requests()).toBeGreaterThan(100);
        expect(served.seenUsers.size).toBeGreaterThanOrEqual(MIN_ROTATIONS);
        const left = await stack.postgres.query("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", [[...served.seenUsers]]);
        expect(left.rows).toEqual([]);
    }

    it("serves every request across at least three rotations and leaves no old user behind", async () => {
        await expectCleanRotations(APPS.rotator.name, async (served) => {
            const health = (await (await fetch(`${served.url}/healthz`)).json()) as Record<string, unknown>;
            expect(Object.keys(health).sort()).toEqual(["lastError", "leaseRemainingSeconds", "rotations", "status", "username"]);
            expect(JSON.stringify(health)).not.toMatch(/password/i);
        });
    }, 90_000);

    // (a) Every new login (every ~3.5 s with a 5 s token max TTL) brings a rotation; leases alone would take ~6.5 s.
    it("(a) logs in again before a token shorter-lived than its leases expires, and moves to that token's credentials", async () => {
        await expectCleanRotations(APPS.shortToken.name);
    }, 90_000);

    it("(b) rotates in time when token and lease run out together", async () => {
        await expectCleanRotations(APPS.together.name);
    }, 90_000);

    // (d) Vault revokes a token's leases when the token ends: a rotation that fails after a new login is retried.
    it("(d) retries a rotation that failed right after a new login, before the old token ends", async () => {
        const tokensSeen = new Set<string>();
        const refused: string[] = [];
        // Forwards to Vault, but answers 503 to the first creds read under every token after the first.
        const proxy = http
            .createServer((request, response) => {
                const token = String(request.headers["x-vault-token"] ?? "");
                if (request.method === "GET" && request.url === `/v1/${stack.credsPaths[ROTATING_ROLE.name]}` && !tokensSeen.has(token)) {
                    tokensSeen.add(token);
                    if (tokensSeen.size > 1) {
                        refused.push(token);
                        response.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ errors: ["injected: Vault is busy"] }));
                        return;
                    }
                }
                const upstream = http.request(`${stack.vault.address}${request.url}`, { method: request.method, headers: request.headers }, (answer) => {
                    response.writeHead(answer.statusCode ?? 502, answer.headers);
                    answer.pipe(response);
                });
                request.pipe(upstream);
            })
            .listen(0, "127.0.0.1");
        await new Promise((resolveListen) => proxy.once("listening", resolveListen));
        try {
            // One attempt per Vault call, so the injected failure reaches the pool instead of its retry loop.
            const address = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
            const served = await serve(APPS.flakyAfterLogin.name, { address, attempts: 1 });
            await untilRotations(served, MIN_ROTATIONS);
            await served.stop();

            expect(refused.length).toBeGreaterThanOrEqual(MIN_ROTATIONS);
            expect(served.errors.length).toBeGreaterThanOrEqual(MIN_ROTATIONS);
            expect(served.errors.every((error) => /injected: Vault is busy/.test(error.message))).toBe(true);
            expect(served.database.status().rotations).toBeGreaterThanOrEqual(MIN_ROTATIONS);
            expect(served.failures).toEqual([]);
        } finally {
            await new Promise((resolveClose) => proxy.close(resolveClose));
        }
    }, 90_000);

    // OpenBao refuses an expired secret id at login. HashiCorp Vault still accepts it until the AppRole method's
    // periodic tidy removes it (about a minute; measured on 1.21.4): there, a login after expiry is shown to work,
    // then the tidy an operator can also run by hand removes the secret id.
    it("(c) reports an expired secret id clearly and keeps serving on the credentials it holds", async () => {
        const issued = Date.now();
        const served = await serve(APPS.expiringSecretId.name);
        if (stack.vault.flavor === "vault") {
            const expired = issued + APPS.expiringSecretId.secretIdTtl * 1000 + 1000;
            while (Date.now() < expired) await sleep(100);
            const rotationsAtExpiry = served.database.status().rotations;
            while (served.database.status().rotations === rotationsAtExpiry && Date.now() - expired < LOAD_LIMIT_MS) await sleep(100);
            expect(served.database.status().rotations).toBeGreaterThan(rotationsAtExpiry);
            expect(served.errors).toEqual([]);
            await stack.root("POST", stack.apps[APPS.expiringSecretId.name].loginPath.replace(/login$/, "tidy/secret-id"));
        }
        const started = Date.now();
        let refused: { at: number; message: string } | undefined;
        while (!refused && Date.now() - started < LOAD_LIMIT_MS) {
            await sleep(50);
            refused = served.errors.find((error) => /AppRole login refused/.test(error.message));
        }
        // The old token still has about 1 s to live (see the header): serving goes on meanwhile.
        await sleep(500);
        const status = served.database.status();
        await served.stop();

        expect(refused?.message).toMatch(/-> 400: .*secret id has expired, was used up or destroyed; issue a new one/);
        expect(status.lastError).toMatch(/AppRole login refused/);
        // Nothing else went wrong on the way (a failed rotation would show here, with its cause).
        expect(served.errors.filter((error) => !/AppRole login refused/.test(error.message))).toEqual([]);
        expect(served.failures.filter((failure) => failure.at <= refused!.at + 500)).toEqual([]);
        expect(served.successesAfter(refused!.at + 400)).toBeGreaterThan(0);
        // Before the refusal, one new login succeeded and brought new credentials.
        expect(status.rotations).toBeGreaterThanOrEqual(1);
    }, 90_000);
});
