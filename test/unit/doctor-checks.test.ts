/**
 * The doctor's pure checks: matching users to leases and what a role's users and leases say, the Vault admin against
 * the access model, connections against the budget, connection configs, Vault's health, certificate expiry.
 */
import { X509Certificate } from "crypto";
import { adminFindings, declaredMemberships } from "../../components/doctor/admin-findings";
import { caOutputFindings, certificateFinding, EXPIRY_WARNING_DAYS } from "../../components/doctor/certificate-expiry";
import { connectionUseFindings } from "../../components/doctor/connection-use";
import { REVOCATION_GRACE_SECONDS, roleLeaseFindings } from "../../components/doctor/lease-findings";
import { EngineUser, ISSUE_SLACK_SECONDS, matchUsersToLeases, parseEngineUsername, RoleLease } from "../../components/doctor/lease-matching";
import { connectionConfigProblems, connectionUrlParts, healthFinding } from "../../components/doctor/vault-inspection";
import { connectionUrlTemplate, groupRoleNames } from "../../components/sql";

const NOW = new Date("2026-06-01T12:00:00Z");
const at = (secondsFromNow: number): Date => new Date(NOW.getTime() + secondsFromNow * 1000);
const unix = (date: Date): number => Math.floor(date.getTime() / 1000);
/** A user as the engine makes it: named at `created`, VALID UNTIL its lease's expiry plus the engine's 5 s. */
const user = (role: string, random: string, created: Date, validUntil?: Date): EngineUser => ({ name: `v-${role}-${random}-${unix(created)}`, ...(validUntil ? { validUntil } : {}) });
const lease = (id: string, issued: Date, expires: Date): RoleLease => ({ id: `database/creds/readonly/${id}`, issueTime: issued, expireTime: expires });

describe("parseEngineUsername", () => {
    it("reads the role and time from the engine's template, also for roles with dashes", () => {
        expect(parseEngineUsername("v-orders-read-Ab3dEf6hIj9k-1780315200")).toEqual({ role: "orders-read", createdAt: new Date(1780315200 * 1000) });
    });

    it("refuses names the template cannot make", () => {
        for (const name of ["vault_admin", "v-readonly-short-1780315200", "v-readonly-Ab3dEf6hIj9k-178031520", "x-readonly-Ab3dEf6hIj9k-1780315200"]) expect(parseEngineUsername(name)).toBeUndefined();
    });
});

describe("matchUsersToLeases", () => {
    const issuedA = at(-600.4);
    const issuedB = at(-300.2);
    const a = user("readonly", "AAAAAAAAAAAA", issuedA, at(-600 + 3600 + 5));
    const b = user("readonly", "BBBBBBBBBBBB", issuedB, at(-300 + 3600 + 5));
    const leaseA = lease("a", issuedA, at(-600.4 + 3600));
    const leaseB = lease("b", issuedB, at(-300.2 + 3600));

    it("pairs each user with the lease issued when it was named and expiring when it does", () => {
        const match = matchUsersToLeases([b, a], [leaseA, leaseB]);
        expect(match.pairs.map((pair) => [pair.user.name, pair.lease.id])).toEqual(expect.arrayContaining([[a.name, leaseA.id], [b.name, leaseB.id]]));
        expect(match.usersWithoutLease).toEqual([]);
        expect(match.leasesWithoutUser).toEqual([]);
    });

    it("leaves a user and a lease that are too far apart unmatched, on both sides", () => {
        const match = matchUsersToLeases([a], [leaseB]);
        expect(match).toEqual({ pairs: [], usersWithoutLease: [a], leasesWithoutUser: [leaseB] });
    });

    it("does not pair a user whose VALID UNTIL is far from the lease's expiry, even issued the same second", () => {
        const renewedElsewhere = { ...a, validUntil: at(-600 + 7200) };
        expect(matchUsersToLeases([renewedElsewhere], [leaseA]).pairs).toEqual([]);
    });

    it("tells two users of the same second apart by their expiry (one renewed)", () => {
        const renewed = { ...user("readonly", "CCCCCCCCCCCC", issuedA, at(-600 + 7200 + 5)) };
        const renewedLease = lease("renewed", issuedA, at(-600.4 + 7200));
        const match = matchUsersToLeases([renewed, a], [leaseA, renewedLease]);
        expect(match.pairs.map((pair) => [pair.user.name, pair.lease.id]).sort()).toEqual([[a.name, leaseA.id], [renewed.name, renewedLease.id]].sort());
    });

    it("allows a lease issued up to the slack after the name, not more", () => {
        const slow = lease("slow", at(-600 + ISSUE_SLACK_SECONDS), at(-600 + 3600));
        const tooSlow = lease("too-slow", at(-600 + ISSUE_SLACK_SECONDS + 2), at(-600 + 3600));
        expect(matchUsersToLeases([a], [slow]).pairs).toHaveLength(1);
        expect(matchUsersToLeases([a], [tooSlow]).pairs).toHaveLength(0);
    });
});

describe("roleLeaseFindings", () => {
    it("fails an orphan that can still log in, naming it and until when", () => {
        const orphan = user("readonly", "OOOOOOOOOOOO", at(-600), at(3000));
        const [finding] = roleLeaseFindings("readonly", [orphan], [], NOW);
        expect(finding).toEqual({ check: "users", subject: orphan.name, severity: "fail", detail: "no lease of role readonly in Vault: nothing will revoke it, and it can log in until 2026-06-01T12:50:00Z" });
    });

    it("warns of an expired orphan: it can no longer log in but stays", () => {
        const orphan = user("readonly", "OOOOOOOOOOOO", at(-7200), at(-3600));
        expect(roleLeaseFindings("readonly", [orphan], [], NOW)[0]).toMatchObject({ subject: orphan.name, severity: "warn", detail: expect.stringContaining("expired 2026-06-01T11:00:00Z") });
    });

    it("fails a lease whose user is gone, naming the lease", () => {
        const gone = lease("gone", at(-100), at(3500));
        expect(roleLeaseFindings("readonly", [], [gone], NOW)[0]).toMatchObject({ check: "leases", subject: gone.id, severity: "fail" });
    });

    it("does not judge a user younger than the issue slack: its lease may not be registered yet", () => {
        const fresh = user("readonly", "FFFFFFFFFFFF", at(-1), at(3600));
        expect(roleLeaseFindings("readonly", [fresh], [], NOW)).toEqual([{ check: "leases", subject: "readonly", severity: "ok", detail: "0 leases, 0 matched to a user (1 user too new to judge)" }]);
    });

    it("warns of a user past VALID UNTIL beyond the grace whose lease Vault still holds", () => {
        const issued = at(-3600 - REVOCATION_GRACE_SECONDS - 60);
        const stuck = user("readonly", "SSSSSSSSSSSS", issued, at(-REVOCATION_GRACE_SECONDS - 55));
        const held = lease("stuck", issued, at(-REVOCATION_GRACE_SECONDS - 60));
        const findings = roleLeaseFindings("readonly", [stuck], [held], NOW);
        expect(findings.map((finding) => [finding.subject, finding.severity])).toEqual([[stuck.name, "warn"], ["readonly", "ok"]]);
        expect(findings[0].detail).toContain(held.id);
    });

    it("counts the role's leases when all is well", () => {
        const created = at(-60);
        expect(roleLeaseFindings("readonly", [user("readonly", "AAAAAAAAAAAA", created, at(3545))], [lease("a", created, at(3540))], NOW)).toEqual([
            { check: "leases", subject: "readonly", severity: "ok", detail: "1 lease, 1 matched to a user" },
        ]);
    });
});

describe("adminFindings", () => {
    const declared = { admin: "vault_admin", database: "app", groups: groupRoleNames("app"), staticUsers: ["pgbouncer"] };
    const attributes = { canLogin: true, createRole: true, superuser: false };
    const all = declaredMemberships(declared).map(({ role }) => ({ role, adminOption: true }));

    it("declares ADMIN OPTION on the database's three groups and each static user", () => {
        expect(declaredMemberships(declared).map(({ role }) => role)).toEqual(["app_readonly", "app_readwrite", "app_owner", "pgbouncer"]);
    });

    it("is fine with what the access model declares, engine users it created included", () => {
        const findings = adminFindings(declared, attributes, [...all, { role: "v-readonly-AAAAAAAAAAAA-1780315200", adminOption: true }], NOW);
        expect(findings).toEqual([{ check: "admin", subject: "vault_admin", severity: "ok", detail: "LOGIN CREATEROLE, ADMIN OPTION on app_readonly, app_readwrite, app_owner, pgbouncer" }]);
    });

    it("names a revoked membership and one without ADMIN OPTION, and what each stops", () => {
        const held = all.filter(({ role }) => role !== "app_readwrite").map((membership) => (membership.role === "pgbouncer" ? { ...membership, adminOption: false } : membership));
        const details = adminFindings(declared, attributes, held, NOW).map((finding) => `${finding.severity}: ${finding.detail}`);
        expect(details).toEqual([
            'fail: is not a member of app_readwrite: it cannot issue and revoke readwrite credentials of app (GRANT "app_readwrite" TO "vault_admin" WITH ADMIN OPTION, or pulumi refresh then up)',
            'fail: is a member of pgbouncer without ADMIN OPTION: it cannot rotate the password of static user pgbouncer (GRANT "pgbouncer" TO "vault_admin" WITH ADMIN OPTION)',
        ]);
    });

    it("fails a missing admin, a lost LOGIN or CREATEROLE, and warns of more than declared", () => {
        expect(adminFindings(declared, undefined, [], NOW)[0]).toMatchObject({ severity: "fail", detail: expect.stringMatching(/^no such role in PostgreSQL/) });
        const findings = adminFindings(declared, { canLogin: false, createRole: false, superuser: false }, [...all, { role: "pg_read_all_data", adminOption: false }], NOW);
        expect(findings.map((finding) => [finding.severity, finding.detail.split(":")[0]])).toEqual([
            ["fail", "lacks LOGIN"],
            ["fail", "lacks CREATEROLE"],
            ["warn", "is also a member of pg_read_all_data, which the access model does not declare"],
        ]);
    });
});

describe("connectionUseFindings", () => {
    const use = { heldByAdmin: { vault_admin: 3, billing_vault: 1 }, clientSessions: 10, maxConnections: 100, reservedConnections: 3 };

    it("counts Vault's connections against the budget and the server's free slots", () => {
        expect(connectionUseFindings(use, 20, 12)).toEqual([
            { check: "connections", subject: "Vault", severity: "ok", detail: "Vault holds 4 connections (vault_admin 3, billing_vault 1) of a budget of 20" },
            { check: "connections", subject: "PostgreSQL", severity: "ok", detail: "10 of 97 connection slots in use (max_connections 100, 3 reserved)" },
        ]);
    });

    it("fails more than the budget, warns of configs that allow more, and of a crowded server", () => {
        const findings = connectionUseFindings({ ...use, heldByAdmin: { vault_admin: 21 }, clientSessions: 90 }, 20, 24);
        expect(findings.map((finding) => [finding.subject, finding.severity])).toEqual([["Vault", "fail"], ["connection configs", "warn"], ["PostgreSQL", "warn"]]);
    });
});

describe("connection configs and health", () => {
    const config = { pluginName: "postgresql-database-plugin", connectionUrl: connectionUrlTemplate("db1,db2:5433", 5432, "app", "verify-full"), username: "vault_admin", allowedRoles: ["readonly"] };

    it("reads the database and sslmode of the URL the stack writes, host lists included", () => {
        expect(connectionUrlParts(config.connectionUrl)).toEqual({ hosts: "db1:5432,db2:5433", database: "app", sslMode: "verify-full" });
    });

    it("names each difference from what the stack declares", () => {
        expect(connectionConfigProblems(config, { database: "app", admin: "vault_admin", roles: ["readonly"] })).toEqual([]);
        expect(connectionConfigProblems({ ...config, username: "postgres", allowedRoles: [] }, { database: "shop", admin: "vault_admin", roles: ["readonly", "owner"] })).toEqual([
            "logs in as postgres, not the Vault admin vault_admin",
            "connects to database app, not shop",
            "allowed_roles lacks readonly, owner: Vault refuses to issue for them",
        ]);
    });

    it("fails a sealed or uninitialised Vault, and accepts a standby", () => {
        expect(healthFinding("https://v:8200", { initialized: true, sealed: true, standby: false }).severity).toBe("fail");
        expect(healthFinding("https://v:8200", { initialized: false, sealed: true, standby: false }).detail).toMatch(/^not initialised/);
        expect(healthFinding("https://v:8200", { initialized: true, sealed: false, standby: true, version: "2.4.1" })).toEqual({
            check: "vault", subject: "https://v:8200", severity: "ok", detail: "initialised, unsealed, standby (forwards to the active node) (2.4.1)",
        });
    });
});

describe("certificate expiry", () => {
    // A self-signed CA valid 2026-12-01 19:41:34 to 2036-11-28 19:41:34 UTC; each test judges it at another time.
    const PEM = `-----BEGIN CERTIFICATE-----
MIIBhjCCAS2gAwIBAgIUFQ4eq3VzOL9eRNZ++lzYzLvvwtIwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOZG9jdG9yIHRlc3QgQ0EwHhcNMjYxMjAxMTk0MTM0WhcNMzYx
MTI4MTk0MTM0WjAZMRcwFQYDVQQDDA5kb2N0b3IgdGVzdCBDQTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABBNniQ6+dEo+yh9rHWLVyBsMvMkJ12Z5NUxt+SdMc8ry
Bmilh0B8yGYKxQZ/5bso5X8iKznhQOFO9bPro2xSot6jUzBRMB0GA1UdDgQWBBQQ
2MImCx2YMI334iPgRu95mD5DnDAfBgNVHSMEGDAWgBQQ2MImCx2YMI334iPgRu95
mD5DnDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIHdPpLIjuiSk
3uK93fvxrrlcz1+S3M72wX6TZr0/Vc45AiB36KROpnugILGjyUiJEQut15ZEGn+n
zCC72IH+K1jSUQ==
-----END CERTIFICATE-----
`;
    const certificate = new X509Certificate(PEM);
    const expiry = new Date("2036-11-28T19:41:34Z");
    const daysBefore = (days: number): Date => new Date(expiry.getTime() - days * 24 * 3600 * 1000);

    it("is fine before the warning window, warns inside it, fails once expired or before it is valid", () => {
        expect(certificateFinding("Vault v:8200", certificate, daysBefore(EXPIRY_WARNING_DAYS + 1))).toMatchObject({ severity: "ok", detail: "CN=doctor test CA expires 2036-11-28T19:41:34Z, in 31 days" });
        expect(certificateFinding("Vault v:8200", certificate, daysBefore(EXPIRY_WARNING_DAYS - 1))).toMatchObject({ severity: "warn", detail: expect.stringContaining("in 29 days: renew it") });
        expect(certificateFinding("Vault v:8200", certificate, daysBefore(-1))).toMatchObject({ severity: "fail", detail: expect.stringContaining("expired 2036-11-28T19:41:34Z") });
        expect(certificateFinding("Vault v:8200", certificate, new Date("2026-01-01T00:00:00Z"))).toMatchObject({ severity: "fail", detail: expect.stringContaining("not valid before") });
    });

    it("judges a CA output of one certificate, and a bundle by the certificate that issued the server's", () => {
        expect(caOutputFindings("postgresCaCertificate", PEM, [], daysBefore(100))).toEqual([{ check: "certificate", subject: "output postgresCaCertificate", severity: "ok", detail: expect.stringContaining("in 100 days") }]);
        // The CA issued itself: in a bundle, the one that issued a presented certificate is the one judged.
        expect(caOutputFindings("caCertificate", `${PEM}${PEM}`, [certificate], daysBefore(10))).toMatchObject([{ severity: "warn" }, { severity: "warn" }]);
        expect(caOutputFindings("caCertificate", `${PEM}${PEM}`, [], daysBefore(-1))).toMatchObject([{ severity: "fail", detail: expect.stringMatching(/^a bundle of 2 certificates, 0 still valid/) }]);
        expect(caOutputFindings("caCertificate", "not a certificate", [], NOW)).toMatchObject([{ severity: "fail", detail: "holds no PEM certificate" }]);
    });
});
