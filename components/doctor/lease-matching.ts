/**
 * Which PostgreSQL user belongs to which Vault lease, per role. Vault's lease lookup (`PUT sys/leases/lookup`) gives a
 * lease's issue and expire times but not the username, so the two are matched by time:
 *
 * - the username's `<unix_time>` (usernameTemplate: `v-<role>-<random12>-<unix_time>`) is taken when the plugin
 *   generates it, just before it creates the user; the lease is registered once creation returns, so its issue time
 *   is the same second or a little later (up to ISSUE_SLACK_SECONDS, for a slow CREATE ROLE);
 * - the user's VALID UNTIL is the lease's expiry as Vault computed it, plus the few seconds the database engine adds,
 *   truncated to the second; a renewal moves both together. They agree within EXPIRY_SLACK_SECONDS.
 *
 * Each user and each lease match at most once, the closest pairs first. Limits: two credentials of one role issued in
 * the same second with the same expiry are interchangeable, so when one of them lost its lease or its user, the count
 * is right but which name is reported may be the other's; a user whose VALID UNTIL was changed by hand (or whose
 * renewal failed half-way) no longer matches its lease and is reported on both sides. Pure: tests call it directly.
 */
import { DYNAMIC_USERNAME_PREFIX } from "../sql";

/** How much later than the username's time a lease may be issued. */
export const ISSUE_SLACK_SECONDS = 30;
/** How far apart a user's VALID UNTIL and its lease's expire time may be. */
export const EXPIRY_SLACK_SECONDS = 15;

/** A user the engine's username template could have made: its role, and when the name was made. */
export interface EngineUsername {
    role: string;
    createdAt: Date;
}

const ENGINE_USERNAME = new RegExp(`^${DYNAMIC_USERNAME_PREFIX}(.+)-[A-Za-z0-9]{12}-(\\d{10})$`);

/** The role and time in a username of the engine's template, or undefined for any other name. */
export function parseEngineUsername(name: string): EngineUsername | undefined {
    const match = ENGINE_USERNAME.exec(name);
    return match ? { role: match[1], createdAt: new Date(Number(match[2]) * 1000) } : undefined;
}

/** A user in `pg_roles`, and its VALID UNTIL (none: valid forever). */
export interface EngineUser {
    name: string;
    validUntil?: Date;
}

/** A lease under `<mount>/creds/<role>/`, as `sys/leases/lookup` describes it. */
export interface RoleLease {
    id: string;
    issueTime: Date;
    expireTime?: Date;
}

export interface LeaseMatch {
    pairs: { user: EngineUser; lease: RoleLease }[];
    usersWithoutLease: EngineUser[];
    leasesWithoutUser: RoleLease[];
}

/** How far apart a user and a lease are, in seconds, or undefined when they cannot belong together. */
function distance(user: EngineUser, lease: RoleLease): number | undefined {
    const parsed = parseEngineUsername(user.name);
    if (!parsed) return undefined;
    // The username's time is whole seconds; the issue time is not.
    const issuedAfter = (lease.issueTime.getTime() - parsed.createdAt.getTime()) / 1000;
    if (issuedAfter < -1 || issuedAfter > ISSUE_SLACK_SECONDS + 1) return undefined;
    let expiryGap = 0;
    if (user.validUntil && lease.expireTime) {
        expiryGap = Math.abs(user.validUntil.getTime() - lease.expireTime.getTime()) / 1000;
        if (expiryGap > EXPIRY_SLACK_SECONDS) return undefined;
    }
    return Math.abs(issuedAfter) + expiryGap;
}

/** Matches one role's users to its leases (see the file's comment for the rule and its limits). */
export function matchUsersToLeases(users: readonly EngineUser[], leases: readonly RoleLease[]): LeaseMatch {
    const candidates: { user: number; lease: number; distance: number }[] = [];
    users.forEach((user, userIndex) =>
        leases.forEach((lease, leaseIndex) => {
            const apart = distance(user, lease);
            if (apart !== undefined) candidates.push({ user: userIndex, lease: leaseIndex, distance: apart });
        }),
    );
    candidates.sort((a, b) => a.distance - b.distance || a.user - b.user || a.lease - b.lease);
    const userTaken = new Set<number>();
    const leaseTaken = new Set<number>();
    const pairs: LeaseMatch["pairs"] = [];
    for (const candidate of candidates) {
        if (userTaken.has(candidate.user) || leaseTaken.has(candidate.lease)) continue;
        userTaken.add(candidate.user);
        leaseTaken.add(candidate.lease);
        pairs.push({ user: users[candidate.user], lease: leases[candidate.lease] });
    }
    return {
        pairs,
        usersWithoutLease: users.filter((_, index) => !userTaken.has(index)),
        leasesWithoutUser: leases.filter((_, index) => !leaseTaken.has(index)),
    };
}
