import { byType, installMocks, isSecret, loadStackConfig, MockRecorder, resolve, TYPES } from "../helpers/pulumi-mocks";

describe("the dev stack program", () => {
    let recorder: MockRecorder;
    let program: typeof import("../../index");

    beforeAll(async () => {
        recorder = await installMocks("dev", loadStackConfig());
        program = await import("../../index");
        await resolve(program.apps);
        await recorder.settle();
    });

    it("registers both containers, the mount, the connection, a Vault role per configured role", () => {
        const resources = recorder.resources;
        expect(byType(resources, TYPES.container).map((r) => r.name).sort()).toEqual(["vault-pg-dev-postgres", "vault-pg-dev-vault"]);
        expect(byType(resources, TYPES.mount)).toHaveLength(1);
        expect(byType(resources, TYPES.connection)).toHaveLength(1);
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
        expect(await isSecret(program.vaultRootToken)).toBe(true);
        expect(await isSecret(program.postgresSuperuserPassword)).toBe(true);
        expect(await isSecret(program.vaultAdminPassword)).toBe(true);
        expect(await isSecret(program.credsPaths)).toBe(false);


    });
});
