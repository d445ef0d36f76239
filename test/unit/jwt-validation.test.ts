/**
 * What a JWT login may be bound to, and what is refused before anything reaches Vault: a role bound to nothing, a
 * repository without a ref or environment, unknown keys, an issuer with no keys or two sources, keys fetched over
 * plain HTTP from another host.
 */
import { readStackConfig, resolveCiOidc, resolveJwtBinding, resolveJwtIssuers } from "../../components/validate";
import { expectInvalid } from "../helpers/expect-invalid";

const W = "stack config (vault-pg)";
const PEM_KEY = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";

describe("an app's JWT binding", () => {
    it("binds a Kubernetes service account by its subject and the projected token's audience", () => {
        expect(resolveJwtBinding(W, { auth: "kubernetes", audience: "vault", kubernetes: { namespace: "shop", serviceAccount: "orders" } }, ["kubernetes"])).toEqual({
            auth: "kubernetes",
            boundAudiences: ["vault"],
            boundSubject: "system:serviceaccount:shop:orders",
            userClaim: "sub",
        });
    });

    it("binds a GitHub workflow by repository and ref or environment, with GitHub's default audience", () => {
        expect(resolveJwtBinding(W, { auth: "gh", github: { repository: "acme/shop", ref: "refs/heads/main", environment: "prod" } }, ["gh"])).toEqual({
            auth: "gh",
            boundAudiences: ["https://github.com/acme"],
            boundClaims: { repository: "acme/shop", ref: "refs/heads/main", environment: "prod" },
            userClaim: "sub",
        });
    });

    it("binds any issuer's token by subject and claims, a list of values matching any one", () => {
        expect(resolveJwtBinding(W, { auth: "corp", audience: ["vault", "db"], subject: "svc-42", claims: { groups: ["db-readers", "ops"], "/org/team": "data" } }, ["corp"])).toEqual({
            auth: "corp",
            boundAudiences: ["vault", "db"],
            boundSubject: "svc-42",
            boundClaims: { groups: "db-readers,ops", "/org/team": "data" },
            userClaim: "sub",
        });
    });

    it.each([
        ["a role bound to nothing", { auth: "corp", audience: "vault" }, `${W} jwt: subject = undefined: bind the token with exactly one of kubernetes, github, or subject/claims: a role bound to nothing would take any token of the issuer`],
        ["two kinds at once", { auth: "corp", audience: "v", kubernetes: { namespace: "a", serviceAccount: "b" }, subject: "x" }, `${W} jwt: kubernetes = {"namespace":"a","serviceAccount":"b"}: bind the token with exactly one of kubernetes, github, or subject/claims: a role bound to nothing would take any token of the issuer`],
        ["an unknown key in a Kubernetes binding", { auth: "corp", audience: "v", kubernetes: { namespace: "a", serviceaccount: "b" } }, `${W} jwt.kubernetes: serviceaccount = "b": unknown key; known keys are namespace, serviceAccount`],
        ["an unknown key in a GitHub binding", { auth: "corp", github: { repository: "a/b", branch: "main" } }, `${W} jwt.github: branch = "main": unknown key; known keys are repository, ref, environment`],
        ["an unknown key in the binding", { auth: "corp", audience: "v", subject: "x", issuer: "y" }, `${W} jwt: issuer = "y": unknown key; known keys are auth, audience, kubernetes, github, subject, claims`],
        ["a repository alone", { auth: "corp", github: { repository: "a/b" } }, `${W} jwt.github: ref = undefined: set ref, environment or both: a repository alone would let every branch and pull request log in`],
        ["a branch name for a ref", { auth: "corp", github: { repository: "a/b", ref: "main" } }, `${W} jwt.github: ref = "main": must be a full ref such as refs/heads/main`],
        ["no audience", { auth: "corp", subject: "x" }, `${W} jwt: audience = undefined: required: a token minted for another service must not log in here`],
        ["a Kubernetes binding without audience", { auth: "corp", kubernetes: { namespace: "a", serviceAccount: "b" } }, `${W} jwt: audience = undefined: a Kubernetes token's audience is required (the audience of its projected token)`],
        ["empty claims", { auth: "corp", audience: "v", claims: {} }, `${W} jwt: claims = {}: must name at least one claim, or leave it out`],
        ["a claim value with a comma", { auth: "corp", audience: "v", claims: { groups: "a,b" } }, `${W} jwt: claims.groups = "a,b": must be a non-empty string without commas, or a list of them`],
        ["a method the stack does not have", { auth: "elsewhere", audience: "v", subject: "x" }, `${W} jwt: auth = "elsewhere": not a JWT auth method of the stack; jwtAuth has "corp"`],
    ])("refuses %s", (_what, binding, message) => {
        expectInvalid(() => resolveJwtBinding(W, binding, ["corp"]), message);
    });
});

describe("JWT issuers", () => {
    it("takes keys from discovery, a JWKS URL or given keys, with a CA for a URL", () => {
        expect(
            resolveJwtIssuers(W, [
                { path: "k8s", oidcDiscoveryUrl: "https://kubernetes.default.svc/" },
                { path: "gh", jwksUrl: "https://token.actions.githubusercontent.com/.well-known/jwks", boundIssuer: "https://token.actions.githubusercontent.com" },
                { path: "offline", publicKeys: [PEM_KEY] },
                { path: "shared", existing: true },
            ]),
        ).toEqual([
            { path: "k8s", oidcDiscoveryUrl: "https://kubernetes.default.svc" },
            { path: "gh", jwksUrl: "https://token.actions.githubusercontent.com/.well-known/jwks", boundIssuer: "https://token.actions.githubusercontent.com" },
            { path: "offline", publicKeys: [PEM_KEY] },
            { path: "shared", existing: true },
        ]);
    });

    it.each([
        ["no keys", [{ path: "k8s" }], `${W} jwtAuth[0] "k8s": oidcDiscoveryUrl = undefined: set exactly one of oidcDiscoveryUrl, jwksUrl and publicKeys`],
        ["two sources", [{ path: "k8s", oidcDiscoveryUrl: "https://a", jwksUrl: "https://a/keys" }], `${W} jwtAuth[0] "k8s": jwksUrl = "https://a/keys": set exactly one of oidcDiscoveryUrl, jwksUrl and publicKeys`],
        ["keys over plain HTTP from another host", [{ path: "k8s", jwksUrl: "http://issuer.example/keys" }], `${W} jwtAuth[0] "k8s": jwksUrl = "http://issuer.example/keys": must be https: the keys Vault fetches decide who may log in`],
        ["a key that is not PEM", [{ path: "k8s", publicKeys: ["ssh-rsa AAAA"] }], `${W} jwtAuth[0] "k8s": publicKeys[0] = "ssh-rsa AAAA": must be a PEM public key (-----BEGIN PUBLIC KEY-----)`],
        ["config on an existing method", [{ path: "k8s", existing: true, oidcDiscoveryUrl: "https://a" }], `${W} jwtAuth[0] "k8s": oidcDiscoveryUrl = "https://a": an existing method keeps its own config; set only path and existing`],
        ["a path twice", [{ path: "k8s", publicKeys: [PEM_KEY] }, { path: "k8s", existing: true }], `${W}: jwtAuth = "k8s": path listed twice: one auth method per path`],
        ["a typo", [{ path: "k8s", oidcDiscoveryURL: "https://a" }], `${W} jwtAuth[0] "k8s": oidcDiscoveryURL = "https://a": unknown key; known keys are path, oidcDiscoveryUrl, jwksUrl, publicKeys, caCertificate, boundIssuer, existing`],
    ])("refuses %s", (_what, issuers, message) => {
        expectInvalid(() => resolveJwtIssuers(W, issuers), message);
    });
});

describe("CI's OIDC logins", () => {
    it("binds preview to the repository and deploy to its default branch, with GitHub's issuer and audience", () => {
        const ci = resolveCiOidc(W, { repository: "acme/infra" })!;
        expect(ci.preview).toEqual({ auth: "github-actions", boundAudiences: ["https://github.com/acme"], boundClaims: { repository: "acme/infra" }, userClaim: "sub" });
        expect(ci.deploy).toEqual({ auth: "github-actions", boundAudiences: ["https://github.com/acme"], boundClaims: { repository: "acme/infra", ref: "refs/heads/main" }, userClaim: "sub" });
        expect(ci.issuer).toBe("https://token.actions.githubusercontent.com");
    });

    it("deploys only from the named branch in the protected environment", () => {
        const ci = resolveCiOidc(W, { repository: "acme/infra", deployBranch: "release", deployEnvironment: "production", audience: "vault" })!;
        expect(ci.deploy.boundClaims).toEqual({ repository: "acme/infra", ref: "refs/heads/release", environment: "production" });
        expect(ci.deploy.boundAudiences).toEqual(["vault"]);
    });

    it.each([
        ["a repository without owner", { repository: "infra" }, `${W} ciOidc.github: repository = "infra": must be owner/name`],
        ["a typo", { repository: "a/b", deployBrach: "main" }, `${W} ciOidc: deployBrach = "main": unknown key; known keys are repository, path, existingAuth, audience, deployBranch, deployEnvironment, issuer`],
        ["a branch pattern", { repository: "a/b", deployBranch: "release/*" }, `${W} ciOidc: deployBranch = "release/*": must be a branch name`],
    ])("refuses %s", (_what, spec, message) => {
        expectInvalid(() => resolveCiOidc(W, spec), message);
    });
});

describe("stack config with JWT logins", () => {
    const base = { roles: JSON.stringify([{ name: "reader", access: "readonly", defaultTtl: "1h", maxTtl: "2h" }]), jwtAuth: JSON.stringify([{ path: "k8s", publicKeys: [PEM_KEY] }]) };

    it("passes an app's binding and the issuers to the composite", () => {
        const jwt = { auth: "k8s", audience: "vault", kubernetes: { namespace: "shop", serviceAccount: "orders" } };
        const settings = readStackConfig({ ...base, apps: JSON.stringify([{ name: "orders", roles: ["reader"], jwt }]), ciOidc: JSON.stringify({ repository: "acme/infra" }) });
        expect(settings.apps[0]).toMatchObject({ name: "orders", jwt });
        expect(settings.apps[0]).not.toHaveProperty("secretIdTtl");
        expect(settings.jwtAuth).toEqual([{ path: "k8s", publicKeys: [PEM_KEY] }]);
        expect(settings.ciOidc).toEqual({ repository: "acme/infra" });
    });

    it("refuses a secret id TTL for an app that logs in with a JWT", () => {
        const apps = JSON.stringify([{ name: "orders", roles: ["reader"], secretIdTtl: "30d", jwt: { auth: "k8s", audience: "v", subject: "x" } }]);
        expectInvalid(() => readStackConfig({ ...base, apps }), `${W} apps[0] "orders": secretIdTtl = "30d": applies only to AppRole logins; this app logs in with jwt`);
    });

    it("refuses ciOidc that is not an object", () => {
        expectInvalid(() => readStackConfig({ ...base, ciOidc: "acme/infra" }), `${W}: ciOidc = "acme/infra": must be an object (YAML mapping)`);
    });
});
