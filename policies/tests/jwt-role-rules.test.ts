/**
 * jwt-role-bound on one `vault.jwt.AuthBackendRole` at a time: the project's own app and CI roles pass, and each way
 * a role lets in more than it names (no binding, no audience, the default policy, a glob ref) is flagged with its
 * exact message; values unknown at preview are never violations.
 */
import { jwtRoleArgs } from "../../components/jwt-auth";
import { resolveCiOidc, resolveJwtBinding } from "../../components/validate";
import { TYPES } from "../resource-types";
import { jwtRoleBound } from "../rules";
import { runPolicy, UNKNOWN_AT_PREVIEW } from "./util";

const token = { policies: ["orders-db"], ttlSeconds: 3600, maxTtlSeconds: 7200 };
const kubernetesBinding = resolveJwtBinding("test", { auth: "kubernetes", audience: "vault", kubernetes: { namespace: "shop", serviceAccount: "orders" } });
const ci = resolveCiOidc("test", { repository: "acme/infra", deployEnvironment: "production" })!;

/** The project's own role for a Kubernetes service account, as AppAccess declares it. */
const goodRole = (): Record<string, unknown> => ({ ...jwtRoleArgs("kubernetes", "orders", kubernetesBinding, token) });

/** A GitHub Actions role of acme/infra whose claims are matched as globs. */
const githubGlobRole = (claims: Record<string, string>): Record<string, unknown> => ({
    ...goodRole(),
    boundSubject: undefined,
    boundAudiences: ["https://github.com/acme"],
    boundClaims: { repository: "acme/infra", ...claims },
    boundClaimsType: "glob",
});

const violations = (props: Record<string, unknown>): Promise<string[]> => runPolicy(jwtRoleBound, { type: TYPES.jwtRole, name: "subject", props });

const unbound =
    "the role is bound to no subject and no claim: any token its issuer signs for the audience logs in (every service account of a cluster, " +
    "every repository's workflows). Set boundSubject, or boundClaims naming what may log in.";
const noAudience =
    "the role has no boundAudiences: a token its issuer minted for another service would log in here. " +
    "Set boundAudiences to the audience the platform puts in tokens meant for Vault.";
const defaultPolicy =
    "tokenNoDefaultPolicy is not true: every login would also get Vault's default policy, granted beside the role's own. " +
    "Set tokenNoDefaultPolicy: true and list what the role needs in tokenPolicies.";
const globRef = (ref: string): string =>
    `boundClaims ref "${ref}" is a glob (boundClaimsType "glob"): every branch and pull request of acme/infra whose ref it matches could log in. ` +
    'Bind ref to one branch (refs/heads/main) with boundClaimsType "string", or add an environment claim.';

describe("jwt-role-bound", () => {
    it("passes the project's app role and CI's preview and deploy roles", async () => {
        expect(await violations(goodRole())).toEqual([]);
        // The preview role binds the repository alone (exact match): any run of it may read, which the components decide.
        for (const binding of [ci.preview, ci.deploy]) {
            expect(await violations({ ...jwtRoleArgs("github-actions", "ci", binding, token) })).toEqual([]);
        }
    });

    it("passes a role bound by claims alone", async () => {
        expect(await violations({ ...goodRole(), boundSubject: undefined, boundClaims: { namespace: "shop" } })).toEqual([]);
    });

    it("flags a role bound to no subject and no claim, empty ones included", async () => {
        expect(await violations({ ...goodRole(), boundSubject: undefined })).toEqual([unbound]);
        expect(await violations({ ...goodRole(), boundSubject: "", boundClaims: {} })).toEqual([unbound]);
    });

    it("flags a role without audiences, or with an empty list of them", async () => {
        expect(await violations({ ...goodRole(), boundAudiences: undefined })).toEqual([noAudience]);
        expect(await violations({ ...goodRole(), boundAudiences: [] })).toEqual([noAudience]);
    });

    it("flags a role that keeps the default policy, left to the provider's default or set false", async () => {
        expect(await violations({ ...goodRole(), tokenNoDefaultPolicy: undefined })).toEqual([defaultPolicy]);
        expect(await violations({ ...goodRole(), tokenNoDefaultPolicy: false })).toEqual([defaultPolicy]);
    });

    it("reports every fault of a role bound only by its issuer, in order", async () => {
        expect(await violations({ backend: "jwt", roleName: "any", roleType: "jwt", userClaim: "sub", tokenPolicies: ["x"] })).toEqual([unbound, noAudience, defaultPolicy]);
    });

    it.each(["refs/heads/*", "*", "refs/heads/main,refs/pull/*"])("flags a GitHub role whose glob ref %s lets other branches in", async (ref) => {
        expect(await violations(githubGlobRole({ ref }))).toEqual([globRef(ref)]);
    });

    it("flags a glob ref beside an environment that is a glob too", async () => {
        expect(await violations(githubGlobRole({ ref: "*", environment: "prod*" }))).toEqual([globRef("*")]);
    });

    it("passes a glob ref beside an exact environment, an exact ref under glob matching, and * matched as a string", async () => {
        expect(await violations(githubGlobRole({ ref: "refs/heads/*", environment: "production" }))).toEqual([]);
        expect(await violations(githubGlobRole({ ref: "refs/heads/main" }))).toEqual([]);
        expect(await violations({ ...githubGlobRole({ ref: "refs/heads/*" }), boundClaimsType: "string" })).toEqual([]);
    });

    it("leaves a repository without ref or environment to the components' validation", async () => {
        expect(await violations(githubGlobRole({}))).toEqual([]);
    });

    it("reports nothing, not even that it could not run, for values unknown at preview", async () => {
        for (const props of [
            { ...goodRole(), boundSubject: UNKNOWN_AT_PREVIEW },
            { ...goodRole(), boundSubject: undefined, boundClaims: UNKNOWN_AT_PREVIEW },
            { ...goodRole(), boundAudiences: UNKNOWN_AT_PREVIEW },
            { ...goodRole(), tokenNoDefaultPolicy: UNKNOWN_AT_PREVIEW },
            { ...githubGlobRole({ ref: "*" }), boundClaimsType: UNKNOWN_AT_PREVIEW },
            githubGlobRole({ ref: UNKNOWN_AT_PREVIEW }),
            githubGlobRole({ ref: "*", environment: UNKNOWN_AT_PREVIEW }),
        ]) {
            expect(await violations(props)).toEqual([]);
        }
    });
});
