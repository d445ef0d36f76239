/**
 * What the doctor reports (`npm run doctor`): one finding per thing it looked at, how it stands, and the exit code
 * they add up to. No I/O here.
 */

export type Severity = "ok" | "warn" | "fail";

/** The checks, in the order they run and are listed. */
export const DOCTOR_CHECKS = ["vault", "connection", "leases", "users", "admin", "connections", "certificate"] as const;
export type DoctorCheck = (typeof DOCTOR_CHECKS)[number];

export interface DoctorFinding {
    check: DoctorCheck;
    /** What it is about, by name: a connection config, a role, a user, a lease id, a certificate. */
    subject: string;
    severity: Severity;
    detail: string;
    /** What `--fix` did about it; a fixed finding needs no more attention. */
    fixed?: string;
}

/** Everything one run found, and the exit code: 0 when nothing needs attention, 1 when something does. */
export interface DoctorReport {
    findings: DoctorFinding[];
    exitCode: 0 | 1;
}

/** A warning or a failure that `--fix` did not take care of. */
export function needsAttention(finding: DoctorFinding): boolean {
    return finding.severity !== "ok" && finding.fixed === undefined;
}

/** 1 when any finding needs attention (a warning counts: it is something to act on), else 0. */
export function doctorExitCode(findings: readonly DoctorFinding[]): 0 | 1 {
    return findings.some(needsAttention) ? 1 : 0;
}

/** Where each kind of finding is listed: failures, warnings, fixed ones (rank 2), then what is fine. */
const SEVERITY_RANK: Record<Severity, number> = { fail: 0, warn: 1, ok: 3 };

/** Problems first (failures, warnings, then fixed ones), then what is fine; each group in check order. */
export function sortFindings(findings: readonly DoctorFinding[]): DoctorFinding[] {
    const rank = (finding: DoctorFinding): number => (finding.fixed !== undefined ? 2 : SEVERITY_RANK[finding.severity]);
    return findings
        .map((finding, index) => ({ finding, index }))
        .sort((a, b) => rank(a.finding) - rank(b.finding) || DOCTOR_CHECKS.indexOf(a.finding.check) - DOCTOR_CHECKS.indexOf(b.finding.check) || a.index - b.index)
        .map((entry) => entry.finding);
}
