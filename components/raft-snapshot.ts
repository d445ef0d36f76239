/**
 * Raft snapshots of a server-mode Vault (or OpenBao): taking one into a file (`npm run backup`) and restoring one onto
 * a new, empty server whose volume was lost (`npm run restore`). The requests go through the one Vault client
 * (vault-api.ts); what a failure means to the operator is said by pure functions (`snapshotRefusal`,
 * `snapshotFailure`), tested without a server. docs/server-mode.md, "Backup and restore", is the procedure.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { pipeline } from "stream/promises";
import { createGunzip } from "zlib";
import { BACKUP_POLICY_NAME } from "./operator-policies";
import { VaultError, vaultStreamRequest } from "./vault-api";
import { initialize, SealStatus, sealStatus, unseal, waitForServer } from "./vault-init";

const SNAPSHOT_PATH = "sys/storage/raft/snapshot";
/** Restores a snapshot of another cluster (other keys): what a new server's throw-away initialisation makes it. */
const SNAPSHOT_FORCE_PATH = "sys/storage/raft/snapshot-force";

/** A server and how to reach it. */
export interface SnapshotTarget {
    address: string;
    /** The CA its certificate verifies against (PEM), for an https:// server the system does not trust. */
    caCertificate?: string;
}

/** Why a server cannot give a snapshot at all, from its seal status (which needs no token); undefined if it can. */
export function snapshotRefusal(address: string, status: SealStatus): string | undefined {
    if (!status.initialized) return `Vault at ${address} is not initialised: there is nothing to back up yet`;
    if (status.sealed) return `Vault at ${address} is sealed: unseal it first (pulumi up, or vault operator unseal), then back up`;
    const storage = status.storage_type;
    if (storage !== undefined && storage !== "raft") {
        const instead =
            storage === "file"
                ? "stop the server and copy its data volume instead (docs/server-mode.md, Backup and restore), or use vaultStorage raft"
                : storage === "inmem"
                  ? "a dev server keeps everything in memory and loses it on restart; use vaultMode server"
                  : "back up that storage with its own tools";
        return `Vault at ${address} uses ${storage} storage, which has no Raft snapshots: ${instead}`;
    }
    return undefined;
}

/** One line for a failed snapshot request: what the status means and what to do. */
export function snapshotFailure(address: string, error: unknown): string {
    if (!(error instanceof VaultError)) return `snapshot of Vault at ${address} failed: ${(error as Error).message}`;
    if (error.status === 403) {
        return `Vault at ${address} refused the snapshot (403): the token may not read ${SNAPSHOT_PATH}; use a token with the ${BACKUP_POLICY_NAME} policy (or the root token)`;
    }
    if (error.status === 503) return `Vault at ${address} is sealed or has no active node (503): unseal it first, then back up`;
    if (error.status === 404) return `Vault at ${address} has no ${SNAPSHOT_PATH} (404): its storage is not raft`;
    return `snapshot of Vault at ${address} failed: ${error.message}`;
}

/**
 * Streams a snapshot into `file`: mode 0600 (it holds every secret, encrypted by the server's keys), written whole or
 * not at all (a temp file beside it, checked to be a complete gzip stream, then moved into place), and an existing
 * file is replaced only with `overwrite`. Resolves with the file's size in bytes.
 */
export async function takeSnapshot(target: SnapshotTarget, token: string, file: string, overwrite = false): Promise<number> {
    if (!overwrite && fs.existsSync(file)) throw new Error(`${file} exists; pass --overwrite to replace it`);
    const options = { caCertificate: target.caCertificate };
    const refusal = snapshotRefusal(target.address, await sealStatus({ address: target.address, ...options }));
    if (refusal) throw new Error(refusal);
    const response = await vaultStreamRequest(target.address, token, "GET", SNAPSHOT_PATH, undefined, options).catch((error: unknown) => {
        throw new Error(snapshotFailure(target.address, error));
    });
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.partial`);
    try {
        const bytes = await writeVerified(response, temp).catch((error: Error) => {
            throw new Error(`snapshot of Vault at ${target.address} was not written to ${file}: ${error.message}`);
        });
        if (overwrite) {
            await fs.promises.rename(temp, file);
        } else {
            // link fails if the file appeared meanwhile: never replaced without --overwrite.
            await fs.promises.link(temp, file).catch((error: NodeJS.ErrnoException) => {
                throw new Error(error.code === "EEXIST" ? `${file} exists; pass --overwrite to replace it` : `writing ${file} failed: ${error.message}`);
            });
        }
        return bytes;
    } finally {
        await fs.promises.rm(temp, { force: true });
    }
}

/** Writes the answer to a new file (mode 0600), flushed to disk, and checks it is a complete gzip stream; returns its size. */
async function writeVerified(response: NodeJS.ReadableStream, file: string): Promise<number> {
    await pipeline(response, fs.createWriteStream(file, { flags: "wx", mode: 0o600 }));
    const written = await fs.promises.open(file, "r");
    try {
        await written.sync();
    } finally {
        await written.close();
    }
    // A snapshot is a gzipped tar: an answer cut off mid-way ends the gzip stream early and fails here.
    await pipeline(fs.createReadStream(file), createGunzip(), async function* (inflated: AsyncIterable<Buffer>) {
        for await (const chunk of inflated) void chunk;
    });
    return (await fs.promises.stat(file)).size;
}

/**
 * Restores `file` onto a new, uninitialised server run with the same config (the lost volume's replacement):
 * 1. a throw-away initialisation, so that the server accepts a restore at all, with as many shares as the original
 *    keys and all of them needed: OpenBao keeps this seal config in memory after the restore (until it restarts),
 *    and then combines every original share into the original root key; HashiCorp Vault reloads the snapshot's own
 *    config and unseals at its threshold. Measured on both; either way all original shares open it;
 * 2. the snapshot installed with `snapshot-force`, since it belongs to a cluster with other keys; the server then
 *    seals itself to take up the snapshot's keys;
 * 3. the ORIGINAL key shares unseal it.
 * From then on the server is the one in the snapshot (its root token, policies, mounts, leases); the throw-away root
 * token and keys are gone with the storage they lived in. Resolves with the final seal status.
 */
export async function restoreSnapshot(target: SnapshotTarget, file: string, originalUnsealKeys: readonly string[]): Promise<SealStatus> {
    const size = (await fs.promises.stat(file).catch(() => undefined))?.size;
    if (size === undefined) throw new Error(`no snapshot file at ${file}`);
    if (originalUnsealKeys.length === 0) throw new Error("no unseal keys given: the snapshot's server opens only with its own key shares");
    const server = { address: target.address, caCertificate: target.caCertificate };
    const before = await waitForServer(server);
    if (before.initialized) {
        throw new Error(`Vault at ${target.address} is already initialised: restore goes onto a new server with an empty data volume (docs/server-mode.md, Backup and restore)`);
    }
    const shares = originalUnsealKeys.length;
    const throwAway = await initialize(server, shares, shares);
    await unseal(server, throwAway.keys);
    const stream = fs.createReadStream(file);
    const response = await vaultStreamRequest(target.address, throwAway.rootToken, "POST", SNAPSHOT_FORCE_PATH, { stream, length: size }, { caCertificate: target.caCertificate }).catch(
        (error: unknown) => {
            const detail = error instanceof VaultError ? `${error.status}: ${error.errors.join("; ") || "(no message)"}` : (error as Error).message;
            throw new Error(`Vault at ${target.address} did not take the snapshot ${file} (${detail}); the server is initialised with a throw-away key: empty its data volume before trying again`);
        },
    );
    response.resume();
    await waitUntilSealed(server, 30_000);
    return unseal(server, originalUnsealKeys).catch((error: Error) => {
        throw new Error(`the snapshot is installed, but the given keys do not open it: ${error.message}. Were the keys read after a pulumi up initialised a new server?`);
    });
}

/** Polls until the server reports itself sealed, or the time is up (then unseal finds it open and returns at once). */
async function waitUntilSealed(server: SnapshotTarget, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await sealStatus(server)).sealed && Date.now() < deadline) await new Promise((resolveTimer) => setTimeout(resolveTimer, 200));
}
