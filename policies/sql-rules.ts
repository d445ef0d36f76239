/**
 * Checks of a Vault database role (`vault.database.SecretBackendRole` props), one per policy:
 * `checkCreationStatements` (db-role-no-privileged-options: no privileged role option, VALID UNTIL set),
 * `checkRevocationStatements` (db-role-safe-revocation: REASSIGN OWNED before DROP OWNED) and `checkTtls`
 * (db-role-bounded-ttl: TTLs set and capped). Each returns the violation messages for one resource's props.
 */
import { GuardrailConfig } from "./config";

const PRIVILEGED_ROLE_OPTIONS = ["SUPERUSER", "CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS"];

/** Vault splits statements on `;`: check them the way Vault runs them. */
function splitStatements(statements: unknown): string[] {
    if (!Array.isArray(statements)) return [];
    return statements
        .flatMap((statement) => String(statement).split(";"))
        .map((statement) => statement.trim())
        .filter((statement) => statement.length > 0);
}

/**
 * Blanks out double-quoted identifiers, so a role named `"replication"` cannot trip a keyword. String literals stay:
 * they can hold SQL that runs (`EXECUTE 'ALTER ROLE ... SUPERUSER'`), and Vault's own are only `{{password}}` and
 * `{{expiration}}`.
 */
function withoutIdentifiers(sql: string): string {
    let out = "";
    let state: "code" | "string" | "identifier" = "code";
    for (let i = 0; i < sql.length; i++) {
        const char = sql[i];
        if (state === "code") {
            if (char === '"') {
                state = "identifier";
                out += '""';
                continue;
            }
            if (char === "'") state = "string";
            out += char;
        } else if (state === "string") {
            out += char;
            if (char === "'") {
                if (sql[i + 1] === "'") out += sql[++i];
                else state = "code";
            }
        } else if (char === '"') {
            if (sql[i + 1] === '"') i++;
            else state = "code";
        }
    }
    return out;
}

/** `word` as a whole keyword: NOSUPERUSER or SUPERUSER_X do not count. */
function hasKeyword(sql: string, word: string): boolean {
    return new RegExp(`(?<![A-Za-z0-9_$])${word}(?![A-Za-z0-9_$])`, "i").test(sql);
}

export function checkCreationStatements(props: Record<string, unknown>): string[] {
    const statements = splitStatements(props.creationStatements);
    const messages: string[] = [];
    for (const statement of statements) {
        const code = withoutIdentifiers(statement);
        for (const option of PRIVILEGED_ROLE_OPTIONS) {
            if (hasKeyword(code, option)) {
                messages.push(
                    `creation statement grants ${option}: "${statement}". ` +
                        `Remove ${option}; give credentials their privileges by membership in a NOLOGIN group role (CREATE ROLE ... IN ROLE <group>).`,
                );
            }
        }
    }
    if (!statements.some((statement) => /VALID\s+UNTIL\s+'\{\{expiration\}\}'/i.test(statement))) {
        messages.push(
            "creation statements do not set VALID UNTIL '{{expiration}}': the user would outlive its lease if revocation fails. " +
                "Add VALID UNTIL '{{expiration}}' to the CREATE ROLE statement.",
        );
    }
    return messages;
}

export function checkRevocationStatements(props: Record<string, unknown>): string[] {
    const statements = splitStatements(props.revocationStatements);
    if (statements.length === 0) {
        return [
            "the role has no revocation statements: Vault's default revocation fails when the user owns objects. " +
                "Add revocation statements: REASSIGN OWNED BY \"{{name}}\" TO <owner group>, DROP OWNED BY \"{{name}}\", DROP ROLE \"{{name}}\".",
        ];
    }
    // A DROP OWNED is safe only after a REASSIGN OWNED: in an earlier statement, or earlier in the same one.
    const messages: string[] = [];
    let reassigned = false;
    for (const statement of statements) {
        const code = withoutIdentifiers(statement);
        const reassignAt = code.search(/(?<![A-Za-z0-9_$])REASSIGN\s+OWNED(?![A-Za-z0-9_$])/i);
        const dropAt = code.search(/(?<![A-Za-z0-9_$])DROP\s+OWNED(?![A-Za-z0-9_$])/i);
        if (dropAt >= 0 && !reassigned && (reassignAt < 0 || reassignAt > dropAt)) {
            messages.push(
                `revocation runs "${statement}" before any REASSIGN OWNED: it would delete every table the user created. ` +
                    "Put REASSIGN OWNED BY \"{{name}}\" TO <owner group> before DROP OWNED.",
            );
        }
        reassigned ||= reassignAt >= 0;
    }
    return messages;
}

export function checkTtls(props: Record<string, unknown>, config: GuardrailConfig): string[] {
    const defaultTtl = Number(props.defaultTtl ?? 0);
    const maxTtl = Number(props.maxTtl ?? 0);
    const cap = config.maxTtlCapSeconds;
    if (!(defaultTtl > 0) || !(maxTtl > 0)) {
        return [
            `defaultTtl (${props.defaultTtl ?? "unset"}) and maxTtl (${props.maxTtl ?? "unset"}) must both be set above 0, or the mount's defaults (up to 32 days) apply. ` +
                `Set both explicitly, maxTtl at most ${cap}s.`,
        ];
    }
    const messages: string[] = [];
    if (defaultTtl > maxTtl) {
        messages.push(`defaultTtl ${defaultTtl}s exceeds maxTtl ${maxTtl}s. Lower defaultTtl to at most maxTtl.`);
    }
    if (maxTtl > cap) {
        messages.push(`maxTtl ${maxTtl}s exceeds the cap of ${cap}s. Lower maxTtl, or raise maxTtlCapSeconds in the policy pack config.`);
    }
    return messages;
}
