/**
 * The one-line TLS failures (tls-errors.ts), from real sockets where a test can make one, and the local PEM files
 * the providers read their CA from (local-pem-file.ts).
 */
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Client } from "pg";
import { localPemFile, writeLocalPemFile } from "../../components/local-pem-file";
import { nodePostgresSsl } from "../../components/postgres-tls";
import { describeTlsFailure } from "../../components/tls-errors";
import { vaultRequest } from "../../components/vault-api";
import { resolve } from "../helpers/pulumi-mocks";

describe("describeTlsFailure", () => {
    const PG = "PostgreSQL at db.internal:5432";
    const UNTRUSTED = ["SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "CERT_SIGNATURE_FAILURE"];
    it.each(UNTRUSTED)("%s: the certificate is not from the CA given, so pass the right CA", (code) => {
        expect(describeTlsFailure(PG, Object.assign(new Error("x"), { code }))).toBe(`${PG}: its TLS certificate is not signed by the CA given to verify it (${code}); pass the CA that issued the server's certificate`);
    });

    it("a wrong host name says which and to connect by a listed name; an expired or not yet valid certificate says so", () => {
        const error = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: "ERR_TLS_CERT_ALTNAME_INVALID", reason: "Host: db.internal. is not in the cert's altnames: DNS:other" });
        expect(describeTlsFailure(PG, error)).toBe(`${PG}: its TLS certificate does not name the host connected to (Host: db.internal. is not in the cert's altnames: DNS:other); connect by a name the certificate lists`);
        expect(describeTlsFailure(PG, Object.assign(new Error("no reason"), { code: "ERR_TLS_CERT_ALTNAME_INVALID" }))).toBe(`${PG}: its TLS certificate does not name the host connected to (no reason); connect by a name the certificate lists`);
        expect(describeTlsFailure(PG, { code: "CERT_HAS_EXPIRED", message: "certificate has expired" })).toBe(`${PG}: its TLS certificate has expired (CERT_HAS_EXPIRED)`);
        expect(describeTlsFailure(PG, { code: "CERT_NOT_YET_VALID" })).toBe(`${PG}: its TLS certificate is not valid yet (CERT_NOT_YET_VALID); check both clocks`);
    });

    it("errors that are not about certificates stay the caller's", () => {
        expect(describeTlsFailure(PG, Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBeUndefined();
        expect(describeTlsFailure(PG, Object.assign(new Error("socket hang up"), { code: "EPROTO" }))).toBeUndefined();
        expect(describeTlsFailure(PG, new Error('password authentication failed for user "postgres"'))).toBeUndefined();
        expect(describeTlsFailure(PG, "boom")).toBeUndefined();
        expect(describeTlsFailure(PG, null)).toBeUndefined();
    });

    describe("from real sockets", () => {
        let server: net.Server;
        let port: number;
        beforeAll(async () => {
            // Answers PostgreSQL's SSLRequest with "N" (no TLS), and anything else with plain HTTP.
            server = net.createServer((socket) => socket.once("data", (data) => socket.end(data.length === 8 && data.readUInt32BE(4) === 80877103 ? "N" : "HTTP/1.1 400 Bad Request\r\n\r\n")));
            await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
            port = (server.address() as net.AddressInfo).port;
        });
        afterAll(() => new Promise<void>((done) => server.close(() => done())));

        it("node-postgres to a server without TLS", async () => {
            const client = new Client({ host: "127.0.0.1", port, user: "u", password: "p", ssl: nodePostgresSsl({ sslMode: "require" }) });
            const error = await client.connect().then(() => undefined, (failure: unknown) => failure);
            expect(describeTlsFailure(`PostgreSQL at 127.0.0.1:${port}`, error)).toBe(`PostgreSQL at 127.0.0.1:${port} does not accept TLS connections, and the sslmode requires TLS`);
        });

        it("the Vault client to a plain HTTP port", async () => {
            await expect(vaultRequest(`https://127.0.0.1:${port}`, undefined, "GET", "sys/health")).rejects.toThrow(`Vault at 127.0.0.1:${port} does not speak TLS on that port (EPROTO)`);
        });
    });
});

describe("local PEM files", () => {
    const nonce = `${process.pid}-${Date.now()}-${Math.random()}`;
    const pem = (label: string): string => `-----BEGIN CERTIFICATE-----\n${label}-${nonce}\n-----END CERTIFICATE-----\n`;
    const written = new Set<string>();
    const write = (text: string): string => {
        const file = writeLocalPemFile(text);
        written.add(file);
        return file;
    };
    afterAll(() => written.forEach((file) => fs.rmSync(file, { force: true })));

    const ownDirectory = path.join(os.tmpdir(), `vault-pg-pem-${process.getuid!()}`);

    it("writes the PEM owner-only in this user's own directory of the temp dir", () => {
        const file = write(pem("a"));
        expect(path.dirname(file)).toBe(ownDirectory);
        expect(fs.statSync(ownDirectory).mode & 0o777).toBe(0o700);
        expect(fs.readFileSync(file, "utf8")).toBe(pem("a"));
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    });

    it("the same PEM, the same file left in place (provider settings stay put); another PEM another path; a damaged file is rewritten", () => {
        expect(write(pem("c"))).not.toBe(write(pem("d")));
        const file = write(pem("d"));
        const before = fs.statSync(file);
        expect(write(pem("d"))).toBe(file);
        expect(fs.statSync(file).ino).toBe(before.ino);
        fs.writeFileSync(file, "truncated");
        expect(write(pem("d"))).toBe(file);
        expect(fs.readFileSync(file, "utf8")).toBe(pem("d"));
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    });

    it("refuses a directory others may write to: whoever can swap the CA file decides whom the providers trust", () => {
        write(pem("f"));
        fs.chmodSync(ownDirectory, 0o777);
        try {
            expect(() => writeLocalPemFile(pem("g"))).toThrow(`${ownDirectory} is not a directory of this user's that only it may use (mode 0700); remove it and run again`);
        } finally {
            fs.chmodSync(ownDirectory, 0o700);
        }
    });

    it("as an Output: the path of the written file, or undefined when there is no PEM", async () => {
        const file = await resolve(localPemFile(pulumi.output(pem("e"))));
        written.add(file);
        expect(fs.readFileSync(file, "utf8")).toBe(pem("e"));
        expect(await resolve(localPemFile(pulumi.output(undefined as unknown as string)))).toBeUndefined();
    });
});
