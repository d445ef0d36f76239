/**
 * `npm run restore`: brings a server-mode Vault whose data volume was lost back from a Raft snapshot, onto the new,
 * empty server that runs with the same config (see USAGE and docs/server-mode.md, "Backup and restore"). The steps
 * are components/raft-snapshot.ts's `restoreSnapshot`; this reads the flags and the outputs, checks the result with
 * the original root token, and prints what happened.
 */
import * as fs from "fs";
import { isoSeconds } from "../components/doctor/lease-findings";
import { restoreSnapshot } from "../components/raft-snapshot";
import { vaultRequest } from "../components/vault-api";
import { flagValue, runCommand } from "./cli";
import { readCaCertificate, readOutputs, ServerOutputs } from "./stack-outputs";

const USAGE = `usage: npm run restore -- --snapshot <file> --outputs <file|-> [--address <url>] [--ca-cert <file>]

Restores a Raft snapshot onto a NEW, EMPTY server-mode Vault (or OpenBao) run with the same config, after its data
volume was lost: initialises it with a throw-away key, installs the snapshot (sys/storage/raft/snapshot-force), then
unseals it with the original key shares. Refuses a server that is already initialised.

  --snapshot <file>    the snapshot, as npm run backup wrote it
  --outputs <file|->   the stack outputs, as printed by pulumi stack output --json --show-secrets BEFORE any
                       pulumi up ran against the empty server (- reads stdin): vaultUnsealKeys, vaultAddress,
                       vaultCaCertificate, and vaultRootToken to check the restored server with
  --address <url>      the new server's API address instead of the outputs'
  --ca-cert <file>     the CA its certificate verifies against (PEM), instead of the outputs'
  -h, --help           this text

Leases issued before the snapshot are back and can be renewed and revoked. Database users created after it have no
lease any more: they stay in PostgreSQL until removed. Once pulumi up --refresh ran, npm run doctor names them as
orphans and npm run doctor -- --fix drops them.`;

export interface RestoreArgs {
    snapshot: string;
    outputs: string;
    address?: string;
    caCert?: string;
}

export function parseArgs(argv: readonly string[]): RestoreArgs | "help" {
    const args: Partial<RestoreArgs> = {};
    for (let index = 0; index < argv.length; index++) {
        const flag = argv[index];
        if (flag === "--help" || flag === "-h") return "help";
        else if (flag === "--snapshot") args.snapshot = flagValue(argv, ++index, flag, USAGE);
        else if (flag === "--outputs") args.outputs = flagValue(argv, ++index, flag, USAGE);
        else if (flag === "--address") args.address = flagValue(argv, ++index, flag, USAGE);
        else if (flag === "--ca-cert") args.caCert = flagValue(argv, ++index, flag, USAGE);
        else throw new Error(`unknown option ${flag}\n\n${USAGE}`);
    }
    if (!args.snapshot) throw new Error(`--snapshot is required\n\n${USAGE}`);
    if (!args.outputs) throw new Error(`--outputs is required: the original unseal keys are in it\n\n${USAGE}`);
    return args as RestoreArgs;
}

/** Restores, then looks up the original root token on the restored server: proof that it holds the snapshot's data. */
export async function restore(args: RestoreArgs, outputs: ServerOutputs): Promise<string> {
    const address = args.address ?? outputs.vaultAddress;
    if (!address) throw new Error(`the stack outputs in ${args.outputs} have no vaultAddress: pass --address`);
    if (!outputs.vaultUnsealKeys?.length) throw new Error(`the stack outputs in ${args.outputs} have no vaultUnsealKeys: is this a server-mode stack?`);
    const caCertificate = args.caCert ? readCaCertificate(args.caCert) : outputs.vaultCaCertificate;
    await restoreSnapshot({ address, caCertificate }, args.snapshot, outputs.vaultUnsealKeys);
    const lines = [`restored ${args.snapshot} onto ${address}: unsealed with the original ${outputs.vaultUnsealKeys.length} key shares`];
    if (outputs.vaultRootToken) {
        await vaultRequest(address, outputs.vaultRootToken, "GET", "auth/token/lookup-self", undefined, { caCertificate }).catch((error: { status?: number; message: string }) => {
            throw new Error(`restored and unsealed, but the stack's root token does not work there (${error.status ?? error.message}): is the snapshot this stack's?`);
        });
        lines.push("the stack's root token works again; pulumi up --refresh puts back what the stack declared after the snapshot");
    }
    // Users the engine created after the snapshot have no lease in it: the doctor's orphan check names them.
    const finishedAt = isoSeconds(new Date(fs.statSync(args.snapshot).mtimeMs));
    lines.push(`database users created after the snapshot (${finishedAt}) have no lease: npm run doctor names them, --fix drops them`);
    return lines.join("\n");
}

if (require.main === module) runCommand(USAGE, () => parseArgs(process.argv.slice(2)), async (args) => restore(args, readOutputs(args.outputs)));
