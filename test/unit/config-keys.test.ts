/**
 * A config key is declared once, in components/validate/config-keys.ts: Pulumi.yaml's `config:` section and the
 * config table of docs/configuration.md must say exactly what it says (`npm run sync-config` writes both).
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { CONFIG_KEYS, configTableMarkdown, pulumiYamlConfig, readStackConfig } from "../../components/validate";
import { REPO_ROOT } from "../helpers/pulumi-mocks";

const project = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, { type: string; default?: unknown; description?: string }> };
const configurationDoc = fs.readFileSync(path.join(REPO_ROOT, "docs", "configuration.md"), "utf8").split("\n");

describe("config keys, declared once", () => {
    it("Pulumi.yaml declares every scalar key of the table, with its type, description and default, and nothing else", () => {
        expect(project.config).toEqual(pulumiYamlConfig());
    });

    it("Pulumi.yaml's defaults are the documented ones (what a dev stack gets without config)", () => {
        const defaults = Object.fromEntries(Object.entries(project.config).map(([key, declared]) => [key, declared.default]));
        expect(defaults).toMatchObject({
            flavor: "vault",
            postgresImage: "postgres:18",
            postgresHostPort: 15432,
            vaultHostPort: 18200,
            hostAddress: "127.0.0.1",
            postgresPort: 5432,
            postgresSuperuser: "postgres",
            vaultMode: "dev",
            vaultUnsealShares: 5,
            vaultUnsealThreshold: 3,
            vaultStorage: "raft",
            vaultUnauthenticatedMetrics: false,
            rotateRootCredentials: false,
            database: "app",
            mountPath: "database",
            approlePath: "approle",
            maxOpenConnections: 2,
            connectionBudget: 20,
            connections: "",
        });
    });

    it("keeps secrets and lists out of Pulumi.yaml: a typed key without a default is required by the CLI", () => {
        const kept = Object.entries(CONFIG_KEYS).filter(([, spec]) => spec.type === "secret" || spec.type === "list" || spec.type === "object").map(([key]) => key);
        expect(kept.sort()).toEqual(["apps", "ciOidc", "databases", "jwtAuth", "postgresClientKey", "postgresSuperuserPassword", "roles", "staticRoles", "vaultToken"]);
        for (const key of kept) expect(project.config[key]).toBeUndefined();
    });

    it("docs/configuration.md's config table is the table's, row for row", () => {
        const [header] = configTableMarkdown();
        const start = configurationDoc.indexOf(header);
        expect(start).toBeGreaterThanOrEqual(0);
        const table = configurationDoc.slice(start, configurationDoc.indexOf("", start));
        expect(table).toEqual(configTableMarkdown());
    });

    it("readStackConfig knows exactly the table's keys", () => {
        expect(() => readStackConfig({ roles: "[]", postgresPasswd: "x" })).toThrow(
            `stack config (vault-pg): postgresPasswd = "x": unknown config key; known keys are ${Object.keys(CONFIG_KEYS).join(", ")}`,
        );
    });
});
