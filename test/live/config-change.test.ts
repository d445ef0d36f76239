/**
 * A config change applied as `pulumi up` on a stack in use: a role's TTL changes, a role is added and one removed,
 * an app is added. The plan updates in place what it can, the credentials work after it, and leases issued before
 * it, also those of the removed role, still revoke.
 */
import { Client } from "pg";
import { TYPES } from "../helpers/pulumi-mocks";
import { describeLive } from "./harness";
import { appendToConfig, ConfigChange, DatabaseCreds, LiveStack, recordProgram, startLiveStack } from "./live-stack";

interface RoleConfig {
    name: string;
    access: string;
    defaultTtl: string | number;
    maxTtl: string | number;
}

const LEGACY_ROLE: RoleConfig = { name: "legacy", access: "readonly", defaultTtl: "10m", maxTtl: "1h" };
const ANALYST_ROLE: RoleConfig = { name: "analyst", access: "readonly", defaultTtl: "10m", maxTtl: "1h" };

const withLegacyRole: ConfigChange = appendToConfig({ roles: [LEGACY_ROLE] });

/** readonly's TTL from 1h to 30m, "analyst" added and "legacy" removed, app "analytics" added. */
const changed: ConfigChange = (config) => {
    const roles = (JSON.parse(config.roles) as RoleConfig[]).map((role) => (role.name === "readonly" ? { ...role, defaultTtl: "30m" } : role));
    const apps = [...JSON.parse(config.apps), { name: "analytics", roles: ["analyst"] }];
    return { ...config, roles: JSON.stringify([...roles, ANALYST_ROLE]), apps: JSON.stringify(apps) };
};

describeLive("config change applied as an update", () => {
    let stack: LiveStack;
    const clients: Client[] = [];
    const issuedBefore: DatabaseCreds[] = [];
    const named = (name: string): string => `vault-pg-dev-${name}`;

    beforeAll(async () => {
        stack = await startLiveStack({ config: withLegacyRole });
        const owner = await stack.connect(await stack.readCreds(await stack.login("migrations"), stack.credsPaths.owner));
        clients.push(owner);
        await owner.query("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)");
        await owner.query("INSERT INTO items (name) VALUES ('first')");
        issuedBefore.push(await stack.readCreds(await stack.login("web"), stack.credsPaths.readonly));
        // No app uses the legacy role; an operator reads it with the root token.
        issuedBefore.push(await stack.readCreds(stack.vault.rootToken, stack.credsPaths.legacy));
        expect(issuedBefore[0].leaseDuration).toBe(3600);
    }, 120_000);

    afterAll(async () => {
        await Promise.allSettled(clients.map((client) => client.end()));
        await stack?.stop();
    });

    it("creates what is new, updates in place what changed, deletes the removed role, retains its connection, and replaces nothing", async () => {
        const { plan, steps } = await stack.up(await recordProgram(changed));
        const names = (resources: { type: string; name: string }[]): string[][] => resources.map((resource) => [resource.type, resource.name]).sort();
        expect(names(plan.creates)).toEqual(
            names([
                // One connection per role (the default layout): the new role comes with its own.
                { type: TYPES.connection, name: named("engine-connection-analyst") },
                { type: TYPES.role, name: named("role-analyst-role") },
                { type: TYPES.policy, name: named("app-analytics-policy") },
                { type: TYPES.approleRole, name: named("app-analytics-approle") },
            ]),
        );
        expect(plan.updates.map((change) => [change.after.name, change.changed]).sort()).toEqual([[named("role-readonly-role"), ["defaultTtl"]]]);
        expect(plan.replaces).toEqual([]);
        expect(names(plan.deletes)).toEqual(
            names([
                { type: TYPES.connection, name: named("engine-connection-legacy") },
                { type: TYPES.role, name: named("role-legacy-role") },
            ]),
        );
        // The mount stays, so the removed role is deleted for real, not left to the mount; its connection is retained
        // in Vault, since the role's open leases are revoked through it.
        expect(steps.find((step) => step.name === named("role-legacy-role"))?.op).toBe("delete");
        expect(steps.find((step) => step.name === named("engine-connection-legacy"))?.op).toBe("delete-retained");
    });

    it("issues credentials with the new TTL, and the new app reads its new role and nothing else", async () => {
        const readonly = await stack.readCreds(await stack.login("web"), stack.credsPaths.readonly);
        expect(readonly.leaseDuration).toBe(1800);

        const analytics = await stack.login("analytics");
        const creds = await stack.readCreds(analytics, stack.credsPaths.analyst);
        expect(creds.username.startsWith("v-analyst-")).toBe(true);
        const client = await stack.connect(creds);
        clients.push(client);
        expect((await client.query("SELECT name FROM items")).rows).toEqual([{ name: "first" }]);
        await expect(stack.readCreds(analytics, stack.credsPaths.readonly)).rejects.toMatchObject({ status: 403 });
        await expect(stack.root("GET", `${stack.mountPath}/creds/legacy`)).rejects.toMatchObject({ status: 400 });
    });

    it("still revokes the leases issued before the change, the removed role's included", async () => {
        for (const creds of issuedBefore) await stack.root("PUT", "sys/leases/revoke", { lease_id: creds.leaseId });
        const users = await stack.dynamicUsers();
        for (const creds of issuedBefore) expect(users).not.toContain(creds.username);
    });
});
