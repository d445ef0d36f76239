/**
 * The Vault admin of each database against what the access model declares (check "admin"): a login role with
 * CREATEROLE, a member WITH ADMIN OPTION of its database's three group roles (access-model.ts grants them; names from
 * sql.ts groupRoleNames) and of each static role's user (static-role.ts), nothing more. Pure: tests call it directly.
 */
import { ACCESS_LEVELS, DYNAMIC_USERNAME_PREFIX, GroupRoleNames } from "../sql";
import { DoctorFinding } from "./findings";

/** What the stack declares for one database's Vault admin. */
export interface DeclaredAdmin {
    admin: string;
    database: string;
    groups: GroupRoleNames;
    /** Users of the database's static roles: the admin holds ADMIN OPTION on each to set its password. */
    staticUsers: readonly string[];
}

/** The admin's row of `pg_roles`. */
export interface AdminAttributes {
    canLogin: boolean;
    createRole: boolean;
    superuser: boolean;
    validUntil?: Date;
}

/** One role the admin is a member of (rows of `pg_auth_members` for one pair, merged). */
export interface AdminMembership {
    role: string;
    adminOption: boolean;
}

/** The memberships the access model declares, each WITH ADMIN OPTION, and what each is for. */
export function declaredMemberships(declared: DeclaredAdmin): { role: string; purpose: string }[] {
    return [
        ...ACCESS_LEVELS.map((access) => ({ role: declared.groups[access], purpose: `issue and revoke ${access} credentials of ${declared.database}` })),
        ...declared.staticUsers.map((user) => ({ role: user, purpose: `rotate the password of static user ${user}` })),
    ];
}

/** Findings for one admin: each problem by name, or one line saying all is as declared. */
export function adminFindings(declared: DeclaredAdmin, found: AdminAttributes | undefined, memberships: readonly AdminMembership[], now: Date): DoctorFinding[] {
    const subject = declared.admin;
    if (!found) {
        return [{ check: "admin", subject, severity: "fail", detail: `no such role in PostgreSQL: Vault cannot connect to ${declared.database} (pulumi up --refresh creates it again)` }];
    }
    const problems: DoctorFinding[] = [];
    const problem = (detail: string, severity: "warn" | "fail" = "fail"): void => void problems.push({ check: "admin", subject, severity, detail });
    if (!found.canLogin) problem(`lacks LOGIN: Vault cannot connect to ${declared.database} (ALTER ROLE ... LOGIN)`);
    if (!found.createRole && !found.superuser) problem("lacks CREATEROLE: Vault cannot create or drop credentials (ALTER ROLE ... CREATEROLE)");
    if (found.validUntil && found.validUntil.getTime() <= now.getTime()) problem(`its VALID UNTIL has passed (${found.validUntil.toISOString()}): Vault's next login fails`);
    if (found.superuser) problem("is a superuser: the access model gives it CREATEROLE and its memberships, nothing more", "warn");
    const held = new Map(memberships.map((membership) => [membership.role, membership.adminOption]));
    const expected = declaredMemberships(declared);
    for (const { role, purpose } of expected) {
        const grant = `GRANT "${role}" TO "${declared.admin}" WITH ADMIN OPTION`;
        if (!held.has(role)) problem(`is not a member of ${role}: it cannot ${purpose} (${grant}, or pulumi refresh then up)`);
        else if (!held.get(role)) problem(`is a member of ${role} without ADMIN OPTION: it cannot ${purpose} (${grant})`);
    }
    // Engine users appear too: from PostgreSQL 16 a role's creator holds ADMIN OPTION on it.
    const extra = memberships.filter(({ role }) => !expected.some((entry) => entry.role === role) && !role.startsWith(DYNAMIC_USERNAME_PREFIX));
    if (extra.length > 0) problem(`is also a member of ${extra.map(({ role }) => role).join(", ")}, which the access model does not declare`, "warn");
    if (problems.length > 0) return problems;
    return [{ check: "admin", subject, severity: "ok", detail: `LOGIN CREATEROLE, ADMIN OPTION on ${expected.map(({ role }) => role).join(", ")}` }];
}
