/**
 * node-postgres's `ssl` option from the libpq environment an app is given (PGSSLMODE, PGSSLROOTCERT, as the stack's
 * agent config and outputs name them): node-postgres reads PGSSLMODE by itself but not the CA file.
 */
import * as fs from "fs";
import { ConnectionOptions } from "tls";

/**
 * libpq's meaning of each mode: no TLS for disable and allow; TLS without verification for prefer and require
 * (require with a root certificate verifies the chain, as libpq does); the chain for verify-ca; the chain and the
 * host name for verify-full.
 */
export function postgresSsl(sslMode: string | undefined, rootCertFile: string | undefined): false | ConnectionOptions {
    const ca = rootCertFile ? fs.readFileSync(rootCertFile, "utf8") : undefined;
    switch (sslMode ?? "prefer") {
        case "disable":
        case "allow":
            return false;
        case "prefer":
        case "require":
            return ca ? { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } : { rejectUnauthorized: false };
        case "verify-ca":
            return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
        case "verify-full":
            return { ca, rejectUnauthorized: true };
        default:
            throw new Error(`PGSSLMODE = ${JSON.stringify(sslMode)}: expected disable, allow, prefer, require, verify-ca or verify-full`);
    }
}
