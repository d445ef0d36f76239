/**
 * `checkJwtRole`, the check of jwt-role-bound (`vault.jwt.AuthBackendRole` props): a role of a JWT/OIDC auth method
 * is bound to a subject or to claims and to audiences, leaves out Vault's default policy, and a GitHub binding
 * (a `repository` claim) does not open its `ref` to a glob. Returns the violation messages for one resource's props.
 */
import { UnknownValueError } from "@pulumi/policy";
import { UNKNOWN_AT_PREVIEW } from "./resource-types";

/** Stands for a value unknown at preview: each check that meets it passes, and is made again at `up`. */
const UNKNOWN = Symbol("unknown at preview");

/** Reads one value off the engine's props, or UNKNOWN where the engine cannot know it yet. */
function known(read: () => unknown): unknown {
    try {
        const value = read();
        return value === UNKNOWN_AT_PREVIEW ? UNKNOWN : value;
    } catch (error) {
        // The engine's props throw on a value unknown at preview.
        if (error instanceof UnknownValueError) return UNKNOWN;
        throw error;
    }
}

/** A claim's value as the provider takes it: a string (comma-separated values) or, unknown, UNKNOWN. */
function claimValue(claims: Record<string, unknown>, key: string): string | typeof UNKNOWN | undefined {
    const value = known(() => claims[key]);
    if (value === UNKNOWN) return UNKNOWN;
    if (Array.isArray(value)) return value.map((item) => known(() => item)).some((item) => item === UNKNOWN) ? UNKNOWN : value.join(",");
    return typeof value === "string" ? value : undefined;
}

export function checkJwtRole(props: Record<string, unknown>): string[] {
    const messages: string[] = [];
    const subject = known(() => props.boundSubject);
    const claims = known(() => props.boundClaims);
    const claimMap = typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : undefined;
    const boundBySubject = subject === UNKNOWN || (typeof subject === "string" && subject !== "");
    const boundByClaims = claims === UNKNOWN || (claimMap !== undefined && Object.keys(claimMap).length > 0);
    if (!boundBySubject && !boundByClaims) {
        messages.push(
            "the role is bound to no subject and no claim: any token its issuer signs for the audience logs in (every service account of a cluster, " +
                "every repository's workflows). Set boundSubject, or boundClaims naming what may log in.",
        );
    }

    const audiences = known(() => props.boundAudiences);
    if (audiences !== UNKNOWN && !(Array.isArray(audiences) && audiences.length > 0)) {
        messages.push(
            "the role has no boundAudiences: a token its issuer minted for another service would log in here. " +
                "Set boundAudiences to the audience the platform puts in tokens meant for Vault.",
        );
    }

    const noDefaultPolicy = known(() => props.tokenNoDefaultPolicy);
    if (noDefaultPolicy !== UNKNOWN && noDefaultPolicy !== true) {
        messages.push(
            "tokenNoDefaultPolicy is not true: every login would also get Vault's default policy, granted beside the role's own. " +
                "Set tokenNoDefaultPolicy: true and list what the role needs in tokenPolicies.",
        );
    }

    // A GitHub binding: with a glob, a ref of refs/heads/* (or *) lets every branch and pull request in, unless an
    // exact environment claim binds the role (environments are guarded by the repository's protection rules).
    if (claimMap !== undefined && "repository" in claimMap && known(() => props.boundClaimsType) === "glob") {
        const ref = claimValue(claimMap, "ref");
        const environment = "environment" in claimMap ? claimValue(claimMap, "environment") : undefined;
        const environmentBinds = environment === UNKNOWN || (typeof environment === "string" && environment !== "" && !environment.includes("*"));
        if (typeof ref === "string" && ref.includes("*") && !environmentBinds) {
            const repository = claimValue(claimMap, "repository");
            messages.push(
                `boundClaims ref "${ref}" is a glob (boundClaimsType "glob"): every branch and pull request of ` +
                    `${typeof repository === "string" ? repository : "the repository"} whose ref it matches could log in. ` +
                    'Bind ref to one branch (refs/heads/main) with boundClaimsType "string", or add an environment claim.',
            );
        }
    }
    return messages;
}
