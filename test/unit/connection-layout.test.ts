/**
 * Roles spread over several connection configs (one plugin lock each): which connection serves which role, the
 * graph the engine and the composite declare for each layout, and the config checks.
 */
import * as vault from "@pulumi/vault";
import { findResource, installMocks, MockRecorder, plain, RecordedResource, resolve, TYPES } from "../helpers/pulumi-mocks";

import { connectionGroups } from "../../components/connection-layout";

type Components = typeof import("../../components");

const ROLES = [
    { name: "reader", access: "readonly" as const },
    { name: "reporter", access: "readonly" as const },
    { name: "writer", access: "readwrite" as const },
];

describe("connection layouts", () => {
    let recorder: MockRecorder;
    let c: Components;
    let all: RecordedResource[];
    let perRole: InstanceType<Components["DatabaseSecretsEngine"]>;
    let perAccess: InstanceType<Components["DatabaseSecretsEngine"]>;
    let shop: InstanceType<Components["VaultPostgres"]>;

    const connectionInputs = (name: string): { name: string; allowedRoles: string[] } => plain(findResource(all, TYPES.connection, name).inputs);
    const engineArgs = {
        database: "orders",
        host: "pg.internal",
        port: 5432,
        adminUsername: "vault_admin",
        adminPassword: "pw",
        allowedRoles: ROLES.map((role) => role.name),
        accessLevels: Object.fromEntries(ROLES.map((role) => [role.name, role.access])),
    };

    beforeAll(async () => {
        recorder = await installMocks("test");
        c = await import("../../components");
        const provider = new vault.Provider("vault-under-test", { address: "http://vault.test:8200", token: "t" });
        perRole = new c.DatabaseSecretsEngine("by-role", { ...engineArgs, connections: "per-role" }, { providers: [provider] });
        perAccess = new c.DatabaseSecretsEngine("by-access", { ...engineArgs, mountPath: "access-db", connections: "per-access" }, { providers: [provider] });
        shop = new c.VaultPostgres("shop", {
            database: "shop",
            roles: [
                { name: "reader", access: "readonly", defaultTtl: "1h", maxTtl: "2h" },
                { name: "writer", access: "readwrite", defaultTtl: "1h", maxTtl: "2h" },
            ],
            apps: [{ name: "web", roles: ["reader", "writer"] }],
        });
        await Promise.all([resolve(perRole.connectionNames), resolve(perAccess.connectionNames), resolve(shop.apps)]);
        all = await recorder.settle();
    });

    describe("connectionGroups", () => {
        it("puts every role on one connection with the base name for single", () => {
            expect(connectionGroups("single", ROLES)).toEqual([{ suffix: "", roles: ["reader", "reporter", "writer"] }]);
        });

        it("gives each role its own connection for per-role", () => {
            expect(connectionGroups("per-role", ROLES)).toEqual([
                { suffix: "-reader", roles: ["reader"] },
                { suffix: "-reporter", roles: ["reporter"] },
                { suffix: "-writer", roles: ["writer"] },
            ]);
        });

        it("groups roles by access level for per-access, leaving out levels without a role", () => {
            expect(connectionGroups("per-access", ROLES)).toEqual([
                { suffix: "-readonly", roles: ["reader", "reporter"] },
                { suffix: "-readwrite", roles: ["writer"] },
            ]);
        });
    });

    describe("DatabaseSecretsEngine", () => {
        it("writes one connection per role, each allowing exactly its role", async () => {
            expect(connectionInputs("by-role-connection-reader")).toMatchObject({ name: "orders-reader", allowedRoles: ["reader"] });
            expect(connectionInputs("by-role-connection-reporter")).toMatchObject({ name: "orders-reporter", allowedRoles: ["reporter"] });
            expect(connectionInputs("by-role-connection-writer")).toMatchObject({ name: "orders-writer", allowedRoles: ["writer"] });
            expect(await resolve(perRole.connectionNames)).toEqual({ reader: "orders-reader", reporter: "orders-reporter", writer: "orders-writer" });
        });

        it("writes one connection per access level in use, each allowing exactly the roles of that level", async () => {
            expect(connectionInputs("by-access-connection-readonly")).toMatchObject({ name: "orders-readonly", allowedRoles: ["reader", "reporter"] });
            expect(connectionInputs("by-access-connection-readwrite")).toMatchObject({ name: "orders-readwrite", allowedRoles: ["writer"] });
            expect(all.some((resource) => resource.name === "by-access-connection-owner")).toBe(false);
            expect(await resolve(perAccess.connectionNames)).toEqual({ reader: "orders-readonly", reporter: "orders-readonly", writer: "orders-readwrite" });
        });

        it("keeps every connection on delete, so a removed role's open leases stay revocable until the mount goes", () => {
            const connections = all.filter((resource) => resource.type === TYPES.connection);
            expect(connections.length).toBe(3 + 2 + 2);
            for (const connection of connections) expect([connection.name, connection.retainOnDelete]).toEqual([connection.name, true]);
        });

        it("rejects an unknown layout, and per-access without every role's access level", () => {
            expect(() => new c.DatabaseSecretsEngine("bad", { ...engineArgs, connections: "per-app" as never })).toThrow(
                'DatabaseSecretsEngine bad: connections = "per-app": unknown connection layout; expected one of bounded, single, per-role, per-access',
            );
            expect(() => new c.DatabaseSecretsEngine("bad", { ...engineArgs, accessLevels: { reader: "readonly" }, connections: "per-access" })).toThrow(
                'DatabaseSecretsEngine bad: accessLevels.reporter = undefined: connections = "per-access" needs the access level of every allowed role',
            );
        });
    });

    describe("VaultPostgres", () => {
        it("defaults to a connection per role, and points each Vault role at its own connection, after it", () => {
            const connections = all.filter((resource) => resource.type === TYPES.connection && resource.name.startsWith("shop-"));
            expect(connections.map((connection) => plain(connection.inputs))).toEqual([
                expect.objectContaining({ name: "shop-reader", allowedRoles: ["reader"] }),
                expect.objectContaining({ name: "shop-writer", allowedRoles: ["writer"] }),
            ]);
            for (const role of ["reader", "writer"]) {
                const vaultRole = findResource(all, TYPES.role, `shop-role-${role}-role`);
                expect(plain<{ dbName: string }>(vaultRole.inputs).dbName).toBe(`shop-${role}`);
                expect(vaultRole.dependencies).toContain(findResource(all, TYPES.connection, `shop-engine-connection-${role}`).urn);
            }
        });

        it("keeps the app policy on the roles' creds paths, whatever the layout", () => {
            const policy = plain<{ policy: string }>(findResource(all, TYPES.policy, "shop-app-web-policy").inputs).policy;
            expect(policy).toContain('path "database/creds/reader"');
            expect(policy).toContain('path "database/creds/writer"');
            expect(policy).not.toContain("config/");
        });
    });

    describe("stack config", () => {
        const base = { roles: JSON.stringify([{ name: "r", access: "readonly", defaultTtl: 60, maxTtl: 60 }]) };

        it("reads connections, and leaves it to the composite's default when unset", () => {
            expect(c.readStackConfig({ ...base, connections: "per-access" }).connections).toBe("per-access");
            expect(c.readStackConfig(base).connections).toBeUndefined();
        });

        it("rejects an unknown layout with the key and the value", () => {
            expect(() => c.readStackConfig({ ...base, connections: "many" })).toThrow(
                'stack config (vault-pg): connections = "many": unknown connection layout; expected one of bounded, single, per-role, per-access',
            );
        });
    });
});

describe("the connection layout with root rotation", () => {
    it("is single when the stack rotates and no layout is given, and a split layout is refused", async () => {
        const { checkConnectionLayout, readStackConfig } = await import("../../components/validate");
        expect(checkConnectionLayout("w", undefined, true)).toBe("single");
        expect(checkConnectionLayout("w", undefined, false)).toBe("bounded");
        const roles = JSON.stringify([{ name: "reader", access: "readonly", defaultTtl: "1h", maxTtl: "1d" }]);
        expect(readStackConfig({ roles, connections: "" }).connections).toBeUndefined();
        const { installMocks } = await import("../helpers/pulumi-mocks");
        await installMocks("rotate");
        const { DatabaseSecretsEngine } = await import("../../components");
        expect(
            () =>
                new DatabaseSecretsEngine("e", {
                    database: "app", host: "h", port: 5432, adminUsername: "a", adminPassword: "p",
                    allowedRoles: ["r1", "r2"], connections: "per-role", rotateRootCredentials: true,
                }),
        ).toThrow('DatabaseSecretsEngine e: connections = "per-role": rotateRootCredentials needs connections = "single": every connection config logs in as the one Vault admin');
    });
});
