/**
 * Logins with a token the platform signs (Vault's `jwt` auth method): the issuers a stack trusts, and how an app's
 * token is bound to its claims. A role bound to nothing, a claim key nobody defined and an empty binding are refused
 * here, before anything reaches Vault.
 */
import { invalid, rejectUnknownKeys, show } from "./errors";
import { checkMountPath } from "./names";
import { checkPem, isLoopbackHost } from "./tls";

/** One issuer whose tokens Vault verifies: a JWT auth method and where its keys come from. */
export interface JwtIssuerSpec {
    /** Path the JWT auth method is enabled at, e.g. "kubernetes" or "github-actions". */
    path: string;
    /** The issuer's URL, keys found by OIDC discovery (`<url>/.well-known/openid-configuration`). */
    oidcDiscoveryUrl?: string;
    /** A JWKS URL (Kubernetes: the API server's `/openid/v1/jwks` where discovery is not reachable). */
    jwksUrl?: string;
    /** PEM public keys the tokens are verified with, for issuers Vault cannot reach. */
    publicKeys?: string[];
    /** CA (PEM) of the discovery or JWKS URL's certificate, where the system does not trust it. */
    caCertificate?: string;
    /** The `iss` every token must carry. Discovery checks it on its own; with keys or a JWKS URL, set it. */
    boundIssuer?: string;
    /** The method is enabled already and other stacks use it: read, never enabled or disabled here. Default false. */
    existing?: boolean;
}

/** The keys of a Kubernetes service account binding. */
export interface KubernetesBinding {
    namespace: string;
    serviceAccount: string;
}

/** The keys of a GitHub Actions binding: the repository, and its ref, its environment, or both. */
export interface GithubBinding {
    /** `owner/name`. */
    repository: string;
    /** e.g. `refs/heads/main`. */
    ref?: string;
    /** A deployment environment the job runs in (protected by the repository's rules). */
    environment?: string;
}

/** How an app's token is bound: exactly one of `kubernetes`, `github`, or `subject`/`claims`. */
export interface JwtBindingSpec {
    /** Path of the JWT auth method (one of `jwtAuth`) that verifies the token. */
    auth: string;
    /** `aud` values accepted (any of them). Required, except for `github` (default `https://github.com/<owner>`). */
    audience?: string | string[];
    kubernetes?: KubernetesBinding;
    github?: GithubBinding;
    /** The exact `sub` claim. */
    subject?: string;
    /** Further claims the token must carry: a value, or a list of which any one matches. */
    claims?: Record<string, string | string[]>;
}

/** A binding as the Vault role takes it (`auth/<path>/role/<name>`). */
export interface JwtRoleBinding {
    auth: string;
    boundAudiences: string[];
    boundSubject?: string;
    /** Claim → values, comma-separated (terraform-provider-vault splits them into a list). */
    boundClaims?: Record<string, string>;
    userClaim: string;
}

export const JWT_ISSUER_KEYS: readonly (keyof JwtIssuerSpec)[] = ["path", "oidcDiscoveryUrl", "jwksUrl", "publicKeys", "caCertificate", "boundIssuer", "existing"];
export const JWT_BINDING_KEYS: readonly (keyof JwtBindingSpec)[] = ["auth", "audience", "kubernetes", "github", "subject", "claims"];
const KUBERNETES_KEYS: readonly (keyof KubernetesBinding)[] = ["namespace", "serviceAccount"];
const GITHUB_KEYS: readonly (keyof GithubBinding)[] = ["repository", "ref", "environment"];

/** GitHub's OIDC issuer (github.com; GitHub Enterprise Server has its own). */
export const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const GITHUB_REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;
// A claim name, or a JSON pointer into nested claims ("/org/team"), as Vault's bound_claims keys allow.
const CLAIM_KEY = /^\/?[A-Za-z0-9_:.-]+(\/[A-Za-z0-9_:.-]+)*$/;


export function checkObject(where: string, field: string, value: unknown, shape: string): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(where, field, value, `must be an object ${shape}`);
    return value as Record<string, unknown>;
}

export function checkText(where: string, field: string, value: unknown, pattern?: RegExp, what = "a non-empty string"): string {
    if (typeof value !== "string" || value.trim() === "" || value !== value.trim() || (pattern && !pattern.test(value))) throw invalid(where, field, value, `must be ${what}`);
    return value;
}

/** An issuer URL Vault fetches keys from: https, or http to this host only (a test issuer). */
export function checkIssuerUrl(where: string, field: string, value: unknown): string {
    const url = checkText(where, field, value, /^https?:\/\/[^\s/]+(\/\S*)?$/, "an http(s) URL");
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    if (url.startsWith("http://") && !isLoopbackHost(host)) throw invalid(where, field, value, "must be https: the keys Vault fetches decide who may log in");
    return url.replace(/\/+$/, "");
}

/** Checks one issuer; exactly one source of keys. */
export function resolveJwtIssuer(where: string, spec: unknown): JwtIssuerSpec {
    const raw = checkObject(where, "jwtAuth", spec, "{ path, oidcDiscoveryUrl | jwksUrl | publicKeys, ... }");
    const path = checkMountPath(where, "path", raw.path);
    const at = `${where} "${path}"`;
    rejectUnknownKeys(at, raw, JWT_ISSUER_KEYS);
    const sources = (["oidcDiscoveryUrl", "jwksUrl", "publicKeys"] as const).filter((key) => raw[key] !== undefined);
    if (raw.existing === true) {
        if (sources.length > 0 || raw.caCertificate !== undefined || raw.boundIssuer !== undefined) {
            throw invalid(at, sources[0] ?? (raw.caCertificate !== undefined ? "caCertificate" : "boundIssuer"), raw[sources[0] ?? "caCertificate"] ?? raw.boundIssuer, "an existing method keeps its own config; set only path and existing");
        }
        return { path, existing: true };
    }
    if (raw.existing !== undefined && raw.existing !== false) throw invalid(at, "existing", raw.existing, "must be true or false");
    if (sources.length !== 1) throw invalid(at, sources.length === 0 ? "oidcDiscoveryUrl" : sources[1], sources.length === 0 ? undefined : raw[sources[1]], "set exactly one of oidcDiscoveryUrl, jwksUrl and publicKeys");
    const resolved: JwtIssuerSpec = { path };
    if (raw.oidcDiscoveryUrl !== undefined) resolved.oidcDiscoveryUrl = checkIssuerUrl(at, "oidcDiscoveryUrl", raw.oidcDiscoveryUrl);
    if (raw.jwksUrl !== undefined) resolved.jwksUrl = checkIssuerUrl(at, "jwksUrl", raw.jwksUrl);
    if (raw.publicKeys !== undefined) {
        if (!Array.isArray(raw.publicKeys) || raw.publicKeys.length === 0) throw invalid(at, "publicKeys", raw.publicKeys, "must be a non-empty list of PEM public keys");
        raw.publicKeys.forEach((key, index) => {
            if (typeof key !== "string" || !/^-----BEGIN (RSA )?PUBLIC KEY-----[\s\S]+-----END (RSA )?PUBLIC KEY-----\s*$/.test(key.trim())) {
                throw invalid(at, `publicKeys[${index}]`, key, "must be a PEM public key (-----BEGIN PUBLIC KEY-----)");
            }
        });
        resolved.publicKeys = raw.publicKeys as string[];
        if (raw.caCertificate !== undefined) throw invalid(at, "caCertificate", raw.caCertificate, "applies only to oidcDiscoveryUrl or jwksUrl");
    }
    if (raw.caCertificate !== undefined) {
        checkPem(at, "caCertificate", raw.caCertificate, "certificate");
        resolved.caCertificate = raw.caCertificate as string;
    }
    if (raw.boundIssuer !== undefined) resolved.boundIssuer = checkText(at, "boundIssuer", raw.boundIssuer);
    return resolved;
}

/** The stack's issuers, each path once. */
export function resolveJwtIssuers(where: string, specs: unknown): JwtIssuerSpec[] {
    if (specs === undefined) return [];
    if (!Array.isArray(specs)) throw invalid(where, "jwtAuth", specs, "must be a list of { path, oidcDiscoveryUrl | jwksUrl | publicKeys }");
    const issuers = specs.map((spec, index) => resolveJwtIssuer(`${where} jwtAuth[${index}]`, spec));
    const seen = new Set<string>();
    for (const issuer of issuers) {
        if (seen.has(issuer.path)) throw invalid(where, "jwtAuth", issuer.path, "path listed twice: one auth method per path");
        seen.add(issuer.path);
    }
    return issuers;
}

function checkAudiences(where: string, value: unknown): string[] {
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) throw invalid(where, "audience", value, "must name at least one audience");
    return list.map((audience, index) => checkText(where, Array.isArray(value) ? `audience[${index}]` : "audience", audience, /^[^,]+$/, "a non-empty string without commas"));
}

function checkClaims(where: string, value: unknown): Record<string, string> {
    const claims = checkObject(where, "claims", value, "{ claim: value or [values] }");
    if (Object.keys(claims).length === 0) throw invalid(where, "claims", value, "must name at least one claim, or leave it out");
    return Object.fromEntries(
        Object.entries(claims).map(([key, claim]) => {
            if (!CLAIM_KEY.test(key)) throw invalid(where, `claims.${key}`, claim, "a claim name is letters, digits, '_', ':', '.', '-', or a JSON pointer (/a/b)");
            const values = Array.isArray(claim) ? claim : [claim];
            if (values.length === 0) throw invalid(where, `claims.${key}`, claim, "must list at least one value");
            // The provider splits values on commas (bound_claims parsing), so a comma inside one would split it.
            values.forEach((one) => checkText(where, `claims.${key}`, one, /^[^,]+$/, "a non-empty string without commas, or a list of them"));
            return [key, values.join(",")];
        }),
    );
}

/**
 * Resolves an app's binding against the stack's issuers (`issuerPaths`; undefined: any path, for a component on its
 * own). The role always names its user by `sub`.
 */
export function resolveJwtBinding(where: string, spec: unknown, issuerPaths?: readonly string[]): JwtRoleBinding {
    const raw = checkObject(where, "jwt", spec, "{ auth, audience, kubernetes | github | subject/claims }");
    const at = `${where} jwt`;
    rejectUnknownKeys(at, raw, JWT_BINDING_KEYS);
    const auth = checkMountPath(at, "auth", raw.auth);
    if (issuerPaths && !issuerPaths.includes(auth)) {
        throw invalid(at, "auth", auth, `not a JWT auth method of the stack; jwtAuth has ${issuerPaths.map((path) => show(path)).join(", ") || "none"}`);
    }
    const kinds = (["kubernetes", "github"] as const).filter((kind) => raw[kind] !== undefined);
    const generic = raw.subject !== undefined || raw.claims !== undefined;
    if (kinds.length + (generic ? 1 : 0) !== 1) {
        throw invalid(at, kinds[1] ?? kinds[0] ?? "subject", raw[kinds[1] ?? kinds[0] ?? "subject"], "bind the token with exactly one of kubernetes, github, or subject/claims: a role bound to nothing would take any token of the issuer");
    }
    if (raw.kubernetes !== undefined) {
        const account = checkObject(at, "kubernetes", raw.kubernetes, "{ namespace, serviceAccount }");
        rejectUnknownKeys(`${at}.kubernetes`, account, KUBERNETES_KEYS);
        const namespace = checkText(`${at}.kubernetes`, "namespace", account.namespace, DNS_LABEL, "a Kubernetes namespace name");
        const serviceAccount = checkText(`${at}.kubernetes`, "serviceAccount", account.serviceAccount, DNS_SUBDOMAIN, "a Kubernetes service account name");
        if (raw.audience === undefined) throw invalid(at, "audience", undefined, "a Kubernetes token's audience is required (the audience of its projected token)");
        return { auth, boundAudiences: checkAudiences(at, raw.audience), boundSubject: `system:serviceaccount:${namespace}:${serviceAccount}`, userClaim: "sub" };
    }
    if (raw.github !== undefined) return { auth, ...githubBinding(at, raw.github, raw.audience), userClaim: "sub" };
    if (raw.audience === undefined) throw invalid(at, "audience", undefined, "required: a token minted for another service must not log in here");
    return {
        auth,
        boundAudiences: checkAudiences(at, raw.audience),
        ...(raw.subject !== undefined ? { boundSubject: checkText(at, "subject", raw.subject) } : {}),
        ...(raw.claims !== undefined ? { boundClaims: checkClaims(at, raw.claims) } : {}),
        userClaim: "sub",
    };
}

/** A GitHub Actions binding: repository, and its ref and/or environment (a repository alone lets every branch in). */
export function githubBinding(where: string, value: unknown, audience: unknown): Pick<JwtRoleBinding, "boundAudiences" | "boundClaims"> {
    const github = checkObject(where, "github", value, "{ repository, ref?, environment? }");
    rejectUnknownKeys(`${where}.github`, github, GITHUB_KEYS);
    const repository = checkText(`${where}.github`, "repository", github.repository, GITHUB_REPOSITORY, "owner/name");
    if (github.ref === undefined && github.environment === undefined) {
        throw invalid(`${where}.github`, "ref", undefined, "set ref, environment or both: a repository alone would let every branch and pull request log in");
    }
    const claims: Record<string, string> = { repository };
    if (github.ref !== undefined) claims.ref = checkText(`${where}.github`, "ref", github.ref, /^refs\/[^\s,*]+$/, "a full ref such as refs/heads/main");
    if (github.environment !== undefined) claims.environment = checkText(`${where}.github`, "environment", github.environment, /^[^,]+$/, "an environment name");
    return { boundAudiences: audience === undefined ? [githubDefaultAudience(repository)] : checkAudiences(where, audience), boundClaims: claims };
}

/** The audience GitHub puts in a job's token unless the job asks for another: the owner's URL. */
export function githubDefaultAudience(repository: string): string {
    return `https://github.com/${repository.split("/")[0]}`;
}
