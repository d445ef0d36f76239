/**
 * TLS against a private CA, on real servers: PostgreSQL with `ssl = on` and hostssl-only pg_hba.conf, the Vault API
 * on a TLS listener only, both with certificates from a test CA (test-certificates.ts, the stack CA's stand-in).
 * The stack is applied as an existing-servers stack given that CA: every connection verifies with verify-full (the
 * postgresql provider's settings, the admin check, Vault's own connection: inline tls_ca on HashiCorp Vault, a file
 * on OpenBao), and an application's credential lifecycle, the Vault Agent's rendering and the Node pool run over it.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import { AGENT_FILES } from "../../components/agent-config";
import { checkPostgresAdmin } from "../../components/postgres-admin-check";
import { sealStatus } from "../../components/vault-init";
import { DynamicCredentialPool } from "../../examples/app/dynamic-pool";
import { postgresSsl } from "../../examples/app/postgres-ssl";
import { issueAppRoleLogin } from "../helpers/app-client";
import { describeLive, PostgresServer, startPostgres, startVault, VaultError, vaultRequest, VaultServer } from "./harness";
import { appendToConfig, ConfigChange, LiveStack, startLiveStack } from "./live-stack";
import { makeTestPki, TestPki } from "./test-certificates";

const APP = { name: "tls-app", roles: ["readonly"] };
const sleep = (ms: number): Promise<void> => new Promise((resolveTimer) => setTimeout(resolveTimer, ms));

/**
 * The stack on the two servers as existing servers, verifying both with the test CA; `extra` adds keys (OpenBao's CA
 * file, a client certificate).
 */
function verifiedStack(postgres: PostgresServer, vault: VaultServer, pki: TestPki, extra: Record<string, string>): ConfigChange {
    return (config) => ({
        ...appendToConfig({ apps: [APP] })(config),
        flavor: vault.flavor,
        tls: "true",
        postgresHost: postgres.host,
        postgresPort: String(postgres.port),
        postgresSuperuser: postgres.superuser,
        postgresSuperuserPassword: postgres.superuserPassword,
        postgresCaCertificate: pki.ca.pem,
        vaultAddress: vault.address,
        vaultToken: vault.rootToken,
        vaultCaCertificate: pki.ca.pem,
        ...extra,
    });
}

/** Runs `check` and returns the one line it failed with. */
async function failure(check: () => Promise<unknown>): Promise<string> {
    const error = await check().then(() => undefined, (caught: Error) => caught);
    if (!error) throw new Error("expected a failure, and it succeeded");
    return error.message;
}

describeLive("TLS everywhere, verified against a private CA", () => {
    let pki: TestPki;
    let postgres: PostgresServer;
    let vault: VaultServer;
    let stack: LiveStack;
    let dir: string;
    const children: ChildProcess[] = [];

    beforeAll(async () => {
        pki = makeTestPki();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-tls-"));
        const tls = { certificateFile: pki.server.certificate.file, keyFile: pki.server.key.file, caCertificate: pki.ca.pem };
        [postgres, vault] = await Promise.all([startPostgres({ tls }), startVault({ tls })]);
        stack = await startLiveStack({
            postgres,
            vault,
            // OpenBao has no inline TLS fields: the CA as a file the server reads (here, on this machine).
            config: verifiedStack(postgres, vault, pki, vault.flavor === "openbao" ? { postgresVaultCaFile: pki.ca.file } : {}),
        });
    }, 120_000);

    afterAll(async () => {
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        await stack?.stop();
        pki?.remove();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    describe("both servers refuse plaintext", () => {
        it("PostgreSQL: a TCP connection without TLS matches no pg_hba line (28000)", async () => {
            const client = new Client({ host: postgres.host, port: postgres.port, user: postgres.superuser, password: postgres.superuserPassword, database: "postgres", ssl: false });
            client.on("error", () => undefined);
            const error = await client.connect().then(() => undefined, (caught: { code?: string }) => caught);
            await client.end().catch(() => undefined);
            expect(error?.code).toBe("28000");
        });

        it("the Vault API: plain HTTP on its port gets 400 and no data", async () => {
            const plain = vault.address.replace(/^https:/, "http:");
            const error = await vaultRequest(plain, vault.rootToken, "GET", "sys/mounts").then(() => undefined, (caught: unknown) => caught);
            expect(error).toBeInstanceOf(VaultError);
            expect((error as VaultError).status).toBe(400);
        });
    });

    describe("a wrong CA or host name stops with one line naming the server and what did not verify", () => {
        const admin = () => ({ host: postgres.host, port: postgres.port, username: postgres.superuser, password: postgres.superuserPassword, sslMode: "verify-full", database: "app" });

        it("the admin check (the first connection of `pulumi up`), given another CA", async () => {
            const message = await failure(() => checkPostgresAdmin({ ...admin(), caCertificate: pki.otherCa.pem }));
            expect(message).toMatch(new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${postgres.port}: its TLS certificate is not signed by the CA given to verify it \\([A-Z_]+\\)`));
            expect(message).not.toContain("\n");
        });

        it("the admin check, connecting by a name the certificate does not list", async () => {
            const message = await failure(() => checkPostgresAdmin({ ...admin(), host: "localhost", caCertificate: pki.ca.pem }));
            expect(message).toMatch(new RegExp(`^PostgreSQL at localhost:${postgres.port}: its TLS certificate does not name the host connected to \\(.*localhost.*\\)`));
            expect(message).not.toContain("\n");
        });

        it("the Vault client (the unseal step's), given another CA or a name the certificate does not list", async () => {
            const port = new URL(vault.address).port;
            expect(await failure(() => sealStatus({ address: vault.address, caCertificate: pki.otherCa.pem }))).toMatch(
                new RegExp(`^Vault at 127\\.0\\.0\\.1:${port}: its TLS certificate is not signed by the CA given to verify it`),
            );
            expect(await failure(() => sealStatus({ address: `https://localhost:${port}`, caCertificate: pki.ca.pem }))).toMatch(
                new RegExp(`^Vault at localhost:${port}: its TLS certificate does not name the host connected to`),
            );
        });

        it("Vault's own connection: written with another CA, or to a host the certificate does not list, it is refused", async () => {
            const write = (caPem: string, caFile: string, host: string): Promise<unknown> =>
                stack.root("POST", `${stack.mountPath}/config/tls-probe`, {
                    plugin_name: "postgresql-database-plugin",
                    allowed_roles: [],
                    verify_connection: true,
                    connection_url: `postgresql://{{username}}:{{password}}@${host}:${postgres.port}/postgres?sslmode=verify-full${vault.flavor === "openbao" ? `&sslrootcert=${caFile}` : ""}`,
                    username: postgres.superuser,
                    password: postgres.superuserPassword,
                    ...(vault.flavor === "vault" ? { tls_ca: caPem } : {}),
                });
            const status = async (caPem: string, caFile: string, host: string): Promise<number> =>
                write(caPem, caFile, host).then(() => 200, (error: VaultError) => error.status);
            expect(await status(pki.otherCa.pem, pki.otherCa.file, "127.0.0.1")).toBe(400);
            expect(await status(pki.ca.pem, pki.ca.file, "localhost")).toBe(400);
            // The same write with the right CA and name is accepted: the refusals were the certificate's.
            expect(await status(pki.ca.pem, pki.ca.file, "127.0.0.1")).toBe(200);
            await stack.root("DELETE", `${stack.mountPath}/config/tls-probe`);
        });
    });

    describe("the credential lifecycle over verify-full", () => {
        it("every stack connection verifies: the provider and Vault's connection name the CA, with verify-full", () => {
            const providers = stack.resources.filter((resource) => resource.type === "pulumi:providers:postgresql");
            expect(providers.length).toBeGreaterThan(0);
            for (const provider of providers) {
                const inputs = provider.inputs as { sslmode: string; sslrootcert: string };
                expect(inputs.sslmode).toBe("verify-full");
                expect(fs.readFileSync(inputs.sslrootcert, "utf8")).toBe(pki.ca.pem);
            }
            const vaultProvider = stack.resources.find((resource) => resource.type === "pulumi:providers:vault")!;
            expect(fs.readFileSync((vaultProvider.inputs as { caCertFile: string }).caCertFile, "utf8")).toBe(pki.ca.pem);
        });

        it("issues credentials over HTTPS, connects with them over verify-full, and revocation drops the user", async () => {
            const token = await stack.login(APP.name);
            const creds = await stack.readCreds(token, stack.credsPaths.readonly);
            const client = await stack.connect(creds);
            const { rows } = await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
            expect(rows[0].ssl).toBe(true);
            await client.end();
            await stack.as(token, "PUT", `sys/leases/revoke/${creds.leaseId}`);
            expect(await stack.dynamicUsers()).not.toContain(creds.username);
        });

        it("Vault's own sessions to PostgreSQL are encrypted", async () => {
            const { rows } = await postgres.query(
                "SELECT count(*)::int AS sessions, count(*) FILTER (WHERE NOT s.ssl)::int AS plain FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = 'vault_admin'",
            );
            // Vault keeps the connection it issued and revoked through open in its pool.
            expect(rows[0].sessions).toBeGreaterThan(0);
            expect(rows[0].plain).toBe(0);
        });

        it("the Node pool (examples/app) logs in with the Vault CA and queries over verify-full", async () => {
            const loginPath = stack.apps[APP.name].loginPath;
            const { roleId, secretId } = await issueAppRoleLogin(vault, vault.rootToken, loginPath, APP.name);
            const caFile = path.join(dir, "postgres-ca.crt");
            fs.writeFileSync(caFile, pki.ca.pem);
            const pool = await DynamicCredentialPool.start({
                vaultAddress: vault.address,
                vaultCaCertificate: pki.ca.pem,
                loginPath,
                roleId,
                secretId,
                credsPath: stack.credsPaths.readonly,
                pool: { host: postgres.host, port: postgres.port, database: stack.database, ssl: postgresSsl("verify-full", caFile), max: 2 },
            });
            try {
                const { rows } = await pool.query<{ ssl: boolean }>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
                expect(rows[0].ssl).toBe(true);
            } finally {
                await pool.close();
            }
        });

        it("the Vault Agent renders credentials over HTTPS with ca_cert, and the env it writes connects over verify-full", async () => {
            const loginPath = stack.apps[APP.name].loginPath;
            const { roleId, secretId } = await issueAppRoleLogin(vault, vault.rootToken, loginPath, APP.name);
            const outputs = {
                vaultAddress: vault.address,
                postgresAddress: `${postgres.host}:${postgres.port}`,
                database: stack.database,
                credsPaths: stack.credsPaths,
                apps: { ...stack.apps, [APP.name]: { ...stack.apps[APP.name], roleId } },
                agents: { [APP.name]: { roles: APP.roles } },
                vaultCaCertificate: pki.ca.pem,
                postgresCaCertificate: pki.ca.pem,
                postgresSslMode: "verify-full",
            };
            const agentDir = path.join(dir, "agent");
            execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/agent-config.ts", "--app", APP.name, "--out", agentDir, "--outputs", "-"], {
                cwd: path.join(__dirname, "../.."),
                input: JSON.stringify(outputs),
                stdio: ["pipe", "pipe", "pipe"],
            });
            expect(fs.readFileSync(path.join(agentDir, AGENT_FILES.vaultCa), "utf8")).toBe(pki.ca.pem);
            fs.writeFileSync(path.join(agentDir, "secret-id"), secretId, { mode: 0o600 });
            // The agent only renders here; no process to signal (the signal command tolerates a missing pid file).
            const agentLog = path.join(dir, "agent.log");
            const log = fs.openSync(agentLog, "a");
            const agent = spawn(vault.binary, ["agent", `-config=${path.join(agentDir, "agent.hcl")}`], { env: { PATH: process.env.PATH, HOME: dir }, stdio: ["ignore", log, log] });
            fs.closeSync(log);
            children.push(agent);
            const envFile = path.join(agentDir, AGENT_FILES.env);
            const started = Date.now();
            while (!fs.existsSync(envFile)) {
                if (Date.now() - started > 20_000) throw new Error(`the agent rendered nothing in 20 s:\n${fs.readFileSync(agentLog, "utf8").slice(-3000)}`);
                await sleep(100);
            }
            agent.kill("SIGTERM");
            const env = Object.fromEntries(
                fs.readFileSync(envFile, "utf8").trim().split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
            );
            expect(env.PGSSLMODE).toBe("verify-full");
            expect(fs.readFileSync(env.PGSSLROOTCERT, "utf8")).toBe(pki.ca.pem);
            const client = new Client({ host: env.PGHOST, port: Number(env.PGPORT), database: env.PGDATABASE, user: env.PGUSER, password: env.PGPASSWORD, ssl: postgresSsl(env.PGSSLMODE, env.PGSSLROOTCERT) });
            await client.connect();
            const { rows } = await client.query("SELECT current_user AS user, (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS ssl");
            await client.end();
            expect(rows[0]).toEqual({ user: env.PGUSER, ssl: true });

            // The plain app that reads the env file (examples/app/env-file-app.js) connects over verify-full too.
            const pidFile = path.join(agentDir, "app.pid");
            const app = spawn(process.execPath, [path.join(__dirname, "../../examples/app/env-file-app.js"), envFile, pidFile, "5"], { stdio: ["ignore", "pipe", "pipe"] });
            children.push(app);
            let output = "";
            app.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
            let errors = "";
            app.stderr?.on("data", (chunk: Buffer) => (errors += chunk.toString()));
            const exited = new Promise<void>((resolveExit) => app.on("exit", () => resolveExit()));
            const waited = Date.now();
            while (!fs.existsSync(pidFile) && app.exitCode === null) {
                if (Date.now() - waited > 10_000) break;
                await sleep(50);
            }
            await sleep(500);
            app.kill("SIGTERM");
            await exited;
            const summary = JSON.parse(output || "{}") as { queries?: number; failures?: string[]; users?: string[] };
            expect({ failures: summary.failures, users: summary.users, errors }).toEqual({ failures: [], users: [env.PGUSER], errors: "" });
            expect(summary.queries).toBeGreaterThan(0);
        });

        it("destroy leaves nothing, over the same verified connections", async () => {
            await stack.destroy();
            expect(await stack.dynamicUsers()).toEqual([]);
            const { rows } = await postgres.query("SELECT count(*)::int AS n FROM pg_database WHERE datname = $1", [stack.database]);
            expect(rows[0].n).toBe(0);
        });
    });
    describe("a PostgreSQL that requires client certificates (mutual TLS)", () => {
        let mtlsPostgres: PostgresServer;
        let mtlsVault: VaultServer;
        let mtlsStack: LiveStack | undefined;

        beforeAll(async () => {
            const tls = { certificateFile: pki.server.certificate.file, keyFile: pki.server.key.file, caCertificate: pki.ca.pem };
            [mtlsPostgres, mtlsVault] = await Promise.all([
                startPostgres({ tls: { ...tls, clientCertificate: { certificate: pki.client.certificate.pem, key: pki.client.key.pem } } }),
                startVault({ tls }),
            ]);
        }, 60_000);

        afterAll(async () => {
            await (mtlsStack ? mtlsStack.stop() : Promise.allSettled([mtlsPostgres?.destroy(), mtlsVault?.stop()]));
        });

        it("refuses the admin without a client certificate", async () => {
            const error = await checkPostgresAdmin({
                host: mtlsPostgres.host, port: mtlsPostgres.port, username: mtlsPostgres.superuser, password: mtlsPostgres.superuserPassword,
                sslMode: "verify-full", caCertificate: pki.ca.pem, database: "app",
            }).then(() => undefined, (caught: Error) => caught);
            expect(error?.message).toMatch(new RegExp(`^cannot check the PostgreSQL admin "postgres" at 127\\.0\\.0\\.1:${mtlsPostgres.port}: .*certificate`));
        });

        it("with the client certificate and key in config, the Pulumi side and Vault present it: credentials issue, connect and revoke", async () => {
            mtlsStack = await startLiveStack({
                postgres: mtlsPostgres,
                vault: mtlsVault,
                config: verifiedStack(mtlsPostgres, mtlsVault, pki, {
                    postgresClientCertificate: pki.client.certificate.pem,
                    postgresClientKey: pki.client.key.pem,
                    // OpenBao reads all three from files on its server; HashiCorp Vault takes them inline.
                    ...(mtlsVault.flavor === "openbao"
                        ? { postgresVaultCaFile: pki.ca.file, postgresVaultCertificateFile: pki.client.certificate.file, postgresVaultKeyFile: pki.client.key.file }
                        : {}),
                }),
            });
            const token = await mtlsStack.login(APP.name);
            const creds = await mtlsStack.readCreds(token, mtlsStack.credsPaths.readonly);
            const client = await mtlsStack.connect(creds);
            const { rows } = await client.query("SELECT ssl, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
            await client.end();
            expect(rows[0]).toEqual({ ssl: true, client_dn: `/CN=${pki.client.commonName}` });
            const vaultSessions = await mtlsPostgres.query(
                "SELECT count(*)::int AS sessions, count(*) FILTER (WHERE s.client_dn = $1)::int AS with_certificate FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = 'vault_admin'",
                [`/CN=${pki.client.commonName}`],
            );
            expect(vaultSessions.rows[0].sessions).toBeGreaterThan(0);
            expect(vaultSessions.rows[0].with_certificate).toBe(vaultSessions.rows[0].sessions);
            await mtlsStack.as(token, "PUT", `sys/leases/revoke/${creds.leaseId}`);
            expect(await mtlsStack.dynamicUsers()).not.toContain(creds.username);
            await mtlsStack.destroy();
            expect(await mtlsStack.dynamicUsers()).toEqual([]);
        });
    });
});
