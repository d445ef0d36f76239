/**
 * Checks of names that reach Vault paths and SQL: safe names, SQL identifiers and mount paths.
 */
import { POSTGRES_MAX_IDENTIFIER_LENGTH } from "../sql";
import { invalid } from "./errors";

const SAFE_NAME = /^[a-z][a-z0-9_-]*$/;
const SQL_NAME = /^[a-z_][a-z0-9_]*$/;
// Vault refuses to mount a secrets engine at or under these.
const RESERVED_MOUNTS = ["sys", "auth", "audit", "cubbyhole", "identity"];

/**
 * A name used in Vault paths and generated SQL: lowercase letter first, then lowercase letters, digits, `_` or `-`.
 * No quotes, spaces or slashes can reach a statement or a policy path.
 */
export function checkSafeName(where: string, field: string, value: unknown, maxLength: number): string {
    if (typeof value !== "string" || value.length === 0) {
        throw invalid(where, field, value, "a name must be a non-empty string");
    }
    if (!SAFE_NAME.test(value)) {
        throw invalid(where, field, value, "a name may contain only lowercase letters, digits, '_' and '-', starting with a letter");
    }
    if (value.length > maxLength) {
        throw invalid(where, field, value, `a name may be at most ${maxLength} characters long`);
    }
    return value;
}

/** A Postgres identifier we create (database, group prefix, admin user): lowercase, digits and `_` only. */
export function checkSqlName(where: string, field: string, value: unknown, maxLength = POSTGRES_MAX_IDENTIFIER_LENGTH): string {
    if (typeof value !== "string" || value.length === 0) {
        throw invalid(where, field, value, "an SQL name must be a non-empty string");
    }
    if (!SQL_NAME.test(value)) {
        throw invalid(where, field, value, "an SQL name may contain only lowercase letters, digits and '_', not starting with a digit");
    }
    if (value.length > maxLength) {
        throw invalid(where, field, value, `an SQL name may be at most ${maxLength} characters long`);
    }
    return value;
}

/** A Vault mount path such as "database" or "team-a/database", with no leading or trailing slash. */
export function checkMountPath(where: string, field: string, value: unknown): string {
    if (typeof value !== "string" || !/^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/.test(value)) {
        throw invalid(where, field, value, "a mount path is one or more '/'-separated segments of lowercase letters, digits, '_' and '-'");
    }
    if (RESERVED_MOUNTS.includes(value.split("/")[0])) {
        throw invalid(where, field, value, `a mount path may not start with a reserved Vault prefix (${RESERVED_MOUNTS.join(", ")})`);
    }
    return value;
}
