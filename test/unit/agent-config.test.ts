/** The agent config renderer and `npm run agent-config`, without servers (the live test runs the real agent). */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { agentConfigForApp, AgentConfigSpec, authMountPath, envTemplate, jsonTemplate, renderAgentConfig, signalCommand } from "../../components/agent-config";
import { hclString } from "../../components/hcl";
import { checkOutputs, parseArgs, run } from "../../scripts/agent-config";

const spec: AgentConfigSpec = {
    vaultAddress: "http://127.0.0.1:18200",
    loginPath: "auth/team/approle/login",
    roleIdFile: "/run/app/role-id",
    secretIdFile: "/run/app/secret-id",
    credsPath: "database/creds/readonly",
    postgres: { host: "db.internal", port: 5432, database: "app" },
    outputDir: "/run/app/",
    reload: { signalPidFile: "/run/app/app.pid" },
};

describe("renderAgentConfig", () => {
    it("logs in with AppRole from files, removing the secret id file after reading, and renders two 0600 files", () => {
        const config = renderAgentConfig(spec);
        expect(config).toContain('vault {\n  address = "http://127.0.0.1:18200"\n}\n');
        expect(config).toContain('    type       = "approle"\n    mount_path = "auth/team/approle"\n');
        expect(config).toContain('      role_id_file_path                   = "/run/app/role-id"\n');
        expect(config).toContain('      secret_id_file_path                 = "/run/app/secret-id"\n');
        expect(config).toContain("      remove_secret_id_file_after_reading = true\n");
        expect(config).toContain("template_config {\n  exit_on_retry_failure = true\n}");
        expect(config.match(/perms       = "0600"/g)).toHaveLength(2);
        expect(config).toContain('  destination = "/run/app/db-credentials.json"\n');
        expect(config).toContain('  destination = "/run/app/db.env"\n');
        expect(config).not.toContain("sink");
        expect(config).not.toMatch(/^exec /m);
    });

    it("signals the app once per render, from the env file's template, with the pid file as an argument", () => {
        const config = renderAgentConfig(spec);
        expect(config.match(/exec \{/g)).toHaveLength(1);
        expect(config.indexOf("exec {")).toBeGreaterThan(config.indexOf("db.env"));
        expect(signalCommand("/run/app/app.pid")).toEqual([
            "/bin/sh",
            "-c",
            '[ -s "$1" ] || exit 0; pid=$(cat "$1"); kill -HUP "$pid" || echo "no process $pid to signal" >&2',
            "reload-app",
            "/run/app/app.pid",
        ]);
    });

    it("keeps the secret id file and writes a token sink only when asked", () => {
        const config = renderAgentConfig({ ...spec, keepSecretIdFile: true, tokenSinkFile: "/run/app/token" });
        expect(config).toContain("remove_secret_id_file_after_reading = false");
        expect(config).toContain('  sink {\n    type = "file"\n    config = {\n      path = "/run/app/token"\n      mode = 0600\n    }\n  }\n');
    });

    it("in exec mode, puts PG* in the app's environment and restarts it, with no file templates", () => {
        const config = renderAgentConfig({ ...spec, reload: { exec: ["node", "server.js"] } });
        expect(config).not.toContain("template {");
        expect(config).toContain('env_template "PGUSER" {\n  contents             = "{{ with secret \\"database/creds/readonly\\" }}{{ .Data.username }}{{ end }}"\n  error_on_missing_key = true\n}');
        expect(config).toContain('env_template "PGHOST" {\n  contents             = "db.internal"');
        expect(config).toContain('exec {\n  command                   = ["node", "server.js"]\n  restart_on_secret_changes = "always"\n  restart_stop_signal       = "SIGTERM"\n}\n');
        expect(() => renderAgentConfig({ ...spec, reload: { exec: [] } })).toThrow("renderAgentConfig: reload.exec must name a command");
    });

    it("rejects values that would open a template action, and a login path that is not an AppRole login", () => {
        expect(() => renderAgentConfig({ ...spec, postgres: { ...spec.postgres, host: "{{ env \"X\" }}" } })).toThrow(
            'renderAgentConfig: postgres.host = "{{ env \\"X\\" }}": must not contain "{{" or "}}"',
        );
        expect(() => authMountPath("auth/approle")).toThrow('renderAgentConfig: loginPath = "auth/approle": expected auth/<auth method path>/login');
    });
});

describe("templates", () => {
    it("renders the env file as NAME=value lines libpq reads", () => {
        expect(envTemplate(spec)).toBe(
            "PGHOST=db.internal\nPGPORT=5432\nPGDATABASE=app\n" +
                'PGUSER={{ with secret "database/creds/readonly" }}{{ .Data.username }}{{ end }}\n' +
                'PGPASSWORD={{ with secret "database/creds/readonly" }}{{ .Data.password }}{{ end }}\n',
        );
    });

    it("renders JSON whose secret values go through toJSON", () => {
        const json = jsonTemplate(spec);
        expect(json).toContain('"username": {{ .Data.username | toJSON }},');
        expect(json).toContain('"password": {{ .Data.password | toJSON }},');
        expect(json).toContain('"host": "db.internal",\n  "port": 5432,\n  "database": "app",');
    });

    it("quotes its HCL strings with escapes for quotes, backslashes, newlines and ${ (one quoter with policies: hcl.ts)", () => {
        expect(hclString('a"b\\c\nd${e}', { multiline: true })).toBe('"a\\"b\\\\c\\nd\\u0024{e}"');
        expect(() => hclString("a\u0001", { multiline: true })).toThrow("hclString: control characters are not allowed: ");
        const config = renderAgentConfig(spec);
        expect(config).toContain('  contents    = "{{ with secret \\"');
    });
});

describe("agentConfigForApp", () => {
    const outputs = {
        vaultAddress: "http://127.0.0.1:18200",
        postgresAddress: "127.0.0.1:15432",
        database: "app",
        credsPaths: { readonly: "database/creds/readonly", readwrite: "database/creds/readwrite", owner: "database/creds/owner" },
        apps: { web: { loginPath: "auth/approle/login" } },
    };

    it("renders the app's first role by default, or the one asked for, with every file in its folder", () => {
        const config = agentConfigForApp(outputs, "web", ["readwrite", "readonly"], { dir: "/srv/web/" });
        expect(config).toContain('with secret \\"database/creds/readwrite\\"');
        expect(config).toContain('"/srv/web/role-id"');
        expect(config).toContain('"/srv/web/app.pid"');
        expect(config).toContain('\\"port\\": 15432');
        expect(agentConfigForApp(outputs, "web", ["readwrite", "readonly"], { dir: "/srv/web", role: "readonly" })).toContain("database/creds/readonly");
    });

    it("names the choices when the app or role is unknown", () => {
        expect(() => agentConfigForApp(outputs, "api", ["readonly"], { dir: "/x" })).toThrow('unknown app "api"; the stack has web');
        expect(() => agentConfigForApp(outputs, "web", ["readonly"], { dir: "/x", role: "owner" })).toThrow('app "web" has no role "owner"; its roles are readonly');
    });
});

describe("npm run agent-config", () => {
    const outputs = {
        vaultAddress: "http://127.0.0.1:18200",
        postgresAddress: "127.0.0.1:15432",
        database: "app",
        credsPaths: { readonly: "database/creds/readonly" },
        apps: { web: { loginPath: "auth/approle/login", roleId: "role-123", policyName: "web-db" } },
        agents: { web: { roles: ["readonly"] } },
    };

    it("parses its flags, and asks for --app", () => {
        expect(parseArgs(["--app", "web", "--out", "/tmp/x", "--exec", "node  server.js", "--outputs", "-"])).toEqual({
            app: "web",
            out: "/tmp/x",
            exec: ["node", "server.js"],
            outputs: "-",
            stack: "dev",
        });
        expect(parseArgs(["-h"])).toBe("help");
        expect(() => parseArgs([])).toThrow(/^--app is required\n\nusage: npm run agent-config/);
        expect(() => parseArgs(["--app"])).toThrow(/^--app needs a value/);
        expect(() => parseArgs(["--app", "web", "--nope"])).toThrow(/^unknown option --nope/);
    });

    it("refuses outputs that are not a vault-pg stack's", () => {
        expect(() => checkOutputs({ vaultAddress: "x" })).toThrow(
            "the stack outputs lack postgresAddress, database, credsPaths, apps, agents: is this a vault-pg stack, deployed with this version?",
        );
    });

    it("prints the config, or writes it and the role id with owner-only modes", () => {
        expect(run({ app: "web", stack: "dev" }, outputs).stdout).toContain('"/run/vault-pg/web/secret-id"');
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agent-config-"));
        try {
            const result = run({ app: "web", stack: "dev", out: path.join(dir, "web") }, outputs);
            expect(result.stdout).toBe("");
            expect(result.stderr).toContain(`write a secret id for "web" to ${path.join(dir, "web", "secret-id")}`);
            expect(fs.readFileSync(path.join(dir, "web", "role-id"), "utf8")).toBe("role-123\n");
            expect(fs.statSync(path.join(dir, "web", "agent.hcl")).mode & 0o777).toBe(0o600);
            expect(fs.statSync(path.join(dir, "web")).mode & 0o777).toBe(0o700);
            expect(fs.readFileSync(path.join(dir, "web", "agent.hcl"), "utf8")).toContain(`"${path.join(dir, "web", "db.env")}"`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        expect(() => run({ app: "jobs", stack: "dev" }, outputs)).toThrow('no agent config for app "jobs"; apps with dynamic roles are web');
    });
});
