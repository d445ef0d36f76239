/**
 * The doctor's report for people: one line per finding, problems first, and a summary line. Pure: tests call it.
 */
import { DoctorFinding, needsAttention, sortFindings } from "./findings";

/** The summary line, e.g. "2 need attention (1 fail, 1 warn), 1 fixed, 12 ok". */
export function summaryLine(findings: readonly DoctorFinding[]): string {
    const open = findings.filter(needsAttention);
    const fails = open.filter((finding) => finding.severity === "fail").length;
    const fixed = findings.filter((finding) => finding.fixed !== undefined).length;
    const ok = findings.filter((finding) => finding.severity === "ok").length;
    const rest = `${fixed > 0 ? `${fixed} fixed, ` : ""}${ok} ok`;
    if (open.length === 0) return `nothing needs attention: ${rest}`;
    return `${open.length} need${open.length === 1 ? "s" : ""} attention (${fails} fail, ${open.length - fails} warn), ${rest}`;
}

/** A table: SEVERITY, CHECK, SUBJECT, DETAIL; a fixed finding shows "fixed" and what was done. */
export function renderFindings(findings: readonly DoctorFinding[]): string {
    const rows = sortFindings(findings).map((finding) => [
        finding.fixed !== undefined ? "fixed" : finding.severity,
        finding.check,
        finding.subject,
        finding.fixed !== undefined ? `${finding.detail}; ${finding.fixed}` : finding.detail,
    ]);
    const header = ["SEVERITY", "CHECK", "SUBJECT", "DETAIL"];
    const widths = header.slice(0, 3).map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
    const line = (cells: string[]): string => [...cells.slice(0, 3).map((cell, column) => cell.padEnd(widths[column])), cells[3]].join("  ").trimEnd();
    return [line(header), ...rows.map(line), summaryLine(findings)].join("\n") + "\n";
}
