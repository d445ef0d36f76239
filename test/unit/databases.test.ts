/**
 * Several databases in one stack: each its own access model (groups, Vault admin), connection configs and roles, on
 * one mount and one AppRole auth method, with one postgresql provider; role names unique across them; the budget
 * shared by all.
 */
import { AccessLevel, creationStatements, groupRoleNames } from "../../components";
import { resolveDatabases, resolveRoles } from "../../components/validate";
import { byType, findResource, installMocks, MockRecorder, plain, RecordedResource, resolve, TYPES } from "../helpers/pulumi-mocks";
import { expectInvalid } from "../helpers/expect-invalid";

const role = (name: string, access: AccessLevel = "readonly") => ({ name, access, defaultTtl: "1h", maxTtl: "2h" });
const W = "where";
const FIRST = { name: "orders", roles: resolveRoles(W, [role("orders-read")]), staticRoles: [] };


describe("resolveDatabases", () => {
    it("lists the first database first, then the further ones with their roles resolved", () => {
        const all = resolveDatabases(W, [{ name: "billing", roles: [role("billing-read"), role("billing-write", "readwrite")] }], FIRST);
        expect(all.map((database) => [database.name, database.roles.map((entry) => entry.name)])).toEqual([
            ["orders", ["orders-read"]],
            ["billing", ["billing-read", "billing-write"]],
        ]);
        expect(all[1].roles[0].defaultTtlSeconds).toBe(3600);
    });

    it("refuses a role name used in two databases (one mount: a Vault role serves one database)", () => {
        expectInvalid(
            () => resolveDatabases(W, [{ name: "billing", roles: [role("orders-read")] }], FIRST),
            'where: roles = "orders-read": declared in databases "orders" and "billing"; a role name (a Vault role on the one mount) serves one database',
        );
    });

    it("refuses a database declared twice, the first one included, an unknown key and a database without roles", () => {
        expectInvalid(() => resolveDatabases(W, [{ name: "orders", roles: [role("x")] }], FIRST), 'where databases[0]: name = "orders": this database is already declared');
        expectInvalid(() => resolveDatabases(W, [{ name: "billing", roles: [role("x")], owner: "me" }], FIRST), 'where databases[0] "billing": owner = "me": unknown key; known keys are name, roles, staticRoles');
        expect(() => resolveDatabases(W, [{ name: "billing", roles: [] }], FIRST)).toThrow(/declare at least one role/);
    });
});

describe("VaultPostgres with two databases", () => {
    let recorder: MockRecorder;
    let all: RecordedResource[];
    let stack: InstanceType<typeof import("../../components").VaultPostgres>;
    const inputs = <T>(type: string, name: string): T => plain<T>(findResource(all, type, name).inputs);

    beforeAll(async () => {
        recorder = await installMocks("test");
        const c = await import("../../components");
        stack = new c.VaultPostgres("shop", {
            tls: false,
            database: "orders",
            roles: [role("orders-read"), role("orders-write", "readwrite")],
            databases: [{ name: "billing", roles: [role("billing-read")], staticRoles: [{ name: "billing_report", access: "readonly", rotationPeriod: "1h" }] }],
            apps: [{ name: "checkout", roles: ["billing-read", "orders-write"] }],
        });
        await Promise.all([resolve(stack.credsPaths), resolve(stack.agents), resolve(stack.staticCredsPaths)]);
        all = await recorder.settle();
    });

    it("declares one mount, one AppRole auth method and one postgresql provider for both", () => {
        expect(byType(all, TYPES.mount)).toHaveLength(1);
        expect(byType(all, TYPES.authBackend)).toHaveLength(1);
        expect(byType(all, TYPES.adminCheck)).toHaveLength(1);
        // The access models' provider, plus one per static role (StaticRole's own).
        expect(byType(all, TYPES.pgProvider).map((provider) => provider.name)).toEqual(["shop-access-provider", "shop-static-billing_report-provider"]);
    });

    it("gives each database its own groups and Vault admin; the first keeps vault_admin", () => {
        expect(byType(all, TYPES.pgDatabase).map((database) => plain<{ name: string }>(database.inputs).name)).toEqual(["orders", "billing"]);
        const admins = byType(all, TYPES.pgRole).filter((resource) => plain<{ login?: boolean }>(resource.inputs).login).map((resource) => plain<{ name: string }>(resource.inputs).name);
        expect(admins).toEqual(expect.arrayContaining(["vault_admin", "billing_vault"]));
        expect(stack.databases.billing.accessModel.groupRoles).toEqual(groupRoleNames("billing"));
    });

    it("connects each database's configs to its own database as its own admin, and each role through its database's config", () => {
        const connection = (name: string) => inputs<{ name: string; allowedRoles: string[]; postgresql: { connectionUrl: string; username: string } }>(TYPES.connection, name);
        expect(connection("shop-db-billing-engine-connection-billing-read")).toMatchObject({
            name: "billing-billing-read",
            allowedRoles: ["billing-read"],
            postgresql: { connectionUrl: "postgresql://{{username}}:{{password}}@shop-postgres:5432/billing?sslmode=disable", username: "billing_vault" },
        });
        expect(connection("shop-engine-connection-orders-write").postgresql).toMatchObject({ connectionUrl: expect.stringContaining("/orders?"), username: "vault_admin" });
        const billingRole = inputs<{ dbName: string; creationStatements: string[] }>(TYPES.role, "shop-role-billing-read-role");
        expect(billingRole.dbName).toBe("billing-billing-read");
        expect(billingRole.creationStatements).toEqual(creationStatements("readonly", groupRoleNames("billing")));
    });

    it("makes the one mount depend on every database's Postgres side: unmounting revokes the leases of all", () => {
        const mount = byType(all, TYPES.mount)[0];
        // A component dependency reaches the engine as its children: each database and Vault admin role.
        for (const accessModel of ["shop-access", "shop-db-billing-access"]) {
            expect(mount.dependencies).toContain(findResource(all, TYPES.pgDatabase, `${accessModel}-database`).urn);
            expect(mount.dependencies).toContain(findResource(all, TYPES.pgRole, `${accessModel}-vault-admin`).urn);
        }
    });

    it("exports each database's Vault admin and its password for the doctor", async () => {
        expect(await resolve(stack.vaultAdmins)).toEqual({ orders: "vault_admin", billing: "billing_vault" });
        const passwords = await resolve(stack.vaultAdminPasswords);
        expect(Object.keys(passwords)).toEqual(["orders", "billing"]);
        expect(passwords.orders).toBe(await resolve(stack.databases.orders.accessModel.vaultAdminPassword));
        expect(passwords.billing).toBe(await resolve(stack.databases.billing.accessModel.vaultAdminPassword));
    });

    it("says which database serves each role, lets an app use roles of both, and points its agent at its first role's database", async () => {
        expect(stack.roleDatabases).toEqual({ "orders-read": "orders", "orders-write": "orders", "billing-read": "billing", billing_report: "billing" });
        const policy = inputs<{ policy: string }>(TYPES.policy, "shop-app-checkout-policy").policy;
        expect(policy).toContain('path "database/creds/billing-read"');
        expect(policy).toContain('path "database/creds/orders-write"');
        expect((await resolve(stack.agents)).checkout.config).toContain("PGDATABASE=billing");
        expect(stack.deployerPolicy).toContain('path "database/config/billing-billing-read"');
    });
});

describe("the budget over several databases", () => {
    it("refuses more databases than connection configs fit, before anything is registered", async () => {
        const recorder = await installMocks("test");
        const c = await import("../../components");
        const databases = Array.from({ length: 10 }, (_, index) => ({ name: `db${index}`, roles: [role(`db${index}-read`)] }));
        expect(() => new c.VaultPostgres("many", { tls: false, roles: [role("first-read")], databases })).toThrow(
            "VaultPostgres many: connectionBudget = 20: 11 databases need at least one connection config each: 11 × maxOpenConnections 2 = 22 connections; raise connectionBudget or lower maxOpenConnections",
        );
        expect(recorder.resources).toHaveLength(0);
        // 20 databases of 6 roles fit a budget of 40: one pool each.
        const twenty = Array.from({ length: 19 }, (_, index) => ({ name: `d${index}`, roles: Array.from({ length: 6 }, (_, r) => role(`d${index}-r${r}`)) }));
        const stack = new c.VaultPostgres("scale", { tls: false, roles: Array.from({ length: 6 }, (_, r) => role(`first-r${r}`)), databases: twenty, connectionBudget: 40 });
        await resolve(stack.credsPaths);
        const connections = byType(await recorder.settle(), TYPES.connection);
        expect(connections).toHaveLength(20);
        expect(new Set(connections.map((connection) => plain<{ name: string }>(connection.inputs).name.replace(/-pool-1$/, ""))).size).toBe(20);
    });
});
