/**
 * The deployer policy (a stack output) is enough to apply every Vault resource of the dev stack, rotate-root
 * included, and to read each back as the provider does; and it is not more: no credentials, no sys/raw, no policy
 * or mount outside the stack's names.
 */
import { loadStackConfig, RecordedResource } from "../helpers/pulumi-mocks";
import { loginApp, readCreds } from "../helpers/app-client";
import { describeLive, PostgresServer, startPostgres, startVault, stopAll, vaultRequest, VaultServer } from "./harness";
import { startIssuer, TestIssuer } from "./oidc-issuer";
import { applyServerStack, ProgramOutputs, recordProgram } from "./server-applier";

/** An app that logs in with a Kubernetes token, and CI's OIDC logins: their methods, roles and policies are the stack's too. */
const JWT_APP = { name: "orders", roles: ["readwrite"], jwt: { auth: "kubernetes", audience: "vault", kubernetes: { namespace: "shop", serviceAccount: "orders" } } };

describeLive("deployer policy", () => {
    let postgres: PostgresServer;
    let vault: VaultServer;
    let resources: RecordedResource[];
    let outputs: ProgramOutputs;
    /** A child of the deployer token, as the Vault provider makes for its own calls. */
    let providerToken: string;
    let issuer: TestIssuer;

    const as = <T = Record<string, unknown>>(token: string, method: string, apiPath: string, body?: Record<string, unknown>): Promise<T> =>
        vaultRequest<T>(vault.address, token, method, apiPath, body);
    const status = (request: Promise<unknown>): Promise<number> => request.then(() => 200, (error: { status?: number }) => error.status ?? -1);

    beforeAll(async () => {
        issuer = await startIssuer();
        const config = loadStackConfig();
        ({ resources, outputs } = await recordProgram({
            ...config,
            tls: "false",
            rotateRootCredentials: "true",
            jwtAuth: JSON.stringify([{ path: "kubernetes", oidcDiscoveryUrl: issuer.url }]),
            apps: JSON.stringify([...JSON.parse(config.apps), JWT_APP]),
            ciOidc: JSON.stringify({ repository: "acme/infra", issuer: issuer.url }),
        }));
        [postgres, vault] = await Promise.all([startPostgres(), startVault()]);
        await as(vault.rootToken, "PUT", "sys/policies/acl/vault-pg-deployer", { policy: outputs.deployerPolicy });
        const deployer = await as<{ auth: { client_token: string } }>(vault.rootToken, "POST", "auth/token/create", {
            policies: ["vault-pg-deployer"],
            no_default_policy: true,
            ttl: "1h",
        });
        const child = await as<{ auth: { client_token: string } }>(deployer.auth.client_token, "POST", "auth/token/create", { ttl: "30m" });
        providerToken = child.auth.client_token;
    });
    afterAll(async () => {
        await stopAll();
        await issuer?.stop();
    });

    it("applies every Vault resource of the stack and reads each back", async () => {
        await as(providerToken, "GET", "auth/token/lookup-self");
        await applyServerStack(resources, { postgres, vault: { address: vault.address, rootToken: providerToken } });
        const reads = [
            "sys/mounts/database",
            "sys/mounts/database/tune",
            "database/config/app",
            ...Object.keys(outputs.credsPaths).map((role) => `database/roles/${role}`),
            ...Object.values(outputs.apps).map((app) => `sys/policies/acl/${app.policyName}`),
            "sys/auth/approle",
            "sys/mounts/auth/approle/tune",
            ...Object.keys(outputs.apps).filter((app) => app !== JWT_APP.name).flatMap((app) => [`auth/approle/role/${app}`, `auth/approle/role/${app}/role-id`]),
            ...["kubernetes", "github-actions"].flatMap((method) => [`sys/auth/${method}`, `auth/${method}/config`, `sys/mounts/auth/${method}/tune`]),
            `auth/kubernetes/role/${JWT_APP.name}`,
            "auth/github-actions/role/vault-pg-dev-preview",
            "auth/github-actions/role/vault-pg-dev-deploy",
            "sys/policies/acl/vault-pg-dev-preview",
            "sys/policies/acl/vault-pg-dev-deployer",
        ];
        // One after another, as the provider reads one resource at a time.
        const answers: [string, string][] = [];
        for (const apiPath of reads) answers.push([apiPath, await as(providerToken, "GET", apiPath).then(() => "read", (error: Error) => error.message)]);
        expect(answers).toEqual(reads.map((apiPath) => [apiPath, "read"]));

        // What it applied works: an app logs in and gets credentials.
        const token = await loginApp(vault.address, vault.rootToken, outputs.apps.web.loginPath, "web");
        const creds = await readCreds(vault.address, token, outputs.credsPaths.readonly);
        await vaultRequest(vault.address, token, "PUT", `sys/leases/revoke/${creds.leaseId}`);
    });

    it("cannot read credentials, sys/raw, or write a policy, mount or auth method outside its names (403 each)", async () => {
        const denied = [
            ["GET", outputs.credsPaths.readonly],
            ["GET", outputs.credsPaths.owner],
            ["GET", "sys/raw/core/keyring"],
            ["PUT", "sys/policies/acl/not-the-stacks", { policy: 'path "secret/*" { capabilities = ["read"] }' }],
            ["PUT", "sys/policies/acl/root", { policy: 'path "*" { capabilities = ["sudo"] }' }],
            ["POST", "sys/mounts/not-the-stacks", { type: "kv" }],
            ["POST", "sys/auth/not-the-stacks", { type: "approle" }],
            ["POST", "auth/approle/role/not-the-stacks", { token_policies: ["vault-pg-deployer"] }],
            ["POST", "auth/approle/role/web/secret-id", {}],
            ["POST", "auth/kubernetes/role/not-the-stacks", { role_type: "jwt", user_claim: "sub", bound_audiences: ["vault"] }],
            ["POST", "sys/auth/jwt", { type: "jwt" }],
        ] as const;
        const answers = await Promise.all(
            denied.map(async ([method, apiPath, body]) => [method, apiPath, await status(as(providerToken, method, apiPath, body as Record<string, unknown> | undefined))]),
        );
        expect(answers).toEqual(denied.map(([method, apiPath]) => [method, apiPath, 403]));
    });
});
