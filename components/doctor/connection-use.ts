/**
 * Connections Vault holds to PostgreSQL (check "connections"): the stack's Vault admins' sessions in
 * `pg_stat_activity` against the connection budget (connection-layout.ts: configs × maxOpenConnections never exceeds
 * it), and the server's `max_connections`. Pure: tests call it directly.
 */
import { DoctorFinding } from "./findings";

/** What PostgreSQL says about its connections. */
export interface ConnectionUse {
    /** Admin → its sessions (Vault's pools: the doctor's own sessions are not counted). */
    heldByAdmin: Record<string, number>;
    /** Every client session of the server, Vault's included. */
    clientSessions: number;
    maxConnections: number;
    /** `superuser_reserved_connections` (+ `reserved_connections` from 16): slots ordinary roles cannot take. */
    reservedConnections: number;
}

/** Share of the non-reserved slots in use at which the server is close to refusing connections. */
export const CROWDED_SHARE = 0.9;

/**
 * `budget`: the stack's connectionBudget; `worstCase`: the sum of `max_open_connections` over the stack's connection
 * configs as Vault has them (undefined where they could not be read).
 */
export function connectionUseFindings(use: ConnectionUse, budget: number | undefined, worstCase: number | undefined): DoctorFinding[] {
    const held = Object.values(use.heldByAdmin).reduce((sum, count) => sum + count, 0);
    const perAdmin = Object.entries(use.heldByAdmin).map(([admin, count]) => `${admin} ${count}`).join(", ");
    const findings: DoctorFinding[] = [];
    const vault = `Vault holds ${held} connection${held === 1 ? "" : "s"} (${perAdmin})`;
    if (budget !== undefined && held > budget) {
        findings.push({ check: "connections", subject: "Vault", severity: "fail", detail: `${vault}, more than the stack's budget of ${budget}: are other configs logging in as these admins?` });
    } else {
        findings.push({ check: "connections", subject: "Vault", severity: "ok", detail: `${vault}${budget === undefined ? "" : ` of a budget of ${budget}`}` });
    }
    if (budget !== undefined && worstCase !== undefined && worstCase > budget) {
        findings.push({
            check: "connections", subject: "connection configs", severity: "warn",
            detail: `their max_open_connections add up to ${worstCase}, more than the budget of ${budget}: changed outside the stack? (pulumi up --refresh sets them back)`,
        });
    }
    const usable = use.maxConnections - use.reservedConnections;
    const server = `${use.clientSessions} of ${usable} connection slots in use (max_connections ${use.maxConnections}, ${use.reservedConnections} reserved)`;
    if (use.clientSessions >= CROWDED_SHARE * usable) {
        findings.push({ check: "connections", subject: "PostgreSQL", severity: "warn", detail: `${server}: new credentials' logins, and Vault's own, may soon be refused` });
    } else {
        findings.push({ check: "connections", subject: "PostgreSQL", severity: "ok", detail: server });
    }
    return findings;
}
