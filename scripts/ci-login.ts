/**
 * Logs a GitHub Actions job in to Vault with the job's OIDC token, and hands the Vault token to the job's later steps
 * (masked in the log, as VAULT_TOKEN in $GITHUB_ENV). No Vault token is stored anywhere: the job needs only
 * `permissions: id-token: write`, and Vault checks the token's repository, ref and environment against the role.
 *
 * Usage: pulumi stack output --json | npm run ci-login -- --outputs - --as preview|deploy   (see USAGE below)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { vaultRequest } from "../components/vault-api";
import { DEFAULTS } from "../components/validate/settings";
import { flagValue, UsageError } from "./cli";

const USAGE = `usage: pulumi stack output --json | npm run ci-login -- --outputs - --as <preview|deploy>
       npm run ci-login -- --role <role> [options]

Logs this GitHub Actions job in to Vault with its OIDC token; later steps get VAULT_TOKEN (masked), and with
--outputs also VAULT_ADDR and VAULT_CACERT (the stack's Vault and the CA its certificate verifies against).

  --outputs <file|->   the stack's outputs (pulumi stack output --json): Vault's address and CA, and the ci output
  --as <kind>          with --outputs: preview (ci.previewRole) or deploy (ci.deployRole)
  --role <role>        the JWT role, without --outputs
  --auth-path <path>   the JWT auth method's path (default: ${DEFAULTS.ciOidcPath}; stack output ci.loginPath)
  --audience <aud>     the audience to ask GitHub for (default: https://github.com/<owner>; stack output ci.audience)
  --address <url>      the Vault address (default: $VAULT_ADDR)
  --ca-cert <file>     the CA of Vault's certificate (default: $VAULT_CACERT, else the system's)
  -h, --help           this text

Reads ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN (set by GitHub in a job with id-token: write)
and GITHUB_ENV, GITHUB_REPOSITORY. Exit codes: 0 logged in, 1 refused or unreachable, 2 bad usage or not in a job.`;

export interface CiLoginArgs {
    role: string;
    /** With --outputs: the CA (PEM) from the outputs, written to a file for later steps. */
    caCertificate?: string;
    authPath: string;
    audience?: string;
    address: string;
    caCertFile?: string;
}


/** What a login takes from the stack's outputs (`ci`, `vaultAddress`, `vaultCaCertificate`). */
export function fromOutputs(text: string, kind: string): Pick<CiLoginArgs, "role" | "authPath" | "audience" | "address" | "caCertificate"> {
    let outputs: { ci?: { loginPath: string; audience: string; previewRole: string; deployRole: string }; vaultAddress?: string; vaultCaCertificate?: string };
    try {
        outputs = JSON.parse(text);
    } catch {
        throw new UsageError("the stack outputs are not JSON: pass pulumi stack output --json");
    }
    if (!outputs.ci) throw new UsageError("the stack has no ci output: set vault-pg:ciOidc and run pulumi up once with an operator's token (docs/identity.md)");
    if (!outputs.vaultAddress) throw new UsageError("the stack outputs have no vaultAddress");
    if (kind !== "preview" && kind !== "deploy") throw new UsageError(`--as must be preview or deploy, not ${JSON.stringify(kind)}\n\n${USAGE}`);
    return {
        role: kind === "preview" ? outputs.ci.previewRole : outputs.ci.deployRole,
        authPath: outputs.ci.loginPath.replace(/^auth\//, "").replace(/\/login$/, ""),
        audience: outputs.ci.audience,
        address: outputs.vaultAddress,
        ...(outputs.vaultCaCertificate ? { caCertificate: outputs.vaultCaCertificate } : {}),
    };
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv, readFile: (file: string) => string = (file) => fs.readFileSync(file === "-" ? 0 : file, "utf8")): CiLoginArgs | "help" {
    const args: Partial<CiLoginArgs> = { authPath: DEFAULTS.ciOidcPath, address: env.VAULT_ADDR, caCertFile: env.VAULT_CACERT || undefined };
    let outputs: string | undefined;
    let kind: string | undefined;
    const value = (index: number, flag: string): string => flagValue(argv, index, flag, USAGE);
    for (let index = 0; index < argv.length; index++) {
        const flag = argv[index];
        if (flag === "--help" || flag === "-h") return "help";
        else if (flag === "--outputs") outputs = value(++index, flag);
        else if (flag === "--as") kind = value(++index, flag);
        else if (flag === "--role") args.role = value(++index, flag);
        else if (flag === "--auth-path") args.authPath = value(++index, flag).replace(/^auth\//, "").replace(/\/login$/, "");
        else if (flag === "--audience") args.audience = value(++index, flag);
        else if (flag === "--address") args.address = value(++index, flag);
        else if (flag === "--ca-cert") args.caCertFile = value(++index, flag);
        else throw new UsageError(`unknown option ${flag}\n\n${USAGE}`);
    }
    if (outputs !== undefined) {
        if (args.role) throw new UsageError("--role and --outputs exclude each other: the outputs name the role");
        Object.assign(args, fromOutputs(readFile(outputs), kind ?? ""));
    } else if (kind !== undefined) throw new UsageError("--as needs --outputs");
    if (!args.role) throw new UsageError(`--role or --outputs is required\n\n${USAGE}`);
    if (!args.address) throw new UsageError("no Vault address: pass --address or set VAULT_ADDR");
    if (!env.GITHUB_ENV) throw new UsageError("GITHUB_ENV is not set: run this as a step of a GitHub Actions job");
    return args as CiLoginArgs;
}

/** The job's OIDC token for `audience`, from GitHub's token endpoint. */
export async function requestJobToken(env: NodeJS.ProcessEnv, audience: string): Promise<string> {
    const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
    const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    if (!url || !bearer) throw new UsageError("no OIDC token for this job: run it in GitHub Actions with `permissions: id-token: write`");
    const response = await fetch(`${url}${url.includes("?") ? "&" : "?"}audience=${encodeURIComponent(audience)}`, { headers: { Authorization: `Bearer ${bearer}` } });
    if (!response.ok) throw new Error(`GitHub refused this job an OIDC token: HTTP ${response.status}`);
    const body = (await response.json()) as { value?: string };
    if (!body.value) throw new Error("GitHub's token endpoint answered without a token");
    return body.value;
}

/** Logs in as the role with the job's token; returns the Vault token. */
export async function login(args: CiLoginArgs, env: NodeJS.ProcessEnv): Promise<string> {
    const owner = (env.GITHUB_REPOSITORY ?? "").split("/")[0];
    const audience = args.audience ?? (owner ? `https://github.com/${owner}` : undefined);
    if (!audience) throw new UsageError("no audience: pass --audience, or run where GITHUB_REPOSITORY is set");
    const jwt = await requestJobToken(env, audience);
    const caCertificate = args.caCertificate ?? (args.caCertFile ? fs.readFileSync(args.caCertFile, "utf8") : undefined);
    try {
        const answer = await vaultRequest<{ auth?: { client_token?: string } }>(args.address, undefined, "POST", `auth/${args.authPath}/login`, { role: args.role, jwt }, { caCertificate });
        if (!answer.auth?.client_token) throw new Error("Vault answered the login without a token");
        return answer.auth.client_token;
    } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 400 || status === 403) {
            throw new Error(`Vault refused this job as role "${args.role}" at auth/${args.authPath} (HTTP ${status}): its repository, ref, environment or audience is not the role's`);
        }
        throw error;
    }
}

/**
 * Hands the login to later steps: the token masked in the log, VAULT_TOKEN in $GITHUB_ENV, and with the outputs'
 * address and CA, VAULT_ADDR and VAULT_CACERT (a file in RUNNER_TEMP).
 */
export function exportLogin(token: string, args: CiLoginArgs, env: NodeJS.ProcessEnv, write: (line: string) => void = (line) => process.stdout.write(line)): void {
    write(`::add-mask::${token}\n`);
    const lines = [`VAULT_TOKEN=${token}`, `VAULT_ADDR=${args.address}`];
    if (args.caCertificate) {
        const caFile = path.join(env.RUNNER_TEMP || os.tmpdir(), "vault-ca.pem");
        fs.writeFileSync(caFile, args.caCertificate, { mode: 0o644 });
        lines.push(`VAULT_CACERT=${caFile}`);
    }
    fs.appendFileSync(env.GITHUB_ENV!, `${lines.join("\n")}\n`);
}

async function main(): Promise<void> {
    try {
        const args = parseArgs(process.argv.slice(2), process.env);
        if (args === "help") {
            console.log(USAGE);
            return;
        }
        exportLogin(await login(args, process.env), args, process.env);
        console.error(`logged in to ${args.address} as "${args.role}"; later steps have VAULT_TOKEN`);
    } catch (error) {
        console.error((error as Error).message);
        process.exitCode = error instanceof UsageError ? 2 : 1;
    }
}

if (require.main === module) void main();
