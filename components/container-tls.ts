/**
 * How the stack's containers get their TLS files, rendered by pure functions: the uploads, the entrypoint wrapper
 * that hands the private key to the server's user, PostgreSQL's TLS settings and hostssl-only pg_hba.conf.
 *
 * The docker provider writes an upload as root-owned (kreuzwerker/terraform-provider-docker
 * `internal/provider/resource_docker_container_funcs.go`, resourceDockerContainerCreate: a tar header without uid),
 * and the uid of the server's user differs by image (postgres: 999 on Debian, 70 on Alpine). PostgreSQL refuses a
 * key it does not own unless root owns it with 0640 or less (`check_ssl_key_file_permissions`,
 * src/backend/libpq/be-secure-common.c), which its own user then cannot read. So the key is uploaded readable by root
 * only, and the container starts as root with a wrapper that installs a copy owned by the server's user (mode 0600)
 * and then runs the image's own entrypoint, which drops to that user (gosu in postgres, su-exec in vault/openbao).
 */
import * as pulumi from "@pulumi/pulumi";
import { hclString } from "./hcl";

/** The files a server container needs for TLS: its certificate and key, and the CA its clients (and it) trust. */
export interface ServerTlsFiles {
    certificate: pulumi.Input<string>;
    privateKey: pulumi.Input<string>;
    caCertificate: pulumi.Input<string>;
}

/** Where the uploads land (root-owned) and where the wrapper installs the key for the server's user. */
export const TLS_UPLOAD_DIR = "/etc/vault-pg/tls";
export const TLS_RUNTIME_DIR = "/run/vault-pg/tls";
export const TLS_PATHS = {
    certificate: `${TLS_UPLOAD_DIR}/server.crt`,
    uploadedKey: `${TLS_UPLOAD_DIR}/server.key`,
    caCertificate: `${TLS_UPLOAD_DIR}/ca.crt`,
    key: `${TLS_RUNTIME_DIR}/server.key`,
    /** In a Vault container: the CA of an existing PostgreSQL, for OpenBao's `sslrootcert`. */
    postgresCaCertificate: `${TLS_UPLOAD_DIR}/postgres-ca.crt`,
} as const;

/** The uploads for `docker.Container`: certificate and CA world-readable, the key root-only. */
export function tlsUploads(files: ServerTlsFiles) {
    return [
        { file: TLS_PATHS.certificate, content: files.certificate, permissions: "0644" },
        { file: TLS_PATHS.caCertificate, content: files.caCertificate, permissions: "0644" },
        { file: TLS_PATHS.uploadedKey, content: pulumi.secret(files.privateKey), permissions: "0600" },
    ];
}

/**
 * The shell script of the entrypoint wrapper: install the key for `user`, then exec the image's entrypoint with the
 * container's command. It runs at every start, so a replaced certificate (a new container) is picked up.
 */
export function keyInstallScript(user: string): string {
    if (!/^[a-z_][a-z0-9_-]*$/.test(user)) throw new Error(`not a user name: ${JSON.stringify(user)}`);
    return [
        "set -e",
        `install -d -m 0700 -o ${user} -g ${user} ${TLS_RUNTIME_DIR}`,
        `install -m 0600 -o ${user} -g ${user} ${TLS_PATHS.uploadedKey} ${TLS_PATHS.key}`,
        'exec docker-entrypoint.sh "$@"',
    ].join("\n");
}

/** `entrypoints` for `docker.Container`: `sh -c <script> <name>`, the container's command following as "$@". */
export function keyInstallEntrypoint(user: string): string[] {
    return ["/bin/sh", "-c", keyInstallScript(user), "vault-pg-tls"];
}

/** Where the PostgreSQL container's hostssl-only pg_hba.conf is uploaded. */
export const POSTGRES_HBA_PATH = "/etc/vault-pg/pg_hba.conf";

/**
 * pg_hba.conf of the PostgreSQL container with TLS: TCP connections only over TLS, with a password (SCRAM); a plain
 * TCP connection finds no line and is refused. The Unix socket, reachable only inside the container, stays trusted
 * as in the image's default file: its entrypoint initialises the database through it without a password.
 */
export function postgresHbaConf(): string {
    return [
        "# TYPE   DATABASE  USER  ADDRESS  METHOD",
        "local    all       all            trust",
        "hostssl  all       all   all      scram-sha-256",
        "",
    ].join("\n");
}

/**
 * `postgres` server options for TLS. They are also passed to the entrypoint's temporary server that initialises a new
 * data directory (docker-library/postgres `docker_temp_server_start`), so the key is installed before that too.
 */
export function postgresTlsOptions(): string[] {
    const settings = {
        ssl: "on",
        ssl_cert_file: TLS_PATHS.certificate,
        ssl_key_file: TLS_PATHS.key,
        ssl_min_protocol_version: "TLSv1.2",
        hba_file: POSTGRES_HBA_PATH,
    };
    return Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${value}`]);
}

/**
 * The TLS listener of a Vault or OpenBao container: the API on `address` with the stack's certificate, TLS 1.2 or
 * later. In dev mode it is a config file beside the dev server's own listener, which the container binds to its
 * loopback address only (both images start `server` with `-config=<config dir>`, dev mode included:
 * `.release/docker/docker-entrypoint.sh`; the server merges the config's listeners with the dev one).
 * `extraLines` go inside the block (server mode's listener `telemetry` stanza).
 */
export function vaultTlsListenerHcl(address: string, clusterAddress?: string, extraLines: readonly string[] = []): string {
    return [
        `listener "tcp" {`,
        `  address         = ${hclString(address)}`,
        ...(clusterAddress ? [`  cluster_address = ${hclString(clusterAddress)}`] : []),
        `  tls_cert_file   = ${hclString(TLS_PATHS.certificate)}`,
        `  tls_key_file    = ${hclString(TLS_PATHS.key)}`,
        `  tls_min_version = "tls12"`,
        ...extraLines,
        `}`,
    ].join("\n");
}
