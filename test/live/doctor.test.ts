/**
 * `npm run doctor` against a deployed stack on real servers: healthy, it finds nothing needing attention and exits 0;
 * after an orphaned user, a lease whose user was dropped and a membership revoked from the Vault admin, it names each
 * and exits 1; `--fix` drops the orphan and nothing else. The script runs as a child process (its argument parsing,
 * output and exit code are real); further runs call runDoctor directly. Then one TLS stack: the certificates the
 * servers present and the CA outputs, judged by expiry.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import { DoctorFinding, doctorTarget, DoctorTarget, runDoctor } from "../../components";
import { doctorScript, problems } from "./doctor-script";
import { describeLive, PostgresServer, startPostgres, startVault, VaultServer } from "./harness";
import { appendToConfig, LiveStack, startLiveStack } from "./live-stack";
import { makeTestPki, TestPki } from "./test-certificates";

/** A name the engine's template could have made (`v-<role>-<random12>-<unix time>`), ten minutes ago. */
const plausibleEngineName = (role: string): string => `v-${role}-${randomBytes(9).toString("base64url").replace(/[-_]/g, "x").slice(0, 12)}-${Math.floor(Date.now() / 1000) - 600}`;

describeLive("npm run doctor", () => {
    let stack: LiveStack;
    let dir: string;
    let outputsFile: string;
    let target: DoctorTarget;
    const clients: Client[] = [];

    /** A session as the Vault admin, in the stack's database: what Vault itself does its work as. */
    const asVaultAdmin = async (sql: string): Promise<void> => {
        const client = new Client({ host: stack.postgres.host, port: stack.postgres.port, database: stack.database, user: "vault_admin", password: String(stack.deployedOutputs().vaultAdminPassword) });
        await client.connect();
        try {
            await client.query(sql);
        } finally {
            await client.end();
        }
    };

    beforeAll(async () => {
        stack = await startLiveStack();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-doctor-"));
        outputsFile = path.join(dir, "outputs.json");
        fs.writeFileSync(outputsFile, JSON.stringify(stack.deployedOutputs()), { mode: 0o600 });
        target = doctorTarget(stack.deployedOutputs(), {}, undefined);
        const [web, migrations] = await Promise.all([stack.login("web"), stack.login("migrations")]);
        for (const credsPath of [stack.credsPaths.readonly, stack.credsPaths.readonly, stack.credsPaths.owner]) {
            const client = await stack.connect(await stack.readCreds(credsPath === stack.credsPaths.owner ? migrations : web, credsPath));
            clients.push(client);
        }
    }, 120_000);

    afterAll(async () => {
        await Promise.allSettled(clients.map((client) => client.end()));
        await stack?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("finds nothing needing attention on a healthy stack with credentials open, exits 0 and prints no secret", async () => {
        const run = await doctorScript(["--outputs", outputsFile]);
        expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
        expect(run.stdout.trimEnd().split("\n").pop()).toMatch(/^nothing needs attention: \d+ ok$/);
        // Every connection config was read and its admin logged in; the leases and users of each role were counted.
        for (const role of ["readonly", "readwrite", "owner"]) expect(run.stdout).toMatch(new RegExp(`ok\\s+connection\\s+database/config/app-${role}\\s+vault_admin → app for ${role}; the admin logs in`));
        expect(run.stdout).toMatch(/ok\s+leases\s+readonly\s+2 leases, 2 matched to a user/);
        expect(run.stdout).toMatch(/ok\s+leases\s+owner\s+1 lease, 1 matched to a user/);
        expect(run.stdout).toMatch(/ok\s+admin\s+vault_admin\s+LOGIN CREATEROLE, ADMIN OPTION on app_readonly, app_readwrite, app_owner/);
        // Vault's pools, not the doctor's own sessions: at most the budget.
        expect(run.stdout).toMatch(/ok\s+connections\s+Vault\s+Vault holds \d+ connections? \(vault_admin \d+\) of a budget of 20/);
        const outputs = stack.deployedOutputs();
        for (const secret of [outputs.vaultRootToken, outputs.vaultAdminPassword, outputs.postgresSuperuserPassword]) expect(run.stdout).not.toContain(String(secret));
    }, 60_000);

    it("names an orphaned user, a lease whose user is gone and a membership revoked from the Vault admin, and exits 1; --fix drops only the orphan", async () => {
        // (a) A user with an engine name and no lease, made as Vault makes them: as the Vault admin, in the readonly group.
        const orphan = plausibleEngineName("readonly");
        await asVaultAdmin(`CREATE ROLE "${orphan}" LOGIN PASSWORD 'orphan-password' VALID UNTIL '${new Date(Date.now() + 3600_000).toISOString()}' IN ROLE app_readonly`);
        // (b) A credential whose user is dropped behind Vault's back.
        const lost = await stack.readCreds(await stack.login("web"), stack.credsPaths.readwrite);
        await stack.postgres.query(`DROP ROLE "${lost.username}"`);
        // (c) A membership of the Vault admin revoked by hand (a group with no credentials open, so no grant depends on it).
        await stack.postgres.query("REVOKE app_readwrite FROM vault_admin", [], stack.database);

        const run = await doctorScript(["--outputs", outputsFile, "--json"]);
        expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 1, stderr: "" });
        const report = JSON.parse(run.stdout) as { findings: DoctorFinding[]; exitCode: number };
        expect(report.exitCode).toBe(1);
        expect(problems(report.findings).map(({ check, subject, severity }) => ({ check, subject, severity })).sort((a, b) => a.subject.localeCompare(b.subject))).toEqual(
            [
                { check: "users", subject: orphan, severity: "fail" },
                { check: "leases", subject: lost.leaseId, severity: "fail" },
                { check: "admin", subject: "vault_admin", severity: "fail" },
            ].sort((a, b) => a.subject.localeCompare(b.subject)),
        );
        expect(report.findings.find((finding) => finding.subject === "vault_admin")!.detail).toMatch(/^is not a member of app_readwrite: it cannot issue and revoke readwrite credentials of app/);

        // --fix, through the script: the orphan goes, its lease-less sibling problems stay (no lease revoked, no grant).
        const fixed = await doctorScript(["--outputs", outputsFile, "--fix"]);
        expect(fixed.code).toBe(1);
        expect(fixed.stdout).toMatch(new RegExp(`^fixed\\s+users\\s+${orphan}\\s+no lease of role readonly in Vault.*; dropped by --fix`, "m"));
        expect(fixed.stdout.trimEnd().split("\n").pop()).toMatch(/^2 need attention \(2 fail, 0 warn\), 1 fixed, \d+ ok$/);
        expect(await stack.dynamicUsers()).not.toContain(orphan);
        const leases = await stack.root<{ data: { keys: string[] } }>("LIST", `sys/leases/lookup/${stack.credsPaths.readwrite}/`);
        expect(leases.data.keys).toContain(lost.leaseId.split("/").pop());
        const membership = await stack.postgres.query("SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles a ON a.oid = m.member WHERE g.rolname = 'app_readwrite' AND a.rolname = 'vault_admin'");
        expect(membership.rowCount).toBe(0);

        const after = await runDoctor(target);
        expect(after.findings.filter((finding) => finding.subject === orphan)).toEqual([]);
        expect(problems(after.findings).map((finding) => finding.subject).sort()).toEqual([lost.leaseId, "vault_admin"].sort());

        // Repaired as the findings say, the stack is healthy again.
        await stack.postgres.query("GRANT app_readwrite TO vault_admin WITH ADMIN OPTION", [], stack.database);
        await stack.root("PUT", "sys/leases/revoke", { lease_id: lost.leaseId });
        const repaired = await runDoctor(target);
        expect(problems(repaired.findings)).toEqual([]);
        expect(repaired.exitCode).toBe(0);
    }, 120_000);

    it("needs no more than the policy `--policy` prints: a token with only that finds what the root token finds", async () => {
        const printed = await doctorScript(["--policy", "--mount", stack.mountPath]);
        expect(printed.code).toBe(0);
        await stack.root("PUT", "sys/policies/acl/vault-pg-doctor", { policy: printed.stdout });
        const token = (await stack.root<{ auth: { client_token: string } }>("POST", "auth/token/create", { policies: ["vault-pg-doctor"], ttl: "10m" })).auth.client_token;
        const summary = (findings: readonly DoctorFinding[]): string[] => findings.filter((finding) => finding.check !== "connections").map((finding) => `${finding.severity} ${finding.check} ${finding.subject} ${finding.detail}`).sort();
        const withPolicy = await runDoctor(doctorTarget(stack.deployedOutputs(), {}, token));
        expect(withPolicy.exitCode).toBe(0);
        expect(summary(withPolicy.findings)).toEqual(summary((await runDoctor(target)).findings));
        // Without sudo on the leases, each role says it could not be checked.
        await stack.root("PUT", "sys/policies/acl/vault-pg-doctor", { policy: printed.stdout.replace(/"list", "sudo"/, '"list"') });
        const withoutSudo = await runDoctor(doctorTarget(stack.deployedOutputs(), {}, token));
        expect(problems(withoutSudo.findings).map(({ check, subject }) => `${check} ${subject}`).sort()).toEqual(["leases owner", "leases readonly", "leases readwrite"]);
    }, 60_000);

    it("exits 2 with one line for bad usage or a Vault it cannot reach", async () => {
        const usage = await doctorScript(["--outputs", outputsFile, "--connection-budget", "many"]);
        expect(usage.code).toBe(2);
        expect(usage.stderr.split("\n")[0]).toBe('--connection-budget must be a positive integer, not "many"');
        const unreachable = await doctorScript(["--outputs", outputsFile, "--vault-address", "http://127.0.0.1:1"]);
        expect(unreachable.code).toBe(2);
        expect(unreachable.stderr.trimEnd()).toMatch(/^cannot reach Vault at http:\/\/127\.0\.0\.1:1: [^\n]+$/);
        expect(unreachable.stdout).toBe("");
    }, 60_000);
});

describeLive("npm run doctor over TLS", () => {
    let pki: TestPki;
    let postgres: PostgresServer;
    let vault: VaultServer;
    let stack: LiveStack;

    beforeAll(async () => {
        pki = makeTestPki();
        const tls = { certificateFile: pki.server.certificate.file, keyFile: pki.server.key.file, caCertificate: pki.ca.pem };
        [postgres, vault] = await Promise.all([startPostgres({ tls }), startVault({ tls })]);
        stack = await startLiveStack({
            postgres,
            vault,
            config: (config) => ({
                ...appendToConfig({})(config),
                flavor: vault.flavor, tls: "true",
                postgresHost: postgres.host, postgresPort: String(postgres.port), postgresSuperuser: postgres.superuser, postgresSuperuserPassword: postgres.superuserPassword,
                postgresCaCertificate: pki.ca.pem, vaultAddress: vault.address, vaultToken: vault.rootToken, vaultCaCertificate: pki.ca.pem,
                ...(vault.flavor === "openbao" ? { postgresVaultCaFile: pki.ca.file } : {}),
            }),
        });
    }, 120_000);

    afterAll(async () => {
        await stack?.stop();
        pki?.remove();
    });

    it("reads the certificates both servers present and the CA outputs, and warns of those within 30 days of expiry", async () => {
        // The test PKI's certificates live two days: every one of them is within the warning window.
        const report = await runDoctor(doctorTarget(stack.deployedOutputs(), {}, vault.rootToken));
        const certificates = report.findings.filter((finding) => finding.check === "certificate");
        const port = (address: string): string => address.slice(address.lastIndexOf(":") + 1);
        expect(certificates.map(({ subject, severity }) => ({ subject, severity })).sort((a, b) => a.subject.localeCompare(b.subject))).toEqual(
            [
                { subject: `PostgreSQL 127.0.0.1:${postgres.port}`, severity: "warn" },
                { subject: `Vault 127.0.0.1:${port(vault.address)}`, severity: "warn" },
                { subject: "output postgresCaCertificate", severity: "warn" },
                { subject: "output vaultCaCertificate", severity: "warn" },
            ].sort((a, b) => a.subject.localeCompare(b.subject)),
        );
        expect(certificates.find((finding) => finding.subject.startsWith("PostgreSQL"))!.detail).toMatch(/^CN=db\.vault-pg\.test expires \S+Z, in [01] days: renew it/);
        // Everything else is as healthy over TLS: the admin's login verified the server with verify-full.
        expect(problems(report.findings).filter((finding) => finding.check !== "certificate")).toEqual([]);
        expect(report.findings.find((finding) => finding.check === "connection")!.detail).toContain("sslmode verify-full");
        expect(report.exitCode).toBe(1);
    }, 60_000);
});
