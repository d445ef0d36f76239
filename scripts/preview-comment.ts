/**
 * The pull request comment of the CI preview: which stack was previewed (the deployed one, or a throw-away stack when
 * no backend is configured, said plainly), whether the preview and the policy pack passed, and the diff. Used by
 * .github/workflows/pr.yml; the renderer is pure, so tests call it directly.
 *
 * Usage: npm run --silent preview-comment -- --output <file> --outcome <success|failure> [--stack <name> --backend <url>] [--run-url <url>]
 */
import * as fs from "fs";

/** GitHub refuses comments over 65,536 characters; the diff is cut to leave room for the rest. */
export const MAX_COMMENT_LENGTH = 65_536;
/** Marks the comment so the workflow edits its own comment instead of adding one per push. */
export const COMMENT_MARKER = "<!-- vault-pg-preview -->";

export interface PreviewCommentInput {
    /** The previewed stack and its backend; both unset: a throw-away stack on the runner. */
    stack?: string;
    backend?: string;
    /** `pulumi preview` output (ANSI colours removed here). */
    output: string;
    outcome: "success" | "failure";
    runUrl?: string;
}

/** The backend as the comment shows it: scheme and host or bucket only, never credentials or query strings. */
export function describeBackend(url: string): string {
    const match = /^([a-z0-9]+):\/\/([^/?#]*)/i.exec(url.trim());
    if (!match) return "a backend";
    const host = match[2].replace(/^[^@]*@/, "");
    return `${match[1]}://${host}`;
}

export function previewComment(input: PreviewCommentInput): string {
    const deployed = Boolean(input.stack && input.backend);
    const heading = deployed
        ? `### Preview of \`${input.stack}\` (${describeBackend(input.backend!)})`
        : "### Preview of a throw-away stack";
    const explanation = deployed
        ? "What this pull request would change in the deployed stack, read with `--refresh` and a read-only Vault login; checked by the policy pack."
        : "No backend is configured (repository variables `PULUMI_BACKEND_URL` and `PULUMI_STACK`), so this previews a new, empty `dev` stack on the runner: every resource shows as created, not what this change does to what is deployed. See docs/identity.md, \"CI with OIDC\".";
    const status = input.outcome === "success" ? "Preview and policy pack: **passed**." : "Preview or policy pack: **failed** (the output below says why).";
    const footer = input.runUrl ? `\n[The run](${input.runUrl})\n` : "";
    const before = [COMMENT_MARKER, heading, "", explanation, "", status, "", "```"].join("\n") + "\n";
    const after = "\n```\n" + footer;
    let diff = input.output.replace(/\u001b\[[0-9;]*m/g, "").replace(/```/g, "'''").trimEnd();
    const room = MAX_COMMENT_LENGTH - before.length - after.length;
    if (diff.length > room) {
        const note = "\n... (cut: the whole output is in the run's log)";
        diff = diff.slice(0, Math.max(0, room - note.length)) + note;
    }
    return before + diff + after;
}

function main(): void {
    const usage = "usage: preview-comment --output <file> --outcome <success|failure> [--stack <name> --backend <url>] [--run-url <url>]";
    const flags: Record<string, string> = {};
    const argv = process.argv.slice(2);
    for (let index = 0; index < argv.length; index += 2) {
        const [flag, value] = [argv[index], argv[index + 1]];
        if (flag === "--help" || flag === "-h") {
            console.log(usage);
            return;
        }
        if (!["--output", "--outcome", "--stack", "--backend", "--run-url"].includes(flag) || value === undefined) {
            console.error(`${flag}: unknown option or missing value\n${usage}`);
            process.exit(2);
        }
        flags[flag.slice(2)] = value;
    }
    if (!flags.output || (flags.outcome !== "success" && flags.outcome !== "failure")) {
        console.error(usage);
        process.exit(2);
    }
    const output = fs.existsSync(flags.output) ? fs.readFileSync(flags.output, "utf8") : "(no output: the preview did not start)";
    process.stdout.write(
        previewComment({ output, outcome: flags.outcome, stack: flags.stack || undefined, backend: flags.backend || undefined, runUrl: flags["run-url"] }),
    );
}

if (require.main === module) main();
