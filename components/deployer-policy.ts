/**
 * The least-privilege ACL policy for whoever applies the stack's Vault resources (a CI pipeline), instead of the
 * root token. A pure function: its paths are the stack's own mount, connection, roles, AppRole path and policy
 * names, and each rule names the provider call that needs it (terraform-provider-vault, which @pulumi/vault wraps).
 */
import { PolicyRule, renderPolicy } from "./hcl";

export interface DeployerScope {
    /** Path of the database secrets engine, e.g. "database". */
    mountPath: string;
    /** Names of its connection configs, e.g. ["app-readonly", "app-readwrite"]. */
    connectionNames: readonly string[];
    /** Whether the stack rotates the Vault admin's password through the (single) connection. */
    rotateRoot?: boolean;
    /** Vault role names under `<mount>/roles/`. */
    roleNames: readonly string[];
    /** Static role names under `<mount>/static-roles/`. */
    staticRoleNames?: readonly string[];
    /** Path of the AppRole auth method, e.g. "approle". */
    approlePath: string;
    /** AppRole role names (one per app). */
    appRoleNames: readonly string[];
    /** ACL policy names the stack writes (one per app). */
    policyNames: readonly string[];
    /** JWT auth methods the stack enables, and those it only reads (enabled by another stack). */
    jwtAuthPaths?: readonly string[];
    existingJwtAuthPaths?: readonly string[];
    /** Roles of JWT auth methods (apps' and CI's): `auth/<path>/role/<name>`. */
    jwtRoles?: readonly { path: string; name: string }[];
    /** Path of the audit device the stack enables (server mode), if any. */
    auditPath?: string;
    /** The mount is shared with other stacks: read only, and each role's leases revoked by prefix at removal. */
    sharedMount?: boolean;
}

const CRUD = ["create", "read", "update", "delete"];

export function deployerPolicyRules(scope: DeployerScope): PolicyRule[] {
    const { mountPath, approlePath } = scope;
    const rules: PolicyRule[] = [
        // The provider creates a short-lived child token for its own calls (internal/provider/meta.go).
        { path: "auth/token/create", capabilities: ["update"], comment: "The provider's child token." },
        { path: "auth/token/lookup-self", capabilities: ["read"], comment: "The provider reads its token's policies and TTL." },
        // vault.Mount: POST/GET/DELETE sys/mounts/<path> (resource_mount.go, util/mountutil), tune on update.
        ...(scope.sharedMount
            ? [{ path: `sys/mounts/${mountPath}`, capabilities: ["read"], comment: `Read the shared database engine at "${mountPath}".` }]
            : [
                  { path: `sys/mounts/${mountPath}`, capabilities: CRUD, comment: `Mount, read and unmount the database engine at "${mountPath}".` },
                  { path: `sys/mounts/${mountPath}/tune`, capabilities: ["read", "update"], comment: "Tune its lease TTLs." },
              ]),
    ];
    for (const connection of scope.connectionNames) {
        // vault.database.SecretBackendConnection: POST/GET/DELETE <mount>/config/<name>.
        rules.push({ path: `${mountPath}/config/${connection}`, capabilities: CRUD, comment: `The connection "${connection}".` });
    }
    if (scope.rotateRoot) {
        // rotate-root: a write to <mount>/rotate-root/<name> (vault.generic.Endpoint, read and delete disabled).
        const connection = scope.connectionNames[0];
        rules.push({ path: `${mountPath}/rotate-root/${connection}`, capabilities: ["update"], comment: "Rotate the Vault admin's password." });
    }
    for (const role of scope.roleNames) {
        rules.push({ path: `${mountPath}/roles/${role}`, capabilities: CRUD, comment: `Database role "${role}".` });
        if (scope.sharedMount) {
            // LeaseRevocation: PUT sys/leases/revoke-prefix/<prefix> needs sudo (Vault API docs, sys/leases).
            rules.push({ path: `sys/leases/revoke-prefix/${mountPath}/creds/${role}`, capabilities: ["update", "sudo"], comment: "Revoke its leases when the stack removes it." });
        }
    }
    for (const role of scope.staticRoleNames ?? []) {
        // vault.database.SecretBackendStaticRole: POST/GET/DELETE <mount>/static-roles/<name>.
        rules.push({ path: `${mountPath}/static-roles/${role}`, capabilities: CRUD, comment: `Static role "${role}".` });
    }
    for (const policy of scope.policyNames) {
        rules.push({ path: `sys/policies/acl/${policy}`, capabilities: CRUD, comment: `The policy "${policy}".` });
    }
    // vault.AuthBackend: enabling and reading one auth method needs sudo on its own path (Vault API docs, sys/auth);
    // its tune is read through sys/mounts/auth/<path>/tune (vault/auth_mount.go, authMountTuneGet).
    rules.push(
        { path: `sys/auth/${approlePath}`, capabilities: [...CRUD, "sudo"], comment: `Enable, read and disable AppRole at "${approlePath}".` },
        { path: `sys/mounts/auth/${approlePath}/tune`, capabilities: ["read", "update"], comment: "Tune the AppRole method." },
    );
    for (const path of scope.jwtAuthPaths ?? []) {
        // vault.jwt.AuthBackend: sys/auth/<path>, its config at auth/<path>/config and its tune
        // (vault/resource_jwt_auth_backend.go: jwtAuthBackendWrite, jwtAuthBackendRead).
        rules.push(
            { path: `sys/auth/${path}`, capabilities: [...CRUD, "sudo"], comment: `Enable, read and disable the JWT auth method at "${path}".` },
            { path: `auth/${path}/config`, capabilities: ["create", "read", "update"], comment: "Its issuer and keys." },
            { path: `sys/mounts/auth/${path}/tune`, capabilities: ["read", "update"], comment: "Tune it." },
        );
    }
    for (const path of scope.existingJwtAuthPaths ?? []) {
        rules.push(
            { path: `sys/auth/${path}`, capabilities: ["read", "sudo"], comment: `Read the shared JWT auth method at "${path}".` },
            { path: `auth/${path}/config`, capabilities: ["read"], comment: "Its issuer and keys." },
            { path: `sys/mounts/auth/${path}/tune`, capabilities: ["read"], comment: "Its tune." },
        );
    }
    for (const role of scope.jwtRoles ?? []) {
        // vault.jwt.AuthBackendRole: POST/GET/DELETE auth/<path>/role/<name> (vault/resource_jwt_auth_backend_role.go).
        rules.push({ path: `auth/${role.path}/role/${role.name}`, capabilities: CRUD, comment: `JWT role "${role.name}".` });
    }
    for (const role of scope.appRoleNames) {
        const rolePath = `auth/${approlePath}/role/${role}`;
        rules.push(
            { path: rolePath, capabilities: CRUD, comment: `AppRole role "${role}".` },
            // The provider reads the role id after each write (resource_approle_auth_backend_role.go).
            { path: `${rolePath}/role-id`, capabilities: ["read", "update"], comment: "Its role id." },
        );
    }
    if (scope.auditPath !== undefined) {
        // vault.Audit enables the device with PUT sys/audit/<path> and reads it back by listing sys/audit
        // (resource_audit.go, ListAudit); both need sudo (Vault API docs, sys/audit).
        rules.push(
            { path: `sys/audit/${scope.auditPath}`, capabilities: ["create", "read", "update", "delete", "sudo"], comment: `The audit device "${scope.auditPath}".` },
            { path: "sys/audit", capabilities: ["read", "sudo"], comment: "List audit devices (the provider's read)." },
        );
    }
    return rules;
}

/** The deployer policy's text (HCL). */
export function deployerPolicy(scope: DeployerScope): string {
    return renderPolicy(deployerPolicyRules(scope));
}

/**
 * What a `pulumi preview --refresh` of the stack reads, and nothing it writes: the deployer's rules cut to their reads
 * (`sudo` kept where a read needs it, sys/auth and sys/audit), plus the child token the provider makes for itself
 * (a child of this token, with its policies or fewer: internal/provider/meta.go, createChildToken).
 */
export function previewPolicyRules(scope: DeployerScope): PolicyRule[] {
    const rules: PolicyRule[] = [];
    for (const rule of deployerPolicyRules(scope)) {
        if (rule.path === "auth/token/create") {
            rules.push(rule);
            continue;
        }
        if (!rule.capabilities.includes("read")) continue;
        const capabilities = ["read", ...rule.capabilities.filter((capability) => capability === "list" || capability === "sudo")];
        rules.push({ ...rule, capabilities });
    }
    return rules;
}

/** The preview policy's text (HCL). */
export function previewPolicy(scope: DeployerScope): string {
    return renderPolicy(previewPolicyRules(scope));
}
