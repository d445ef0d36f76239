/** The dev stack program with a static role and the per-app agent configs it exports. */
import { byType, findResource, installMocks, isSecret, loadStackConfig, MockRecorder, plain, resolve, TYPES } from "../helpers/pulumi-mocks";

describe("the dev stack program with a static role", () => {
    let recorder: MockRecorder;
    let program: typeof import("../../index");

    beforeAll(async () => {
        const config = loadStackConfig();
        recorder = await installMocks("dev", {
            ...config,
            staticRoles: JSON.stringify([{ name: "pgbouncer", access: "readonly", rotationPeriod: "1h" }]),
            apps: JSON.stringify([...JSON.parse(config.apps), { name: "pooler", roles: [], staticRoles: ["pgbouncer"] }]),
        });
        program = await import("../../index");
        await Promise.all([resolve(program.apps), resolve(program.agents), resolve(program.staticCredsPaths)]);
        await recorder.settle();
    });

    it("lets a deployer-only token apply it: the deployer policy covers the static role and its connection", () => {
        expect(program.deployerPolicy).toContain('path "database/static-roles/pgbouncer"');
        expect(program.deployerPolicy).toContain('path "database/config/app-pgbouncer"');
    });

    it("gives the static role a connection of its own, like each dynamic role, and declares it once", () => {
        const allowed = byType(recorder.resources, TYPES.connection).map((resource) => plain<{ name: string; allowedRoles: string[] }>(resource.inputs));
        expect(allowed.map((connection) => [connection.name, connection.allowedRoles])).toEqual([
            ["app-readonly", ["readonly"]],
            ["app-readwrite", ["readwrite"]],
            ["app-owner", ["owner"]],
            ["app-pgbouncer", ["pgbouncer"]],
        ]);
        const staticRole = byType(recorder.resources, TYPES.staticRole).map((resource) => plain<{ dbName: string }>(resource.inputs));
        expect(staticRole.map((role) => role.dbName)).toEqual(["app-pgbouncer"]);
        expect(byType(recorder.resources, TYPES.staticRole).map((resource) => plain<{ name: string }>(resource.inputs).name)).toEqual(["pgbouncer"]);
    });

    it("creates the static user after the group it joins", () => {
        const user = findResource(recorder.resources, TYPES.pgRole, "vault-pg-dev-static-pgbouncer-user");
        const group = findResource(recorder.resources, TYPES.pgRole, "vault-pg-dev-access-readonly");
        expect(user.dependencies).toContain(group.urn);
    });

    it("exports where the static password is read, and gives the pooler app read on it alone", async () => {
        expect(await resolve(program.staticCredsPaths)).toEqual({ pgbouncer: "database/static-creds/pgbouncer" });
        const policy = plain<{ policy: string }>(findResource(recorder.resources, TYPES.policy, "vault-pg-dev-app-pooler-policy").inputs).policy;
        expect(policy).toContain('path "database/static-creds/pgbouncer" {\n  capabilities = ["read"]\n}');
        expect(policy).not.toContain("database/creds/");
        expect(policy).not.toContain("sys/leases");
    });

    it("exports an agent config per app with dynamic roles, for its first role, not secret", async () => {
        const agents = await resolve(program.agents);
        expect(Object.keys(agents).sort()).toEqual(["migrations", "reports", "web"]);
        expect(agents.web.roles).toEqual(["readonly", "readwrite"]);
        expect(agents.web.config).toContain('secret_id_file_path                 = "/run/vault-pg/web/secret-id"');
        expect(agents.web.config).toContain('with secret \\"database/creds/readonly\\"');
        expect(await isSecret(program.agents)).toBe(false);
    });
});
