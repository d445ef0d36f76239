/**
 * VaultPostgres alone under mocks, with OpenBao and non-default names: the shape of the whole graph (one root, every
 * child parented and named after its parent), which provider each resource uses, and the dependencies and options
 * that make the mount go before PostgreSQL on destroy, with the connection and roles deleted with it. Per-child inputs are in components.test.ts.
 */
import { findResource, installMocks, MockRecorder, plain, providerUrn, RecordedResource, resolve, TYPES } from "../helpers/pulumi-mocks";

type Components = typeof import("../../components");

describe("VaultPostgres graph", () => {
    let recorder: MockRecorder;
    let all: RecordedResource[];
    let stack: InstanceType<Components["VaultPostgres"]>;

    const named = (type: string, name: string): RecordedResource => findResource(all, type, name);
    const byUrn = (urn: string): RecordedResource | undefined => all.find((resource) => resource.urn === urn);
    const customDescendants = (root: RecordedResource): RecordedResource[] => {
        const children = all.filter((resource) => resource.parent === root.urn);
        return children.flatMap((child) => (child.custom ? [child, ...customDescendants(child)] : customDescendants(child)));
    };

    beforeAll(async () => {
        recorder = await installMocks("test");
        const c = await import("../../components");
        stack = new c.VaultPostgres("bao", {
            flavor: "openbao",
            vault: { hostPort: 28200 },
            postgres: { hostPort: 25432 },
            database: "shop",
            mountPath: "team/db",
            connections: "single",
            roles: [
                { name: "reader", access: "readonly", defaultTtl: "1h", maxTtl: "1d" },
                { name: "writer", access: "readwrite", defaultTtl: "1h", maxTtl: "1d" },
                { name: "migrator", access: "owner", defaultTtl: "5m", maxTtl: "1h" },
            ],
            apps: [
                { name: "web", roles: ["reader", "writer"] },
                { name: "deploy", roles: ["migrator"] },
            ],
        });
        await Promise.all([resolve(stack.apps), resolve(stack.credsPaths)]);
        all = await recorder.settle();
    });

    it("has one root, the composite; every other resource has a recorded component as parent", () => {
        const roots = all.filter((resource) => resource.parent === "");
        expect(roots.map((resource) => [resource.type, resource.name])).toEqual([["vault-pg:index:VaultPostgres", "bao"]]);
        for (const resource of all.filter((entry) => entry.parent !== "")) {
            expect(byUrn(resource.parent)?.type).toMatch(/^vault-pg:/);
        }
    });

    it("names every child after its parent, so two composites never collide", () => {
        for (const resource of all.filter((entry) => entry.parent !== "")) {
            const parentName = byUrn(resource.parent)!.name;
            expect(resource.name === parentName || resource.name.startsWith(`${parentName}-`)).toBe(true);
        }
    });

    it("sends every Vault resource through the VaultServer's provider, built from the published port", () => {
        const provider = named(TYPES.vaultProvider, "bao-vault-provider");
        expect(provider.parent).toBe(named("vault-pg:vault:VaultServer", "bao-vault").urn);
        expect(plain(provider.inputs)).toMatchObject({ address: "https://127.0.0.1:28200" });
        const vaultResources = all.filter((resource) => resource.type.startsWith("vault:"));
        // mount, connection, 3 roles, auth backend, 2 x (policy, approle role)
        expect(vaultResources).toHaveLength(10);
        for (const resource of vaultResources) expect(providerUrn(resource.provider)).toBe(provider.urn);
    });

    it("sends every PostgreSQL resource through the access model's provider, to the published port", () => {
        const provider = named(TYPES.pgProvider, "bao-access-provider");
        expect(plain(provider.inputs)).toMatchObject({ host: "127.0.0.1", port: "25432", username: "postgres", database: "postgres" });
        const pgResources = all.filter((resource) => resource.type.startsWith("postgresql:"));
        expect(pgResources.length).toBeGreaterThan(0);
        for (const resource of pgResources) expect(providerUrn(resource.provider)).toBe(provider.urn);
    });

    it("runs OpenBao when asked", () => {
        expect(plain(named(TYPES.image, "bao-vault-image").inputs)).toMatchObject({ name: "openbao/openbao:2.4" });
        const envs = plain<string[]>(named(TYPES.container, "bao-vault").inputs.envs);
        expect(envs.map((env) => env.split("=")[0])).toEqual(["BAO_DEV_ROOT_TOKEN_ID", "BAO_DEV_LISTEN_ADDRESS", "SKIP_SETCAP"]);
    });

    it("puts the mount and the connection after every PostgreSQL resource and the container, so they go first on destroy", () => {
        const postgresSide = [
            ...customDescendants(named("vault-pg:postgres:PostgresAccessModel", "bao-access")).filter((resource) => resource.type.startsWith("postgresql:")),
            named(TYPES.container, "bao-postgres"),
        ];
        expect(postgresSide.length).toBeGreaterThan(20);
        for (const resource of [named(TYPES.mount, "bao-engine-mount"), named(TYPES.connection, "bao-engine-connection")]) {
            expect(resource.dependencies).toEqual(expect.arrayContaining(postgresSide.map((entry) => entry.urn)));
        }
    });

    it("deletes the connection and every Vault role with the mount, so unmounting revokes the leases while the connection exists", () => {
        const mount = named(TYPES.mount, "bao-engine-mount").urn;
        const deletedWithMount = all.filter((resource) => resource.custom && resource.deletedWith === mount);
        expect(deletedWithMount.map((resource) => resource.type).sort()).toEqual([TYPES.connection, TYPES.role, TYPES.role, TYPES.role]);
        // The mount itself is deleted by its provider: DELETE sys/mounts/<path> is what revokes the leases.
        expect(named(TYPES.mount, "bao-engine-mount").deletedWith).not.toBe(mount);
    });

    it("replaces every Vault resource with the dev server's container; only the mount is deleted on its own before it", () => {
        const container = named(TYPES.container, "bao-vault").urn;
        const mount = named(TYPES.mount, "bao-engine-mount").urn;
        const vaultResources = all.filter((resource) => resource.custom && resource.type.startsWith("vault:"));
        expect(vaultResources.length).toBe(1 + 1 + 3 + 1 + 2 + 2);
        for (const resource of vaultResources) {
            expect([resource.name, resource.replaceWith]).toEqual([resource.name, [container]]);
        }
        // Each resource's own tie: with the mount (connection and roles), with the container (auth, policies, AppRole
        // roles), or none for the mount, which its own delete removes. The mocks record an unset deletedWith as "".
        const unset = "";
        expect(Object.fromEntries(vaultResources.map((resource) => [resource.name, resource.deletedWith]))).toEqual({
            "bao-engine-mount": unset,
            "bao-engine-connection": mount,
            "bao-role-reader-role": mount,
            "bao-role-writer-role": mount,
            "bao-role-migrator-role": mount,
            "bao-approle-backend": container,
            "bao-app-web-policy": container,
            "bao-app-web-approle": container,
            "bao-app-deploy-policy": container,
            "bao-app-deploy-approle": container,
        });
        // Unmounting revokes the open leases and drops their users: it must run, before the container goes.
        expect(named(TYPES.mount, "bao-engine-mount").deletedWith).toBe(unset);
        expect(named(TYPES.authBackend, "bao-approle-backend").deletedWith).toBe(container);
        expect(all.filter((resource) => resource.type === TYPES.policy).map((resource) => resource.deletedWith)).toEqual([container, container]);
    });

    it("puts every role after the connection, and the Vault provider after the Vault container", () => {
        const connection = named(TYPES.connection, "bao-engine-connection").urn;
        for (const role of all.filter((resource) => resource.type === TYPES.role)) expect(role.dependencies).toContain(connection);
        // Through the provider, whose address resolves once the container is healthy.
        expect(named(TYPES.vaultProvider, "bao-vault-provider").dependencies).toContain(named(TYPES.container, "bao-vault").urn);
    });

    it("connects Vault to PostgreSQL over the shared network by container name", () => {
        const postgresContainer = plain<{ networksAdvanced: { name: string }[] }>(named(TYPES.container, "bao-postgres").inputs);
        const vaultContainer = plain<{ networksAdvanced: { name: string }[] }>(named(TYPES.container, "bao-vault").inputs);
        expect(vaultContainer.networksAdvanced[0].name).toBe("bao-postgres-network");
        expect(postgresContainer.networksAdvanced[0].name).toBe("bao-postgres-network");
        expect(plain<{ postgresql: { connectionUrl: string } }>(named(TYPES.connection, "bao-engine-connection").inputs).postgresql.connectionUrl).toBe(
            // OpenBao has no inline TLS fields: the stack CA as a file in its container, verify-full on the container name.
            "postgresql://{{username}}:{{password}}@bao-postgres:5432/shop?sslmode=verify-full&sslrootcert=/etc/vault-pg/tls/ca.crt",
        );
    });

    it("outputs creds paths under its mount and each app's login", async () => {
        expect(await resolve(stack.credsPaths)).toEqual({
            reader: "team/db/creds/reader",
            writer: "team/db/creds/writer",
            migrator: "team/db/creds/migrator",
        });
        expect(await resolve(stack.apps)).toEqual({
            web: { method: "approle", policyName: "web-db", roleId: "mock-role-id-web", loginPath: "auth/approle/login", role: "web" },
            deploy: { method: "approle", policyName: "deploy-db", roleId: "mock-role-id-deploy", loginPath: "auth/approle/login", role: "deploy" },
        });
        expect(stack.groupRoles).toEqual({ readonly: "shop_readonly", readwrite: "shop_readwrite", owner: "shop_owner" });
        expect(stack.vault?.flavor).toBe("openbao");
    });
});

describe("VaultPostgres on existing servers", () => {
    let all: RecordedResource[];

    beforeAll(async () => {
        const recorder = await installMocks("existing");
        const c = await import("../../components");
        const stack = new c.VaultPostgres("prod", {
            existingPostgres: { host: "db.internal", port: 6432, vaultHost: "db.vault-net", superuserPassword: "pg-secret", sslMode: "verify-full" },
            existingVault: { address: "https://vault.internal:8200", token: "deployer-token" },
            roles: [{ name: "reader", access: "readonly", defaultTtl: "1h", maxTtl: "1d" }],
            apps: [{ name: "web", roles: ["reader"] }],
        });
        await resolve(stack.apps);
        all = await recorder.settle();
    });

    it("runs no container, image, network or volume", () => {
        expect(all.filter((resource) => resource.type.startsWith("docker:"))).toEqual([]);
    });

    it("administers PostgreSQL at the given address with TLS, and has Vault connect at its own host on the same port", () => {
        // Provider inputs travel as strings (the SDK serializes provider config as JSON).
        expect(plain(findResource(all, TYPES.pgProvider, "prod-access-provider").inputs)).toMatchObject({ host: "db.internal", port: "6432", sslmode: "verify-full" });
        expect(plain<{ postgresql: { connectionUrl: string } }>(findResource(all, TYPES.connection, "prod-engine-connection-reader").inputs).postgresql.connectionUrl).toBe(
            "postgresql://{{username}}:{{password}}@db.vault-net:6432/app?sslmode=verify-full",
        );
    });

    it("sends every Vault resource through a provider for the given address and token, tied to no container", () => {
        const provider = findResource(all, TYPES.vaultProvider, "prod-vault-provider");
        expect(plain(provider.inputs)).toMatchObject({ address: "https://vault.internal:8200", token: "deployer-token" });
        for (const resource of all.filter((entry) => entry.custom && entry.type.startsWith("vault:"))) {
            expect(providerUrn(resource.provider)).toBe(provider.urn);
            expect(resource.replaceWith).toEqual([]);
        }
        // No container to go with: only the connection and the role go with the mount; the rest have no deletedWith.
        const mount = findResource(all, TYPES.mount, "prod-engine-mount").urn;
        const unset = "";
        expect(Object.fromEntries(all.filter((entry) => entry.custom && entry.type.startsWith("vault:")).map((entry) => [entry.name, entry.deletedWith]))).toEqual({
            "prod-engine-mount": unset,
            "prod-engine-connection-reader": mount,
            "prod-role-reader-role": mount,
            "prod-approle-backend": unset,
            "prod-app-web-policy": unset,
            "prod-app-web-approle": unset,
        });
    });
});
