import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { DEFAULTS } from "../../components/validate";
import { byType, installMocks, isSecret, loadStackConfig, MockRecorder, REPO_ROOT, resolve, TYPES } from "../helpers/pulumi-mocks";

describe("the dev stack program", () => {
    let recorder: MockRecorder;
    let program: typeof import("../../index");

    beforeAll(async () => {
        recorder = await installMocks("dev", loadStackConfig());
        program = await import("../../index");
        await resolve(program.apps);
        await recorder.settle();
    });

    it("exports only outputs it has: none undefined, so `pulumi up` warns of none (dev mode has no unseal keys)", async () => {
        const names = Object.keys(program).filter((name) => name !== "default");
        expect(names).not.toContain("vaultUnsealKeys");
        expect(names.filter((name) => (program as Record<string, unknown>)[name] === undefined)).toEqual([]);
        expect(names.sort()).toEqual(
            ["agents", "apps", "caCertificate", "credsPaths", "database", "deployerPolicy", "groupRoles", "mountPath", "postgresAddress", "postgresCaCertificate",
                "postgresSslMode", "postgresSuperuserPassword", "previewPolicy", "roleDatabases", "staticCredsPaths", "vaultAddress", "vaultAdminPassword", "vaultCaCertificate", "vaultFlavor", "vaultMode",
                "vaultRootToken", "vaultAdmins", "vaultAdminPasswords", "connectionBudget"].sort(),
        );
    });

    it("registers both containers, the mount, the connection, a Vault role per configured role", () => {
        const resources = recorder.resources;
        expect(byType(resources, TYPES.container).map((r) => r.name).sort()).toEqual(["vault-pg-dev-postgres", "vault-pg-dev-vault"]);
        expect(byType(resources, TYPES.mount)).toHaveLength(1);
        // The default layout: one connection config, so one plugin lock, per role.
        expect(byType(resources, TYPES.connection).map((r) => [r.inputs.name, r.inputs.allowedRoles])).toEqual([
            ["app-readonly", ["readonly"]],
            ["app-readwrite", ["readwrite"]],
            ["app-owner", ["owner"]],
        ]);
        expect(byType(resources, TYPES.role).map((r) => r.inputs.name).sort()).toEqual(["owner", "readonly", "readwrite"]);
        expect(byType(resources, TYPES.policy).map((r) => r.inputs.name).sort()).toEqual(["migrations-db", "reports-db", "web-db"]);
        expect(byType(resources, TYPES.approleRole).map((r) => r.inputs.roleName).sort()).toEqual(["migrations", "reports", "web"]);
    });

    it("exports the creds path of every role", async () => {
        expect(await resolve(program.credsPaths)).toEqual({
            readonly: "database/creds/readonly",
            readwrite: "database/creds/readwrite",
            owner: "database/creds/owner",
        });
    });

    it("exports the root token and passwords only as secrets", async () => {
        expect(await isSecret(program.vaultRootToken!)).toBe(true);
        expect(await isSecret(program.postgresSuperuserPassword!)).toBe(true);
        expect(await isSecret(program.vaultAdminPassword)).toBe(true);
        expect(await isSecret(program.vaultAdminPasswords)).toBe(true);
        expect(await isSecret(program.vaultAdmins)).toBe(false);
        expect(await isSecret(program.credsPaths)).toBe(false);
    });

    it("exports where to reach Vault and PostgreSQL and the group roles", async () => {
        expect(await resolve(program.vaultAddress)).toBe("https://127.0.0.1:18200");
        expect(program.vaultFlavor).toBe("vault");
        expect(await resolve(program.postgresAddress)).toBe("127.0.0.1:15432");
        expect(await resolve(program.mountPath)).toBe("database");
        expect(await resolve(program.database)).toBe("app");
        expect(program.groupRoles).toEqual({ readonly: "app_readonly", readwrite: "app_readwrite", owner: "app_owner" });
        // What `npm run doctor` inspects the deployment against: each database's Vault admin, its password, the budget.
        expect(await resolve(program.vaultAdmins)).toEqual({ app: "vault_admin" });
        expect(await resolve(program.vaultAdminPasswords)).toEqual({ app: await resolve(program.vaultAdminPassword) });
        expect(program.connectionBudget).toBe(20);
        expect(await resolve(program.apps)).toEqual({
            web: { method: "approle", policyName: "web-db", roleId: "mock-role-id-web", loginPath: "auth/approle/login", role: "web" },
            migrations: { method: "approle", policyName: "migrations-db", roleId: "mock-role-id-migrations", loginPath: "auth/approle/login", role: "migrations" },
            reports: { method: "approle", policyName: "reports-db", roleId: "mock-role-id-reports", loginPath: "auth/approle/login", role: "reports" },
        });
    });
});

describe("Pulumi.yaml", () => {
    const project = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
        name: string;
        main: string;
        backend: { url: string };
        config: Record<string, { type: string; default?: unknown; description?: string }>;
    };

    it("runs index.ts on a local file backend", () => {
        expect(project.name).toBe("vault-pg");
        expect(project.main).toBe("index.ts");
        expect(project.backend.url).toMatch(/^file:\/\//);
    });

    it("gives every typed key a default, since the CLI requires a typed key without one", () => {
        const required = Object.entries(project.config).filter(([, declared]) => declared.type !== undefined && !("default" in declared));
        expect(required.map(([key]) => key)).toEqual([]);
    });

    it("leaves the Vault image to the flavor (empty default), and names both flavor defaults", () => {
        expect(project.config.vaultImage.default).toBe("");
        expect(project.config.vaultImage.description).toContain(DEFAULTS.vaultImages.vault);
        expect(project.config.vaultImage.description).toContain(DEFAULTS.vaultImages.openbao);
    });
});
