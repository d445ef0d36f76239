/**
 * A token issuer for the live suite: an RSA key, an OIDC discovery document and a JWKS served on 127.0.0.1, and RS256
 * JWTs signed with that key (or with another one, for the refusals). Vault's JWT auth method fetches the keys from
 * here exactly as it does from a Kubernetes API server or GitHub's token service.
 */
import * as crypto from "crypto";
import * as http from "http";
import { AddressInfo } from "net";

export interface TestIssuer {
    /** `http://127.0.0.1:<port>`: the `iss` of its tokens and the OIDC discovery URL. */
    url: string;
    /** Its public key (PEM), for a method given keys instead of discovery. */
    publicKeyPem: string;
    /** A JWT with these claims (iat, nbf and a 5-minute exp added unless given), signed with the issuer's key or `signWith`. */
    sign(claims: Record<string, unknown>, signWith?: crypto.KeyObject): string;
    /** GitHub's token endpoint as a job sees it (ACTIONS_ID_TOKEN_REQUEST_URL), answering with `tokenFor(audience)`. */
    actionsTokenUrl: string;
    /** The bearer the endpoint asks for (ACTIONS_ID_TOKEN_REQUEST_TOKEN). */
    actionsRequestToken: string;
    stop(): Promise<void>;
}

const base64url = (value: Buffer | string): string => Buffer.from(value).toString("base64url");

/** A key pair of the size issuers use. */
export function rsaKey(): crypto.KeyObject {
    return crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
}

/** Starts the issuer; `tokenFor(audience)` makes the tokens its Actions endpoint hands out. */
export async function startIssuer(tokenFor: (audience: string | undefined) => Record<string, unknown> = () => ({})): Promise<TestIssuer> {
    const key = rsaKey();
    const publicKey = crypto.createPublicKey(key);
    const kid = crypto.createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("base64url").slice(0, 16);
    const actionsRequestToken = crypto.randomBytes(16).toString("hex");
    let url = "";
    const sign = (claims: Record<string, unknown>, signWith = key): string => {
        const now = Math.floor(Date.now() / 1000);
        const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid }));
        const payload = base64url(JSON.stringify({ iss: url, iat: now, nbf: now - 5, exp: now + 300, ...claims }));
        return `${header}.${payload}.${base64url(crypto.sign("sha256", Buffer.from(`${header}.${payload}`), signWith))}`;
    };
    const server = http.createServer((request, response) => {
        const requested = new URL(request.url ?? "/", url);
        const json = (status: number, body: unknown): void => {
            response.writeHead(status, { "content-type": "application/json" });
            response.end(JSON.stringify(body));
        };
        if (requested.pathname === "/.well-known/openid-configuration") {
            return json(200, {
                issuer: url,
                jwks_uri: `${url}/keys`,
                response_types_supported: ["id_token"],
                subject_types_supported: ["public"],
                id_token_signing_alg_values_supported: ["RS256"],
            });
        }
        if (requested.pathname === "/keys") return json(200, { keys: [{ ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }] });
        if (requested.pathname === "/actions/token") {
            if (request.headers.authorization !== `Bearer ${actionsRequestToken}`) return json(401, { message: "bad request token" });
            return json(200, { value: sign(tokenFor(requested.searchParams.get("audience") ?? undefined)) });
        }
        json(404, {});
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        url,
        publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
        sign,
        actionsTokenUrl: `${url}/actions/token?api-version=2.0`,
        actionsRequestToken,
        stop: () => new Promise((resolve) => server.close(() => resolve())),
    };
}
