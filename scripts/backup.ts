/**
 * `npm run backup`: takes a Raft snapshot of a server-mode Vault (or OpenBao) into a file, from the stack outputs or
 * an explicit address and token (see USAGE). The snapshot logic is components/raft-snapshot.ts; this reads the flags,
 * picks the server and token, and prints one line.
 */
import * as path from "path";
import { takeSnapshot } from "../components/raft-snapshot";
import { vaultRequest } from "../components/vault-api";
import { flagValue, runCommand } from "./cli";
import { readCaCertificate, readOutputs } from "./stack-outputs";

const USAGE = `usage: npm run backup -- --out <file> (--outputs <file|-> | --address <url>) [options]

Takes a Raft snapshot of a server-mode Vault (or OpenBao) into <file>: mode 0600, written whole or not at all.
Keep it off the server's own volume and host (docs/server-mode.md, Backup and restore).

  --out <file>         where to write the snapshot; an existing file is refused unless --overwrite
  --overwrite          replace <file> if it exists
  --outputs <file|->   the stack outputs, as printed by pulumi stack output --json --show-secrets (- reads stdin):
                       vaultAddress, vaultCaCertificate, and vaultRootToken unless VAULT_TOKEN is set
  --address <url>      the server's API address instead of the outputs' (with VAULT_TOKEN)
  --ca-cert <file>     the CA the server's certificate verifies against (PEM), instead of the outputs'
  --renew-token        renew the token first: a periodic token of the vault-pg-backup policy then lives as long
                       as backups run
  -h, --help           this text

The token is VAULT_TOKEN (or BAO_TOKEN), else the outputs' vaultRootToken. It needs read on
sys/storage/raft/snapshot: the stack's vault-pg-backup policy grants that and nothing else.`;

export interface BackupArgs {
    out: string;
    overwrite: boolean;
    outputs?: string;
    address?: string;
    caCert?: string;
    renewToken: boolean;
}

export function parseArgs(argv: readonly string[]): BackupArgs | "help" {
    const args: Partial<BackupArgs> = { overwrite: false, renewToken: false };
    for (let index = 0; index < argv.length; index++) {
        const flag = argv[index];
        if (flag === "--help" || flag === "-h") return "help";
        else if (flag === "--out") args.out = flagValue(argv, ++index, flag, USAGE);
        else if (flag === "--overwrite") args.overwrite = true;
        else if (flag === "--outputs") args.outputs = flagValue(argv, ++index, flag, USAGE);
        else if (flag === "--address") args.address = flagValue(argv, ++index, flag, USAGE);
        else if (flag === "--ca-cert") args.caCert = flagValue(argv, ++index, flag, USAGE);
        else if (flag === "--renew-token") args.renewToken = true;
        else throw new Error(`unknown option ${flag}\n\n${USAGE}`);
    }
    if (!args.out) throw new Error(`--out is required\n\n${USAGE}`);
    if (!args.outputs && !args.address) throw new Error(`--outputs or --address is required\n\n${USAGE}`);
    return args as BackupArgs;
}

/** The server, its CA and the token to use, from the flags, the environment and the outputs. */
export function backupTarget(args: BackupArgs, env: NodeJS.ProcessEnv): { address: string; caCertificate?: string; token: string } {
    const outputs = args.outputs ? readOutputs(args.outputs) : {};
    const address = args.address ?? outputs.vaultAddress;
    if (!address) throw new Error(`the stack outputs in ${args.outputs} have no vaultAddress: pass --address`);
    const caCertificate = args.caCert ? readCaCertificate(args.caCert) : outputs.vaultCaCertificate;
    const token = env.VAULT_TOKEN || env.BAO_TOKEN || outputs.vaultRootToken;
    if (!token) throw new Error("no token: set VAULT_TOKEN (a token with the vault-pg-backup policy), or pass --outputs with vaultRootToken");
    return { address, caCertificate, token };
}

export async function backup(args: BackupArgs, env: NodeJS.ProcessEnv): Promise<string> {
    const target = backupTarget(args, env);
    if (args.renewToken) {
        await vaultRequest(target.address, target.token, "PUT", "auth/token/renew-self", {}, { caCertificate: target.caCertificate }).catch((error: { status?: number; message: string }) => {
            throw new Error(`renewing the token at ${target.address} failed (${error.status ?? error.message}): is it renewable, and does its policy allow auth/token/renew-self?`);
        });
    }
    const file = path.resolve(args.out);
    const bytes = await takeSnapshot(target, target.token, file, args.overwrite);
    return `wrote a snapshot of ${target.address} to ${file} (${bytes} bytes)`;
}

if (require.main === module) runCommand(USAGE, () => parseArgs(process.argv.slice(2)), (args) => backup(args, process.env));
