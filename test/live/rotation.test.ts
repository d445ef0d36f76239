/**
 * The example application under steady load while its credentials rotate: a role whose leases live six seconds at
 * most forces a rotation every few seconds; not one request may fail, and no old user may be left behind.
 */
import { AddressInfo } from "net";
import { DynamicCredentialPool } from "../../examples/app/dynamic-pool";
import { createServer } from "../../examples/app/server";
import { issueAppRoleLogin } from "../helpers/app-client";
import { describeLive } from "./harness";
import { LiveStack, startLiveStack } from "./live-stack";

const ROTATING_ROLE = { name: "rotating", access: "readonly", defaultTtl: 2, maxTtl: 6 };
const ROTATOR_APP = { name: "rotator", roles: ["rotating"] };
const MIN_ROTATIONS = 3;
const LOAD_CONCURRENCY = 4;
/** Upper bound of the load phase: three rotations take about 15 s with these TTLs. */
const LOAD_LIMIT_MS = 45_000;

describeLive("an application living on rotating credentials", () => {
    let stack: LiveStack;

    beforeAll(async () => {
        stack = await startLiveStack({
            config: (config) => ({
                ...config,
                roles: JSON.stringify([...JSON.parse(config.roles), ROTATING_ROLE]),
                apps: JSON.stringify([...JSON.parse(config.apps), ROTATOR_APP]),
            }),
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

    it("serves every request across at least three rotations and leaves no old user behind", async () => {
        const loginPath = stack.apps[ROTATOR_APP.name].loginPath;
        const { roleId, secretId } = await issueAppRoleLogin(stack.vault.address, stack.vault.rootToken, loginPath, ROTATOR_APP.name);
        const errors: string[] = [];
        const database = await DynamicCredentialPool.start({
            vaultAddress: stack.vault.address,
            loginPath,
            roleId,
            secretId,
            credsPath: stack.credsPaths[ROTATING_ROLE.name],
            pool: { host: stack.postgres.host, port: stack.postgres.port, database: stack.database, max: 8 },
            onError: (error) => errors.push(error.message),
        });
        const server = createServer(database).listen(0, "127.0.0.1");
        await new Promise((resolveListen) => server.once("listening", resolveListen));
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

        const seenUsers = new Set<string>();
        let requests = 0;
        const failures: string[] = [];
        let stopLoad = false;
        const sampler = setInterval(() => {
            void stack.postgres
                .query("SELECT DISTINCT usename FROM pg_stat_activity WHERE usename LIKE 'v-rotating-%'")
                .then((result) => result.rows.forEach((row: { usename: string }) => seenUsers.add(row.usename)));
        }, 100);
        const worker = async (): Promise<void> => {
            while (!stopLoad) {
                requests += 1;
                try {
                    const response = await fetch(`${url}/users`);
                    const body = (await response.json()) as unknown;
                    if (response.status !== 200 || !Array.isArray(body) || body.length !== 3) failures.push(`${response.status} ${JSON.stringify(body)}`);
                } catch (error) {
                    failures.push((error as Error).message);
                }
            }
        };
        const workers = Array.from({ length: LOAD_CONCURRENCY }, worker);
        const started = Date.now();
        while (database.status().rotations < MIN_ROTATIONS && Date.now() - started < LOAD_LIMIT_MS) {
            await new Promise((resolveTimer) => setTimeout(resolveTimer, 200));
        }
        const health = (await (await fetch(`${url}/healthz`)).json()) as Record<string, unknown>;
        stopLoad = true;
        await Promise.all(workers);
        clearInterval(sampler);
        await new Promise((resolveClose) => server.close(resolveClose));
        await database.close();

        expect(database.status().rotations).toBeGreaterThanOrEqual(MIN_ROTATIONS);
        expect(failures).toEqual([]);
        expect(requests).toBeGreaterThan(100);
        expect(errors).toEqual([]);
        expect(seenUsers.size).toBeGreaterThanOrEqual(MIN_ROTATIONS);
        expect(Object.keys(health).sort()).toEqual(["lastError", "leaseRemainingSeconds", "rotations", "status", "username"]);
        expect(JSON.stringify(health)).not.toMatch(/password/i);
        const left = await stack.postgres.query("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", [[...seenUsers]]);
        expect(left.rows).toEqual([]);
    }, 90_000);
});
