/**
 * Backup, restore and metrics of a server-mode Vault on a real non-dev server (raft in a temp dir), with the stack's
 * own resources applied: `npm run backup` with a token of the stack's backup policy while leases are open; the data
 * directory lost; `npm run restore` onto the new, empty server with the original keys; the old leases renewed and
 * revoked (their users dropped); a user created after the snapshot left an orphan, which `npm run doctor` names and
 * `--fix` drops. Then the Prometheus endpoint:
 * refused without a token, the database engine's series with a metrics-policy token, and, where the config allows it,
 * served without one. The example alert rules name only series seen here.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { Client } from "pg";
import { DoctorFinding, DYNAMIC_USERNAME_PREFIX, quoteLiteral, UnsealInputs, UnsealState } from "../../components";
import { ISSUE_SLACK_SECONDS, parseEngineUsername } from "../../components/doctor/lease-matching";
import { takeSnapshot } from "../../components/raft-snapshot";
import { vaultStreamRequest } from "../../components/vault-api";
import { initialize, sealStatus, unseal } from "../../components/vault-init";
import { backup, BackupArgs } from "../../scripts/backup";
import { restore } from "../../scripts/restore";
import { DatabaseCreds, loginApp, readCreds } from "../helpers/app-client";
import { seriesInScrape, vaultSeriesIn } from "../helpers/prometheus";
import { loadStackConfig, plain } from "../helpers/pulumi-mocks";
import { doctorScript, problems } from "./doctor-script";
import { describeLive, PostgresServer, startPostgres, startVault, stopAll, vaultRequest } from "./harness";
import { deployedOutputs } from "./live-stack";
import { applyServerStack, ProgramOutputs, recordProgram, SERVER_TYPES, serializedUnsealProvider, UnsealProvider } from "./server-applier";
import { localFlavor, SealedVaultServer, startSealedVault } from "./server-harness";

const ALERT_RULES = path.join(__dirname, "../../examples/prometheus/vault-pg-alerts.yml");

describeLive("server-mode backup, restore and metrics", () => {
    let postgres: PostgresServer;
    let vault: SealedVaultServer;
    let outputs: ProgramOutputs;
    let unsealInputs: UnsealInputs;
    let unsealState: UnsealState;
    let unsealProvider: UnsealProvider;
    let rootToken: string;
    let appToken: string;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-backup-"));
    const snapshotFile = path.join(dir, "vault.snap");

    const root = <T = Record<string, unknown>>(method: string, apiPath: string, body?: Record<string, unknown>): Promise<T> =>
        vaultRequest<T>(vault.address, rootToken, method, apiPath, body);
    const engineUsers = async (): Promise<string[]> =>
        (await postgres.query(`SELECT rolname FROM pg_roles WHERE rolname LIKE ${quoteLiteral(DYNAMIC_USERNAME_PREFIX + "%")} ORDER BY rolname`)).rows.map((row: { rolname: string }) => row.rolname);
    const canQuery = async (creds: DatabaseCreds): Promise<boolean> => {
        const client = new Client({ host: postgres.host, port: postgres.port, database: outputs.database, user: creds.username, password: creds.password });
        client.on("error", () => undefined);
        await client.connect();
        try {
            return (await client.query("SELECT 1 AS one")).rows[0].one === 1;
        } finally {
            await client.end();
        }
    };
    /** A periodic token with one of the stack's operator policies and nothing else, as the docs make it for a job. */
    const operatorToken = async (policy: string): Promise<string> =>
        (await root<{ auth: { client_token: string } }>("POST", "auth/token/create", { policies: [policy], no_default_policy: true, period: "24h" })).auth.client_token;
    const scrape = async (address: string, token: string | undefined): Promise<{ status: number; text: string }> => {
        try {
            const response = await vaultStreamRequest(address, token, "GET", "sys/metrics?format=prometheus");
            const chunks: Buffer[] = [];
            for await (const chunk of response) chunks.push(chunk as Buffer);
            return { status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") };
        } catch (error) {
            return { status: (error as { status?: number }).status ?? 0, text: "" };
        }
    };
    const backupArgs = (extra: Partial<BackupArgs> = {}): BackupArgs => ({ out: snapshotFile, overwrite: false, address: vault.address, renewToken: false, ...extra });

    beforeAll(async () => {
        // One connection config: the server applier writes the program's first (test/live/server-applier.ts).
        const config = { ...loadStackConfig(), tls: "false", flavor: localFlavor(), vaultMode: "server", connections: "single" };
        const recorded = await recordProgram(config);
        outputs = recorded.outputs;
        [postgres, vault] = await Promise.all([startPostgres(), startSealedVault()]);
        const unseal = recorded.resources.find((resource) => resource.type === SERVER_TYPES.unseal)!;
        const { shares, threshold } = plain<UnsealInputs>(unseal.inputs);
        unsealInputs = { address: vault.address, shares, threshold };
        unsealProvider = serializedUnsealProvider(unseal);
        unsealState = (await unsealProvider.create(unsealInputs)).outs;
        rootToken = unsealState.rootToken;
        await applyServerStack(recorded.resources, { postgres, vault: { address: vault.address, rootToken }, auditLogPath: vault.auditLogPath });
        appToken = await loginApp(vault.address, rootToken, outputs.apps.web.loginPath, "web");
    });
    afterAll(async () => {
        fs.rmSync(dir, { recursive: true, force: true });
        await stopAll();
    });

    it("refuses with one line: a sealed server, a server without raft storage, a token without the backup policy", async () => {
        await root("PUT", "sys/seal");
        await expect(backup(backupArgs(), { VAULT_TOKEN: rootToken })).rejects.toThrow(/ is sealed: unseal it first/);
        await unseal(vault.address, unsealState.unsealKeys);
        const dev = await startVault();
        await expect(takeSnapshot({ address: dev.address }, dev.rootToken, snapshotFile)).rejects.toThrow(/uses inmem storage, which has no Raft snapshots/);
        await dev.stop();
        await expect(backup(backupArgs(), { VAULT_TOKEN: appToken })).rejects.toThrow(/refused the snapshot \(403\).*vault-pg-backup policy/);
        expect(fs.existsSync(snapshotFile)).toBe(false);
        expect(fs.readdirSync(dir)).toEqual([]);
    });

    let heldBefore: DatabaseCreds[];
    let createdAfter: DatabaseCreds;

    it("backs up with leases open, using a token of the backup policy: a 0600 gzip file, never replaced unasked", async () => {
        heldBefore = [await readCreds(vault.address, appToken, outputs.credsPaths.readonly), await readCreds(vault.address, appToken, outputs.credsPaths.readwrite)];
        const backupToken = await operatorToken("vault-pg-backup");
        // The policy allows the snapshot and its own token, nothing else.
        await expect(vaultRequest(vault.address, backupToken, "GET", "sys/policies/acl/vault-pg-backup")).rejects.toMatchObject({ status: 403 });
        const line = await backup(backupArgs({ renewToken: true }), { VAULT_TOKEN: backupToken });
        expect(line).toMatch(/^wrote a snapshot of http:\/\/127\.0\.0\.1:\d+ to .*vault\.snap \(\d+ bytes\)$/);
        expect(fs.statSync(snapshotFile).mode & 0o777).toBe(0o600);
        const head = fs.readFileSync(snapshotFile).subarray(0, 2);
        expect([head[0], head[1]]).toEqual([0x1f, 0x8b]);
        const before = fs.readFileSync(snapshotFile);
        await expect(backup(backupArgs(), { VAULT_TOKEN: backupToken })).rejects.toThrow(/exists; pass --overwrite/);
        expect(fs.readFileSync(snapshotFile).equals(before)).toBe(true);
        expect(fs.readdirSync(dir)).toEqual(["vault.snap"]);

        createdAfter = await readCreds(vault.address, appToken, outputs.credsPaths.readonly);
    });

    it("after the volume is lost, restores onto a new server with the original keys; old leases renew and revoke", async () => {
        await vault.loseData();
        await vault.start();
        expect(await sealStatus(vault.address)).toMatchObject({ initialized: false, sealed: true });
        const text = await restore(
            { snapshot: snapshotFile, outputs: "stack outputs" },
            { vaultAddress: vault.address, vaultUnsealKeys: unsealState.unsealKeys, vaultRootToken: rootToken, vaultMode: "server" },
        );
        expect(text).toMatch(/unsealed with the original 5 key shares/);
        expect(text).toMatch(/root token works again/);
        // The stack's unseal step finds nothing to do: its stored keys and token are the server's again.
        expect(await unsealProvider.diff("unseal", unsealState, unsealInputs)).toEqual({ changes: false });

        for (const creds of heldBefore) {
            // The app's token from before the snapshot is back too.
            const renewed = await vaultRequest<{ lease_id: string }>(vault.address, appToken, "PUT", `sys/leases/renew/${creds.leaseId}`);
            expect(renewed.lease_id).toBe(creds.leaseId);
            expect(await canQuery(creds)).toBe(true);
            await vaultRequest(vault.address, appToken, "PUT", `sys/leases/revoke/${creds.leaseId}`);
        }
        const users = await engineUsers();
        for (const creds of heldBefore) expect(users).not.toContain(creds.username);
    });

    it("a user created after the snapshot is an orphan: the doctor names it and exits 1, --fix drops it, then it exits 0", async () => {
        expect(await engineUsers()).toEqual([createdAfter.username]);
        await expect(root("PUT", "sys/leases/lookup", { lease_id: createdAfter.leaseId })).rejects.toMatchObject({ status: 400 });
        // The doctor leaves a user unjudged until its lease could have been registered: wait out that window, not more.
        const judgedFrom = parseEngineUsername(createdAfter.username)!.createdAt.getTime() + (ISSUE_SLACK_SECONDS + 1) * 1000;
        while (Date.now() < judgedFrom) await new Promise((resolveTimer) => setTimeout(resolveTimer, 200));
        // The outputs piped in, as the docs run it after a restore.
        const outputsJson = JSON.stringify(deployedOutputs(outputs.outputs, { address: vault.address, rootToken }, postgres));

        const found = await doctorScript(["--outputs", "-", "--json"], {}, outputsJson);
        expect({ code: found.code, stderr: found.stderr }).toEqual({ code: 1, stderr: "" });
        const report = JSON.parse(found.stdout) as { findings: DoctorFinding[] };
        expect(problems(report.findings).map(({ check, subject, severity }) => ({ check, subject, severity }))).toEqual([
            { check: "users", subject: createdAfter.username, severity: "fail" },
        ]);
        expect(problems(report.findings)[0].detail).toMatch(/^no lease of role readonly in Vault: nothing will revoke it/);
        for (const secret of [rootToken, String(outputs.vaultAdminPassword), createdAfter.password]) expect(found.stdout).not.toContain(secret);

        const fixed = await doctorScript(["--outputs", "-", "--fix"], {}, outputsJson);
        expect({ code: fixed.code, stderr: fixed.stderr }).toEqual({ code: 0, stderr: "" });
        expect(fixed.stdout).toMatch(new RegExp(`^fixed\\s+users\\s+${createdAfter.username}\\s+no lease of role readonly in Vault.*; dropped by --fix`, "m"));
        expect(await engineUsers()).toEqual([]);

        // Nothing else needed attention, so with the orphan gone the stack is healthy: the user is not named at all.
        const after = await doctorScript(["--outputs", "-"], {}, outputsJson);
        expect({ code: after.code, stderr: after.stderr }).toEqual({ code: 0, stderr: "" });
        expect(after.stdout).not.toContain(createdAfter.username);
        expect(after.stdout.trimEnd().split("\n").pop()).toMatch(/^nothing needs attention: \d+ ok$/);
    }, 90_000);

    it("metrics: refused without a token; with a metrics-policy token, the engine's series once credentials were issued", async () => {
        const issued = await readCreds(vault.address, appToken, outputs.credsPaths.readonly);
        // An issue and a revocation that fail (PostgreSQL down), as the failure alerts must see them; then it recovers.
        await postgres.stop();
        await expect(readCreds(vault.address, appToken, outputs.credsPaths.readonly)).rejects.toMatchObject({ status: expect.any(Number) });
        await expect(vaultRequest(vault.address, appToken, "PUT", `sys/leases/revoke/${issued.leaseId}`)).rejects.toMatchObject({ status: expect.any(Number) });
        await postgres.start();
        await vaultRequest(vault.address, appToken, "PUT", `sys/leases/revoke/${issued.leaseId}`);
        // No token is refused as a token without the policy is: 403 on OpenBao and on HashiCorp Vault alike (no 401).
        expect((await scrape(vault.address, undefined)).status).toBe(403);
        expect((await scrape(vault.address, appToken)).status).toBe(403);

        const metrics = await scrape(vault.address, await operatorToken("vault-pg-metrics"));
        expect(metrics.status).toBe(200);
        const series = seriesInScrape(metrics.text);
        console.log(`metrics series of ${vault.flavor}: ${[...series].filter((name) => /^vault_(database|expire|route|secret|core_(unsealed|active))/.test(name)).sort().join(" ")}`);
        // Every series the example alert rules use.
        const rules = YAML.parse(fs.readFileSync(ALERT_RULES, "utf8")) as { groups: { rules: { alert: string; expr: string }[] }[] };
        const used = rules.groups.flatMap((group) => group.rules.flatMap((rule) => vaultSeriesIn(rule.expr)));
        expect(used.length).toBeGreaterThan(0);
        expect(used.filter((name) => !series.has(name))).toEqual([]);
    });

    it("metrics without a token where the config allows it (vaultUnauthenticatedMetrics)", async () => {
        const open = await startSealedVault({ unauthenticatedMetrics: true });
        const init = await initialize(open.address, 1, 1);
        await unseal(open.address, init.keys);
        const anonymous = await scrape(open.address, undefined);
        expect(anonymous.status).toBe(200);
        expect(anonymous.text).toMatch(/^vault_core_unsealed(\{[^}]*\})? 1$/m);
        await open.stop();
    });
});
