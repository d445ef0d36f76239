/**
 * Two stacks on one Vault mount and one AppRole auth method that an operator enabled beforehand (`sharedMount`,
 * `sharedApprole`), each with its own database and Vault admin on one PostgreSQL. Destroying one with a lease open
 * revokes its credentials and removes its connection configs and roles, and leaves the mount, the auth method and
 * the other stack working.
 */
import { describeLive, PostgresServer, startPostgres, startVault, VaultError, vaultRequest, VaultServer } from "./harness";
import { ConfigChange, DatabaseCreds, LiveStack, startLiveStack } from "./live-stack";

const MOUNT = "shared-db";

/** The config of one stack: its database, admin, role and app on the shared servers and mount. */
const stackOn = (postgres: PostgresServer, vault: VaultServer, name: string): ConfigChange => (config) => ({
    ...config,
    flavor: vault.flavor,
    postgresHost: postgres.host,
    postgresPort: String(postgres.port),
    postgresSuperuser: postgres.superuser,
    postgresSuperuserPassword: postgres.superuserPassword,
    postgresSslMode: "disable",
    vaultAddress: vault.address,
    vaultToken: vault.rootToken,
    database: name,
    vaultAdminUsername: `${name}_vault_admin`,
    mountPath: MOUNT,
    sharedMount: "true",
    sharedApprole: "true",
    roles: JSON.stringify([{ name: `${name}-read`, access: "readonly", defaultTtl: "1h", maxTtl: "2h" }]),
    apps: JSON.stringify([{ name: `${name}-app`, roles: [`${name}-read`] }]),
});

describeLive("stacks sharing one mount and one AppRole auth method", () => {
    let postgres: PostgresServer;
    let vault: VaultServer;
    let alpha: LiveStack;
    let beta: LiveStack;
    const root = <T = Record<string, unknown>>(method: string, path: string, body?: Record<string, unknown>): Promise<T> => vaultRequest<T>(vault.address, vault.rootToken, method, path, body);
    const roleExists = async (name: string): Promise<boolean> =>
        (await postgres.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name])).rowCount === 1;

    beforeAll(async () => {
        [postgres, vault] = await Promise.all([startPostgres(), startVault()]);
        // What an operator enabled once for every stack.
        await root("POST", `sys/mounts/${MOUNT}`, { type: "database" });
        await root("POST", "sys/auth/approle", { type: "approle" });
        alpha = await startLiveStack({ postgres, vault, config: stackOn(postgres, vault, "alpha") });
        beta = await startLiveStack({ postgres, vault, config: stackOn(postgres, vault, "beta") });
    }, 120_000);

    afterAll(async () => {
        await Promise.allSettled([vault?.stop(), postgres?.destroy()]);
    });

    it("serves both stacks from the one mount; destroying one with a lease open revokes it and leaves the other working", async () => {
        const issue = async (stack: LiveStack, name: string): Promise<DatabaseCreds> => stack.readCreds(await stack.login(`${name}-app`), stack.credsPaths[`${name}-read`]);
        const alphaCreds = await issue(alpha, "alpha");
        const betaCreds = await issue(beta, "beta");
        expect(alpha.credsPaths["alpha-read"]).toBe(`${MOUNT}/creds/alpha-read`);
        expect(beta.credsPaths["beta-read"]).toBe(`${MOUNT}/creds/beta-read`);
        const configs = async (): Promise<string[]> => (await root<{ data: { keys: string[] } }>("LIST", `${MOUNT}/config`)).data.keys.sort();
        expect(await configs()).toEqual(["alpha-alpha-read", "beta-beta-read"]);

        await alpha.destroy();

        // Alpha's lease was revoked (its user dropped), its configs and roles are gone; the mount and AppRole stay.
        expect(await roleExists(alphaCreds.username)).toBe(false);
        expect(await configs()).toEqual(["beta-beta-read"]);
        const gone = await root("GET", `${MOUNT}/roles/alpha-read`).then(() => 200, (error: VaultError) => error.status);
        expect(gone).toBe(404);
        expect(Object.keys(await root<Record<string, unknown>>("GET", "sys/mounts"))).toContain(`${MOUNT}/`);
        expect(Object.keys(await root<Record<string, unknown>>("GET", "sys/auth"))).toContain("approle/");
        // Beta is untouched: its lease still valid, its user connects, and it issues anew.
        expect(await roleExists(betaCreds.username)).toBe(true);
        const client = await beta.connect(betaCreds);
        expect((await client.query("SELECT current_user AS who")).rows[0].who).toBe(betaCreds.username);
        await client.end();
        const renewed = await root<{ lease_id: string }>("PUT", "sys/leases/renew", { lease_id: betaCreds.leaseId });
        expect(renewed.lease_id).toBe(betaCreds.leaseId);
        expect((await issue(beta, "beta")).username).toMatch(/^v-beta-read-/);

        await beta.destroy();
        expect(await roleExists(betaCreds.username)).toBe(false);
        expect(await root<{ data: { keys?: string[] } }>("LIST", `${MOUNT}/config`).then((answer) => answer.data.keys ?? [], (error: VaultError) => (error.status === 404 ? [] : Promise.reject(error)))).toEqual([]);
        expect(Object.keys(await root<Record<string, unknown>>("GET", "sys/mounts"))).toContain(`${MOUNT}/`);
    });
});
