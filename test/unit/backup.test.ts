/**
 * Backup, restore and metrics without servers: the scripts' flags and inputs, what each refusal says, the metrics
 * config key's rules, and the example alert rules' shape (the live test checks their series on real servers).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { readStackConfig } from "../../components";
import { snapshotFailure, snapshotRefusal } from "../../components/raft-snapshot";
import { VaultError } from "../../components/vault-api";
import { backupTarget, parseArgs as parseBackupArgs } from "../../scripts/backup";
import { parseArgs as parseRestoreArgs } from "../../scripts/restore";
import { parseOutputs } from "../../scripts/stack-outputs";
import { vaultSeriesIn } from "../helpers/prometheus";

const ROLES = JSON.stringify([{ name: "readonly", access: "readonly", defaultTtl: "1h", maxTtl: "24h" }]);
const ADDRESS = "https://127.0.0.1:18200";
const status = (fields: Partial<{ initialized: boolean; sealed: boolean; storage_type: string }>) => ({ initialized: true, sealed: false, t: 3, n: 5, progress: 0, ...fields });

describe("npm run backup", () => {
    it("needs --out and a server (--outputs or --address); --help is not an error", () => {
        expect(() => parseBackupArgs([])).toThrow(/^--out is required\n\nusage: npm run backup/);
        expect(() => parseBackupArgs(["--out", "v.snap"])).toThrow(/^--outputs or --address is required/);
        expect(() => parseBackupArgs(["--out", "--overwrite"])).toThrow(/^--out needs a value/);
        expect(() => parseBackupArgs(["--out", "v.snap", "--adress", "x"])).toThrow(/^unknown option --adress/);
        expect(parseBackupArgs(["--help"])).toBe("help");
        expect(parseBackupArgs(["--out", "v.snap", "--outputs", "-", "--overwrite", "--renew-token"])).toEqual({ out: "v.snap", outputs: "-", overwrite: true, renewToken: true });
    });

    it("takes VAULT_TOKEN (then BAO_TOKEN) over the outputs' root token, and the outputs' address and CA unless given", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "backup-args-"));
        const outputsFile = path.join(dir, "outputs.json");
        fs.writeFileSync(outputsFile, JSON.stringify({ vaultAddress: ADDRESS, vaultCaCertificate: "CA", vaultRootToken: "root", vaultMode: "server" }));
        const args = { out: "v.snap", overwrite: false, renewToken: false, outputs: outputsFile };
        expect(backupTarget(args, {})).toEqual({ address: ADDRESS, caCertificate: "CA", token: "root" });
        expect(backupTarget(args, { BAO_TOKEN: "bao" }).token).toBe("bao");
        expect(backupTarget(args, { VAULT_TOKEN: "backup", BAO_TOKEN: "bao" }).token).toBe("backup");
        expect(backupTarget({ ...args, address: "https://other:8200" }, {}).address).toBe("https://other:8200");
        expect(() => backupTarget({ out: "v.snap", overwrite: false, renewToken: false, address: ADDRESS }, {})).toThrow(/^no token: set VAULT_TOKEN/);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("says in one line why a server gives no snapshot, and what to do", () => {
        expect(snapshotRefusal(ADDRESS, status({}))).toBeUndefined();
        expect(snapshotRefusal(ADDRESS, status({ storage_type: "raft" }))).toBeUndefined();
        expect(snapshotRefusal(ADDRESS, status({ sealed: true }))).toBe(`Vault at ${ADDRESS} is sealed: unseal it first (pulumi up, or vault operator unseal), then back up`);
        expect(snapshotRefusal(ADDRESS, status({ initialized: false, sealed: true }))).toMatch(/is not initialised: there is nothing to back up yet$/);
        expect(snapshotRefusal(ADDRESS, status({ storage_type: "file" }))).toBe(
            `Vault at ${ADDRESS} uses file storage, which has no Raft snapshots: stop the server and copy its data volume instead (docs/server-mode.md, Backup and restore), or use vaultStorage raft`,
        );
        expect(snapshotRefusal(ADDRESS, status({ storage_type: "inmem" }))).toMatch(/uses inmem storage, which has no Raft snapshots: a dev server keeps everything in memory/);
    });

    it("names the policy on a 403, and the seal on a 503, whatever the server's wording", () => {
        const failure = (status: number) => snapshotFailure(ADDRESS, new VaultError(status, ["any wording"], "GET sys/storage/raft/snapshot"));
        expect(failure(403)).toBe(`Vault at ${ADDRESS} refused the snapshot (403): the token may not read sys/storage/raft/snapshot; use a token with the vault-pg-backup policy (or the root token)`);
        expect(failure(503)).toMatch(/is sealed or has no active node \(503\): unseal it first/);
        expect(failure(404)).toMatch(/its storage is not raft$/);
        expect(failure(500)).toMatch(/failed: GET sys\/storage\/raft\/snapshot -> 500: any wording$/);
        expect(failure(403).split("\n")).toHaveLength(1);
    });
});

describe("npm run restore", () => {
    it("needs the snapshot and the outputs that hold the original keys", () => {
        expect(() => parseRestoreArgs(["--outputs", "o.json"])).toThrow(/^--snapshot is required/);
        expect(() => parseRestoreArgs(["--snapshot", "v.snap"])).toThrow(/^--outputs is required: the original unseal keys are in it/);
        expect(parseRestoreArgs(["--snapshot", "v.snap", "--outputs", "-", "--address", ADDRESS])).toEqual({ snapshot: "v.snap", outputs: "-", address: ADDRESS });
        expect(parseRestoreArgs(["-h"])).toBe("help");
    });
});

describe("stack outputs for backup and restore", () => {
    it("refuses outputs printed without --show-secrets, a dev-mode stack, and text that is not a JSON object", () => {
        expect(() => parseOutputs(JSON.stringify({ vaultRootToken: "[secret]" }), "o.json")).toThrow("the stack outputs in o.json hide their secrets: run pulumi stack output --json --show-secrets");
        expect(() => parseOutputs(JSON.stringify({ vaultUnsealKeys: "[secret]" }), "o.json")).toThrow(/hide their secrets/);
        expect(() => parseOutputs(JSON.stringify({ vaultMode: "dev" }), "o.json")).toThrow(/runs a dev Vault: only server mode keeps its data/);
        expect(() => parseOutputs("[]", "o.json")).toThrow("the stack outputs in o.json are not a JSON object");
        expect(() => parseOutputs("vaultAddress: x", "o.json")).toThrow(/^the stack outputs in o.json are not JSON/);
        expect(parseOutputs(JSON.stringify({ vaultAddress: ADDRESS, vaultUnsealKeys: ["a", "b"], vaultMode: "server" }), "o.json").vaultUnsealKeys).toEqual(["a", "b"]);
    });
});

describe("metrics access", () => {
    it("without a token only in server mode and on a loopback hostAddress", () => {
        expect(readStackConfig({ roles: ROLES, vaultMode: "server", vaultUnauthenticatedMetrics: "true" }).vault.unauthenticatedMetrics).toBe(true);
        expect(readStackConfig({ roles: ROLES, vaultMode: "server" }).vault.unauthenticatedMetrics).toBeUndefined();
        expect(() => readStackConfig({ roles: ROLES, vaultUnauthenticatedMetrics: "true" })).toThrow(
            'stack config (vault-pg): vaultUnauthenticatedMetrics = true: applies to server mode only',
        );
        expect(() => readStackConfig({ roles: ROLES, vaultMode: "server", hostAddress: "0.0.0.0", vaultUnauthenticatedMetrics: "true" })).toThrow(
            "stack config (vault-pg): vaultUnauthenticatedMetrics = true: the API is published on 0.0.0.0, beyond this machine; scrape with a token of the metrics policy instead",
        );
    });
});

describe("example alert rules", () => {
    const file = path.join(__dirname, "../../examples/prometheus/vault-pg-alerts.yml");
    const rules = (YAML.parse(fs.readFileSync(file, "utf8")) as { groups: { name: string; rules: Record<string, unknown>[] }[] }).groups.flatMap((group) => group.rules);

    it("each rule has a name, an expression on the server's series, a severity and a summary", () => {
        expect(rules.length).toBeGreaterThanOrEqual(4);
        for (const rule of rules) {
            expect(rule).toMatchObject({ alert: expect.stringMatching(/^Vault[A-Za-z]+$/), expr: expect.any(String), labels: { severity: expect.stringMatching(/^(critical|warning)$/) } });
            expect((rule.annotations as { summary?: string }).summary).toEqual(expect.any(String));
            expect(vaultSeriesIn(rule.expr as string).length).toBeGreaterThan(0);
        }
        expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
    });

    it("alerts on a sealed server and on failed revocations", () => {
        const series = rules.flatMap((rule) => vaultSeriesIn(rule.expr as string));
        expect(series).toEqual(expect.arrayContaining(["vault_core_unsealed", "vault_database_DeleteUser_error"]));
    });
});
