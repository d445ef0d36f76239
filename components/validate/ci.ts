/**
 * The repository whose CI previews and deploys the stack, logging in to Vault with the job's OIDC token: pull
 * requests get a read-only preview role, the deploy branch (and environment) the deployer role.
 */
import { invalid, rejectUnknownKeys } from "./errors";
import { checkIssuerUrl, checkObject, checkText, GITHUB_ACTIONS_ISSUER, githubBinding, githubDefaultAudience, JwtRoleBinding } from "./jwt";
import { checkMountPath } from "./names";
import { DEFAULTS } from "./settings";

export interface CiOidcSpec {
    /** The repository whose workflows preview and deploy the stack, `owner/name`. */
    repository: string;
    /** Path of the JWT auth method GitHub's tokens are verified by; default "github-actions". */
    path?: string;
    /** That method is enabled already (by another stack): read, never enabled or disabled here. Default false. */
    existingAuth?: boolean;
    /** The audience the workflow asks for; default `https://github.com/<owner>` (GitHub's own default). */
    audience?: string;
    /** Deploys run from this branch; default "main". */
    deployBranch?: string;
    /** ... and, where set, in this deployment environment (protect it in the repository's settings). */
    deployEnvironment?: string;
    /** The OIDC issuer; default GitHub's (`https://token.actions.githubusercontent.com`). GitHub Enterprise Server has its own. */
    issuer?: string;
}

export interface ResolvedCiOidc {
    repository: string;
    path: string;
    existingAuth: boolean;
    issuer: string;
    audience: string;
    deployBranch: string;
    deployEnvironment?: string;
    /** Any workflow run of the repository: pull requests included. */
    preview: JwtRoleBinding;
    /** Runs on the deploy branch (and in the deploy environment) only. */
    deploy: JwtRoleBinding;
}

export const CI_OIDC_KEYS: readonly (keyof CiOidcSpec)[] = ["repository", "path", "existingAuth", "audience", "deployBranch", "deployEnvironment", "issuer"];

export function resolveCiOidc(where: string, spec: unknown): ResolvedCiOidc | undefined {
    if (spec === undefined) return undefined;
    const raw = checkObject(where, "ciOidc", spec, "{ repository, deployBranch?, deployEnvironment?, ... }");
    const at = `${where} ciOidc`;
    rejectUnknownKeys(at, raw, CI_OIDC_KEYS);
    const path = checkMountPath(at, "path", raw.path ?? DEFAULTS.ciOidcPath);
    if (raw.existingAuth !== undefined && typeof raw.existingAuth !== "boolean") throw invalid(at, "existingAuth", raw.existingAuth, "must be true or false");
    const deployBranch = checkText(at, "deployBranch", raw.deployBranch ?? DEFAULTS.ciDeployBranch, /^[^\s,*~^:?[\\]+$/, "a branch name");
    const deploy = githubBinding(at, { repository: raw.repository, ref: `refs/heads/${deployBranch}`, ...(raw.deployEnvironment !== undefined ? { environment: raw.deployEnvironment } : {}) }, raw.audience);
    const repository = deploy.boundClaims!.repository;
    const audience = deploy.boundAudiences[0];
    if (raw.audience !== undefined && audience !== raw.audience) throw invalid(at, "audience", raw.audience, "must be one audience");
    return {
        repository,
        path,
        existingAuth: raw.existingAuth === true,
        issuer: raw.issuer === undefined ? GITHUB_ACTIONS_ISSUER : checkIssuerUrl(at, "issuer", raw.issuer),
        audience: audience ?? githubDefaultAudience(repository),
        deployBranch,
        ...(raw.deployEnvironment !== undefined ? { deployEnvironment: deploy.boundClaims!.environment } : {}),
        preview: { auth: path, boundAudiences: [audience], boundClaims: { repository }, userClaim: "sub" },
        deploy: { auth: path, ...deploy, userClaim: "sub" },
    };
}
