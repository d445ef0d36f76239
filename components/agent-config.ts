/**
 * Pure renderer for a Vault Agent (or OpenBao agent: same syntax) config that keeps one application's database
 * credentials in files or in its environment. No Pulumi here: tests call it directly.
 *
 * The agent logs in with AppRole, or with a JWT its platform writes to a file (a Kubernetes projected service account
 * token, a CI job's OIDC token), reads the app's creds path, renews the lease and its own token, and fetches new
 * credentials before the last renewal runs out. Files are written with mode 0600 and atomically replaced, so an app
 * in any language reads a complete file. Syntax: HCL 1, as parsed by the agent (`internal/command/agent/config/config.go`
 * in openbao/openbao: top-level `exec` and `env_template` exclude file `template` stanzas; AppRole's
 * `remove_secret_id_file_after_reading` defaults to true and the agent keeps the secret id in memory to log in again).
 */
import { hclString } from "./hcl";

/** How the app learns about new credentials. */
export type AgentReload =
    /** Render files; after each render send SIGHUP to the process whose pid is in this file. */
    | { signalPidFile: string }
    /** Run the app under the agent with PG* in its environment; the agent restarts it on new credentials. */
    | { exec: string[] };

export interface AgentConfigSpec {
    /** Vault API address, e.g. https://127.0.0.1:18200. */
    vaultAddress: string;
    /** File holding the CA of the Vault API's certificate (`ca_cert`), where the system does not trust it. */
    vaultCaCertFile?: string;
    /** The app's login path, `auth/<approle or jwt path>/login` (stack output `apps.<app>.loginPath`). */
    loginPath: string;
    /** AppRole: file holding the role id. */
    roleIdFile?: string;
    /** AppRole: file holding the secret id; removed after reading unless `keepSecretIdFile`. */
    secretIdFile?: string;
    keepSecretIdFile?: boolean;
    /**
     * JWT instead of AppRole: the role to log in as, and the file the platform keeps the token in. The agent reads it
     * again for each login and never removes it (the platform rotates it in place).
     */
    jwt?: { role: string; tokenFile: string };
    /** Optional file the agent writes its token to (mode 0600), for tools that call Vault themselves. */
    tokenSinkFile?: string;
    /** `<mount>/creds/<role>`. */
    credsPath: string;
    /**
     * Where the app reaches PostgreSQL, and how it verifies it: the libpq sslmode and the file holding the CA
     * (`PGSSLMODE`, `PGSSLROOTCERT`; `sslmode`, `sslrootcert` in the JSON file).
     */
    postgres: { host: string; port: number; database: string; sslMode?: string; sslRootCertFile?: string };
    /** Folder for the rendered files (file mode only). */
    outputDir: string;
    reload: AgentReload;
}

/** Names of the files the agent renders into `outputDir`, and of the CA files beside them. */
export const AGENT_FILES = { json: "db-credentials.json", env: "db.env", vaultCa: "vault-ca.crt", postgresCa: "postgres-ca.crt" } as const;

/** An agent config string: template contents span lines (hcl.ts). */
const agentHclString = (value: string): string => hclString(value, { multiline: true });

/** Values pasted into a template must not open or close a template action. */
function templateSafe(field: string, value: string): string {
    if (value.includes("{{") || value.includes("}}")) {
        throw new Error(`renderAgentConfig: ${field} = ${JSON.stringify(value)}: must not contain "{{" or "}}"`);
    }
    return value;
}

function fileName(dir: string, name: string): string {
    return `${dir.replace(/\/+$/, "")}/${name}`;
}

/** The auth mount the agent logs in at: `auth/<path>` from `auth/<path>/login`. */
export function authMountPath(loginPath: string): string {
    const match = /^(auth\/.+)\/login$/.exec(loginPath);
    if (!match) throw new Error(`renderAgentConfig: loginPath = ${JSON.stringify(loginPath)}: expected auth/<auth method path>/login`);
    return match[1];
}

/** The `method` block of `auto_auth`: AppRole from the role id and secret id files, or JWT from the token file. */
function authMethod(spec: AgentConfigSpec): string[] {
    const mount = `    mount_path = ${agentHclString(authMountPath(spec.loginPath))}`;
    if (spec.jwt) {
        return [
            '    type       = "jwt"',
            mount,
            "    config = {",
            `      path                     = ${agentHclString(spec.jwt.tokenFile)}`,
            `      role                     = ${agentHclString(spec.jwt.role)}`,
            "      remove_jwt_after_reading = false",
            "    }",
        ];
    }
    if (!spec.roleIdFile || !spec.secretIdFile) throw new Error("renderAgentConfig: an AppRole login needs roleIdFile and secretIdFile (or give jwt)");
    return [
        '    type       = "approle"',
        mount,
        "    config = {",
        `      role_id_file_path                   = ${agentHclString(spec.roleIdFile)}`,
        `      secret_id_file_path                 = ${agentHclString(spec.secretIdFile)}`,
        `      remove_secret_id_file_after_reading = ${spec.keepSecretIdFile ? "false" : "true"}`,
        "    }",
    ];
}

/** The credentials as JSON: username, password, host, port, database, lease id and duration. */
export function jsonTemplate(spec: Pick<AgentConfigSpec, "credsPath" | "postgres">): string {
    const { host, port, database } = spec.postgres;
    return [
        `{{ with secret ${JSON.stringify(templateSafe("credsPath", spec.credsPath))} -}}`,
        "{",
        '  "username": {{ .Data.username | toJSON }},',
        '  "password": {{ .Data.password | toJSON }},',
        `  "host": ${JSON.stringify(templateSafe("postgres.host", host))},`,
        `  "port": ${Number(port)},`,
        `  "database": ${JSON.stringify(templateSafe("postgres.database", database))},`,
        ...(spec.postgres.sslMode ? [`  "sslmode": ${JSON.stringify(templateSafe("postgres.sslMode", spec.postgres.sslMode))},`] : []),
        ...(spec.postgres.sslRootCertFile ? [`  "sslrootcert": ${JSON.stringify(templateSafe("postgres.sslRootCertFile", spec.postgres.sslRootCertFile))},`] : []),
        '  "lease_id": {{ .LeaseID | toJSON }},',
        '  "lease_duration": {{ .LeaseDuration }}',
        "}",
        "{{ end }}",
    ].join("\n");
}

/** The environment libpq and most PostgreSQL drivers read, one `NAME=value` per line. */
function pgEnvironment(spec: Pick<AgentConfigSpec, "credsPath" | "postgres">): [string, string][] {
    const secret = `{{ with secret ${JSON.stringify(templateSafe("credsPath", spec.credsPath))} }}`;
    return [
        ["PGHOST", templateSafe("postgres.host", spec.postgres.host)],
        ["PGPORT", String(Number(spec.postgres.port))],
        ["PGDATABASE", templateSafe("postgres.database", spec.postgres.database)],
        ...(spec.postgres.sslMode ? [["PGSSLMODE", templateSafe("postgres.sslMode", spec.postgres.sslMode)] as [string, string]] : []),
        ...(spec.postgres.sslRootCertFile ? [["PGSSLROOTCERT", templateSafe("postgres.sslRootCertFile", spec.postgres.sslRootCertFile)] as [string, string]] : []),
        ["PGUSER", `${secret}{{ .Data.username }}{{ end }}`],
        ["PGPASSWORD", `${secret}{{ .Data.password }}{{ end }}`],
    ];
}

/** The env file: `PGHOST=...` ... `PGPASSWORD=...` (engine usernames and passwords hold no spaces or quotes). */
export function envTemplate(spec: Pick<AgentConfigSpec, "credsPath" | "postgres">): string {
    return pgEnvironment(spec)
        .map(([name, value]) => `${name}=${value}\n`)
        .join("");
}

/**
 * The shell command a render runs to send SIGHUP to the app; the pid file is passed as `$1`, never spliced in. It
 * succeeds when the app has not started yet (it reads the file when it starts) or is gone (a note on stderr): a
 * failing command would stop the agent, and with it every later renewal.
 */
export function signalCommand(pidFile: string): string[] {
    const script = '[ -s "$1" ] || exit 0; pid=$(cat "$1"); kill -HUP "$pid" || echo "no process $pid to signal" >&2';
    return ["/bin/sh", "-c", script, "reload-app", pidFile];
}

const list = (values: readonly string[]): string => `[${values.map(agentHclString).join(", ")}]`;

/** A `template` block that renders `contents` into an owner-only file, with any further lines inside it. */
function fileTemplate(destination: string, contents: string, more: string[] = []): string {
    return ["template {", `  destination = ${agentHclString(destination)}`, '  perms       = "0600"', `  contents    = ${agentHclString(contents)}`, ...more, "}"].join("\n");
}

/** The agent config for one application. */
export function renderAgentConfig(spec: AgentConfigSpec): string {
    const autoAuth = [
        "auto_auth {",
        "  method {",
        ...authMethod(spec),
        "  }",
        ...(spec.tokenSinkFile
            ? ["", "  sink {", '    type = "file"', "    config = {", `      path = ${agentHclString(spec.tokenSinkFile)}`, "      mode = 0600", "    }", "  }"]
            : []),
        "}",
    ];
    const header = [
        ["vault {", `  address = ${agentHclString(spec.vaultAddress)}`, ...(spec.vaultCaCertFile ? [`  ca_cert = ${agentHclString(spec.vaultCaCertFile)}`] : []), "}"].join("\n"),
        autoAuth.join("\n"),
        // Stop instead of serving stale credentials when Vault keeps refusing: the supervisor sees it.
        "template_config {\n  exit_on_retry_failure = true\n}",
    ];
    if ("exec" in spec.reload) {
        if (spec.reload.exec.length === 0) throw new Error("renderAgentConfig: reload.exec must name a command");
        const envTemplates = pgEnvironment(spec).map(
            ([name, value]) => `env_template ${agentHclString(name)} {\n  contents             = ${agentHclString(value)}\n  error_on_missing_key = true\n}`,
        );
        const exec = [
            "exec {",
            `  command                   = ${list(spec.reload.exec)}`,
            '  restart_on_secret_changes = "always"',
            '  restart_stop_signal       = "SIGTERM"',
            "}",
        ].join("\n");
        return [...header, ...envTemplates, exec].join("\n\n") + "\n";
    }
    const jsonFile = fileTemplate(fileName(spec.outputDir, AGENT_FILES.json), jsonTemplate(spec));
    // One signal per render: the command hangs on the last file, written after the JSON one in the same pass.
    const envFile = fileTemplate(fileName(spec.outputDir, AGENT_FILES.env), envTemplate(spec), [
        "  exec {",
        `    command = ${list(signalCommand(spec.reload.signalPidFile))}`,
        '    timeout = "10s"',
        "  }",
    ]);
    return [...header, jsonFile, envFile].join("\n\n") + "\n";
}

/** The stack outputs the agent config is made from (`pulumi stack output --json`). */
export interface AgentStackOutputs {
    vaultAddress: string;
    /** `host:port` */
    postgresAddress: string;
    /** The first database; `roleDatabases` names each role's where the stack has several. */
    database: string;
    roleDatabases?: Record<string, string>;
    credsPaths: Record<string, string>;
    /** `method` and `role` name a JWT login (AppRole when absent: older outputs have neither). */
    apps: Record<string, { loginPath: string; method?: "approle" | "jwt"; role?: string }>;
    /** The CAs each server's certificate verifies against (PEM), where the stack knows them, and the sslmode. */
    vaultCaCertificate?: string;
    postgresCaCertificate?: string;
    postgresSslMode?: string;
    /** App → its agent config and the roles it may render. */
    agents: Record<string, { roles: string[]; config?: string }>;
}

/**
 * Where the agent's files live for one app: role id, secret id (or the JWT), pid file, CA files and the rendered
 * files, all in `dir`.
 */
export interface AgentLayout {
    dir: string;
    /** A JWT login's token file; default `<dir>/jwt`. */
    jwtFile?: string;
    /** Which of the app's roles to render; default its first. */
    role?: string;
    /** Run the app under the agent instead of signalling it. */
    exec?: string[];
    tokenSinkFile?: string;
}

/** Where a Kubernetes pod's agent reads its projected service account token (docs/identity.md shows the volume). */
export const KUBERNETES_TOKEN_FILE = "/var/run/secrets/tokens/vault-pg";

/** Default folder of an app's agent files: a tmpfs on most Linux hosts, so rendered passwords never reach a disk. */
export function defaultAgentDir(app: string): string {
    return `/run/vault-pg/${app}`;
}

/** The agent config for one app of a stack, from the stack's outputs. Throws with the choices when a name is unknown. */
export function agentConfigForApp(outputs: Omit<AgentStackOutputs, "agents">, app: string, roles: readonly string[], layout: AgentLayout): string {
    const login = outputs.apps[app];
    if (!login) throw new Error(`unknown app "${app}"; the stack has ${Object.keys(outputs.apps).join(", ") || "no apps"}`);
    const role = layout.role ?? roles[0];
    const credsPath = outputs.credsPaths[role];
    if (!credsPath || !roles.includes(role)) throw new Error(`app "${app}" has no role "${role}"; its roles are ${roles.join(", ")}`);
    const portSeparator = outputs.postgresAddress.lastIndexOf(":");
    const dir = layout.dir.replace(/\/+$/, "");
    return renderAgentConfig({
        vaultAddress: outputs.vaultAddress,
        ...(outputs.vaultCaCertificate ? { vaultCaCertFile: `${dir}/${AGENT_FILES.vaultCa}` } : {}),
        loginPath: login.loginPath,
        ...(login.method === "jwt"
            ? { jwt: { role: login.role ?? app, tokenFile: layout.jwtFile ?? `${dir}/jwt` } }
            : { roleIdFile: `${dir}/role-id`, secretIdFile: `${dir}/secret-id` }),
        tokenSinkFile: layout.tokenSinkFile,
        credsPath,
        postgres: {
            host: outputs.postgresAddress.slice(0, portSeparator),
            port: Number(outputs.postgresAddress.slice(portSeparator + 1)),
            database: outputs.roleDatabases?.[role] ?? outputs.database,
            ...(outputs.postgresSslMode ? { sslMode: outputs.postgresSslMode } : {}),
            ...(outputs.postgresCaCertificate ? { sslRootCertFile: `${dir}/${AGENT_FILES.postgresCa}` } : {}),
        },
        outputDir: dir,
        reload: layout.exec ? { exec: layout.exec } : { signalPidFile: `${dir}/app.pid` },
    });
}

/**
 * The stack's `agents` output: each app with dynamic roles → its roles and an agent config for the first, files under
 * /run/vault-pg/<app>; a Kubernetes-bound app's token is its projected service account token (docs/identity.md).
 */
export function stackAgentConfigs(
    outputs: Omit<AgentStackOutputs, "agents">,
    apps: readonly { name: string; roles: string[]; jwt?: { boundSubject?: string } }[],
): Record<string, { roles: string[]; config: string }> {
    const kubernetes = (app: (typeof apps)[number]): boolean => app.jwt?.boundSubject?.startsWith("system:serviceaccount:") ?? false;
    return Object.fromEntries(
        apps
            .filter((app) => app.roles.length > 0)
            .map((app) => [
                app.name,
                { roles: app.roles, config: agentConfigForApp(outputs, app.name, app.roles, { dir: defaultAgentDir(app.name), ...(kubernetes(app) ? { jwtFile: KUBERNETES_TOKEN_FILE } : {}) }) },
            ]),
    );
}
