/**
 * `npm run doctor` as a child process, for live tests: its argument parsing, output and exit code are the real ones.
 */
import { spawn } from "child_process";
import * as path from "path";
import { DoctorFinding } from "../../components";
import { REPO_ROOT } from "../helpers/pulumi-mocks";

export interface DoctorRun {
    code: number | null;
    stdout: string;
    stderr: string;
}

/**
 * Runs `npm run doctor -- <args>` as npm does (ts-node), with VAULT_TOKEN unset unless given in `env`. `stdin` is
 * written to its standard input, as `pulumi stack output ... | npm run doctor -- --outputs -` does.
 */
export function doctorScript(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<DoctorRun> {
    const childEnv = { ...process.env, ...env };
    if (!("VAULT_TOKEN" in env)) delete childEnv.VAULT_TOKEN;
    return new Promise((resolveRun, reject) => {
        const child = spawn(path.join(REPO_ROOT, "node_modules", ".bin", "ts-node"), ["--transpile-only", "scripts/doctor.ts", ...args], { cwd: REPO_ROOT, env: childEnv });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.once("error", reject);
        child.once("close", (code) => resolveRun({ code, stdout, stderr }));
        child.stdin.end(stdin ?? "");
    });
}

/** The findings that need attention: warnings and failures `--fix` did not fix. */
export const problems = (findings: readonly DoctorFinding[]): DoctorFinding[] => findings.filter((finding) => finding.severity !== "ok" && finding.fixed === undefined);
