/**
 * `npm run doctor`: inspects a deployed vault-pg stack and says what needs attention (components/doctor/).
 *
 * Usage: npm run doctor -- --outputs outputs.json [options]   (see USAGE below)
 */
import { DoctorCannotInspect, runDoctor } from "../components/doctor/run";
import { DOCTOR_CHECKS, DoctorFinding, needsAttention, sortFindings } from "../components/doctor/findings";
import { doctorPolicy } from "../components/doctor/policy";
import { renderFindings } from "../components/doctor/render";
import { DEFAULTS } from "../components/validate";
import { DoctorSettings, doctorTarget } from "../components/doctor/target";
import { flagValue, parseOutputsJson, readInput } from "./cli";

export const USAGE = `usage: npm run doctor -- --outputs <file|-> [options]
       npm run doctor -- --vault-address <url> --postgres-url <url> --roles <a,b> [options]

Inspects a deployed vault-pg stack: Vault's health and seal state, each role's connection config (and the Vault
admin's own login to PostgreSQL), each role's leases against PostgreSQL's engine users (orphaned users, leases whose
user is gone, users past VALID UNTIL), the Vault admins' memberships, the connections Vault holds, and certificate
expiry. Read-only unless --fix.

  --outputs <file|->          the stack's outputs as \`pulumi stack output --json --show-secrets\` prints them (-: stdin)
  --vault-address <url>       the Vault API (default: output vaultAddress)
  --vault-ca-file <file>      the CA (PEM) to verify it with (default: output vaultCaCertificate)
  --postgres-url <url>        read PostgreSQL as this role, e.g. postgresql://postgres:<password>@host:5432/app?sslmode=verify-full
                              (default: the first database's Vault admin at output postgresAddress)
  --postgres-ca-file <file>   the CA (PEM) to verify PostgreSQL with (default: output postgresCaCertificate)
  --mount <path>              the database secrets engine's path (default: output mountPath, else database)
  --connection-budget <n>     what Vault's connections are compared with (default: output connectionBudget)
  --roles <a,b>               without --outputs: the dynamic roles of the URL's database
  --static-roles <a,b>        without --outputs: its static roles
  --vault-admin <name>        without --outputs: its Vault admin (default vault_admin)
  --json                      print the findings as JSON instead of a table
  --policy                    print the ACL policy a doctor token needs (for --mount, default database) and exit
  --fix                       drop orphaned users (no lease in Vault), handing what they own to their database's
                              owner group; nothing else is ever changed: no lease revoked, no grant touched
  -h, --help                  this text

VAULT_TOKEN, when set, is the token (default: output vaultRootToken); listing leases needs sudo on
sys/leases/lookup/<mount>/creds/* (--policy prints all it needs). Passwords and tokens are never printed.
Exit code: 0 nothing needs attention; 1 something does (a warn or fail finding that --fix did not fix);
2 bad usage, or Vault or PostgreSQL could not be reached or refused the token or login.`;

export interface DoctorArgs extends Omit<DoctorSettings, "vaultCaCertificate" | "postgresCaCertificate"> {
    outputs?: string;
    vaultCaFile?: string;
    postgresCaFile?: string;
    json: boolean;
    fix: boolean;
    policy: boolean;
}

/** The command line as DoctorArgs, or "help"; throws one line (with the usage) for anything else. */
export function parseDoctorArgs(argv: readonly string[]): DoctorArgs | "help" {
    const args: DoctorArgs = { json: false, fix: false, policy: false };
    const value = (index: number, flag: string): string => flagValue(argv, index, flag, USAGE);
    const list = (text: string): string[] => text.split(",").map((entry) => entry.trim()).filter(Boolean);
    for (let index = 0; index < argv.length; index++) {
        const flag = argv[index];
        if (flag === "--help" || flag === "-h") return "help";
        else if (flag === "--outputs") args.outputs = value(++index, flag);
        else if (flag === "--vault-address") args.vaultAddress = value(++index, flag);
        else if (flag === "--vault-ca-file") args.vaultCaFile = value(++index, flag);
        else if (flag === "--postgres-url") args.postgresUrl = value(++index, flag);
        else if (flag === "--postgres-ca-file") args.postgresCaFile = value(++index, flag);
        else if (flag === "--mount") args.mountPath = value(++index, flag);
        else if (flag === "--roles") args.roles = list(value(++index, flag));
        else if (flag === "--static-roles") args.staticRoles = list(value(++index, flag));
        else if (flag === "--vault-admin") args.vaultAdmin = value(++index, flag);
        else if (flag === "--connection-budget") {
            const budget = value(++index, flag);
            if (!/^[1-9]\d*$/.test(budget)) throw new Error(`--connection-budget must be a positive integer, not "${budget}"\n\n${USAGE}`);
            args.connectionBudget = Number(budget);
        } else if (flag === "--json") args.json = true;
        else if (flag === "--fix") args.fix = true;
        else if (flag === "--policy") args.policy = true;
        else throw new Error(`unknown option ${flag}\n\n${USAGE}`);
    }
    if (!args.policy && !args.outputs && !args.vaultAddress) throw new Error(`pass --outputs, or --vault-address with --postgres-url and --roles\n\n${USAGE}`);
    return args;
}

/** The findings for machines: problems first, and the same summary and exit code as the table. */
export function findingsJson(findings: readonly DoctorFinding[], exitCode: number): string {
    const count = (test: (finding: DoctorFinding) => boolean): number => findings.filter(test).length;
    const summary = {
        fail: count((finding) => needsAttention(finding) && finding.severity === "fail"),
        warn: count((finding) => needsAttention(finding) && finding.severity === "warn"),
        fixed: count((finding) => finding.fixed !== undefined),
        ok: count((finding) => finding.severity === "ok"),
    };
    return `${JSON.stringify({ checks: DOCTOR_CHECKS, findings: sortFindings(findings), summary, exitCode }, null, 2)}\n`;
}

function readOutputs(file: string): Record<string, unknown> {
    return parseOutputsJson(readInput(file, "the outputs"), file);
}

async function main(): Promise<number> {
    let target: ReturnType<typeof doctorTarget>;
    let args: DoctorArgs;
    try {
        const parsed = parseDoctorArgs(process.argv.slice(2));
        if (parsed === "help") {
            console.log(USAGE);
            return 0;
        }
        if (parsed.policy) {
            process.stdout.write(doctorPolicy(parsed.mountPath ?? DEFAULTS.mountPath));
            return 0;
        }
        args = parsed;
        const { outputs, vaultCaFile, postgresCaFile, json, fix, policy, ...settings } = args;
        target = doctorTarget(outputs ? readOutputs(outputs) : undefined, {
            ...settings,
            ...(vaultCaFile ? { vaultCaCertificate: readInput(vaultCaFile, "the Vault CA file") } : {}),
            ...(postgresCaFile ? { postgresCaCertificate: readInput(postgresCaFile, "the PostgreSQL CA file") } : {}),
        }, process.env.VAULT_TOKEN);
    } catch (error) {
        console.error((error as Error).message);
        return 2;
    }
    try {
        const report = await runDoctor(target, { fix: args.fix });
        process.stdout.write(args.json ? findingsJson(report.findings, report.exitCode) : renderFindings(report.findings));
        return report.exitCode;
    } catch (error) {
        console.error(error instanceof DoctorCannotInspect ? error.message : `doctor failed: ${(error as Error).message}`);
        return 2;
    }
}

if (require.main === module) {
    main().then((code) => {
        process.exitCode = code;
    });
}
