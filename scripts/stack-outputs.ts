/**
 * The stack outputs the backup and restore scripts read, from `pulumi stack output --json --show-secrets` saved to a
 * file or piped in (`--outputs FILE|-`), and the flag parsing both share.
 */
import * as fs from "fs";

/** The outputs of a server-mode stack these scripts use. */
export interface ServerOutputs {
    vaultAddress?: string;
    vaultCaCertificate?: string;
    vaultRootToken?: string;
    vaultUnsealKeys?: string[];
    vaultMode?: string;
}

/** Parses the outputs' JSON; a secret printed without --show-secrets is "[secret]", which is no token. */
export function parseOutputs(text: string, source: string): ServerOutputs {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        throw new Error(`the stack outputs in ${source} are not JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`the stack outputs in ${source} are not a JSON object`);
    const outputs = parsed as ServerOutputs;
    if (outputs.vaultRootToken === "[secret]" || (outputs.vaultUnsealKeys as unknown) === "[secret]") {
        throw new Error(`the stack outputs in ${source} hide their secrets: run pulumi stack output --json --show-secrets`);
    }
    if (outputs.vaultMode !== undefined && outputs.vaultMode !== "server") {
        throw new Error(`the stack in ${source} runs a ${outputs.vaultMode} Vault: only server mode keeps its data, and only server mode has snapshots`);
    }
    return outputs;
}

/** Reads `--outputs`: a file, or standard input with "-". */
export function readOutputs(source: string): ServerOutputs {
    const text = source === "-" ? fs.readFileSync(0, "utf8") : fs.readFileSync(source, "utf8");
    return parseOutputs(text, source === "-" ? "standard input" : source);
}

/** Reads a CA certificate file given with --ca-cert. */
export function readCaCertificate(file: string): string {
    const text = fs.readFileSync(file, "utf8");
    if (!text.includes("-----BEGIN CERTIFICATE-----")) throw new Error(`--ca-cert ${file} holds no PEM certificate`);
    return text;
}

/** The value after a flag; another flag or nothing there is a usage error. */
export function flagValue(argv: readonly string[], index: number, flag: string, usage: string): string {
    const next = argv[index];
    if (next === undefined || (next.startsWith("--") && next !== "-")) throw new Error(`${flag} needs a value\n\n${usage}`);
    return next;
}
