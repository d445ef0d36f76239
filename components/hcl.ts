/**
 * Pure renderers for Vault ACL policies (HCL). No Pulumi here: tests call these directly.
 */

/**
 * Quotes a string for HCL 1, which Vault and OpenBao parse policies and agent configs as: escapes backslashes and
 * double quotes, and writes the `$` of `${` as `\u0024` (HCL 1 has no `$${` escape, and a string cannot end inside an
 * open `${`). `%{` means nothing in HCL 1 and stays as it is. Control characters are refused, except, with
 * `multiline` (an agent template's contents), newlines and tabs, written as `\n` and `\t`.
 */
export function hclString(value: string, options: { multiline?: boolean } = {}): string {
    const forbidden = options.multiline ? /[\u0000-\u0008\u000b-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/;
    if (forbidden.test(value)) {
        throw new Error(`hclString: control characters are not allowed${options.multiline ? "" : " in a policy path"}: ${JSON.stringify(value)}`);
    }
    const escaped = value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\t/g, "\\t").replace(/\$\{/g, "\\u0024{");
    return `"${escaped}"`;
}

/** Vault path that issues credentials for one role. */
export function credsPath(mountPath: string, roleName: string): string {
    return `${mountPath}/creds/${roleName}`;
}

/** Vault path that returns the current password of one static role. */
export function staticCredsPath(mountPath: string, staticRoleName: string): string {
    return `${mountPath}/static-creds/${staticRoleName}`;
}

/** One `path` block of an ACL policy. */
export interface PolicyRule {
    path: string;
    capabilities: string[];
    comment?: string;
}

export function renderPolicy(rules: PolicyRule[]): string {
    return rules
        .map((rule) => {
            const comment = rule.comment ? `# ${rule.comment.replace(/\n/g, " ")}\n` : "";
            const capabilities = rule.capabilities.map((capability) => hclString(capability)).join(", ");
            return `${comment}path ${hclString(rule.path)} {\n  capabilities = [${capabilities}]\n}\n`;
        })
        .join("\n");
}

/**
 * The least-privilege rules for one application:
 * - read credentials of its own roles (dynamic and static), and nothing else under the mount;
 * - renew leases: in the URL form under its own roles' creds paths, and in the body form (`sys/leases/renew` with
 *   `{lease_id}`), which Vault Agent, `vault lease renew` and Vault's Go client use and Vault's default policy
 *   allows: a renewal cannot extend a lease beyond its role's max TTL;
 * - revoke leases of its own roles only, in the URL form: the body form (`sys/leases/revoke`) would let it revoke
 *   any lease whose id it learns;
 * - look up and renew its own token, since the default policy is not attached.
 */
export function appPolicyRules(mountPath: string, roleNames: readonly string[], staticRoleNames: readonly string[] = []): PolicyRule[] {
    if (roleNames.length === 0 && staticRoleNames.length === 0) {
        throw new Error("appPolicyRules: an application needs at least one role");
    }
    const rules: PolicyRule[] = [];
    for (const role of roleNames) {
        const creds = credsPath(mountPath, role);
        rules.push({ path: creds, capabilities: ["read"], comment: `Issue credentials of role "${role}".` });
        rules.push({ path: `sys/leases/renew/${creds}/*`, capabilities: ["update"], comment: `Renew leases of role "${role}".` });
        rules.push({ path: `sys/leases/revoke/${creds}/*`, capabilities: ["update"], comment: `Revoke leases of role "${role}".` });
    }
    for (const role of staticRoleNames) {
        rules.push({ path: staticCredsPath(mountPath, role), capabilities: ["read"], comment: `Read the current password of static role "${role}".` });
    }
    if (roleNames.length > 0) {
        rules.push({
            path: "sys/leases/renew",
            capabilities: ["update"],
            comment: "Renew a lease given in the body, as Vault Agent does; never beyond the role's max TTL.",
        });
    }
    rules.push({ path: "auth/token/lookup-self", capabilities: ["read"], comment: "Read its own token's TTL." });
    rules.push({ path: "auth/token/renew-self", capabilities: ["update"], comment: "Keep its own token alive." });
    return rules;
}

/** The application's ACL policy text. */
export function appPolicy(mountPath: string, roleNames: readonly string[], staticRoleNames: readonly string[] = []): string {
    return renderPolicy(appPolicyRules(mountPath, roleNames, staticRoleNames));
}
