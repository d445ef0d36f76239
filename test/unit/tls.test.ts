/**
 * TLS without Pulumi: the certificate names, the container files and the wrapper script (run with stand-ins for
 * `install` and the image's entrypoint), how each client is told to verify, and the checks of existing servers' TLS
 * settings. Failure messages and local PEM files: tls-failures.test.ts; graphs: tls-stack.test.ts.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { subjectAltNames } from "../../components/certificates";
import { keyInstallEntrypoint, keyInstallScript, postgresHbaConf, postgresTlsOptions, vaultTlsListenerHcl } from "../../components/container-tls";
import { nodePostgresSsl, vaultConnectionTls, vaultSideTlsFiles, VaultSideTlsInput } from "../../components/postgres-tls";
import { serverConfigHcl } from "../../components/server-config";
import { connectionUrlTemplate } from "../../components/sql";
import { checkExistingPostgres, checkExistingVault, ExistingPostgres, isLoopbackHost, readStackConfig } from "../../components/validate";
import { resolve } from "../helpers/pulumi-mocks";
import { expectInvalid } from "../helpers/expect-invalid";

const CA = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n";
const CERT = "-----BEGIN CERTIFICATE-----\nMIIBclient\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIGHkey\n-----END PRIVATE KEY-----\n";
const W = "where";


describe("server certificates and container files", () => {
    it("lists IPs (IPv6 without brackets) as IP SANs and names as DNS SANs, lowercase, each once", () => {
        const names = subjectAltNames(["vault-pg-dev-vault", "localhost", "127.0.0.1", "127.0.0.1", "[::1]", "DB.Example.com", "db.example.com", "10.0.0.5", "1.2.3.4.nip.io"]);
        expect(names).toEqual({ dnsNames: ["vault-pg-dev-vault", "localhost", "db.example.com", "1.2.3.4.nip.io"], ipAddresses: ["127.0.0.1", "::1", "10.0.0.5"] });
    });

    it("the wrapper hands the key to the given user and execs the entrypoint (the server stays PID 1); no shell code as user", () => {
        expect(keyInstallEntrypoint("vault")[2]).toContain("install -m 0600 -o vault -g vault /etc/vault-pg/tls/server.key /run/vault-pg/tls/server.key\n");
        expect(keyInstallScript("openbao").split("\n").pop()).toBe('exec docker-entrypoint.sh "$@"');
        for (const user of ["postgres; rm -rf /", "$(id)", "Postgres", "a b", ""]) expect(() => keyInstallScript(user)).toThrow(`not a user name: ${JSON.stringify(user)}`);
    });

    describe("the wrapper, run by /bin/sh with stand-ins for install and docker-entrypoint.sh", () => {
        let dir: string;
        /** Runs the container's entrypoint with `command` as its command; `install` exits with `installExit`. */
        const run = (installExit: number, command: string[]): { log: string[]; status: number } => {
            fs.writeFileSync(path.join(dir, "install"), `#!/bin/sh\necho "install $*" >> "${dir}/log"\nexit ${installExit}\n`, { mode: 0o755 });
            fs.writeFileSync(path.join(dir, "docker-entrypoint.sh"), `#!/bin/sh\nfor arg in "$@"; do echo "arg[$arg]" >> "${dir}/log"; done\n`, { mode: 0o755 });
            fs.rmSync(path.join(dir, "log"), { force: true });
            const [shell, ...args] = keyInstallEntrypoint("postgres");
            let status = 0;
            try {
                execFileSync(shell, [...args, ...command], { env: { PATH: `${dir}:/usr/bin:/bin` }, stdio: "pipe" });
            } catch (error) {
                status = (error as { status: number }).status;
            }
            return { log: fs.readFileSync(path.join(dir, "log"), "utf8").trim().split("\n"), status };
        };
        beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-wrapper-"))));
        afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("hands the container's whole command, every argument intact, to the entrypoint after installing the key", () => {
            const installs = ["install -d -m 0700 -o postgres -g postgres /run/vault-pg/tls", "install -m 0600 -o postgres -g postgres /etc/vault-pg/tls/server.key /run/vault-pg/tls/server.key"];
            const entrypointArgs = ["arg[postgres]", "arg[-c]", "arg[ssl=on]", "arg[a value with spaces]"];
            expect(run(0, ["postgres", "-c", "ssl=on", "a value with spaces"])).toEqual({ log: [...installs, ...entrypointArgs], status: 0 });
        });

        it("does not start the server when the key cannot be installed", () => {
            expect(run(3, ["postgres"])).toEqual({ log: ["install -d -m 0700 -o postgres -g postgres /run/vault-pg/tls"], status: 3 });
        });
    });

    it("pg_hba.conf: a plain TCP connection finds no line (TLS or nothing); TLS needs a SCRAM password; the socket stays local", () => {
        const lines = postgresHbaConf().split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#")).map((line) => line.trim().split(/\s+/));
        expect(lines).toEqual([["local", "all", "all", "trust"], ["hostssl", "all", "all", "all", "scram-sha-256"]]);
    });

    it("PostgreSQL runs with ssl on, TLS 1.2+, the key the wrapper installed (not the root-only upload) and that pg_hba.conf", () => {
        const settings = ["ssl=on", "ssl_cert_file=/etc/vault-pg/tls/server.crt", "ssl_key_file=/run/vault-pg/tls/server.key", "ssl_min_protocol_version=TLSv1.2", "hba_file=/etc/vault-pg/pg_hba.conf"];
        expect(postgresTlsOptions()).toEqual(settings.flatMap((setting) => ["-c", setting]));
    });

    it("the Vault TLS listener: the stack certificate, the key the wrapper installed, TLS 1.2+; a cluster address only when given", () => {
        const listener = (cluster: string[]): string =>
            ['listener "tcp" {', '  address         = "0.0.0.0:8200"', ...cluster, '  tls_cert_file   = "/etc/vault-pg/tls/server.crt"', '  tls_key_file    = "/run/vault-pg/tls/server.key"', '  tls_min_version = "tls12"', "}"].join("\n");
        expect(vaultTlsListenerHcl("0.0.0.0:8200")).toBe(listener([]));
        expect(vaultTlsListenerHcl("0.0.0.0:8200", "0.0.0.0:8201")).toBe(listener(['  cluster_address = "0.0.0.0:8201"']));
    });

    it("a server-mode config serves TLS unless told not to, and only then says tls_disable", () => {
        const settings = { flavor: "vault" as const, storage: "raft" as const, listenAddress: "0.0.0.0:8200", clusterListenAddress: "0.0.0.0:8201", storagePath: "/vault/file", apiAddr: "https://v:8200", clusterAddr: "http://v:8201", nodeId: "v", auditLogPath: "/vault/logs/audit.log" };
        const withTls = serverConfigHcl({ ...settings, tls: true });
        expect(withTls).toContain('  cluster_address = "0.0.0.0:8201"\n  tls_cert_file   = "/etc/vault-pg/tls/server.crt"\n  tls_key_file    = "/run/vault-pg/tls/server.key"\n');
        expect(withTls).not.toContain("tls_disable");
        const plainText = serverConfigHcl({ ...settings, tls: false });
        expect(plainText).toContain("  tls_disable     = true\n");
        expect(plainText).not.toContain("tls_cert_file");
    });
});

describe("how each client verifies PostgreSQL", () => {
    it("node-postgres: disable and allow use no TLS; prefer and require without a CA encrypt without verifying", () => {
        expect(nodePostgresSsl({ sslMode: "disable", caCertificate: CA })).toBe(false);
        expect(nodePostgresSsl({ sslMode: "allow" })).toBe(false);
        expect(nodePostgresSsl({ sslMode: "require" })).toEqual({ rejectUnauthorized: false });
        expect(nodePostgresSsl({ sslMode: "prefer" })).toEqual({ rejectUnauthorized: false });
    });

    it("node-postgres: require with a CA and verify-ca check the chain but not the host name", () => {
        for (const sslMode of ["require", "verify-ca"]) {
            const ssl = nodePostgresSsl({ sslMode, caCertificate: CA });
            expect(ssl).toMatchObject({ rejectUnauthorized: true, ca: CA });
            // Node's own check would return an error for a host the certificate does not name.
            expect(ssl && ssl.checkServerIdentity!()).toBeUndefined();
        }
    });

    it("node-postgres: verify-full checks the chain and keeps Node's host name check; a client certificate goes with its key", () => {
        expect(nodePostgresSsl({ sslMode: "verify-full", caCertificate: CA })).toStrictEqual({ rejectUnauthorized: true, ca: CA });
        expect(nodePostgresSsl({ sslMode: "verify-full", caCertificate: CA, clientCertificate: CERT, clientKey: KEY })).toStrictEqual({ rejectUnauthorized: true, ca: CA, cert: CERT, key: KEY });
        expect(nodePostgresSsl({ sslMode: "require", clientCertificate: CERT, clientKey: KEY })).toStrictEqual({ rejectUnauthorized: false, cert: CERT, key: KEY });
    });

    it("HashiCorp Vault gets the PEM inline (the key as a secret) and nothing in the URL", async () => {
        const { urlParameters, fields } = vaultConnectionTls("vault", { sslMode: "verify-full", caCertificate: CA, clientCertificate: CERT, clientKey: KEY });
        expect(urlParameters).toEqual({});
        expect(Object.keys(fields).sort()).toEqual(["privateKey", "tlsCa", "tlsCertificate"]);
        expect([fields.tlsCa, fields.tlsCertificate]).toEqual([CA, CERT]);
        expect(await resolve(fields.privateKey!)).toBe(KEY);
        expect(await pulumi.isSecret(pulumi.output(fields.privateKey!))).toBe(true);
    });

    it("OpenBao gets only files on its server, in the URL, and no inline field it would ignore", () => {
        const files = { caFile: "/etc/bao/pg-ca.pem", certificateFile: "/etc/bao/pg.crt", keyFile: "/etc/bao/pg.key" };
        const urlParameters = { sslrootcert: "/etc/bao/pg-ca.pem", sslcert: "/etc/bao/pg.crt", sslkey: "/etc/bao/pg.key" };
        expect(vaultConnectionTls("openbao", { sslMode: "verify-full", caCertificate: CA, clientCertificate: CERT, clientKey: KEY }, files)).toEqual({ urlParameters, fields: {} });
        expect(vaultConnectionTls("openbao", { sslMode: "verify-full", caCertificate: CA })).toEqual({ urlParameters: {}, fields: {} });
    });

    it("HashiCorp Vault with some files named: those from the files, the rest inline", () => {
        const { urlParameters, fields } = vaultConnectionTls("vault", { sslMode: "verify-full", caCertificate: CA, clientCertificate: CERT, clientKey: KEY }, { caFile: "/etc/vault/pg-ca.pem" });
        expect(urlParameters).toEqual({ sslrootcert: "/etc/vault/pg-ca.pem" });
        expect(Object.keys(fields).sort()).toEqual(["privateKey", "tlsCertificate"]);
    });

    it("Vault's connection URL names the server's files with their slashes, after target_session_attrs for a host list", () => {
        const hostList = connectionUrlTemplate("db1:5432,db2:5433", 5432, "app", "verify-full", { sslrootcert: "/etc/vault-pg/tls/ca.crt" });
        expect(hostList).toBe("postgresql://{{username}}:{{password}}@db1:5432,db2:5433/app?sslmode=verify-full&target_session_attrs=read-write&sslrootcert=/etc/vault-pg/tls/ca.crt");
        expect(connectionUrlTemplate("db", 5432, "app", "verify-ca", { sslrootcert: "/etc/a b&c.pem" })).toBe("postgresql://{{username}}:{{password}}@db:5432/app?sslmode=verify-ca&sslrootcert=/etc/a%20b%26c.pem");
    });
});

describe("vaultSideTlsFiles", () => {
    const openbao: VaultSideTlsInput = { flavor: "openbao", vaultContainer: true, postgresContainer: true, sslMode: "verify-full", caGiven: true, clientCertificateGiven: false };
    const CLIENT_CERT_RULE = `${W}: flavor = "openbao": OpenBao takes a client certificate only as files on its server (no inline TLS fields); put them there and name them in existingPostgres.vaultTlsFiles (config postgresVaultCertificateFile, postgresVaultKeyFile)`;
    const CA_RULE = `${W}: flavor = "openbao": OpenBao takes the PostgreSQL CA only as a file on its server (no inline TLS fields); put the CA there and name it in existingPostgres.vaultTlsFiles.caFile (config postgresVaultCaFile)`;

    it("HashiCorp Vault needs no files (the PEM goes inline)", () => {
        expect(vaultSideTlsFiles(W, { ...openbao, flavor: "vault", postgresContainer: false, clientCertificateGiven: true })).toEqual({ files: {}, uploadPostgresCa: false });
    });

    it("OpenBao's container has the stack CA for the stack's PostgreSQL, and gets an existing PostgreSQL's CA uploaded", () => {
        expect(vaultSideTlsFiles(W, openbao)).toEqual({ files: { caFile: "/etc/vault-pg/tls/ca.crt" }, uploadPostgresCa: false });
        expect(vaultSideTlsFiles(W, { ...openbao, postgresContainer: false })).toEqual({ files: { caFile: "/etc/vault-pg/tls/postgres-ca.crt" }, uploadPostgresCa: true });
    });

    it("OpenBao needs no file where it does not verify, trusts the system CAs, or was given one", () => {
        expect(vaultSideTlsFiles(W, { ...openbao, postgresContainer: false, sslMode: "require", caGiven: false })).toEqual({ files: {}, uploadPostgresCa: false });
        expect(vaultSideTlsFiles(W, { ...openbao, vaultContainer: false, postgresContainer: false, caGiven: false })).toEqual({ files: {}, uploadPostgresCa: false });
        const files = { caFile: "/etc/bao/pg-ca.pem" };
        expect(vaultSideTlsFiles(W, { ...openbao, vaultContainer: false, postgresContainer: false, files })).toEqual({ files, uploadPostgresCa: false });
    });

    it("an existing OpenBao that is to verify against a CA it has no file of is refused, naming the config key", () => {
        expectInvalid(() => vaultSideTlsFiles(W, { ...openbao, vaultContainer: false, postgresContainer: false }), CA_RULE);
        // The stack CA cannot be on an existing server before the stack runs: only what can work is offered.
        expectInvalid(
            () => vaultSideTlsFiles(W, { ...openbao, vaultContainer: false }),
            'where: flavor = "openbao": an existing OpenBao cannot verify the stack\'s PostgreSQL container: OpenBao takes a CA only as a file on its server (no inline TLS fields); set tls to false, or use HashiCorp Vault 1.18+ (inline CA)',
        );
    });

    it("OpenBao takes a client certificate only as files, both of them", () => {
        expectInvalid(() => vaultSideTlsFiles(W, { ...openbao, postgresContainer: false, clientCertificateGiven: true }), CLIENT_CERT_RULE);
        expectInvalid(() => vaultSideTlsFiles(W, { ...openbao, postgresContainer: false, clientCertificateGiven: true, files: { certificateFile: "/c.pem" } }), CLIENT_CERT_RULE);
        const files = { certificateFile: "/c.pem", keyFile: "/k.pem" };
        expect(vaultSideTlsFiles(W, { ...openbao, postgresContainer: false, sslMode: "require", caGiven: false, clientCertificateGiven: true, files })).toEqual({ files, uploadPostgresCa: false });
    });
});

describe("TLS of existing servers", () => {
    const base: ExistingPostgres = { host: "db.internal", superuserPassword: "pw" };
    const AS_ARGS = "existingPostgres";

    it("verify-full by default with a CA, require without one", () => {
        expect(checkExistingPostgres(W, AS_ARGS, { ...base, caCertificate: CA }).sslMode).toBe("verify-full");
        expect(checkExistingPostgres(W, AS_ARGS, base).sslMode).toBe("require");
        expect(checkExistingPostgres(W, AS_ARGS, { ...base, caCertificate: CA, sslMode: "verify-ca" }).sslMode).toBe("verify-ca");
    });

    it("refuses a CA with an sslmode that would not use it", () => {
        expectInvalid(() => checkExistingPostgres(W, AS_ARGS, { ...base, caCertificate: CA, sslMode: "require" }), `${W}: existingPostgres.sslMode = "require": a CA is given but this sslmode does not verify against it; use verify-full (the default with a CA) or verify-ca`);
    });

    it.each(["disable", "allow", "prefer"] as const)("refuses %s to a host beyond this machine unless plaintext is allowed", (sslMode) => {
        expectInvalid(() => checkExistingPostgres(W, AS_ARGS, { ...base, sslMode }), `${W}: existingPostgres.sslMode = "${sslMode}": may send the password and every credential in clear to db.internal; use require or verify-full, or set existingPostgres.allowPlaintext to true to insist`);
        expect(checkExistingPostgres(W, AS_ARGS, { ...base, sslMode, allowPlaintext: true }).sslMode).toBe(sslMode);
    });

    it("allows plain text on loopback only; Vault's host counts too; stack config names its own keys", () => {
        expect(["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"].filter(isLoopbackHost)).toHaveLength(6);
        expect(["10.0.0.1", "128.0.0.1", "localhost.example.com", "127.0.0.1.nip.io", "::2"].filter(isLoopbackHost)).toEqual([]);
        expect(checkExistingPostgres(W, AS_ARGS, { ...base, host: "127.0.0.1:5432,localhost:5433", sslMode: "disable" }).sslMode).toBe("disable");
        expectInvalid(() => checkExistingPostgres(W, "", { ...base, host: "localhost", vaultHost: "db.vault-net", sslMode: "disable" }), `${W}: postgresSslMode = "disable": may send the password and every credential in clear to db.vault-net; use require or verify-full, or set postgresAllowPlaintext to true to insist`);
    });

    it("a path instead of PEM is refused with how to pass the content; a key's value is never shown", () => {
        expectInvalid(() => checkExistingPostgres(W, "", { ...base, caCertificate: "/etc/ssl/rds.pem" }), `${W}: postgresCaCertificate = "/etc/ssl/rds.pem": must be PEM text (-----BEGIN CERTIFICATE-----): the file's content, not its path (pulumi config set vault-pg:postgresCaCertificate < file.pem)`);
        expectInvalid(() => checkExistingPostgres(W, AS_ARGS, { ...base, clientCertificate: CERT, clientKey: "/home/me/client.key" }), `${W}: existingPostgres.clientKey = "[secret]": must be PEM text (-----BEGIN PRIVATE KEY-----): the file's content, not its path`);
    });

    it("a client certificate without its key is refused, naming both fields", () => {
        expectInvalid(() => checkExistingPostgres(W, AS_ARGS, { ...base, clientCertificate: CERT }), `${W}: existingPostgres.clientKey = undefined: a client certificate needs its key and the key its certificate; set both existingPostgres.clientCertificate and existingPostgres.clientKey`);
        expectInvalid(() => checkExistingPostgres(W, "", { ...base, clientKey: KEY }), `${W}: postgresClientCertificate = undefined: a client certificate needs its key and the key its certificate; set both postgresClientCertificate and postgresClientKey`);
    });

    it("Vault over http:// beyond loopback is refused unless allowed; https with a CA is fine", () => {
        const vault = { address: "http://vault.internal:8200", token: "t" };
        expectInvalid(() => checkExistingVault(W, "existingVault", vault), `${W}: existingVault.address = "http://vault.internal:8200": sends every token in clear over plain HTTP; use https:// (with the server's CA if private), or set existingVault.allowPlaintext to true to insist`);
        expectInvalid(() => checkExistingVault(W, "", vault), `${W}: vaultAddress = "http://vault.internal:8200": sends every token in clear over plain HTTP; use https:// (with the server's CA if private), or set vaultAllowPlaintext to true to insist`);
        expect(checkExistingVault(W, "existingVault", { ...vault, allowPlaintext: true })).toMatchObject({ allowPlaintext: true });
        expect(checkExistingVault(W, "existingVault", { address: "http://127.0.0.1:8200", token: "t" }).address).toBe("http://127.0.0.1:8200");
        expect(checkExistingVault(W, "existingVault", { address: "http://[::1]:8200", token: "t" }).address).toBe("http://[::1]:8200");
        expect(checkExistingVault(W, "existingVault", { address: "https://vault.internal:8200", token: "t", caCertificate: CA }).caCertificate).toBe(CA);
        expectInvalid(() => checkExistingVault(W, "", { address: "https://vault.internal:8200", token: "t", caCertificate: "ca.pem" }), `${W}: vaultCaCertificate = "ca.pem": must be PEM text (-----BEGIN CERTIFICATE-----): the file's content, not its path (pulumi config set vault-pg:vaultCaCertificate < file.pem)`);
    });
});

describe("readStackConfig: TLS keys", () => {
    const WHERE = "stack config (vault-pg)";
    const ROLES = JSON.stringify([{ name: "reader", access: "readonly", defaultTtl: "1h", maxTtl: "1d" }]);

    it("puts the TLS keys into the existing servers, with verify-full implied by the CA", () => {
        const password = pulumi.secret("pw");
        const clientKey = pulumi.secret(KEY);
        const token = pulumi.secret("t");
        const postgres = { postgresHost: "db.internal", postgresSuperuserPassword: password, postgresCaCertificate: CA, postgresClientCertificate: CERT, postgresClientKey: clientKey, postgresVaultCaFile: "/etc/bao/pg-ca.pem" };
        const settings = readStackConfig({ roles: ROLES, ...postgres, vaultAddress: "http://vault.internal:8200", vaultToken: token, vaultCaCertificate: CA, vaultAllowPlaintext: "true" });
        expect(settings.existingPostgres).toStrictEqual({ host: "db.internal", superuserPassword: password, sslMode: "verify-full", caCertificate: CA, clientCertificate: CERT, clientKey, vaultTlsFiles: { caFile: "/etc/bao/pg-ca.pem" } });
        expect(settings.existingVault).toStrictEqual({ address: "http://vault.internal:8200", token, caCertificate: CA, allowPlaintext: true });
    });

    it("tls: false turns TLS off, true keeps it, unset leaves the default", () => {
        expect(readStackConfig({ roles: ROLES, tls: "false" }).tls).toBe(false);
        expect(readStackConfig({ roles: ROLES, tls: "true" }).tls).toBe(true);
        expect("tls" in readStackConfig({ roles: ROLES })).toBe(false);
        expectInvalid(() => readStackConfig({ roles: ROLES, tls: "off" }), `${WHERE}: tls = "off": must be true or false`);
    });

    it("refuses a TLS key without its server, naming the key", () => {
        const stray = (key: string, shown: string, server: string): void =>
            expectInvalid(() => readStackConfig({ roles: ROLES, [key]: key === "postgresClientKey" ? pulumi.secret(KEY) : shown }), `${WHERE}: ${key} = ${key === "postgresClientKey" ? '"[secret]"' : JSON.stringify(shown)}: applies only to ${server}`);
        const postgres = "an existing PostgreSQL; set postgresHost too";
        stray("postgresCaCertificate", CA, postgres);
        stray("postgresClientCertificate", CERT, postgres);
        stray("postgresClientKey", "", postgres);
        stray("postgresVaultCaFile", "/etc/bao/pg-ca.pem", postgres);
        stray("postgresVaultCertificateFile", "/etc/bao/pg.crt", postgres);
        stray("postgresVaultKeyFile", "/etc/bao/pg.key", postgres);
        // An sslmode for a server the stack does not use would be silently ignored.
        stray("postgresSslMode", "verify-full", postgres);
        stray("vaultCaCertificate", CA, "an existing Vault; set vaultAddress too");
    });

    it("refuses plain text to a remote PostgreSQL under the stack config's key names, unless postgresAllowPlaintext", () => {
        const remote = { roles: ROLES, postgresHost: "db.internal", postgresSuperuserPassword: pulumi.secret("pw"), postgresSslMode: "prefer" };
        expectInvalid(() => readStackConfig(remote), `${WHERE}: postgresSslMode = "prefer": may send the password and every credential in clear to db.internal; use require or verify-full, or set postgresAllowPlaintext to true to insist`);
        expect(readStackConfig({ ...remote, postgresAllowPlaintext: "true" }).existingPostgres).toMatchObject({ sslMode: "prefer", allowPlaintext: true });
    });
});
