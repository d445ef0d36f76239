/**
 * `pulumi refresh` then `pulumi up` (the README's advice) replayed on real servers after the stack has been used:
 * credentials issued and open, tables and a sequence created with owner credentials. The providers read back what
 * they declared (grants by each object's ACL, the admin's memberships), so the next preview is empty and issuing
 * and revoking keep working.
 */
import { Client } from "pg";
import { TYPES } from "../helpers/pulumi-mocks";
import { isEmptyPlan, planUpdate } from "./applier";
import { describeLive } from "./harness";
import { DatabaseCreds, LiveStack, recordProgram, startLiveStack } from "./live-stack";

describeLive("refresh, then up", () => {
    let stack: LiveStack;
    const clients: Client[] = [];
    let webToken: string;
    const issuedBefore: DatabaseCreds[] = [];

    const connect = async (creds: DatabaseCreds): Promise<Client> => {
        const client = await stack.connect(creds);
        clients.push(client);
        return client;
    };

    beforeAll(async () => {
        stack = await startLiveStack();
        webToken = await stack.login("web");
        const ownerCreds = await stack.readCreds(await stack.login("migrations"), stack.credsPaths.owner);
        issuedBefore.push(ownerCreds);
        const owner = await connect(ownerCreds);
        await owner.query("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)");
        await owner.query("CREATE TABLE audit (at timestamptz NOT NULL DEFAULT now())");
        await owner.query("INSERT INTO items (name) VALUES ('first')");
        for (const path of [stack.credsPaths.readonly, stack.credsPaths.readwrite]) {
            const creds = await stack.readCreds(webToken, path);
            issuedBefore.push(creds);
            await (await connect(creds)).query("SELECT count(*) FROM items");
        }
    }, 120_000);

    afterAll(async () => {
        await Promise.allSettled(clients.map((client) => client.end()));
        await stack?.stop();
    });

    it("reads back no drift: nothing dropped, and every difference is on an input the program ignores", async () => {
        const { dropped, drift, state } = await stack.refresh();
        expect(dropped).toEqual([]);
        const ignored = (name: string, input: string): boolean =>
            state.find((resource) => resource.name === name)?.ignoreChanges.includes(input) ?? false;
        expect(drift.filter((entry) => !ignored(entry.name, entry.input))).toEqual([]);
        // The admin's memberships are read back into `roles`: what would have stripped them without ignoreChanges.
        const adminRoles = drift.find((entry) => entry.type === TYPES.pgRole && entry.input === "roles");
        expect(adminRoles?.read).toEqual(expect.arrayContaining(Object.values(stack.groupRoles)));
        // Revocation ends sessions with the user's own privileges: the Vault admin holds no predefined role.
        expect(adminRoles?.read).not.toContain("pg_signal_backend");
    });

    it("previews no change after the refresh", () => {
        expect(planUpdate(stack.state, stack.resources)).toEqual({ creates: [], updates: [], replaces: [], deletes: [] });
    });

    it("keeps issuing and revoking working after the up that follows", async () => {
        // The program recorded afresh, as `pulumi up` runs it.
        const { steps } = await stack.up(await recordProgram());
        expect(steps).toEqual([]);

        const reader = await connect(await stack.readCreds(webToken, stack.credsPaths.readonly));
        expect((await reader.query("SELECT name FROM items")).rows).toEqual([{ name: "first" }]);
        const writer = await connect(await stack.readCreds(webToken, stack.credsPaths.readwrite));
        await writer.query("INSERT INTO items (name) VALUES ('second')");

        // Leases issued before the refresh revoke cleanly, the owner's tables staying with the owner group.
        for (const creds of issuedBefore) await stack.root("PUT", "sys/leases/revoke", { lease_id: creds.leaseId });
        expect((await stack.dynamicUsers()).filter((name) => issuedBefore.some((creds) => creds.username === name))).toEqual([]);
        const owners = await stack.postgres.query("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", [], stack.database);
        expect(owners.rows).toEqual([
            { tablename: "audit", tableowner: stack.groupRoles.owner },
            { tablename: "items", tableowner: stack.groupRoles.owner },
        ]);
    });

    it("would strip the admin's memberships without ignoreChanges: the failure the empty preview guards against", async () => {
        await stack.refresh();
        const withoutIgnore = stack.resources.map((resource) => ({ ...resource, ignoreChanges: [] }));
        const plan = planUpdate(stack.state, withoutIgnore);
        expect(isEmptyPlan(plan)).toBe(false);
        expect(plan.updates.map((change) => [change.after.type, change.changed])).toEqual([[TYPES.pgRole, ["roles"]]]);
    });
});
