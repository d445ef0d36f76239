/**
 * Writes the Vault Agent config for one application of a vault-pg stack, from the stack's outputs.
 *
 * Usage: npm run agent-config -- --app <name> [options]   (see USAGE below)
 * With --out DIR it writes DIR/agent.hcl, DIR/role-id (the role id is not a secret on its own) and the CA files the
 * config names (public certificates) and says what to do
 * next; without it, it prints the config. The secret id is never read or written here: a deploy step issues it. An
 * app that logs in with a JWT needs neither: the agent reads the token its platform writes (--jwt-file).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { AGENT_FILES, AgentStackOutputs, agentConfigForApp, defaultAgentDir } from "../components/agent-config";
import { flagValue } from "./cli";

const USAGE = `usage: npm run agent-config -- --app <name> [options]

Writes the Vault Agent (or OpenBao agent) config for one app of a vault-pg stack.

  --app <name>         the app (stack output apps.<name>)
  --role <role>        which of the app's roles to render (default: its first)
  --out <dir>          write <dir>/agent.hcl, <dir>/role-id and the CA files the config names (vault-ca.crt,
                       postgres-ca.crt); the agent renders credentials into <dir> too
                       (default: print the config, with files under /run/vault-pg/<app>)
  --exec <command>     run the app under the agent (restarted with PG* set on each new credential) instead of
                       rendering files and sending SIGHUP to the pid in <dir>/app.pid; split on spaces
  --token-sink <file>  also write the agent's Vault token to <file> (mode 0600)
  --jwt-file <file>    an app that logs in with a JWT: the file its platform keeps the token in
                       (default: <dir>/jwt; the stack's own agents output uses the Kubernetes projected token path)
  --outputs <file|->   read the outputs from a file, or stdin with -, as printed by pulumi stack output --json
                       (default: run pulumi stack output --json --stack <stack>)
  --stack <name>       the stack to read (default: dev)
  -h, --help           this text`;

export interface AgentConfigArgs {
    app: string;
    role?: string;
    out?: string;
    exec?: string[];
    tokenSink?: string;
    jwtFile?: string;
    outputs?: string;
    stack: string;
}

export function parseArgs(argv: readonly string[]): AgentConfigArgs | "help" {
    const args: Partial<AgentConfigArgs> = { stack: "dev" };
    const value = (index: number, flag: string): string => flagValue(argv, index, flag, USAGE);
    for (let index = 0; index < argv.length; index++) {
        const flag = argv[index];
        if (flag === "--help" || flag === "-h") return "help";
        else if (flag === "--app") args.app = value(++index, flag);
        else if (flag === "--role") args.role = value(++index, flag);
        else if (flag === "--out") args.out = value(++index, flag);
        else if (flag === "--exec") args.exec = value(++index, flag).split(/\s+/).filter(Boolean);
        else if (flag === "--token-sink") args.tokenSink = value(++index, flag);
        else if (flag === "--jwt-file") args.jwtFile = value(++index, flag);
        else if (flag === "--outputs") args.outputs = value(++index, flag);
        else if (flag === "--stack") args.stack = value(++index, flag);
        else throw new Error(`unknown option ${flag}\n\n${USAGE}`);
    }
    if (!args.app) throw new Error(`--app is required\n\n${USAGE}`);
    return args as AgentConfigArgs;
}

/** Checks that parsed JSON has the outputs the config is made from. */
export function checkOutputs(value: unknown): AgentStackOutputs {
    const outputs = value as Partial<AgentStackOutputs> | null;
    const missing = ["vaultAddress", "postgresAddress", "database", "credsPaths", "apps", "agents"].filter(
        (key) => outputs === null || typeof outputs !== "object" || (outputs as Record<string, unknown>)[key] === undefined,
    );
    if (missing.length > 0) throw new Error(`the stack outputs lack ${missing.join(", ")}: is this a vault-pg stack, deployed with this version?`);
    return outputs as AgentStackOutputs;
}

function readOutputs(args: AgentConfigArgs): AgentStackOutputs {
    let text: string;
    if (args.outputs === "-") text = fs.readFileSync(0, "utf8");
    else if (args.outputs) text = fs.readFileSync(args.outputs, "utf8");
    else text = execFileSync("pulumi", ["stack", "output", "--json", "--stack", args.stack], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    try {
        return checkOutputs(JSON.parse(text));
    } catch (error) {
        if (error instanceof SyntaxError) throw new Error(`the stack outputs are not JSON: ${error.message}`);
        throw error;
    }
}

/** Renders the config and, with --out, writes it and the role id; returns what to print on stdout. */
export function run(args: AgentConfigArgs, outputs: AgentStackOutputs): { stdout: string; stderr: string } {
    const agent = outputs.agents[args.app];
    if (!agent) {
        throw new Error(`no agent config for app "${args.app}"; apps with dynamic roles are ${Object.keys(outputs.agents).join(", ") || "(none)"}`);
    }
    const dir = path.resolve(args.out ?? defaultAgentDir(args.app));
    const config = agentConfigForApp(outputs, args.app, agent.roles, { dir, role: args.role, exec: args.exec, tokenSinkFile: args.tokenSink, jwtFile: args.jwtFile });
    if (!args.out) return { stdout: config, stderr: "" };
    const roleId = (outputs.apps[args.app] as { roleId?: string }).roleId;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, "agent.hcl"), config, { mode: 0o600 });
    if (roleId) fs.writeFileSync(path.join(dir, "role-id"), `${roleId}\n`, { mode: 0o600 });
    if (outputs.vaultCaCertificate) fs.writeFileSync(path.join(dir, AGENT_FILES.vaultCa), outputs.vaultCaCertificate, { mode: 0o644 });
    if (outputs.postgresCaCertificate) fs.writeFileSync(path.join(dir, AGENT_FILES.postgresCa), outputs.postgresCaCertificate, { mode: 0o644 });
    const login = outputs.apps[args.app];
    const firstStep =
        login?.method === "jwt"
            ? `next: make sure the platform writes "${args.app}"'s token to ${args.jwtFile ?? path.join(dir, "jwt")} (the agent reads it for each login), then run`
            : `next: write a secret id for "${args.app}" to ${path.join(dir, "secret-id")} (the agent removes it after reading), then run`;
    const next = [
        `wrote ${[
            "agent.hcl",
            ...(roleId ? ["role-id"] : []),
            ...(outputs.vaultCaCertificate ? [AGENT_FILES.vaultCa] : []),
            ...(outputs.postgresCaCertificate ? [AGENT_FILES.postgresCa] : []),
        ].map((file) => path.join(dir, file)).join(", ")}`,
        firstStep,
        `  vault agent -config=${path.join(dir, "agent.hcl")}     (or: bao agent -config=...)`,
    ];
    return { stdout: "", stderr: `${next.join("\n")}\n` };
}

function main(): void {
    try {
        const args = parseArgs(process.argv.slice(2));
        if (args === "help") {
            console.log(USAGE);
            return;
        }
        const { stdout, stderr } = run(args, readOutputs(args));
        process.stdout.write(stdout);
        process.stderr.write(stderr);
    } catch (error) {
        console.error((error as Error).message);
        process.exitCode = (error as Error).message.includes("usage:") ? 2 : 1;
    }
}

if (require.main === module) main();
