/**
 * StaticRole on its own and in stack config: a fixed-name login user in one group, a Vault static role that owns its
 * password, and nothing in Pulumi's inputs that holds or reads that password.
 */
import * as vault from "@pulumi/vault";
import { findResource, installMocks, plain, providerUrn, RecordedResource, resolve, TYPES } from "../helpers/pulumi-mocks";

type Components = typeof import("../../components");

describe("StaticRole", () => {
    let c: Components;
    let all: RecordedResource[];
    let pooler: InstanceType<Components["StaticRole"]>;
    const groups = { readonly: "orders_readonly", readwrite: "orders_readwrite", owner: "orders_owner" };
    const base = {
        host: "127.0.0.1",
        port: 5432,
        superuser: "postgres",
        superuserPassword: "su-pw",
        groupRoles: groups,
        vaultAdminUsername: "vault_admin",
        mountPath: "database",
        connectionName: "orders",
    };
    const inputs = <T = Record<string, unknown>>(type: string, name: string): T => plain<T>(findResource(all, type, name).inputs);

    beforeAll(async () => {
        const recorder = await installMocks("test");
        c = await import("../../components");
        const provider = new vault.Provider("vault-under-test", { address: "http://vault.test:8200", token: "t" });
        pooler = new c.StaticRole("pooler", { ...base, name: "pooler", access: "readonly", rotationPeriod: "1h" }, { providers: [provider] });
        new c.StaticRole("nightly", { ...base, name: "nightly_batch", access: "owner", rotationSchedule: "0 3 * * *" }, { providers: [provider] });
        await resolve(pooler.credsPath);
        all = await recorder.settle();
    });

    it("creates a login user in its access group, without a password", () => {
        const user = inputs(TYPES.pgRole, "pooler-user");
        expect(user).toEqual({ name: "pooler", login: true, roles: ["orders_readonly"] });
        expect(Object.keys(user)).not.toContain("password");
    });

    it("manages the user through a provider that never reads passwords back from pg_shadow", () => {
        expect(inputs(TYPES.pgProvider, "pooler-provider")).toMatchObject({ superuser: "false", username: "postgres", host: "127.0.0.1" }); // provider config travels as strings
        const provider = findResource(all, TYPES.pgProvider, "pooler-provider");
        expect(providerUrn(findResource(all, TYPES.pgRole, "pooler-user").provider)).toBe(provider.urn);
    });

    it("gives the Vault admin ADMIN OPTION on the user, which PostgreSQL 16+ requires to set its password", () => {
        expect(inputs(TYPES.pgGrantRole, "pooler-vault-admin-grant")).toEqual({ role: "vault_admin", grantRole: "pooler", withAdminOption: true });
    });

    it("declares a static role that only sets the password, after the grant, read back without drift", () => {
        expect(inputs(TYPES.staticRole, "pooler-static-role")).toEqual({
            backend: "database",
            name: "pooler",
            dbName: "orders",
            username: "pooler",
            rotationPeriod: 3600,
            rotationStatements: [`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}'`],
        });
        const grant = findResource(all, TYPES.pgGrantRole, "pooler-vault-admin-grant");
        expect(findResource(all, TYPES.staticRole, "pooler-static-role").dependencies).toContain(grant.urn);
        expect(providerUrn(findResource(all, TYPES.staticRole, "pooler-static-role").provider)).toBe(findResource(all, TYPES.vaultProvider, "vault-under-test").urn);
    });

    it("takes a cron schedule instead of a period", () => {
        expect(inputs(TYPES.staticRole, "nightly-static-role")).toMatchObject({ name: "nightly_batch", rotationSchedule: "0 3 * * *" });
        expect(inputs(TYPES.staticRole, "nightly-static-role")).not.toHaveProperty("rotationPeriod");
        expect(inputs(TYPES.pgRole, "nightly-user")).toEqual({ name: "nightly_batch", login: true, roles: ["orders_owner"] });
    });

    it("outputs where an app reads the password", async () => {
        expect(await resolve(pooler.credsPath)).toBe("database/static-creds/pooler");
        expect(await resolve(pooler.username)).toBe("pooler");
    });

    it.each([
        [{ name: "pooler", access: "readonly" }, 'StaticRole bad "pooler": rotationPeriod = undefined: set exactly one of rotationPeriod and rotationSchedule'],
        [{ name: "pooler", access: "readonly", rotationPeriod: 60, rotationSchedule: "0 3 * * *" }, 'StaticRole bad "pooler": rotationPeriod = 60: set exactly one of rotationPeriod and rotationSchedule'],
        [{ name: "pooler", access: "readonly", rotationPeriod: 4 }, 'StaticRole bad "pooler": rotationPeriod = 4: must be at least 5s'],
        [{ name: "pooler", access: "readonly", rotationSchedule: "daily" }, 'StaticRole bad "pooler": rotationSchedule = "daily": a rotation schedule is a 5-field cron expression such as "0 3 * * *"'],
        [{ name: "pooler", access: "admin", rotationPeriod: 60 }, 'StaticRole bad "pooler": access = "admin": unknown access level; expected one of readonly, readwrite, owner'],
        [{ name: "Pooler", access: "readonly", rotationPeriod: 60 }, "StaticRole bad: name = \"Pooler\": an SQL name may contain only lowercase letters, digits and '_', not starting with a digit"],
        [{ name: "orders_owner", access: "owner", rotationPeriod: 60 }, 'StaticRole bad: name = "orders_owner": a static user cannot take the name of a group role'],
    ])("rejects %j before creating anything", (spec, message) => {
        expect(() => new c.StaticRole("bad", { ...base, ...(spec as { name: string; access: "readonly" }) })).toThrow(message);
    });
});
