/**
 * Servers the stack does not run: host lists for a primary and its standbys, and the settings of an existing
 * PostgreSQL or Vault, checked with their field paths.
 */
import * as pulumi from "@pulumi/pulumi";
import { splitHostList } from "../sql";
import { invalid } from "./errors";
import { checkPort, checkSslMode, checkVaultAddress, isPulumiValue } from "./scalars";
import { SslMode } from "./settings";
import { checkPem, checkPostgresTls, checkServerFilePath, checkVaultTransport } from "./tls";

/** A PostgreSQL the stack does not run: no container, the access model is applied to it as its superuser. */
export interface ExistingPostgres {
    /**
     * Host, or a primary and its standbys as "db1,db2" or "db1:5432,db2:5433" (docs/high-availability.md):
     * Vault gets the whole list with target_session_attrs=read-write; the Pulumi process administers the first.
     */
    host: pulumi.Input<string>;
    /** Port of every host listed without one; default 5432. */
    port?: pulumi.Input<number>;
    /** Host or host list Vault connects to, where it differs from `host`; entries without a port take `port`. */
    vaultHost?: pulumi.Input<string>;
    /** A superuser (or a role with CREATEROLE and CREATEDB) the Pulumi process uses; default "postgres". */
    superuser?: pulumi.Input<string>;
    superuserPassword: pulumi.Input<string>;
    /** libpq sslmode for both the Pulumi process and Vault; default "verify-full" with `caCertificate`, else "require". */
    sslMode?: SslMode;
    /** The CA that issued the server's certificate (PEM; e.g. the RDS global bundle), to verify it. */
    caCertificate?: pulumi.Input<string>;
    /** A client certificate and key (PEM) for the Pulumi process and Vault, where the server requires one. */
    clientCertificate?: pulumi.Input<string>;
    clientKey?: pulumi.Input<string>;
    /**
     * Paths on the Vault server of the CA, client certificate and key, for OpenBao (no inline TLS fields) or
     * HashiCorp Vault before 1.18; inline PEM is used otherwise.
     */
    vaultTlsFiles?: { caFile?: string; certificateFile?: string; keyFile?: string };
    /** Allow an sslmode that may send passwords in clear (disable, allow, prefer) to a host beyond this machine. */
    allowPlaintext?: boolean;
}

/** A Vault (or OpenBao) the stack does not run: no container, every Vault resource goes through this address. */
export interface ExistingVault {
    /** API address, e.g. "https://vault.example.com:8200". */
    address: pulumi.Input<string>;
    /**
     * A token allowed to apply the stack's Vault resources. Unset: the `VAULT_TOKEN` of the environment pulumi runs
     * in, such as a CI job's OIDC login (docs/identity.md), and no token is kept in the stack's config or state.
     */
    token?: pulumi.Input<string>;
    /** The CA that issued the server's certificate (PEM), where it is not one the system trusts. */
    caCertificate?: pulumi.Input<string>;
    /** Allow an http:// address to a host beyond this machine. */
    allowPlaintext?: boolean;
}

const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[[0-9a-fA-F:.]+\]$/;

/**
 * One host, or a list for a primary and its standbys: "db1,db2" (all on the port setting) or "db1:5432,db2:5433".
 * Rejected: empty entries, a port without a host, some entries with a port and some without (libpq pairs a
 * `port=` list with hosts by position, pgx drops the missing ones and shifts the rest: "db1,db2:5433" means
 * different servers to different clients), bad hosts or ports, and the same server twice.
 */
export function checkHostList(where: string, field: string, value: unknown): void {
    if (value === undefined || isPulumiValue(value)) return;
    if (typeof value !== "string") throw invalid(where, field, value, "a host must be a DNS name or an IP address, without scheme or port");
    const entries = splitHostList(value);
    const seen = new Set<string>();
    entries.forEach((entry, index) => {
        const text = value.split(",")[index];
        const at = entries.length > 1 ? `entry ${index + 1} ${JSON.stringify(text)}: ` : "";
        if (text === "") throw invalid(where, field, value, `entry ${index + 1} is empty; separate hosts with single commas`);
        if (entry.host === "") throw invalid(where, field, value, `${at}a port without a host`);
        if (/[/@?#\s]/.test(text) || !HOST.test(entry.host)) {
            throw invalid(where, field, value, `${at}a host must be a DNS name or an IP address (IPv6 in brackets), optionally with :port, without scheme or path`);
        }
        if (entry.port !== undefined && !(Number.isInteger(entry.port) && entry.port >= 1 && entry.port <= 65535 && /^\d+$/.test(text.slice(text.lastIndexOf(":") + 1)))) {
            throw invalid(where, field, value, `${at}a port must be a whole number from 1 to 65535`);
        }
        const key = `${entry.host.toLowerCase()}:${entry.port ?? ""}`;
        if (seen.has(key)) throw invalid(where, field, value, `${at}the same server is listed twice`);
        seen.add(key);
    });
    const withPort = entries.filter((entry) => entry.port !== undefined).length;
    if (withPort > 0 && withPort < entries.length) {
        throw invalid(where, field, value, "some entries have a port and some do not; give every host its port (db1:5432,db2:5433) or none (all on the port setting)");
    }
}

/** The first server of a host list, the one the Pulumi process administers; entries without a port take `port`. */
export function firstEndpoint(hosts: string, port: number): { host: string; port: number } {
    const [first] = splitHostList(hosts);
    return { host: first.host, port: first.port ?? port };
}

/** Checks an existing PostgreSQL's settings; `prefix` names the field path ("" for stack config keys). */
export function checkExistingPostgres(where: string, prefix: string, existing: ExistingPostgres): ExistingPostgres {
    const field = (name: string): string => (prefix ? `${prefix}.${name}` : `postgres${name[0].toUpperCase()}${name.slice(1)}`);
    checkHostList(where, field("host"), existing.host);
    checkPort(where, field("port"), existing.port);
    checkHostList(where, field("vaultHost"), existing.vaultHost);
    if (existing.superuserPassword === undefined || existing.superuserPassword === "") {
        throw invalid(where, field("superuserPassword"), existing.superuserPassword,
            "an existing PostgreSQL needs its superuser password (pulumi config set --secret vault-pg:postgresSuperuserPassword ...)");
    }
    const sslMode = checkPostgresTls(where, field, { ...existing, host: [existing.host, existing.vaultHost].filter((host) => typeof host === "string").join(",") || existing.host },
        existing.sslMode === undefined ? undefined : checkSslMode(where, field("sslMode"), existing.sslMode, "require"));
    const files = existing.vaultTlsFiles ?? {};
    for (const [name, value] of Object.entries(files)) {
        checkServerFilePath(where, prefix ? `${prefix}.vaultTlsFiles.${name}` : `postgresVault${name[0].toUpperCase()}${name.slice(1)}`, value);
    }
    return { ...existing, sslMode };
}

/** Checks an existing Vault's settings; `prefix` names the field path ("" for stack config keys). */
export function checkExistingVault(where: string, prefix: string, existing: ExistingVault): ExistingVault {
    checkVaultAddress(where, prefix ? `${prefix}.address` : "vaultAddress", existing.address);
    checkVaultTransport(where, (name) => (prefix ? `${prefix}.${name}` : `vault${name[0].toUpperCase()}${name.slice(1)}`), existing.address, existing.allowPlaintext);
    checkPem(where, prefix ? `${prefix}.caCertificate` : "vaultCaCertificate", existing.caCertificate, "certificate");
    if ((existing.token === undefined || existing.token === "") && !process.env.VAULT_TOKEN) {
        throw invalid(where, prefix ? `${prefix}.token` : "vaultToken", existing.token,
            "an existing Vault needs a token that may apply the stack's resources: VAULT_TOKEN in the environment (a CI login), or pulumi config set --secret vault-pg:vaultToken ...");
    }
    return existing;
}
