/**
 * A throw-away PKI for the TLS live tests, made with the openssl CLI (the stack's own certificates come from the tls
 * provider, which does not run here; these have the same shape): a CA, a server certificate it signs for 127.0.0.1
 * and one DNS name (not `localhost`, so connecting by that name is a wrong host), a client certificate, and a second
 * CA that signed none of them.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface PemFile {
    /** PEM text. */
    pem: string;
    /** The same, as a file. */
    file: string;
}

export interface TestPki {
    dir: string;
    ca: PemFile;
    /** A CA that signed nothing here. */
    otherCa: PemFile;
    server: { certificate: PemFile; key: PemFile };
    client: { certificate: PemFile; key: PemFile; commonName: string };
    /** The DNS name the server certificate lists (besides IP 127.0.0.1). */
    serverName: string;
    remove(): void;
}

function openssl(dir: string, args: string[]): void {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function selfSignedCa(dir: string, name: string): void {
    openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "2",
        "-subj", `/CN=vault-pg live ${name}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
}

function signed(dir: string, name: string, subject: string, extensions: string): void {
    openssl(dir, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject]);
    fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
    openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`]);
}

export function makeTestPki(): TestPki {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-pki-"));
    fs.chmodSync(dir, 0o755);
    const serverName = "db.vault-pg.test";
    const clientName = "vault_admin";
    selfSignedCa(dir, "ca");
    selfSignedCa(dir, "other-ca");
    signed(dir, "server", `/CN=${serverName}`, `subjectAltName=DNS:${serverName},IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
    signed(dir, "client", `/CN=${clientName}`, "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n");
    const file = (name: string): PemFile => {
        const full = path.join(dir, name);
        // Readable by the servers' users (PostgreSQL runs as postgres when we are root); the harness copies the key.
        fs.chmodSync(full, 0o644);
        return { pem: fs.readFileSync(full, "utf8"), file: full };
    };
    return {
        dir,
        ca: file("ca.crt"),
        otherCa: file("other-ca.crt"),
        server: { certificate: file("server.crt"), key: file("server.key") },
        client: { certificate: file("client.crt"), key: file("client.key"), commonName: clientName },
        serverName,
        remove: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}
