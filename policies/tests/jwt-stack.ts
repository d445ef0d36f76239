/**
 * A stack with JWT logins for the pack's tests: a VaultPostgres (TLS on, as the dev stack) with JWT apps (an issuer it
 * enables, one verified by keys, one shared method it only reads), an AppRole app and CI's OIDC logins, run under
 * mocks and returned as the resources the engine hands the pack.
 */
import { installMocks, plain } from "../../test/helpers/pulumi-mocks";
import { PolicyResource } from "./util";

const PEM_KEY = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";

/** `preview`: as `pulumi preview` of a stack that does not exist yet, every output unknown. */
export async function recordJwtStack(preview: boolean): Promise<PolicyResource[]> {
    const recorder = await installMocks("test", {}, preview);
    const { VaultPostgres } = await import("../../components");
    new VaultPostgres("team", {
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
    });
    return (await recorder.settle()).map((resource) => ({ type: resource.type, name: resource.name, props: plain<Record<string, unknown>>(resource.inputs) }));
}
