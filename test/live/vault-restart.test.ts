/**
 * A dev Vault server that restarts comes back empty. Without a refresh the state still lists every Vault resource
 * and `pulumi up` changes nothing; `npm run up` refreshes first, which drops the missing resources from the state,
 * and the up recreates them: credentials work again, under new AppRole role ids.
 */
import { Client } from "pg";
import { planUpdate } from "./applier";
import { describeLive } from "./harness";
import { LiveStack, recordProgram, startLiveStack } from "./live-stack";

describeLive("dev Vault server restart", () => {
    let stack: LiveStack;
    const clients: Client[] = [];
    const roleId = async (app: string): Promise<string> =>
        (await stack.root<{ data: { role_id: string } }>("GET", `auth/approle/role/${app}/role-id`)).data.role_id;

    beforeAll(async () => {
        stack = await startLiveStack();
    }, 120_000);

    afterAll(async () => {
        await Promise.allSettled(clients.map((client) => client.end()));
        await stack?.stop();
    });

    it("comes back with working credentials after refresh and up, under new role ids", async () => {
        const webRoleIdBefore = await roleId("web");
        const before = await stack.readCreds(await stack.login("web"), stack.credsPaths.readonly);
        const vaultResources = stack.state.filter((resource) => resource.type.startsWith("vault:"));

        await stack.restartVault();
        // The empty server has no AppRole auth method to route the login to.
        await expect(stack.login("web")).rejects.toMatchObject({ status: 404 });
        // A plain up sees no difference: the state still holds what the empty server lost.
        expect(planUpdate(stack.state, stack.resources)).toEqual({ creates: [], updates: [], replaces: [], deletes: [] });

        const { dropped } = await stack.refresh();
        expect(dropped.map((resource) => resource.urn).sort()).toEqual(vaultResources.map((resource) => resource.urn).sort());
        const { plan } = await stack.up(await recordProgram());
        expect(plan.creates.map((resource) => resource.urn).sort()).toEqual(vaultResources.map((resource) => resource.urn).sort());
        expect([...plan.updates, ...plan.replaces, ...plan.deletes]).toEqual([]);

        expect(await roleId("web")).not.toBe(webRoleIdBefore);
        const creds = await stack.readCreds(await stack.login("web"), stack.credsPaths.readonly);
        const client = await stack.connect(creds);
        clients.push(client);
        expect((await client.query("SELECT current_user AS login")).rows).toEqual([{ login: creds.username }]);
        await stack.root("PUT", "sys/leases/revoke", { lease_id: creds.leaseId });
        expect(await stack.dynamicUsers()).not.toContain(creds.username);
        // The user issued before the restart lost its lease: it stays until drop-expired-users removes it.
        expect(await stack.dynamicUsers()).toContain(before.username);
    }, 120_000);
});
