/**
 * The stack outputs the backup and restore scripts read, from `pulumi stack output --json --show-secrets` saved to a
 * file or piped in (`--outputs FILE|-`).
 */
import * as fs from "fs";
import { parseOutputsJson, readInput } from "./cli";

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
    const outputs = parseOutputsJson(text, source) as ServerOutputs;
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
    return parseOutputs(readInput(source, "the stack outputs"), source === "-" ? "standard input" : source);
}

/** Reads a CA certificate file given with --ca-cert. */
export function readCaCertificate(file: string): string {
    const text = fs.readFileSync(file, "utf8");
    if (!text.includes("-----BEGIN CERTIFICATE-----")) throw new Error(`--ca-cert ${file} holds no PEM certificate`);
    return text;
}
