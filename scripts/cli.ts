/**
 * What the npm run scripts share: a usage error (exit code 2), the value after a flag, reading a file or standard
 * input, the stack outputs' JSON, and the run of a command that prints one result.
 */
import * as fs from "fs";

/** Bad usage: the scripts exit with 2 for it, and with 1 when the work itself fails. */
export class UsageError extends Error {}

/** The value after a flag; another flag or nothing there is a usage error ("-" is a value: standard input). */
export function flagValue(argv: readonly string[], index: number, flag: string, usage: string): string {
    const next = argv[index];
    if (next === undefined || (next.startsWith("--") && next !== "-")) throw new UsageError(`${flag} needs a value\n\n${usage}`);
    return next;
}

/** A file's text, or standard input's with "-"; a file that cannot be read is one line naming it. */
export function readInput(source: string, what: string): string {
    try {
        return source === "-" ? fs.readFileSync(0, "utf8") : fs.readFileSync(source, "utf8");
    } catch (error) {
        throw new Error(`cannot read ${what} ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
}

/** `pulumi stack output --json` as an object; `source` names where it came from in the errors. */
export function parseOutputsJson(text: string, source: string): Record<string, unknown> {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        throw new Error(`the stack outputs in ${source} are not JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`the stack outputs in ${source} are not a JSON object`);
    return parsed as Record<string, unknown>;
}

/**
 * Runs a command that prints one result: usage errors exit 2 (the message on stderr), `--help` prints the usage, a
 * failure of the work exits 1 with its message.
 */
export function runCommand<A>(usage: string, parse: () => A | "help", run: (args: A) => Promise<string>): void {
    let args: A | "help";
    try {
        args = parse();
    } catch (error) {
        console.error((error as Error).message);
        process.exit(2);
    }
    if (args === "help") {
        console.log(usage);
        return;
    }
    run(args)
        .then((result) => console.log(result))
        .catch((error: Error) => {
            console.error(error.message);
            process.exitCode = 1;
        });
}
