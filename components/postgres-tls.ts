/**
 * How each client of PostgreSQL is told to use TLS, from one description (PostgresClientTls): the postgresql
 * provider, the admin check and applications (node-postgres), and Vault's connection config, whose form depends on
 * the server (inline PEM fields on HashiCorp Vault 1.18+, file paths in the URL on OpenBao).
 */
import * as pulumi from "@pulumi/pulumi";
import { TLS_PATHS } from "./container-tls";
import { localPemFile } from "./local-pem-file";
import { Flavor, invalid, PostgresClientTls } from "./validate";

export type { PostgresClientTls };

/** Files on the Vault server for OpenBao's connection URL (`sslrootcert`, `sslcert`, `sslkey`). */
export interface VaultServerTlsFiles {
    caFile?: string;
    certificateFile?: string;
    keyFile?: string;
}

/**
 * The postgresql provider's TLS settings. lib/pq (the driver of terraform-provider-postgresql) reads `sslrootcert`
 * as PEM content only with `sslinline`, which the provider sets only inside `clientcert` (postgresql/config.go,
 * connParams; lib/pq ssl.go, sslCertificateAuthority): with a client certificate everything is inline, without one
 * the CA goes to a local file (local-pem-file.ts). lib/pq checks the host name with verify-full (`ServerName`).
 */
export function postgresProviderTls(tls: PostgresClientTls): { sslmode: string; sslrootcert?: pulumi.Input<string>; clientcert?: pulumi.Input<{ cert: string; key: string; sslinline: boolean }> } {
    if (tls.clientCertificate !== undefined && tls.clientKey !== undefined) {
        return {
            sslmode: tls.sslMode,
            sslrootcert: tls.caCertificate,
            clientcert: pulumi.secret(pulumi.all([tls.clientCertificate, tls.clientKey]).apply(([cert, key]) => ({ cert, key, sslinline: true }))),
        };
    }
    return { sslmode: tls.sslMode, ...(tls.caCertificate !== undefined ? { sslrootcert: localPemFile(tls.caCertificate) } : {}) };
}

/** node-postgres's `ssl` option (false: no TLS), for plain values of PostgresClientTls. */
export type NodePostgresSsl = false | { rejectUnauthorized: boolean; ca?: string; cert?: string; key?: string; checkServerIdentity?: () => undefined };

/**
 * libpq's meaning of each sslmode for node-postgres: no TLS for disable and allow, TLS without verification for
 * prefer and require (libpq's require verifies the chain when a root certificate is given: verify-ca here),
 * the chain for verify-ca, the chain and the host name for verify-full (Node's default check).
 */
export function nodePostgresSsl(tls: { sslMode: string; caCertificate?: string; clientCertificate?: string; clientKey?: string }): NodePostgresSsl {
    const client = tls.clientCertificate && tls.clientKey ? { cert: tls.clientCertificate, key: tls.clientKey } : {};
    const ca = tls.caCertificate ? { ca: tls.caCertificate } : {};
    switch (tls.sslMode) {
        case "disable":
        case "allow":
            return false;
        case "prefer":
        case "require":
            return tls.caCertificate ? { rejectUnauthorized: true, ...ca, ...client, checkServerIdentity: () => undefined } : { rejectUnauthorized: false, ...client };
        case "verify-ca":
            return { rejectUnauthorized: true, ...ca, ...client, checkServerIdentity: () => undefined };
        default:
            return { rejectUnauthorized: true, ...ca, ...client };
    }
}

/**
 * What Vault's connection config carries for TLS: URL parameters and inline fields.
 * - HashiCorp Vault 1.18+: `tls_ca`, `tls_certificate`, `private_key` (plugins/database/postgresql/postgresql.go,
 *   Initialize); they replace the CA and certificates of the TLS config pgx builds from the URL's sslmode
 *   (sdk/database/helper/connutil/sql.go, Connection), and pgx checks the host name with verify-full only.
 *   terraform-provider-vault sends them only to a server it reads as 1.18 or later
 *   (vault/resource_database_secret_backend_connection.go, setPostgresDatabaseConnectionData).
 * - OpenBao: no inline fields (its plugin passes the URL to pgx v5 as it is), so files on the server, named in the
 *   URL (pgconn/config.go, configTLS reads `sslrootcert`, `sslcert`, `sslkey` from disk).
 */
export function vaultConnectionTls(
    flavor: Flavor,
    tls: PostgresClientTls,
    files: VaultServerTlsFiles = {},
): { urlParameters: Record<string, string>; fields: { tlsCa?: pulumi.Input<string>; tlsCertificate?: pulumi.Input<string>; privateKey?: pulumi.Input<string> } } {
    // Files, where given, serve either flavor (HashiCorp Vault before 1.18 has only them); inline fills the rest.
    const urlParameters: Record<string, string> = {};
    if (files.caFile) urlParameters.sslrootcert = files.caFile;
    if (files.certificateFile) urlParameters.sslcert = files.certificateFile;
    if (files.keyFile) urlParameters.sslkey = files.keyFile;
    if (flavor === "openbao") return { urlParameters, fields: {} };
    return {
        urlParameters,
        fields: {
            ...(tls.caCertificate !== undefined && !files.caFile ? { tlsCa: tls.caCertificate } : {}),
            ...(tls.clientCertificate !== undefined && !files.certificateFile ? { tlsCertificate: tls.clientCertificate } : {}),
            ...(tls.clientKey !== undefined && !files.keyFile ? { privateKey: pulumi.secret(tls.clientKey) } : {}),
        },
    };
}

/** Where the Vault server that holds the engine runs, and what it was told about PostgreSQL's TLS. */
export interface VaultSideTlsInput {
    flavor: Flavor;
    /** The stack runs the Vault container (files can be put into it). */
    vaultContainer: boolean;
    /** The PostgreSQL is the stack's own container (its CA is the stack CA, already in the Vault container). */
    postgresContainer: boolean;
    sslMode: string;
    caGiven: boolean;
    clientCertificateGiven: boolean;
    /** Files the user named on the Vault server. */
    files?: VaultServerTlsFiles;
}

/**
 * The files Vault's connection names, and whether the existing PostgreSQL's CA goes into the Vault container. Only
 * OpenBao needs files, and only when it is to verify (verify-ca, verify-full) or present a client certificate; the
 * stack supplies the CA where it runs the container, and asks for paths where it cannot. Throws one line otherwise.
 */
export function vaultSideTlsFiles(where: string, input: VaultSideTlsInput): { files: VaultServerTlsFiles; uploadPostgresCa: boolean } {
    const given = input.files ?? {};
    if (input.flavor !== "openbao") return { files: given, uploadPostgresCa: false };
    const verifies = input.sslMode === "verify-ca" || input.sslMode === "verify-full";
    if (input.clientCertificateGiven && !(given.certificateFile && given.keyFile)) {
        throw invalid(where, "flavor", input.flavor,
            "OpenBao takes a client certificate only as files on its server (no inline TLS fields); put them there and name them in existingPostgres.vaultTlsFiles (config postgresVaultCertificateFile, postgresVaultKeyFile)");
    }
    if (!verifies || given.caFile || !input.caGiven) return { files: given, uploadPostgresCa: false };
    if (input.vaultContainer) {
        return input.postgresContainer
            ? { files: { ...given, caFile: TLS_PATHS.caCertificate }, uploadPostgresCa: false }
            : { files: { ...given, caFile: TLS_PATHS.postgresCaCertificate }, uploadPostgresCa: true };
    }
    if (input.postgresContainer) {
        // The stack CA exists only once the stack runs, so it cannot be on that server beforehand.
        throw invalid(where, "flavor", input.flavor,
            "an existing OpenBao cannot verify the stack's PostgreSQL container: OpenBao takes a CA only as a file on its server (no inline TLS fields); set tls to false, or use HashiCorp Vault 1.18+ (inline CA)");
    }
    throw invalid(where, "flavor", input.flavor,
        "OpenBao takes the PostgreSQL CA only as a file on its server (no inline TLS fields); put the CA there and name it in existingPostgres.vaultTlsFiles.caFile (config postgresVaultCaFile)");
}
