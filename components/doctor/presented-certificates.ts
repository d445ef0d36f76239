/**
 * The certificate a server presents, read without verifying it (the point is to see it even when it no longer
 * verifies): the Vault API's over TLS, PostgreSQL's after its SSLRequest handshake.
 */
import { X509Certificate } from "crypto";
import * as net from "net";
import * as tls from "tls";

const TIMEOUT_MS = 10_000;

/** PostgreSQL's SSLRequest: length 8, then the code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

function handshake(options: tls.ConnectionOptions, what: string): Promise<X509Certificate> {
    return new Promise((resolveCertificate, reject) => {
        const socket = tls.connect({ ...options, rejectUnauthorized: false }, () => {
            const certificate = socket.getPeerX509Certificate();
            socket.destroy();
            if (certificate) resolveCertificate(certificate);
            else reject(new Error(`${what} presented no certificate`));
        });
        socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error(`${what}: no TLS handshake within ${TIMEOUT_MS / 1000} s`)));
        socket.once("error", reject);
    });
}

const serverName = (host: string): string | undefined => (net.isIP(host) ? undefined : host);

/** The certificate of a TLS server such as the Vault API. */
export function presentedTlsCertificate(host: string, port: number): Promise<X509Certificate> {
    return handshake({ host, port, servername: serverName(host) }, `${host}:${port}`);
}

/** PostgreSQL's certificate, or undefined when it does not speak TLS. */
export function presentedPostgresCertificate(host: string, port: number): Promise<X509Certificate | undefined> {
    const what = `PostgreSQL at ${host}:${port}`;
    return new Promise((resolveAnswer, reject) => {
        const socket = net.connect({ host, port });
        socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error(`${what}: no answer within ${TIMEOUT_MS / 1000} s`)));
        socket.once("error", reject);
        socket.once("connect", () => socket.write(SSL_REQUEST));
        socket.once("data", (answer: Buffer) => {
            socket.removeAllListeners("error");
            socket.setTimeout(0);
            if (answer[0] !== 0x53) {
                socket.destroy();
                return resolveAnswer(undefined);
            }
            handshake({ socket, servername: serverName(host) }, what).then(resolveAnswer, reject);
        });
    });
}
