/**
 * The VaultPostgres arguments of a stack with JWT logins, shared by the unit tests and the policy pack's: JWT apps on
 * an issuer it enables (by discovery), one verified by given keys, one shared method it only reads; an AppRole app;
 * CI's OIDC logins with a protected deploy environment. TLS is on, as in the dev stack.
 */
import type { VaultPostgresArgs } from "../../components";

const PEM_KEY = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";

export const JWT_STACK_PEM_KEY = PEM_KEY;

export const JWT_STACK_ARGS: VaultPostgresArgs = {
    roles: [
        { name: "reader", access: "readonly", defaultTtl: "1h", maxTtl: "2h" },
        { name: "writer", access: "readwrite", defaultTtl: "1h", maxTtl: "2h" },
    ],
    jwtAuth: [
        { path: "kubernetes", oidcDiscoveryUrl: "https://oidc.cluster.example" },
        { path: "offline", publicKeys: [PEM_KEY], boundIssuer: "https://issuer.example" },
        { path: "shared-k8s", existing: true },
    ],
    apps: [
        { name: "orders", roles: ["writer"], jwt: { auth: "kubernetes", audience: "vault", kubernetes: { namespace: "shop", serviceAccount: "orders" } } },
        { name: "batch", roles: ["reader"], jwt: { auth: "shared-k8s", audience: "vault", subject: "batch" } },
        { name: "nightly", roles: ["reader"], jwt: { auth: "offline", audience: "vault", claims: { job: ["nightly", "weekly"] } } },
        { name: "legacy", roles: ["reader"] },
    ],
    ciOidc: { repository: "acme/infra", deployEnvironment: "production" },
};
