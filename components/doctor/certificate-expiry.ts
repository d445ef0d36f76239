/**
 * Certificate expiry (check "certificate"): the certificates the servers present and the CA certificates in the
 * stack's outputs; a warning within EXPIRY_WARNING_DAYS, a failure once expired (or not valid yet). Pure: tests call
 * it with certificates they make.
 */
import { X509Certificate } from "crypto";
import { DoctorFinding } from "./findings";
import { isoSeconds } from "./lease-findings";

/** The stack renews its certificates in their last 30 days (DEFAULTS.serverCertificateLifetime): warn from then. */
export const EXPIRY_WARNING_DAYS = 30;

const DAY_MS = 24 * 3600 * 1000;

/** Every certificate in a PEM text (a CA output may be a bundle, e.g. RDS's). */
export function splitPemBundle(pem: string): X509Certificate[] {
    return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((block) => new X509Certificate(block));
}

function commonName(certificate: X509Certificate): string {
    return /^CN=(.*)$/m.exec(certificate.subject)?.[1] ?? certificate.subject.replace(/\n/g, ", ");
}

/** One certificate's finding: its name and expiry, and how soon that is. */
export function certificateFinding(subject: string, certificate: X509Certificate, now: Date): DoctorFinding {
    const validTo = new Date(certificate.validTo);
    const validFrom = new Date(certificate.validFrom);
    const days = Math.floor((validTo.getTime() - now.getTime()) / DAY_MS);
    const name = `CN=${commonName(certificate)}`;
    if (validFrom.getTime() > now.getTime()) {
        return { check: "certificate", subject, severity: "fail", detail: `${name} is not valid before ${isoSeconds(validFrom)}: check the clocks` };
    }
    if (validTo.getTime() <= now.getTime()) {
        return { check: "certificate", subject, severity: "fail", detail: `${name} expired ${isoSeconds(validTo)}: clients that verify it are refused (pulumi up renews the stack's own)` };
    }
    if (days < EXPIRY_WARNING_DAYS) {
        return { check: "certificate", subject, severity: "warn", detail: `${name} expires ${isoSeconds(validTo)}, in ${days} days: renew it (pulumi up renews the stack's own)` };
    }
    return { check: "certificate", subject, severity: "ok", detail: `${name} expires ${isoSeconds(validTo)}, in ${days} days` };
}

/**
 * A CA output's findings: for the certificates in it that issued one of `presented` (the servers' certificates), or
 * for its one certificate; a bundle of several, none known to matter, gets one line (a failure only when every one of
 * them has expired).
 */
export function caOutputFindings(output: string, pem: string, presented: readonly X509Certificate[], now: Date): DoctorFinding[] {
    const bundle = splitPemBundle(pem);
    const subject = `output ${output}`;
    if (bundle.length === 0) return [{ check: "certificate", subject, severity: "fail", detail: "holds no PEM certificate" }];
    const issuers = bundle.filter((ca) => presented.some((server) => server.checkIssued(ca)));
    const relevant = issuers.length > 0 ? issuers : bundle.length === 1 ? bundle : [];
    if (relevant.length > 0) return relevant.map((ca) => certificateFinding(subject, ca, now));
    const valid = bundle.filter((ca) => new Date(ca.validTo).getTime() > now.getTime()).length;
    return [{ check: "certificate", subject, severity: valid === 0 ? "fail" : "ok", detail: `a bundle of ${bundle.length} certificates, ${valid} still valid; none issued a certificate the servers presented here` }];
}
