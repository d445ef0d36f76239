/**
 * The dev stack, applied to real servers: runs index.ts under mocks with the dev stack's config (optionally
 * adjusted), starts a throw-away PostgreSQL and Vault-API server, applies the recorded resources, and offers what an
 * application does with the stack's outputs: AppRole login, reading a creds path, connecting to PostgreSQL.
 */
import { Client } from "pg";
import { AppLogin, DYNAMIC_USERNAME_PREFIX, GroupRoleNames, quoteLiteral } from "../../components";
import { DatabaseCreds, loginApp, readCreds } from "../helpers/app-client";
import { installMocks, loadStackConfig, RecordedResource, resolve } from "../helpers/pulumi-mocks";
import { applyResources } from "./applier";
import { PostgresServer, startPostgres, startVault, VaultServer, vaultRequest } from "./harness";

export type { DatabaseCreds };

export interface LiveStack {
    postgres: PostgresServer;
    vault: VaultServer;
    resources: RecordedResource[];
    /** The program's own outputs. */
    database: string;
    mountPath: string;
    credsPaths: Record<string, string>;
    apps: Record<string, AppLogin>;
    groupRoles: GroupRoleNames;
    /** Logs in as an application with its real role id and a fresh secret id; returns the client token. */
    login(app: string): Promise<string>;
    /** Reads a creds path with a token. */
    readCreds(token: string, credsPath: string): Promise<DatabaseCreds>;
    /** Connects to the application database as a credential. */
    connect(creds: Pick<DatabaseCreds, "username" | "password">): Promise<Client>;
    /** Engine-created users currently in `pg_roles`. */
    dynamicUsers(): Promise<string[]>;
    /** Vault request with the root token. */
    root<T = Record<string, unknown>>(method: string, path: string, body?: Record<string, unknown>): Promise<T>;
    /** Vault request with a given token. */
    as<T = Record<string, unknown>>(token: string, method: string, path: string, body?: Record<string, unknown>): Promise<T>;
    stop(): Promise<void>;
}

export interface LiveStackOptions {
    /** Adjusts the dev stack's config before the program runs (values as Pulumi stores them). */
    config?: (config: Record<string, string>) => Record<string, string>;
    /** Servers already running (a replicated primary, a cluster node) instead of fresh ones; stop() stops them too. */
    postgres?: PostgresServer;
    vault?: VaultServer;
}

export async function startLiveStack(options: LiveStackOptions = {}): Promise<LiveStack> {
    const baseConfig = loadStackConfig();
    const recorder = await installMocks("dev", options.config ? options.config(baseConfig) : baseConfig);
    const program = await import("../../index");
    const [database, mountPath, credsPaths, apps] = await Promise.all([
        resolve(program.database),
        resolve(program.mountPath),
        resolve(program.credsPaths),
        resolve(program.apps),
    ]);
    const resources = await recorder.settle();

    const [postgres, vault] = await Promise.all([options.postgres ?? startPostgres(), options.vault ?? startVault()]);
    const root = <T>(method: string, path: string, body?: Record<string, unknown>): Promise<T> =>
        vaultRequest<T>(vault.address, vault.rootToken, method, path, body);
    const as = <T>(token: string, method: string, path: string, body?: Record<string, unknown>): Promise<T> =>
        vaultRequest<T>(vault.address, token, method, path, body);
    try {
        await applyResources(resources, { postgres, vault });
    } catch (error) {
        await Promise.allSettled([postgres.destroy(), vault.stop()]);
        throw error;
    }

    const stack: LiveStack = {
        postgres,
        vault,
        resources,
        database,
        mountPath,
        credsPaths,
        apps,
        groupRoles: program.groupRoles,
        root,
        as,
        async login(app) {
            const loginPath = apps[app]?.loginPath;
            if (!loginPath) throw new Error(`no app ${app} in the stack outputs`);
            return loginApp(vault.address, vault.rootToken, loginPath, app);
        },
        readCreds: (token, credsPath) => readCreds(vault.address, token, credsPath),
        async connect(creds) {
            const client = new Client({
                host: postgres.host,
                port: postgres.port,
                database,
                user: creds.username,
                password: creds.password,
            });
            client.on("error", () => undefined); // a terminated session reports here; tests assert on queries instead
            await client.connect();
            return client;
        },
        async dynamicUsers() {
            const result = await postgres.query(
                `SELECT rolname FROM pg_roles WHERE rolname LIKE ${quoteLiteral(DYNAMIC_USERNAME_PREFIX + "%")} ORDER BY rolname`,
            );
            return result.rows.map((row: { rolname: string }) => row.rolname);
        },
        async stop() {
            await Promise.allSettled([vault.stop(), postgres.destroy()]);
        },
    };
    return stack;
}
