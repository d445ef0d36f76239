/**
 * The composite with JWT logins and CI's OIDC logins, under mocks: which auth methods and roles it declares, what
 * each role is bound to, what the apps and agents outputs tell an app, and what the deployer and preview policies allow.
 * The live suite (test/live/jwt.test.ts) logs in with real tokens against these declarations.
 */
import { renderAgentConfig } from "../../components/agent-config";
import { parsePolicyPaths } from "../../policies/rules";
import { JWT_STACK_ARGS, JWT_STACK_PEM_KEY as PEM_KEY } from "../helpers/jwt-stack-args";
import { byType, findResource, installMocks, plain, RecordedResource, resolve, TYPES } from "../helpers/pulumi-mocks";


describe("VaultPostgres with JWT and CI OIDC logins", () => {
    let all: RecordedResource[];
    let apps: Record<string, unknown>;
    let agents: Record<string, { config: string }>;
    let ciLogin: unknown;
    let deployerPolicy: string;
    let previewPolicy: string;

    beforeAll(async () => {
        const recorder = await installMocks("test");
        const c = await import("../../components");
        const stack = new c.VaultPostgres("team", JWT_STACK_ARGS);
        [apps, agents, ciLogin] = await Promise.all([resolve(stack.apps), resolve(stack.agents), resolve(stack.ciLogin!)]);
        deployerPolicy = stack.deployerPolicy;
        previewPolicy = stack.previewPolicy;
        all = await recorder.settle();
    });

    it("enables one JWT auth method per issuer it owns, with that issuer's keys, and only reads an existing one", () => {
        const backends = byType(all, TYPES.jwtAuthBackend).map((resource) => plain<Record<string, unknown>>(resource.inputs));
        expect(backends).toEqual([
            expect.objectContaining({ type: "jwt", path: "kubernetes", oidcDiscoveryUrl: "https://oidc.cluster.example" }),
            expect.objectContaining({ type: "jwt", path: "offline", jwtValidationPubkeys: [PEM_KEY], boundIssuer: "https://issuer.example" }),
            expect.objectContaining({ type: "jwt", path: "github-actions", oidcDiscoveryUrl: "https://token.actions.githubusercontent.com", boundIssuer: "https://token.actions.githubusercontent.com" }),
        ]);
    });

    it("binds each JWT app's role to its claims, with its policy alone and no AppRole role", () => {
        const orders = plain<Record<string, unknown>>(findResource(all, TYPES.jwtRole, "team-app-orders-jwt").inputs);
        expect(orders).toEqual({
            backend: "kubernetes",
            roleName: "orders",
            roleType: "jwt",
            boundAudiences: ["vault"],
            boundSubject: "system:serviceaccount:shop:orders",
            userClaim: "sub",
            tokenPolicies: ["orders-db"],
            tokenNoDefaultPolicy: true,
            tokenTtl: 3600,
            tokenMaxTtl: 7200,
            tokenType: "service",
        });
        expect(plain<Record<string, unknown>>(findResource(all, TYPES.jwtRole, "team-app-batch-jwt").inputs)).toMatchObject({ backend: "shared-k8s", boundSubject: "batch" });
        expect(byType(all, TYPES.approleRole).map((resource) => plain<{ roleName: string }>(resource.inputs).roleName)).toEqual(["legacy"]);
    });

    it("tells each app how it logs in, and renders a JWT app's agent config from the projected token", () => {
        expect((apps as Record<string, unknown>).orders).toEqual({ method: "jwt", policyName: "orders-db", loginPath: "auth/kubernetes/login", role: "orders" });
        expect((apps as Record<string, unknown>).legacy).toMatchObject({ method: "approle", loginPath: "auth/approle/login", role: "legacy", roleId: expect.any(String) });
        expect(agents.orders.config).toContain('    type       = "jwt"\n    mount_path = "auth/kubernetes"\n');
        expect(agents.orders.config).toContain('      path                     = "/var/run/secrets/tokens/vault-pg"\n      role                     = "orders"\n');
        expect(agents.batch.config).toContain('      path                     = "/run/vault-pg/batch/jwt"\n');
        expect(agents.legacy.config).toContain('type       = "approle"');
    });

    it("gives CI a preview role for the repository and a deploy role for its default branch in the environment", () => {
        const preview = plain<Record<string, unknown>>(findResource(all, TYPES.jwtRole, "team-ci-preview-role").inputs);
        const deploy = plain<Record<string, unknown>>(findResource(all, TYPES.jwtRole, "team-ci-deploy-role").inputs);
        expect(preview).toMatchObject({ backend: "github-actions", roleName: "team-preview", boundAudiences: ["https://github.com/acme"], boundClaims: { repository: "acme/infra" }, tokenPolicies: ["team-preview"], tokenTtl: 900 });
        expect(deploy).toMatchObject({
            roleName: "team-deploy",
            boundClaims: { repository: "acme/infra", ref: "refs/heads/main", environment: "production" },
            boundClaimsType: "string",
            tokenPolicies: ["team-deployer"],
            tokenNoDefaultPolicy: true,
        });
        const policies = Object.fromEntries(byType(all, TYPES.policy).map((resource) => plain<{ name: string; policy: string }>(resource.inputs)).map((policy) => [policy.name, policy.policy]));
        expect(policies["team-preview"]).toBe(previewPolicy);
        expect(policies["team-deployer"]).toBe(deployerPolicy);
        expect(ciLogin).toEqual({ loginPath: "auth/github-actions/login", audience: "https://github.com/acme", previewRole: "team-preview", deployRole: "team-deploy" });
    });

    it("lets the deployer manage its JWT methods and roles, and only read the shared one", () => {
        const rules = Object.fromEntries(parsePolicyPaths(deployerPolicy).map((rule) => [rule.path, rule.capabilities]));
        expect(rules["sys/auth/kubernetes"]).toEqual(["create", "read", "update", "delete", "sudo"]);
        expect(rules["auth/kubernetes/config"]).toEqual(["create", "read", "update"]);
        expect(rules["sys/auth/shared-k8s"]).toEqual(["read", "sudo"]);
        expect(rules["auth/shared-k8s/config"]).toEqual(["read"]);
        for (const path of ["auth/kubernetes/role/orders", "auth/shared-k8s/role/batch", "auth/github-actions/role/team-preview", "auth/github-actions/role/team-deploy", "sys/policies/acl/team-deployer"]) {
            expect([path, rules[path]]).toEqual([path, ["create", "read", "update", "delete"]]);
        }
        expect(rules["auth/approle/role/orders"]).toBeUndefined();
    });

    it("lets a preview read every path the deployer reads and write none, but for the provider's child token", () => {
        const deployerReads = parsePolicyPaths(deployerPolicy).filter((rule) => rule.capabilities.includes("read")).map((rule) => rule.path);
        const preview = parsePolicyPaths(previewPolicy);
        expect(preview.filter((rule) => rule.capabilities.includes("read")).map((rule) => rule.path)).toEqual(deployerReads);
        const writes = preview.filter((rule) => rule.capabilities.some((capability) => !["read", "list", "sudo"].includes(capability)));
        expect(writes).toEqual([{ path: "auth/token/create", capabilities: ["update"] }]);
    });
});

describe("renderAgentConfig with a JWT login", () => {
    it("reads the token the platform writes, again for every login, and never removes it", () => {
        const config = renderAgentConfig({
            vaultAddress: "https://vault:8200",
            loginPath: "auth/kubernetes/login",
            jwt: { role: "orders", tokenFile: "/var/run/secrets/tokens/vault-pg" },
            credsPath: "database/creds/writer",
            postgres: { host: "db", port: 5432, database: "app" },
            outputDir: "/run/orders",
            reload: { signalPidFile: "/run/orders/app.pid" },
        });
        expect(config).toContain(
            [
                "  method {",
                '    type       = "jwt"',
                '    mount_path = "auth/kubernetes"',
                "    config = {",
                '      path                     = "/var/run/secrets/tokens/vault-pg"',
                '      role                     = "orders"',
                "      remove_jwt_after_reading = false",
                "    }",
                "  }",
            ].join("\n"),
        );
        expect(config).not.toContain("role_id_file_path");
    });

    it("refuses an AppRole login without its files", () => {
        expect(() =>
            renderAgentConfig({ vaultAddress: "https://v", loginPath: "auth/approle/login", credsPath: "d/creds/r", postgres: { host: "h", port: 1, database: "d" }, outputDir: "/o", reload: { exec: ["app"] } }),
        ).toThrow("renderAgentConfig: an AppRole login needs roleIdFile and secretIdFile (or give jwt)");
    });
});

describe("an existing Vault without vaultToken (a CI job logged in with OIDC)", () => {
    const developersToken = process.env.VAULT_TOKEN;
    afterAll(() => {
        if (developersToken === undefined) delete process.env.VAULT_TOKEN;
        else process.env.VAULT_TOKEN = developersToken;
    });

    it("gives the Vault provider no token, so it and the lease revocations use the job's VAULT_TOKEN, and keeps none in state", async () => {
        process.env.VAULT_TOKEN = "job-token";
        const recorder = await installMocks("test");
        const c = await import("../../components");
        new c.VaultPostgres("ci", {
            existingPostgres: { host: "db.internal", superuserPassword: "pw", sslMode: "require" },
            existingVault: { address: "https://vault.internal:8200" },
            mountPath: "shared-db",
            sharedMount: true,
            roles: [{ name: "reader", access: "readonly", defaultTtl: "1h", maxTtl: "2h" }],
        });
        const all = await recorder.settle();
        const provider = plain<Record<string, unknown>>(byType(all, TYPES.vaultProvider)[0].inputs);
        expect(provider).toMatchObject({ address: "https://vault.internal:8200" });
        expect(provider).not.toHaveProperty("token");
        expect(plain<{ token: string }>(byType(all, TYPES.leaseRevocation)[0].inputs).token).toBe("");
        expect(JSON.stringify(all.map((resource) => resource.inputs))).not.toContain("job-token");
    });
});
