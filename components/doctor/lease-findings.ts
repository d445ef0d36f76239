/**
 * What one role's users and leases say (checks "leases" and "users"): orphaned users, leases whose user is gone, and
 * users past their VALID UNTIL that Vault has not revoked. Pure: tests call it with made-up users and leases.
 */
import { DoctorFinding } from "./findings";
import { EngineUser, ISSUE_SLACK_SECONDS, matchUsersToLeases, parseEngineUsername, RoleLease } from "./lease-matching";

/**
 * How long a user with a lease may outlive its VALID UNTIL before it is worth a warning: Vault revokes at expiry and
 * retries a failed revocation with a backoff.
 */
export const REVOCATION_GRACE_SECONDS = 120;

/** A time to the second, as people read it in a table. */
export function isoSeconds(date: Date): string {
    return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Whether a user is old enough to judge: one made in the last ISSUE_SLACK_SECONDS may still be waiting for its lease. */
function settled(user: EngineUser, now: Date): boolean {
    return (parseEngineUsername(user.name)?.createdAt.getTime() ?? 0) <= now.getTime() - ISSUE_SLACK_SECONDS * 1000;
}

/** A role's users that no lease of it matches, among those old enough to judge: what `--fix` drops. */
export function orphanedUsers(users: readonly EngineUser[], leases: readonly RoleLease[], now: Date): EngineUser[] {
    return matchUsersToLeases(users, leases).usersWithoutLease.filter((user) => settled(user, now));
}

/**
 * Findings for one role. `users` are the role's engine users, read BEFORE `leases`: a user created after that
 * listing is absent, never a false orphan, and one created less than ISSUE_SLACK_SECONDS before `now` may still be
 * waiting for its lease, so it is not judged.
 */
export function roleLeaseFindings(role: string, users: readonly EngineUser[], leases: readonly RoleLease[], now: Date): DoctorFinding[] {
    const match = matchUsersToLeases(users, leases);
    const findings: DoctorFinding[] = [];
    const orphans = orphanedUsers(users, leases, now);
    for (const user of orphans) {
        const expired = user.validUntil !== undefined && user.validUntil.getTime() <= now.getTime();
        findings.push(
            expired
                ? {
                      check: "users", subject: user.name, severity: "warn",
                      detail: `no lease of role ${role} in Vault; expired ${isoSeconds(user.validUntil!)}: it can no longer log in but stays in pg_roles (from PostgreSQL 16 it stops a destroy)`,
                  }
                : {
                      check: "users", subject: user.name, severity: "fail",
                      detail: `no lease of role ${role} in Vault: nothing will revoke it, and it can log in ${user.validUntil ? `until ${isoSeconds(user.validUntil)}` : "forever (no VALID UNTIL)"}`,
                  },
        );
    }
    for (const lease of match.leasesWithoutUser) {
        findings.push({
            check: "leases", subject: lease.id, severity: "fail",
            detail: `its user is gone from PostgreSQL (issued ${isoSeconds(lease.issueTime)}): the application holding it has no working credential; revoke the lease and read new credentials`,
        });
    }
    const overdue = match.pairs.filter(({ user }) => user.validUntil !== undefined && user.validUntil.getTime() < now.getTime() - REVOCATION_GRACE_SECONDS * 1000);
    for (const { user, lease } of overdue) {
        findings.push({
            check: "users", subject: user.name, severity: "warn",
            detail: `past VALID UNTIL since ${isoSeconds(user.validUntil!)} while its lease ${lease.id} is still held: Vault has not revoked it (a failing revocation? see Vault's log)`,
        });
    }
    const unjudged = match.usersWithoutLease.length - orphans.length;
    findings.push({
        check: "leases", subject: role, severity: "ok",
        detail: `${leases.length} lease${leases.length === 1 ? "" : "s"}, ${match.pairs.length} matched to a user${unjudged > 0 ? ` (${unjudged} user${unjudged === 1 ? "" : "s"} too new to judge)` : ""}`,
    });
    return findings;
}
