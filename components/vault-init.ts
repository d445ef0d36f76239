/**
 * Initialising and unsealing a server-mode Vault (or OpenBao) during `pulumi up`, before the Vault provider or any
 * Vault resource touches it.
 *
 * The HTTP steps are plain exported functions (the live suite calls them directly). `VaultUnseal` is a dynamic
 * resource whose provider calls them: its diff reads `sys/seal-status` and reports a change only while the server
 * is uninitialised or sealed; create and update initialise once and unseal. Its outputs (root token and unseal
 * keys, secrets) configure the Vault provider, so every Vault resource waits for the unseal.
 *
 * Pulumi serializes a dynamic provider's functions into the state and runs them in a separate process: they may use
 * only globals and functions of this file, never module state (Pulumi docs, "Dynamic Resource Providers",
 * serialization). Same-file calls compile to direct references, which the serializer copies along; the Vault client
 * (vault-api.ts) keeps no module state and requires its modules inside the call, so the serializer copies it too.
 */
import * as pulumi from "@pulumi/pulumi";
import { vaultRequest } from "./vault-api";

/** A server: its address, or its address and the CA its certificate verifies against (PEM). */
export type VaultEndpoint = string | { address: string; caCertificate?: string };

function endpointOf(server: VaultEndpoint): { address: string; options: { caCertificate?: string } } {
    return typeof server === "string" ? { address: server, options: {} } : { address: server.address, options: { caCertificate: server.caCertificate } };
}

/** `GET sys/seal-status`, which needs no token. */
export interface SealStatus {
    initialized: boolean;
    sealed: boolean;
    /** Threshold and shares; 0 before initialisation. */
    t: number;
    n: number;
    progress: number;
    /** The storage backend, e.g. "raft", "file", "inmem" (a dev server). */
    storage_type?: string;
}

/** What `sys/init` returns: the only time the root token and the key shares are ever shown. */
export interface InitResult {
    rootToken: string;
    keys: string[];
}

export async function sealStatus(server: VaultEndpoint): Promise<SealStatus> {
    const { address, options } = endpointOf(server);
    return vaultRequest<SealStatus>(address, undefined, "GET", "sys/seal-status", undefined, options);
}

/** Waits until the server answers `sys/seal-status` (its container may be healthy a moment before it listens). */
export async function waitForServer(server: VaultEndpoint, timeoutMs = 60_000): Promise<SealStatus> {
    const { address } = endpointOf(server);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            return await sealStatus(server);
        } catch (error) {
            // A certificate that does not verify will not verify on the next try either.
            if ((error as Error).name === "TlsVerificationError") throw error;
            if (Date.now() > deadline) throw new Error(`Vault at ${address} did not answer within ${timeoutMs} ms: ${(error as Error).message}`);
            await new Promise((resolveTimer) => setTimeout(resolveTimer, 500));
        }
    }
}

/** `PUT sys/init` with Shamir shares: once per server, ever. */
export async function initialize(server: VaultEndpoint, shares: number, threshold: number): Promise<InitResult> {
    const { address, options } = endpointOf(server);
    const result = await vaultRequest<{ root_token: string; keys: string[] }>(address, undefined, "PUT", "sys/init", { secret_shares: shares, secret_threshold: threshold }, options);
    return { rootToken: result.root_token, keys: result.keys };
}

/**
 * Submits key shares until the server is unsealed, then waits until it serves requests: a raft node elects itself
 * leader a few seconds after unsealing and answers 503 until then. Already unsealed: returns at once.
 */
export async function unseal(server: VaultEndpoint, keys: readonly string[], timeoutMs = 60_000): Promise<SealStatus> {
    const { address, options } = endpointOf(server);
    let status = await sealStatus(server);
    for (const key of keys) {
        if (!status.sealed) break;
        status = await vaultRequest<SealStatus>(address, undefined, "PUT", "sys/unseal", { key }, options);
    }
    if (status.sealed) {
        throw new Error(`Vault at ${address} is still sealed after ${keys.length} key shares (threshold ${status.t}): the stored keys are not this server's (rekeyed?); unseal it by hand`);
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        // sys/health answers 200 only on an active, unsealed node (standby 429, sealed 503).
        const health = await vaultRequest(address, undefined, "GET", "sys/health", undefined, options).then(
            () => 200,
            (error: { status?: number }) => error.status ?? 0,
        );
        if (health === 200) return status;
        if (Date.now() > deadline) throw new Error(`Vault at ${address} is unsealed but not active after ${timeoutMs} ms (sys/health ${health})`);
        await new Promise((resolveTimer) => setTimeout(resolveTimer, 250));
    }
}

/** Inputs of the unseal resource. */
export interface UnsealInputs {
    /** API address as the Pulumi process reaches it. */
    address: string;
    /** The CA of an https:// server's certificate (PEM). */
    caCertificate?: string;
    /** Key shares and threshold; used only when the server is initialised. */
    shares: number;
    threshold: number;
}

/** Its state: the inputs plus what initialisation returned. */
export interface UnsealState extends UnsealInputs {
    rootToken: string;
    unsealKeys: string[];
}

/**
 * What the unseal resource's create (`known` undefined) and update (`known` from state) run: initialises an
 * uninitialised server, then unseals it.
 */
export async function initializeAndUnseal(inputs: UnsealInputs, known: InitResult | undefined): Promise<UnsealState> {
    const server = { address: inputs.address, caCertificate: inputs.caCertificate };
    const status = await waitForServer(server);
    let init = known;
    if (!status.initialized) {
        init = await initialize(server, inputs.shares, inputs.threshold);
    } else if (init === undefined) {
        throw new Error(
            `Vault at ${inputs.address} is already initialised and this stack holds no unseal keys for it; ` +
                "unseal it by hand and pass a token with vaultToken, or start from an empty data volume",
        );
    }
    await unseal(server, init.keys);
    return { ...inputs, rootToken: init.rootToken, unsealKeys: init.keys };
}

/** The unseal resource's diff: a change while the server is uninitialised or sealed, and only then. */
export async function needsUnseal(server: VaultEndpoint): Promise<boolean> {
    // A server that does not answer (its container is being replaced) is checked again by update.
    const status = await sealStatus(server).catch(() => undefined);
    return status === undefined || !status.initialized || status.sealed;
}

const unsealProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: UnsealInputs) {
        return { id: "unseal", outs: await initializeAndUnseal(inputs, undefined) };
    },
    async diff(_id: string, olds: UnsealState, news: UnsealInputs) {
        return { changes: olds.address !== news.address || (await needsUnseal({ address: news.address, caCertificate: news.caCertificate })) };
    },
    async update(_id: string, olds: UnsealState, news: UnsealInputs) {
        // An uninitialised server here has lost its data volume: it is initialised anew with the new settings.
        return { outs: await initializeAndUnseal(news, { rootToken: olds.rootToken, keys: olds.unsealKeys }) };
    },
    // Nothing to delete: the server, and with it its keys, goes with its data volume.
    async delete() {
        return;
    },
};

export interface VaultUnsealArgs {
    address: pulumi.Input<string>;
    /** The CA of an https:// server's certificate (PEM). */
    caCertificate?: pulumi.Input<string>;
    shares: pulumi.Input<number>;
    threshold: pulumi.Input<number>;
}

/** The unseal step of a server-mode Vault; its `rootToken` and `unsealKeys` are secrets. */
export class VaultUnseal extends pulumi.dynamic.Resource {
    public readonly rootToken!: pulumi.Output<string>;
    public readonly unsealKeys!: pulumi.Output<string[]>;

    constructor(name: string, args: VaultUnsealArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            unsealProvider,
            name,
            { ...args, rootToken: undefined, unsealKeys: undefined },
            { ...opts, additionalSecretOutputs: ["rootToken", "unsealKeys"] },
            "vault-pg",
            "VaultUnseal",
        );
    }
}
