/**
 * Server mode on a real non-dev server (raft storage in a temp dir): the stack's own init/unseal path, its Vault
 * resources with rotate-root and the file audit device, then a SIGKILL and a restart that loses nothing, and an
 * update of the connection that does not write the rotated password back.
 */
import * as fs from "fs";
import { Client } from "pg";
import { DYNAMIC_USERNAME_PREFIX, quoteLiteral, UnsealInputs, UnsealState } from "../../components";
import { sealStatus } from "../../components/vault-init";
import { DatabaseCreds, loginApp, readCreds } from "../helpers/app-client";
import { loadStackConfig, plain, RecordedResource, TYPES } from "../helpers/pulumi-mocks";
import { describeLive, PostgresServer, startPostgres, stopAll, vaultRequest } from "./harness";
import { applyResources } from "./applier";
import { applyServerStack, connectionInputs, ProgramOutputs, recordProgram, SERVER_TYPES, serializedUnsealProvider, UnsealProvider, writeConnection } from "./server-applier";
import { localFlavor, SealedVaultServer, startSealedVault } from "./server-harness";

describeLive("server mode", () => {
    let config: Record<string, string>;
    let postgres: PostgresServer;
    let vault: SealedVaultServer;
    let resources: RecordedResource[];
    let outputs: ProgramOutputs;
    let unsealInputs: UnsealInputs;
    /** The unseal resource's provider, deserialized from the program's own registration, as Pulumi runs it. */
    let unsealProvider: UnsealProvider;
    let unsealState: UnsealState;
    let rootToken: string;

    const root = <T = Record<string, unknown>>(method: string, apiPath: string, body?: Record<string, unknown>): Promise<T> =>
        vaultRequest<T>(vault.address, rootToken, method, apiPath, body);
    const targets = () => ({ postgres, vault: { address: vault.address, rootToken }, auditLogPath: vault.auditLogPath });
    const adminLogin = async (password: string): Promise<void> => {
        const client = new Client({ host: postgres.host, port: postgres.port, database: outputs.database, user: "vault_admin", password });
        client.on("error", () => undefined);
        await client.connect();
        await client.end();
    };
    const dynamicUsers = async (): Promise<string[]> =>
        (await postgres.query(`SELECT rolname FROM pg_roles WHERE rolname LIKE ${quoteLiteral(DYNAMIC_USERNAME_PREFIX + "%")}`)).rows.map((row: { rolname: string }) => row.rolname);
    const canQuery = async (creds: DatabaseCreds): Promise<boolean> => {
        const client = new Client({ host: postgres.host, port: postgres.port, database: outputs.database, user: creds.username, password: creds.password });
        client.on("error", () => undefined);
        await client.connect();
        try {
            return (await client.query("SELECT 1 AS one")).rows[0].one === 1;
        } finally {
            await client.end();
        }
    };

    beforeAll(async () => {
        // Recorded with the local binary's flavor: OpenBao's audit device is in its config file, Vault's a resource.
        config = { ...loadStackConfig(), tls: "false", flavor: localFlavor(), vaultMode: "server", rotateRootCredentials: "true" };
        ({ resources, outputs } = await recordProgram(config));
        [postgres, vault] = await Promise.all([startPostgres(), startSealedVault()]);
        const [unseal] = resources.filter((resource) => resource.type === SERVER_TYPES.unseal);
        // The stack's inputs (shares and threshold from config), at the local server's address.
        const { shares, threshold } = plain<UnsealInputs>(unseal.inputs);
        unsealInputs = { address: vault.address, shares, threshold };
        unsealProvider = serializedUnsealProvider(unseal);
    });
    afterAll(() => stopAll());

    it("initialises the fresh server once with the configured shares, unseals it, then applies the stack", async () => {
        expect(await sealStatus(vault.address)).toMatchObject({ initialized: false, sealed: true });
        const created = await unsealProvider.create(unsealInputs);
        unsealState = created.outs;
        rootToken = unsealState.rootToken;
        expect(unsealState.unsealKeys).toHaveLength(5);
        expect(await sealStatus(vault.address)).toMatchObject({ initialized: true, sealed: false, t: 3, n: 5 });
        expect(await unsealProvider.diff(created.id, unsealState, unsealInputs)).toEqual({ changes: false });
        await applyServerStack(resources, targets());
        const audit = await root<{ data: Record<string, { type: string }> }>("GET", "sys/audit");
        expect(audit.data["file/"].type).toBe("file");
    });

    it("rotate-root: the password Pulumi generated no longer logs in, and Vault still issues working credentials", async () => {
        await expect(adminLogin(outputs.vaultAdminPassword)).rejects.toMatchObject({ code: "28P01" });
        const creds = await readCreds(vault.address, rootToken, outputs.credsPaths.readonly);
        expect(await canQuery(creds)).toBe(true);
        await root("PUT", "sys/leases/revoke", { lease_id: creds.leaseId });
    });

    it("audits the creds request with the AppRole role, and the password only HMAC'd", async () => {
        const token = await loginApp(vault.address, rootToken, outputs.apps.web.loginPath, "web");
        const creds = await readCreds(vault.address, token, outputs.credsPaths.readonly);
        const log = fs.readFileSync(vault.auditLogPath, "utf8");
        const entries = log.trim().split("\n").map((line) => JSON.parse(line) as { type: string; request: { path: string }; auth?: { metadata?: Record<string, string> }; response?: { data?: Record<string, string> } });
        const response = entries.find((entry) => entry.type === "response" && entry.request.path === outputs.credsPaths.readonly && entry.auth?.metadata?.role_name === "web");
        expect(response).toBeDefined();
        expect(response!.response!.data!.password).toMatch(/^hmac-sha256:/);
        expect(log.includes(creds.password)).toBe(false);
        await vaultRequest(vault.address, token, "PUT", `sys/leases/revoke/${creds.leaseId}`);
    });

    it("after SIGKILL the server comes back sealed; the stack's unseal path opens it and nothing is lost", async () => {
        const token = await loginApp(vault.address, rootToken, outputs.apps.web.loginPath, "web");
        const creds = await readCreds(vault.address, token, outputs.credsPaths.readwrite);
        await vault.kill();
        await vault.start();
        expect(await sealStatus(vault.address)).toMatchObject({ initialized: true, sealed: true });
        // The next `pulumi up`: the diff sees the seal, the update unseals with the keys from state.
        expect(await unsealProvider.diff("unseal", unsealState, unsealInputs)).toEqual({ changes: true });
        const updated = await unsealProvider.update("unseal", unsealState, unsealInputs);
        expect(updated.outs).toEqual(unsealState);
        expect(await sealStatus(vault.address)).toMatchObject({ initialized: true, sealed: false });
        expect(await unsealProvider.diff("unseal", updated.outs, unsealInputs)).toEqual({ changes: false });

        // Mounts, roles, policies and AppRole roles are all still there.
        await root("GET", "sys/mounts/database");
        await root("GET", `database/roles/readwrite`);
        await root("GET", "sys/policies/acl/web-db");
        await root("GET", "auth/approle/role/web/role-id");
        // The lease from before the restart: renewable with the app's token, then revocable, and its user goes.
        const renewed = await vaultRequest<{ lease_id: string; lease_duration: number }>(vault.address, token, "PUT", `sys/leases/renew/${creds.leaseId}`);
        expect(renewed.lease_id).toBe(creds.leaseId);
        expect(await canQuery(creds)).toBe(true);
        await vaultRequest(vault.address, token, "PUT", `sys/leases/revoke/${creds.leaseId}`);
        expect(await dynamicUsers()).toEqual([]);
    });

    it("an update of the connection (a role added) does not write the generated password back; issuing works", async () => {
        const roles = [...JSON.parse(config.roles), { name: "analyst", access: "readonly", defaultTtl: "1h", maxTtl: "24h" }];
        const updated = await recordProgram({ ...config, roles: JSON.stringify(roles) });
        const before = connectionInputs(resources);
        const after = connectionInputs(updated.resources);
        expect(after.allowedRoles).toContain("analyst");
        await writeConnection(targets(), after, before);
        const analystRole = updated.resources.filter((resource) => resource.type === TYPES.role && plain<{ name: string }>(resource.inputs).name === "analyst");
        await applyResources([...updated.resources.filter((resource) => resource.type === TYPES.container), ...analystRole], targets());

        await expect(adminLogin(outputs.vaultAdminPassword)).rejects.toMatchObject({ code: "28P01" });
        for (const credsPath of [updated.outputs.credsPaths.analyst, updated.outputs.credsPaths.readonly]) {
            const creds = await readCreds(vault.address, rootToken, credsPath);
            expect(await canQuery(creds)).toBe(true);
            await root("PUT", "sys/leases/revoke", { lease_id: creds.leaseId });
        }
        expect(await dynamicUsers()).toEqual([]);
    });

    it("refuses the unseal step's create on an initialised server it holds no keys for", async () => {
        await expect(unsealProvider.create(unsealInputs)).rejects.toThrow(/already initialised/);
    });
});
