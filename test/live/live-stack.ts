/**
 * The dev stack, applied to real servers: runs index.ts under mocks with the dev stack's config (optionally
 * adjusted), starts a throw-away PostgreSQL and Vault-API server, applies the recorded resources, and offers what an
 * application does with the stack's outputs: AppRole login, reading a creds path, connecting to PostgreSQL. The
 * stack keeps its deployed state, so a test can replay its later life: `up` to another recorded program, `refresh`,
 * `destroy`, and a restart of the dev Vault server.
 */
import { Client } from "pg";
import { AppLogin, DYNAMIC_USERNAME_PREFIX, GroupRoleNames, quoteLiteral } from "../../components";
import { DatabaseCreds, loginApp, readCreds } from "../helpers/app-client";
import { loadStackConfig, RecordedResource } from "../helpers/pulumi-mocks";
import { ApplyError, ApplyHooks, ApplyResult, applyResources, destroy, LiveTargets, refresh, RefreshResult, up } from "./applier";
import { PostgresServer, startPostgres, startVault, VaultServer, vaultRequest } from "./harness";

export type { DatabaseCreds };

/** One run of index.ts under mocks: what it registered and what it exported. */
export interface RecordedProgram {
    resources: RecordedResource[];
    database: string;
    mountPath: string;
    credsPaths: Record<string, string>;
    apps: Record<string, AppLogin>;
    groupRoles: GroupRoleNames;
    deployerPolicy: string;
    vaultAdminPassword: string;
    /** Every output, resolved, as `pulumi stack output --json --show-secrets` prints them. */
    outputs: Record<string, unknown>;
}

/** The dev stack's config, adjusted (values as Pulumi stores them: strings, lists and objects as JSON). */
export type ConfigChange = (config: Record<string, string>) => Record<string, string>;

/** A ConfigChange that appends entries to the config's JSON lists (`roles`, `apps`, `staticRoles`; absent = empty). */
export function appendToConfig(extra: Partial<Record<"roles" | "apps" | "staticRoles", object[]>>): ConfigChange {
    return (config) => ({
        ...config,
        ...Object.fromEntries(Object.entries(extra).map(([key, entries]) => [key, JSON.stringify([...JSON.parse(config[key] ?? "[]"), ...entries])])),
    });
}

/**
 * The stack's outputs as `pulumi stack output --json --show-secrets` would print them for servers the harness runs:
 * the program's, with the servers' real addresses, root token and Vault CA.
 */
export function deployedOutputs(
    programOutputs: Record<string, unknown>,
    vault: { address: string; rootToken: string; caCertificate?: string },
    postgres: Pick<PostgresServer, "host" | "port">,
): Record<string, unknown> {
    return {
        ...programOutputs,
        vaultAddress: vault.address,
        vaultRootToken: vault.rootToken,
        ...(vault.caCertificate ? { vaultCaCertificate: vault.caCertificate } : {}),
        postgresAddress: `${postgres.host}:${postgres.port}`,
    };
}

/**
 * Runs index.ts under mocks, under Jest in a module registry of its own so that a test can record the program more
 * than once (outside Jest, e.g. in the benchmark, once per process).
 */
export async function recordProgram(config?: ConfigChange): Promise<RecordedProgram> {
    // The harness's servers are local processes in plain text; the TLS setup has its own suite (tls.test.ts), whose
    // config change turns TLS back on.
    const baseConfig = { ...loadStackConfig(), tls: "false" };
    const isolated = (run: () => Promise<void>): Promise<void> => (typeof jest === "undefined" ? run() : jest.isolateModulesAsync(run));
    let recorded: RecordedProgram | undefined;
    await isolated(async () => {
        const mocks = await import("../helpers/pulumi-mocks");
        const recorder = await mocks.installMocks("dev", config ? config(baseConfig) : baseConfig);
        const program = await import("../../index");
        const [database, mountPath, credsPaths, apps, deployerPolicy, vaultAdminPassword] = await Promise.all([
            mocks.resolve(program.database),
            mocks.resolve(program.mountPath),
            mocks.resolve(program.credsPaths),
            mocks.resolve(program.apps),
            mocks.resolve(program.deployerPolicy),
            mocks.resolve(program.vaultAdminPassword),
        ]);
        const exported = Object.entries(program as Record<string, unknown>).filter(([name]) => name !== "default");
        const outputs = Object.fromEntries(await Promise.all(exported.map(async ([name, value]) => [name, await mocks.resolve(value)] as const)));
        recorded = { resources: await recorder.settle(), database, mountPath, credsPaths, apps, groupRoles: program.groupRoles, deployerPolicy, vaultAdminPassword, outputs };
    });
    if (!recorded) throw new Error("recording the program produced nothing");
    return recorded;
}

export interface LiveStack {
    postgres: PostgresServer;
    /** The current dev server (replaced by restartVault). */
    vault: VaultServer;
    /** The resources of the program last applied. */
    resources: RecordedResource[];
    /** What is deployed, as the engine's state holds it. */
    state: RecordedResource[];
    /** The program's own outputs. */
    database: string;
    mountPath: string;
    credsPaths: Record<string, string>;
    apps: Record<string, AppLogin>;
    groupRoles: GroupRoleNames;
    /** The stack's outputs as `pulumi stack output --json --show-secrets` would print them for these servers. */
    deployedOutputs(): Record<string, unknown>;
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
    /** The servers as the applier reaches them. */
    targets(): LiveTargets;
    /** `pulumi up` to another recorded program; the stack takes its state and outputs. */
    up(program: RecordedProgram): Promise<ApplyResult>;
    /** `pulumi refresh`; the stack takes the refreshed state. */
    refresh(): Promise<RefreshResult>;
    /** `pulumi destroy`; the stack keeps what a failed destroy leaves. */
    destroy(hooks?: ApplyHooks): Promise<ApplyResult>;
    /** Stops the dev Vault server and starts a new one, empty, as a restarted dev server comes back. */
    restartVault(): Promise<void>;
    stop(): Promise<void>;
}

export interface LiveStackOptions {
    /** Adjusts the dev stack's config before the program runs (values as Pulumi stores them). */
    config?: ConfigChange;
    /** Servers already running (a replicated primary, a cluster node) instead of fresh ones; stop() stops them too. */
    postgres?: PostgresServer;
    vault?: VaultServer;
}

export async function startLiveStack(options: LiveStackOptions = {}): Promise<LiveStack> {
    const program = await recordProgram(options.config);
    const [postgres, vault] = await Promise.all([options.postgres ?? startPostgres(), options.vault ?? startVault()]);
    try {
        await applyResources(program.resources, { postgres, vault });
    } catch (error) {
        await Promise.allSettled([postgres.destroy(), vault.stop()]);
        throw error;
    }

    /** Keeps the state a replay leaves behind, also when it fails. */
    const tracked = async <T extends { state: RecordedResource[] }>(run: () => Promise<T>): Promise<T> => {
        try {
            const result = await run();
            stack.state = result.state;
            return result;
        } catch (error) {
            if (error instanceof ApplyError) stack.state = error.state;
            throw error;
        }
    };

    let programOutputs = program.outputs;
    const stack: LiveStack = {
        postgres,
        vault,
        resources: program.resources,
        state: program.resources,
        database: program.database,
        mountPath: program.mountPath,
        credsPaths: program.credsPaths,
        apps: program.apps,
        groupRoles: program.groupRoles,
        root: (method, path, body) => vaultRequest(stack.vault.address, stack.vault.rootToken, method, path, body, { caCertificate: stack.vault.caCertificate }),
        as: (token, method, path, body) => vaultRequest(stack.vault.address, token, method, path, body, { caCertificate: stack.vault.caCertificate }),
        targets: () => ({ postgres, vault: stack.vault }),
        deployedOutputs: () => deployedOutputs(programOutputs, stack.vault, postgres),
        async up(next) {
            const result = await tracked(() => up(stack.state, next.resources, stack.targets()));
            Object.assign(stack, { resources: next.resources, mountPath: next.mountPath, credsPaths: next.credsPaths, apps: next.apps });
            programOutputs = next.outputs;
            return result;
        },
        refresh: () => tracked(() => refresh(stack.state, stack.targets())),
        destroy: (hooks) => tracked(() => destroy(stack.state, stack.targets(), hooks)),
        async restartVault() {
            await stack.vault.stop();
            stack.vault = await startVault();
        },
        async login(app) {
            const loginPath = stack.apps[app]?.loginPath;
            if (!loginPath) throw new Error(`no app ${app} in the stack outputs`);
            return loginApp(stack.vault, stack.vault.rootToken, loginPath, app);
        },
        readCreds: (token, credsPath) => readCreds(stack.vault, token, credsPath),
        async connect(creds) {
            const client = new Client({
                host: postgres.host,
                port: postgres.port,
                database: stack.database,
                user: creds.username,
                password: creds.password,
                // verify-full against the server's CA when it speaks TLS, as an application does.
                ssl: postgres.ssl,
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
            await Promise.allSettled([stack.vault.stop(), postgres.destroy()]);
        },
    };
    return stack;
}
