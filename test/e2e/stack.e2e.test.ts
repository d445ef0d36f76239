/**
 * End to end with the Automation API: a temporary stack of this project on a local file backend, deployed with real
 * Docker containers, checked with the lifecycle an application goes through, then destroyed. It needs the `pulumi`
 * CLI and a Docker daemon; where either is missing it is skipped with one line saying so (CI's PR workflow runs it on
 * runners that have both).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { loginApp, readCreds } from "../helpers/app-client";
import { REPO_ROOT } from "../helpers/pulumi-mocks";
import { freePort, vaultRequest } from "../live/harness";

function missingTools(): string[] {
    const works = (command: string, args: string[]): boolean => {
        try {
            execFileSync(command, args, { stdio: "ignore", timeout: 20_000 });
            return true;
        } catch {
            return false;
        }
    };
    return [...(works("pulumi", ["version"]) ? [] : ["the pulumi CLI"]), ...(works("docker", ["info"]) ? [] : ["a running Docker daemon"])];
}

const missing = missingTools();
const describeE2e = missing.length === 0 ? describe : describe.skip;
if (missing.length > 0) {
    console.warn(`e2e skipped: needs ${missing.join(" and ")} (the PR workflow runs it on GitHub's runners)`);
}

describeE2e("the dev stack deployed with the Automation API", () => {
    let stack: Stack;
    let stateDir: string;
    let outputs: Record<string, unknown>;
    const clients: Client[] = [];

    beforeAll(async () => {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-e2e-"));
        // The dev stack's roles and apps, on free ports so the test never collides with a running dev stack.
        const stackName = `e2e${Date.now()}`;
        fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), path.join(REPO_ROOT, `Pulumi.${stackName}.yaml`));
        stack = await LocalWorkspace.createOrSelectStack(
            { stackName, workDir: REPO_ROOT },
            { envVars: { PULUMI_BACKEND_URL: `file://${stateDir}`, PULUMI_CONFIG_PASSPHRASE: "vault-pg-e2e" } },
        );
        await stack.setAllConfig({
            "vault-pg:postgresHostPort": { value: String(await freePort()) },
            "vault-pg:vaultHostPort": { value: String(await freePort()) },
        });
        const result = await stack.up({ onOutput: (line) => process.stdout.write(line) });
        outputs = Object.fromEntries(Object.entries(result.outputs).map(([key, output]) => [key, output.value]));
    }, 900_000);

    afterAll(async () => {
        await Promise.allSettled(clients.map((client) => client.end()));
        if (stack) {
            await stack.destroy({ onOutput: (line) => process.stdout.write(line) });
            await stack.workspace.removeStack(stack.name);
            fs.rmSync(path.join(REPO_ROOT, `Pulumi.${stack.name}.yaml`), { force: true });
        }
        fs.rmSync(stateDir, { recursive: true, force: true });
    }, 600_000);

    it("issues working, least-privilege credentials and revokes them", async () => {
        // TLS by default: both servers verified with the stack CA, as an application does (README "TLS").
        const caCertificate = String(outputs.caCertificate);
        const vault = { address: String(outputs.vaultAddress), caCertificate };
        const address = vault.address;
        const rootToken = String(outputs.vaultRootToken);
        const apps = outputs.apps as Record<string, { loginPath: string }>;
        const credsPaths = outputs.credsPaths as Record<string, string>;
        const [host, port] = String(outputs.postgresAddress).split(":");

        expect(address).toMatch(/^https:/);
        const token = await loginApp(vault, rootToken, apps.web.loginPath, "web");
        const creds = await readCreds(vault, token, credsPaths.readonly);
        const client = new Client({
            host,
            port: Number(port),
            database: String(outputs.database),
            user: creds.username,
            password: creds.password,
            ssl: { ca: caCertificate, rejectUnauthorized: true },
        });
        clients.push(client);
        await client.connect();
        expect((await client.query("SELECT session_user AS login")).rows[0].login).toBe(creds.username);
        await expect(client.query("CREATE TABLE nope (id int)")).rejects.toThrow(/permission denied/);
        await expect(readCreds(vault, token, credsPaths.owner)).rejects.toMatchObject({ status: 403 });

        await vaultRequest(address, token, "PUT", `sys/leases/revoke/${creds.leaseId}`, {}, { caCertificate });
        await expect(client.query("SELECT 1")).rejects.toThrow();
    }, 120_000);
});
