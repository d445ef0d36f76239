/**
 * A stack on a mount and an AppRole auth method that other stacks share: it reads them instead of creating them, its
 * connection configs and roles are deleted on their own (nothing goes with a mount that stays), and each role's
 * leases are revoked before the role and its connection go.
 */
import { byType, findResource, installMocks, MockRecorder, plain, RecordedResource, resolve, TYPES } from "../helpers/pulumi-mocks";

const role = (name: string) => ({ name, access: "readonly" as const, defaultTtl: "1h", maxTtl: "2h" });
const existingPostgres = { host: "db.internal", superuserPassword: "pw", sslMode: "require" as const };
const existingVault = { address: "https://vault.internal:8200", token: "deployer-token" };

describe("VaultPostgres on a shared mount and AppRole", () => {
    let recorder: MockRecorder;
    let all: RecordedResource[];
    let deployerPolicy: string;

    beforeAll(async () => {
        recorder = await installMocks("test");
        const c = await import("../../components");
        const stack = new c.VaultPostgres("alpha", {
            existingPostgres,
            existingVault,
            database: "alpha",
            vaultAdminUsername: "alpha_vault_admin",
            mountPath: "shared-db",
            sharedMount: true,
            sharedApprole: true,
            roles: [role("alpha-read"), role("alpha-report")],
            apps: [{ name: "alpha-app", roles: ["alpha-read"] }],
        });
        await Promise.all([resolve(stack.credsPaths), resolve(stack.apps)]);
        deployerPolicy = stack.deployerPolicy;
        all = await recorder.settle();
    });

    it("creates neither the mount nor the auth method, and writes into the shared mount's path", () => {
        expect(byType(all, TYPES.mount)).toEqual([]);
        expect(byType(all, TYPES.authBackend)).toEqual([]);
        const connection = plain<{ backend: string; name: string }>(findResource(all, TYPES.connection, "alpha-engine-connection-alpha-read").inputs);
        expect(connection).toMatchObject({ backend: "shared-db", name: "alpha-alpha-read" });
        expect(plain<{ backend: string }>(findResource(all, TYPES.approleRole, "alpha-app-alpha-app-approle").inputs).backend).toBe("approle");
    });

    it("deletes its connection configs and roles itself: none is retained or deleted with a mount that stays", () => {
        for (const resource of [...byType(all, TYPES.connection), ...byType(all, TYPES.role)]) {
            expect(resource.retainOnDelete).toBe(false);
            expect(resource.deletedWith).toBe("");
        }
    });

    it("revokes each role's leases before the role and its connection go, with the stack's own token", () => {
        const revocations = byType(all, TYPES.leaseRevocation);
        expect(revocations.map((resource) => plain<{ prefix: string }>(resource.inputs).prefix).sort()).toEqual(["shared-db/creds/alpha-read", "shared-db/creds/alpha-report"]);
        const revocation = findResource(all, TYPES.leaseRevocation, "alpha-revoke-alpha-read");
        expect(revocation.dependencies).toContain(findResource(all, TYPES.role, "alpha-role-alpha-read-role").urn);
        expect(revocation.dependencies).toContain(findResource(all, TYPES.connection, "alpha-engine-connection-alpha-read").urn);
        expect(plain(revocation.inputs)).toMatchObject({ address: existingVault.address, token: existingVault.token });
        expect(revocation.additionalSecretOutputs).toContain("token");
    });

    it("asks the deployer token for what that needs: read on the mount, sudo on each role's lease prefix, no mounting", () => {
        expect(deployerPolicy).toContain('path "sys/leases/revoke-prefix/shared-db/creds/alpha-read" {\n  capabilities = ["update", "sudo"]');
        expect(deployerPolicy).toContain('path "sys/mounts/shared-db" {\n  capabilities = ["read"]');
        expect(deployerPolicy).not.toContain("sys/mounts/shared-db/tune");
    });

    it("refuses a shared mount without an existing Vault: a Vault the stack runs is its own", async () => {
        const c = await import("../../components");
        expect(() => new c.VaultPostgres("own", { roles: [role("r")], sharedMount: true })).toThrow(
            "VaultPostgres own: sharedMount = true: shares a mount of an existing Vault with other stacks; set existingVault too (a Vault the stack runs is its own)",
        );
    });
});
