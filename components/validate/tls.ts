/**
 * TLS settings of servers the stack does not run: PEM inputs, the sslmode a CA implies, and the refusal of plaintext
 * to a host beyond this machine unless the user insists (`allowPlaintext`).
 */
import * as pulumi from "@pulumi/pulumi";
import { splitHostList } from "../sql";
import { invalid } from "./errors";
import { checkSslMode, isPulumiValue } from "./scalars";
import { SslMode } from "./settings";

/** How a client reaches PostgreSQL: the libpq sslmode and, to verify against a private CA, its certificate. */
export interface PostgresClientTls {
    sslMode: SslMode;
    /** The CA that issued the server's certificate (PEM; a bundle such as RDS's may hold several). */
    caCertificate?: pulumi.Input<string>;
    /** A client certificate and its key (PEM) for servers that ask for one (mutual TLS). */
    clientCertificate?: pulumi.Input<string>;
    clientKey?: pulumi.Input<string>;
}

/** A component's `tls` argument: checked, or plain text ("disable") when absent. */
export function checkClientTls(where: string, tls: PostgresClientTls | undefined): PostgresClientTls {
    if (tls === undefined) return { sslMode: "disable" };
    checkSslMode(where, "tls.sslMode", tls.sslMode, "disable");
    checkTlsPems(where, (name) => `tls.${name}`, tls);
    return tls;
}

/** The CA, client certificate and key, each PEM where given, and the certificate and key given together. */
function checkTlsPems(where: string, field: (name: "caCertificate" | "clientCertificate" | "clientKey") => string, given: { caCertificate?: unknown; clientCertificate?: unknown; clientKey?: unknown }): void {
    checkPem(where, field("caCertificate"), given.caCertificate, "certificate");
    checkPem(where, field("clientCertificate"), given.clientCertificate, "certificate");
    checkPem(where, field("clientKey"), given.clientKey, "private key");
    if ((given.clientCertificate === undefined) !== (given.clientKey === undefined)) {
        throw invalid(where, field(given.clientKey === undefined ? "clientKey" : "clientCertificate"), undefined,
            `a client certificate needs its key and the key its certificate; set both ${field("clientCertificate")} and ${field("clientKey")}`);
    }
}

/** sslmodes that may send the password unencrypted (libpq: allow and prefer fall back to plain text). */
const PLAINTEXT_SSL_MODES: readonly SslMode[] = ["disable", "allow", "prefer"];

/** 127.0.0.0/8, ::1 and localhost: a connection that never leaves the machine. */
export function isLoopbackHost(host: string): boolean {
    const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
    return bare === "localhost" || bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/** Checks a PEM input given as a plain string: certificates (`kind` "certificate") or a private key. */
export function checkPem(where: string, field: string, value: unknown, kind: "certificate" | "private key"): void {
    if (value === undefined || isPulumiValue(value)) return;
    const shown = kind === "private key" ? "[secret]" : value;
    const marker = kind === "certificate" ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
    if (typeof value !== "string" || !marker.test(value)) {
        const howTo = field.includes(".") ? "" : ` (pulumi config set vault-pg:${field} < file.pem)`;
        // A key is never shown, whole or in part.
        const display = kind === "private key" ? shown : typeof value === "string" && value.length > 80 ? `${value.slice(0, 60)}...` : value;
        throw invalid(where, field, display,
            `must be PEM text (-----BEGIN ${kind === "certificate" ? "CERTIFICATE" : "PRIVATE KEY"}-----): the file's content, not its path${howTo}`);
    }
}

/** The TLS fields of an existing PostgreSQL, as checkPostgresTls reads them. */
export interface PostgresTlsFields {
    /** Every host the Pulumi process or Vault connects to (a host list). */
    host: unknown;
    sslMode?: unknown;
    caCertificate?: unknown;
    clientCertificate?: unknown;
    clientKey?: unknown;
    allowPlaintext?: boolean;
}

/**
 * The sslmode for an existing PostgreSQL: verify-full when a CA is given, else require. A CA with a mode that would
 * not use it (Vault's driver verifies against inline CAs only with verify-ca and verify-full) is refused, as is a mode
 * that may send the password in clear to a host beyond this machine unless `allowPlaintext` is set.
 */
export function checkPostgresTls(where: string, field: (name: keyof PostgresTlsFields) => string, given: PostgresTlsFields, sslMode: SslMode | undefined): SslMode {
    const fields = { sslMode: field("sslMode"), allowPlaintext: field("allowPlaintext") };
    checkTlsPems(where, field, given);
    const mode = sslMode ?? (given.caCertificate !== undefined ? "verify-full" : "require");
    if (given.caCertificate !== undefined && mode !== "verify-full" && mode !== "verify-ca") {
        throw invalid(where, fields.sslMode, mode, `a CA is given but this sslmode does not verify against it; use verify-full (the default with a CA) or verify-ca`);
    }
    if (PLAINTEXT_SSL_MODES.includes(mode) && !given.allowPlaintext && typeof given.host === "string") {
        const remote = splitHostList(given.host).map((entry) => entry.host).filter((host) => !isLoopbackHost(host));
        if (remote.length > 0) {
            throw invalid(where, fields.sslMode, mode,
                `may send the password and every credential in clear to ${remote.join(", ")}; use require or verify-full, or set ${fields.allowPlaintext} to true to insist`);
        }
    }
    return mode;
}

/** Refuses an http:// Vault address beyond this machine unless `allowPlaintext` is set: tokens would cross in clear. */
export function checkVaultTransport(where: string, field: (name: "address" | "allowPlaintext") => string, address: unknown, allowPlaintext: boolean | undefined): void {
    const fields = { address: field("address"), allowPlaintext: field("allowPlaintext") };
    if (typeof address !== "string" || allowPlaintext) return;
    const match = /^http:\/\/(\[[^\]]+\]|[^:/]+)/.exec(address);
    if (match && !isLoopbackHost(match[1])) {
        throw invalid(where, fields.address, address, `sends every token in clear over plain HTTP; use https:// (with the server's CA if private), or set ${fields.allowPlaintext} to true to insist`);
    }
}

/** A file on the Vault server named in its connection URL: an absolute path without characters a URL would change. */
export function checkServerFilePath(where: string, field: string, value: unknown): void {
    if (value === undefined) return;
    if (typeof value !== "string" || !/^\/[A-Za-z0-9._\-/]*$/.test(value)) {
        throw invalid(where, field, value, "must be an absolute path of a file on the Vault server, e.g. /etc/openbao/tls/postgres-ca.pem");
    }
}
