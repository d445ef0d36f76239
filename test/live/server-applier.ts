/**
 * What the server-mode stack adds to test/live/applier.ts's mapping, and the one update the rotation test needs:
 *
 *   vault:index/audit:Audit               {type, path, description, options: {file_path}}
 *                                          -> PUT sys/audit/<path> {type, description, options}; file_path is the
 *                                             container's, rewritten to the local server's (the only rewrite here)
 *   vault:database/secretBackendConnection:SecretBackendConnection
 *                                          -> the connection mapping of test/live/applier-providers.ts (which sends
 *                                             the write-only password only on create or a new version); written
 *                                             here between the mount and rotate-root
 *   vault:generic/endpoint:Endpoint        {path, dataJson, disableRead, disableDelete} -> POST <path> <dataJson>
 *   pulumi-nodejs:dynamic/vault-pg:VaultUnseal
 *                                          not applied here: tests run its create/update (initializeAndUnseal)
 *
 * Everything else goes through applyResources unchanged.
 */
import { UnsealInputs, UnsealState } from "../../components";
import { plain, RecordedResource, TYPES } from "../helpers/pulumi-mocks";
import { applyResources } from "./applier";
import { serializedProvider } from "./dynamic-provider";
import { connection as connectionOps, Inputs } from "./applier-providers";
import { recordProgram as recordLiveProgram, RecordedProgram } from "./live-stack";
import { PostgresServer, vaultRequest } from "./harness";

export const SERVER_TYPES = {
    audit: "vault:index/audit:Audit",
    endpoint: "vault:generic/endpoint:Endpoint",
    unseal: "pulumi-nodejs:dynamic/vault-pg:VaultUnseal",
} as const;

export interface ServerTargets {
    postgres: PostgresServer;
    vault: { address: string; rootToken: string };
    /** Where the local server's audit device writes. */
    auditLogPath?: string;
}

/** A connection as recorded: what the provider mapping takes, and the roles it allows. */
type ConnectionInputs = Inputs & { allowedRoles: string[] };

const ofType = (resources: RecordedResource[], type: string): RecordedResource[] => resources.filter((resource) => resource.type === type);

/**
 * Writes a connection as the provider does. `previous` is the connection's inputs at the last apply (an update):
 * then the password is sent only if the write-only version changed.
 */
export async function writeConnection(targets: ServerTargets, connection: ConnectionInputs, previous?: ConnectionInputs): Promise<void> {
    // The container name on the Docker network becomes the local server's address.
    const { postgres } = targets;
    const ctx = {
        targets,
        localUrl: (url: string) => url.replace(/@[^/]+\//, `@${postgres.host}:${postgres.port}/`),
        pgAdmin: { host: postgres.host, port: postgres.port, user: postgres.superuser, password: postgres.superuserPassword, ssl: postgres.ssl },
    };
    if (previous === undefined) await connectionOps.create(connection, ctx);
    else await connectionOps.update(previous, connection, [], ctx);
}

export function connectionInputs(resources: RecordedResource[]): ConnectionInputs {
    const [connection] = ofType(resources, TYPES.connection);
    if (!connection) throw new Error("server applier: the program declares no connection");
    return plain<ConnectionInputs>(connection.inputs);
}

/** Applies every resource of a server-mode program (the unseal step excepted) in Pulumi's create order. */
export async function applyServerStack(resources: RecordedResource[], targets: ServerTargets): Promise<void> {
    const containers = ofType(resources, TYPES.container);
    const special = new Set<string>([SERVER_TYPES.audit, SERVER_TYPES.endpoint, SERVER_TYPES.unseal, TYPES.connection]);
    const rest = resources.filter((resource) => !special.has(resource.type));
    const beforeConnection = rest.filter((resource) => !resource.type.startsWith("vault:") || resource.type === TYPES.mount);
    const afterConnection = rest.filter((resource) => resource.type.startsWith("vault:") && resource.type !== TYPES.mount);
    const root = <T>(method: string, apiPath: string, body?: Record<string, unknown>): Promise<T> =>
        vaultRequest<T>(targets.vault.address, targets.vault.rootToken, method, apiPath, body);

    for (const audit of ofType(resources, SERVER_TYPES.audit)) {
        const inputs = plain<{ type: string; path: string; description?: string; options: Record<string, string> }>(audit.inputs);
        if (!targets.auditLogPath) throw new Error("server applier: an audit device needs auditLogPath");
        await root("PUT", `sys/audit/${inputs.path}`, { type: inputs.type, description: inputs.description, options: { ...inputs.options, file_path: targets.auditLogPath } });
    }
    await applyResources([...containers, ...beforeConnection], targets);
    await writeConnection(targets, connectionInputs(resources));
    for (const endpoint of ofType(resources, SERVER_TYPES.endpoint)) {
        const inputs = plain<{ path: string; dataJson: string; disableRead?: boolean; disableDelete?: boolean }>(endpoint.inputs);
        await root("POST", inputs.path, JSON.parse(inputs.dataJson) as Record<string, unknown>);
    }
    await applyResources([...containers, ...afterConnection], targets);
}

/** The program's outputs a live test uses. */
export type ProgramOutputs = Pick<RecordedProgram, "database" | "credsPaths" | "apps" | "deployerPolicy" | "vaultAdminPassword" | "outputs">;

/** Records index.ts with a whole config (see live-stack.ts's recordProgram, which this calls). */
export async function recordProgram(config: Record<string, string>): Promise<{ resources: RecordedResource[]; outputs: ProgramOutputs }> {
    const recorded = await recordLiveProgram(() => config);
    return { resources: recorded.resources, outputs: recorded };
}

/** The unseal resource's provider as Pulumi runs it: create, diff and update, from the serialized text. */
export interface UnsealProvider {
    create(inputs: UnsealInputs): Promise<{ id: string; outs: UnsealState }>;
    diff(id: string, olds: UnsealState, news: UnsealInputs): Promise<{ changes: boolean }>;
    update(id: string, olds: UnsealState, news: UnsealInputs): Promise<{ outs: UnsealState }>;
}

/** The unseal resource's provider, loaded from the text the program serialized (see dynamic-provider.ts). */
export function serializedUnsealProvider(unseal: RecordedResource): UnsealProvider {
    return serializedProvider<UnsealProvider>(unseal);
}
