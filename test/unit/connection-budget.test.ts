/**
 * The connection budget: "bounded" keeps one connection config per role while that fits, and pools roles beyond it;
 * the worst case (every config's pool full) never exceeds the budget; an explicit layout that would is refused
 * before anything is registered; a role keeps its pool as roles are added.
 */
import { checkConnectionBudget, connectionGroups } from "../../components/connection-layout";
import { ValidationError } from "../../components/validate";
import { byType, installMocks, MockRecorder, plain, resolve, TYPES } from "../helpers/pulumi-mocks";

const roles = (count: number, prefix = "svc") =>
    Array.from({ length: count }, (_, index) => ({ name: `${prefix}${String(index + 1).padStart(3, "0")}`, access: (["readonly", "readwrite", "owner"] as const)[index % 3] }));
const DEFAULT_LIMITS = { maxOpenConnections: 2, connectionBudget: 20 };

describe("bounded connection layout", () => {
    it("is one connection per role while every pool full fits the budget (today's parallelism)", () => {
        const groups = connectionGroups("bounded", roles(10), DEFAULT_LIMITS);
        expect(groups.map((group) => group.suffix)).toEqual(roles(10).map((role) => `-${role.name}`));
    });

    it("beyond it, spreads the roles over as many pools as fit: each role exactly once, worst case within the budget", () => {
        const many = roles(150);
        const groups = connectionGroups("bounded", many, DEFAULT_LIMITS);
        expect(groups.length).toBe(10);
        expect(groups.every((group) => /^-pool-([1-9]|10)$/.test(group.suffix))).toBe(true);
        expect(groups.flatMap((group) => group.roles).sort()).toEqual(many.map((role) => role.name).sort());
        expect(groups.length * DEFAULT_LIMITS.maxOpenConnections).toBeLessThanOrEqual(DEFAULT_LIMITS.connectionBudget);
        // Spread, not piled: no pool serves more than twice its share.
        expect(Math.max(...groups.map((group) => group.roles.length))).toBeLessThanOrEqual(2 * (150 / 10));
    });

    it("keeps every role on its pool when roles are added (no Vault role moves to another connection)", () => {
        const poolOf = (count: number): Map<string, string> =>
            new Map(connectionGroups("bounded", roles(count), DEFAULT_LIMITS).flatMap((group) => group.roles.map((role) => [role, group.suffix] as [string, string])));
        const before = poolOf(120);
        const after = poolOf(300);
        for (const [role, pool] of before) expect(after.get(role)).toBe(pool);
    });

    it("follows the budget and the pool size: 100 connections at 4 each are 25 pools", () => {
        expect(connectionGroups("bounded", roles(300), { maxOpenConnections: 4, connectionBudget: 100 })).toHaveLength(25);
    });
});

describe("checkConnectionBudget", () => {
    const check = (layout: "per-role" | "per-access" | "single" | "bounded", count: number, limits = DEFAULT_LIMITS): void =>
        checkConnectionBudget("where", layout, connectionGroups(layout, roles(count), limits), limits);

    it("refuses an explicit per-role layout whose worst case exceeds the budget, saying by how much and what to do", () => {
        expect(() => check("per-role", 11)).toThrow(ValidationError);
        expect(() => check("per-role", 11)).toThrow(
            'where: connections = "per-role": 11 connection configs × maxOpenConnections 2 = 22 connections can exceed connectionBudget 20; use connections = "bounded" (the default), fewer roles per layout, or a larger connectionBudget',
        );
        expect(() => check("per-role", 10)).not.toThrow();
    });

    it("accepts bounded at any role count, and single and per-access where they fit", () => {
        for (const count of [1, 10, 11, 300]) expect(() => check("bounded", count)).not.toThrow();
        expect(() => check("single", 300)).not.toThrow();
        expect(() => check("per-access", 300, { maxOpenConnections: 8, connectionBudget: 20 })).toThrow(/3 connection configs × maxOpenConnections 8 = 24/);
    });

    it("refuses a budget below one pool", () => {
        expect(() => check("bounded", 3, { maxOpenConnections: 4, connectionBudget: 3 })).toThrow(
            "where: connectionBudget = 3: must allow at least one connection config: at least maxOpenConnections (4)",
        );
    });
});

describe("VaultPostgres within the budget", () => {
    let recorder: MockRecorder;
    let c: typeof import("../../components");

    beforeAll(async () => {
        recorder = await installMocks("test");
        c = await import("../../components");
    });

    it("declares 150 roles on 10 connection configs, each pool at most 2 with 1 idle, connections renewed every 5 minutes", async () => {
        const many = roles(150).map((role) => ({ ...role, defaultTtl: "1h", maxTtl: "1h" }));
        const stack = new c.VaultPostgres("scale", { roles: many, tls: false });
        await resolve(stack.credsPaths);
        const all = await recorder.settle();
        const connections = byType(all, TYPES.connection).filter((resource) => resource.name.startsWith("scale-"));
        expect(connections).toHaveLength(10);
        for (const connection of connections) {
            expect(plain<{ postgresql: Record<string, unknown> }>(connection.inputs).postgresql).toMatchObject({ maxOpenConnections: 2, maxIdleConnections: 1, maxConnectionLifetime: 300 });
        }
        // Every Vault role points at the pool that allows it.
        const allowed = new Map(connections.flatMap((connection) => plain<{ name: string; allowedRoles: string[] }>(connection.inputs).allowedRoles.map((role) => [role, plain<{ name: string }>(connection.inputs).name] as [string, string])));
        for (const role of byType(all, TYPES.role).filter((resource) => resource.name.startsWith("scale-"))) {
            const inputs = plain<{ name: string; dbName: string }>(role.inputs);
            expect(inputs.dbName).toBe(allowed.get(inputs.name));
        }
        // The deployer policy names the same connection configs.
        expect(stack.deployerPolicy).toContain('path "database/config/app-pool-1"');
    });

    it("refuses per-role for 150 roles before anything is registered", () => {
        const before = recorder.resources.length;
        const many = roles(150).map((role) => ({ ...role, defaultTtl: "1h", maxTtl: "1h" }));
        expect(() => new c.VaultPostgres("too-many", { roles: many, connections: "per-role", tls: false })).toThrow(
            'VaultPostgres too-many: connections = "per-role": 150 connection configs × maxOpenConnections 2 = 300 connections can exceed connectionBudget 20',
        );
        expect(recorder.resources.length).toBe(before);
    });
});
