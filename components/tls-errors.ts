/**
 * One line for a TLS connection that failed: which server, and what did not verify. Node's TLS errors carry an
 * OpenSSL or Node code; the ones a wrong CA, a wrong host name or an old certificate give are named here. No imports
 * and no module state: the dynamic providers that connect (postgres-admin-check.ts, vault-init.ts) carry it into the
 * stack's state.
 */

/** Codes of a certificate chain that does not lead to a trusted CA. */
const UNTRUSTED_CODES = [
    "SELF_SIGNED_CERT_IN_CHAIN",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "CERT_SIGNATURE_FAILURE",
];

/**
 * What did not verify, or undefined when `error` is not a certificate failure. `server` names it, e.g.
 * `PostgreSQL at db.example.com:5432`.
 */
export function describeTlsFailure(server: string, error: unknown): string | undefined {
    const code = (error as { code?: unknown })?.code;
    const message = (error as Error)?.message ?? String(error);
    if (typeof code !== "string") {
        // node-postgres turns a server without TLS into a plain Error.
        return /does not support SSL/i.test(message) ? `${server} does not accept TLS connections, and the sslmode requires TLS` : undefined;
    }
    if (UNTRUSTED_CODES.includes(code)) {
        return `${server}: its TLS certificate is not signed by the CA given to verify it (${code}); pass the CA that issued the server's certificate`;
    }
    if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
        const reason = (error as { reason?: string }).reason ?? message;
        return `${server}: its TLS certificate does not name the host connected to (${reason}); connect by a name the certificate lists`;
    }
    if (code === "CERT_HAS_EXPIRED") return `${server}: its TLS certificate has expired (${code})`;
    if (code === "CERT_NOT_YET_VALID") return `${server}: its TLS certificate is not valid yet (${code}); check both clocks`;
    if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || (code === "EPROTO" && /wrong version number|packet length too long|http request/i.test(message))) {
        return `${server} does not speak TLS on that port (${code})`;
    }
    return undefined;
}
