/**
 * The one error every validation throws, and its one message format: `<where>: <field> = <value>: <problem>`.
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * Thrown for any bad argument or stack config value. A `pulumi.RunError`, because the Node runner prints those as
 * the message alone, on one line, without a stack (`@pulumi/pulumi/cmd/run/run.js`, its uncaught-error handler).
 */
export class ValidationError extends pulumi.RunError {
    constructor(message: string) {
        super(message);
        this.name = "ValidationError";
    }
}

/** `<where>: <field> = <value>: <problem>`, the one format every validation error uses. */
export function invalid(where: string, field: string, value: unknown, problem: string): ValidationError {
    return new ValidationError(`${where}: ${field} = ${show(value)}: ${problem}`);
}

/** A value as an error message shows it: JSON, at most 80 characters. */
export function show(value: unknown): string {
    // JSON would show NaN as null, and has no text for undefined, functions or bigints.
    const text = typeof value === "number" || typeof value === "bigint" ? String(value) : (JSON.stringify(value) ?? String(value));
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A key a spec does not know is a typo (`tokenTTL`, `serviceaccount`), never a value to ignore. */
export function rejectUnknownKeys(where: string, spec: Record<string, unknown>, known: readonly string[]): void {
    for (const key of Object.keys(spec)) {
        if (!known.includes(key)) throw invalid(where, key, spec[key], `unknown key; known keys are ${known.join(", ")}`);
    }
}
