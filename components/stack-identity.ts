/**
 * Who logs in to the composite's Vault (VaultPostgres): applications, with AppRole or with a JWT their platform signs
 * (one JwtAuth per issuer of `jwtAuth`), and CI, with its job's OIDC token (CiAccess). It also writes the deployer
 * and preview policies, whose paths include these logins' own.
 */
import * as pulumi from "@pulumi/pulumi";
import { AppAccess, AppLoginMethod, appPolicyName } from "./app-access";
import { AppRoleAuth } from "./approle-auth";
import { CiAccess, CiLogin, ciNames } from "./ci-access";
import { DeployerScope, deployerPolicy, previewPolicy } from "./deployer-policy";
import { JwtAuth } from "./jwt-auth";
import { CiOidcSpec, JwtBindingSpec, JwtIssuerSpec, ResolvedAppSpec, resolveCiOidc } from "./validate";

/** What one application needs to log in. */
export interface AppLogin {
    method: AppLoginMethod;
    policyName: string;
    /** `auth/<approle or jwt path>/login`. */
    loginPath: string;
    /** The role it logs in as (its name). */
    role: string;
    /** AppRole only: the role id. */
    roleId?: string;
}

export interface StackIdentitySettings {
    approlePath: string;
    sharedApprole?: boolean;
    apps: ResolvedAppSpec[];
    jwtIssuers: JwtIssuerSpec[];
    ci?: CiOidcSpec;
    /** Plain, so the policies' text is known at preview. */
    mountPath: string;
    /** The deployer scope of everything but the logins (`policyNames`: the policies the rest of the stack writes). */
    scope: Omit<DeployerScope, "approlePath" | "appRoleNames" | "jwtAuthPaths" | "existingJwtAuthPaths" | "jwtRoles">;
    /** Options of every login resource (provider, parent, lifecycle). */
    opts: pulumi.ComponentResourceOptions;
}

export interface StackIdentity {
    approle: AppRoleAuth;
    jwtAuth: Record<string, JwtAuth>;
    appAccess: Record<string, AppAccess>;
    apps: pulumi.Output<Record<string, AppLogin>>;
    ci?: CiAccess;
    ciLogin?: pulumi.Output<CiLogin>;
    deployerPolicy: string;
    previewPolicy: string;
}

/** The full deployer scope: the rest of the stack's, and every login the stack declares. */
export function identityScope(name: string, settings: Omit<StackIdentitySettings, "opts" | "mountPath">): DeployerScope {
    const ci = resolveCiOidc(`VaultPostgres ${name}`, settings.ci);
    const ciRoles = ci ? ciNames(name) : undefined;
    const jwtApps = settings.apps.filter((app) => app.jwt !== undefined);
    return {
        ...settings.scope,
        approlePath: settings.approlePath,
        appRoleNames: settings.apps.filter((app) => app.jwt === undefined).map((app) => app.name),
        policyNames: [
            ...settings.apps.map((app) => appPolicyName(app.name)),
            ...settings.scope.policyNames,
            ...(ciRoles ? [ciRoles.previewPolicy, ciRoles.deployerPolicy] : []),
        ],
        jwtAuthPaths: [...settings.jwtIssuers.filter((issuer) => !issuer.existing).map((issuer) => issuer.path), ...(ci && !ci.existingAuth ? [ci.path] : [])],
        existingJwtAuthPaths: [...settings.jwtIssuers.filter((issuer) => issuer.existing).map((issuer) => issuer.path), ...(ci?.existingAuth ? [ci.path] : [])],
        jwtRoles: [
            ...jwtApps.map((app) => ({ path: app.jwt!.auth, name: app.name })),
            ...(ci && ciRoles ? [{ path: ci.path, name: ciRoles.previewRole }, { path: ci.path, name: ciRoles.deployRole }] : []),
        ],
    };
}

export function declareIdentity(name: string, settings: StackIdentitySettings): StackIdentity {
    const { opts } = settings;
    const scope = identityScope(name, settings);
    const approle = new AppRoleAuth(`${name}-approle`, { path: settings.approlePath, existing: settings.sharedApprole }, opts);
    const jwtAuth = Object.fromEntries(settings.jwtIssuers.map((issuer) => [issuer.path, new JwtAuth(`${name}-jwt-${issuer.path.replace(/\//g, "-")}`, issuer, opts)]));
    const appAccess: Record<string, AppAccess> = {};
    for (const app of settings.apps) {
        appAccess[app.name] = new AppAccess(
            `${name}-app-${app.name}`,
            {
                name: app.name,
                roles: app.roles,
                tokenTtl: app.tokenTtlSeconds,
                tokenMaxTtl: app.tokenMaxTtlSeconds,
                ...(app.jwt ? {} : { secretIdTtl: app.secretIdTtlSeconds }),
                staticRoles: app.staticRoles,
                mountPath: settings.mountPath,
                ...(app.jwt
                    ? { jwt: jwtSpecOf(app), jwtAuthPath: jwtAuth[app.jwt.auth].path }
                    : { approlePath: approle.path }),
            },
            opts,
        );
    }
    const apps = pulumi
        .all(
            Object.entries(appAccess).map(([appName, access]) =>
                pulumi.all([access.policyName, access.loginPath, access.roleId ?? ""]).apply(([policyName, loginPath, roleId]): [string, AppLogin] => [
                    appName,
                    { method: access.method, policyName, loginPath, role: access.roleName, ...(roleId ? { roleId } : {}) },
                ]),
            ),
        )
        .apply((entries) => Object.fromEntries(entries));
    const policies = { deployerPolicy: deployerPolicy(scope), previewPolicy: previewPolicy(scope) };
    const ci = settings.ci ? new CiAccess(`${name}-ci`, { ...settings.ci, prefix: name, ...policies }, opts) : undefined;
    return { approle, jwtAuth, appAccess, apps, ci, ciLogin: ci?.login, ...policies };
}

/** The binding AppAccess takes, from the resolved one: the same claims, without re-deriving kind-specific defaults. */
function jwtSpecOf(app: ResolvedAppSpec): JwtBindingSpec {
    const binding = app.jwt!;
    return {
        auth: binding.auth,
        audience: binding.boundAudiences,
        ...(binding.boundSubject !== undefined ? { subject: binding.boundSubject } : {}),
        ...(binding.boundClaims !== undefined ? { claims: Object.fromEntries(Object.entries(binding.boundClaims).map(([key, value]) => [key, value.split(",")])) } : {}),
    };
}
