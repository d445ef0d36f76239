/**
 * `npm run ci-login` and `npm run preview-comment` without servers: what a job's login takes from the stack's outputs,
 * the one-line refusals outside a job, and the pull request comment (the live suite logs in for real).
 */
import { UsageError } from "../../scripts/cli";
import { fromOutputs, parseArgs, requestJobToken } from "../../scripts/ci-login";
import { COMMENT_MARKER, describeBackend, MAX_COMMENT_LENGTH, previewComment } from "../../scripts/preview-comment";

const outputs = {
    vaultAddress: "https://vault.internal:8200",
    vaultCaCertificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    ci: { loginPath: "auth/github-actions/login", audience: "https://github.com/acme", previewRole: "prod-preview", deployRole: "prod-deploy" },
    vaultAdminPassword: "[secret]",
};
const jobEnv = { GITHUB_ENV: "/tmp/env", GITHUB_REPOSITORY: "acme/infra" };

describe("ci-login", () => {
    it("takes the role, auth path, audience, address and CA of a preview or a deploy from the stack's outputs", () => {
        expect(parseArgs(["--outputs", "-", "--as", "preview"], jobEnv, () => JSON.stringify(outputs))).toEqual({
            role: "prod-preview",
            authPath: "github-actions",
            audience: "https://github.com/acme",
            address: "https://vault.internal:8200",
            caCertificate: outputs.vaultCaCertificate,
        });
        expect(fromOutputs(JSON.stringify(outputs), "deploy").role).toBe("prod-deploy");
    });

    it.each([
        ["a stack without ciOidc", ["--outputs", "-", "--as", "preview"], jobEnv, JSON.stringify({ vaultAddress: "https://v" }), "the stack has no ci output: set vault-pg:ciOidc and run pulumi up once with an operator's token (docs/identity.md)"],
        ["another kind of login", ["--outputs", "-", "--as", "admin"], jobEnv, JSON.stringify(outputs), 'must be preview or deploy, not "admin"'],
        ["a role and outputs at once", ["--role", "x", "--outputs", "-"], jobEnv, JSON.stringify(outputs), "--role and --outputs exclude each other: the outputs name the role"],
        ["no role at all", ["--address", "https://v"], jobEnv, "", "--role or --outputs is required"],
        ["outside a job", ["--role", "x", "--address", "https://v"], {}, "", "GITHUB_ENV is not set: run this as a step of a GitHub Actions job"],
        ["no address", ["--role", "x"], jobEnv, "", "no Vault address: pass --address or set VAULT_ADDR"],
    ])("refuses %s as a usage error", (_what, argv, env, text, message) => {
        let thrown: unknown;
        try {
            parseArgs(argv, env, () => text);
        } catch (error) {
            thrown = error;
        }
        expect(thrown).toBeInstanceOf(UsageError);
        expect((thrown as Error).message).toContain(message);
    });

    it("refuses to ask for a token in a job without id-token: write", async () => {
        await expect(requestJobToken({}, "aud")).rejects.toThrow("no OIDC token for this job: run it in GitHub Actions with `permissions: id-token: write`");
    });
});

describe("preview-comment", () => {
    it("names the deployed stack and its backend, never the backend's credentials", () => {
        const comment = previewComment({ stack: "acme/vault-pg/prod", backend: "s3://state-bucket/pulumi?region=eu-west-1", output: "+ 1 to create", outcome: "success" });
        expect(comment.startsWith(`${COMMENT_MARKER}\n### Preview of \`acme/vault-pg/prod\` (s3://state-bucket)`)).toBe(true);
        expect(comment).toContain("Preview and policy pack: **passed**.");
        expect(comment).toContain("```\n+ 1 to create\n```");
        expect(describeBackend("https://user:token@api.example.com/x")).toBe("https://api.example.com");
    });

    it("says plainly when it previewed a throw-away stack, and that the preview failed", () => {
        const comment = previewComment({ output: "error: policy violated", outcome: "failure" });
        expect(comment).toContain("### Preview of a throw-away stack");
        expect(comment).toContain("No backend is configured");
        expect(comment).toContain("**failed**");
    });

    it("cuts a long diff to GitHub's limit, keeps the code block closed and strips colours", () => {
        const comment = previewComment({ stack: "s", backend: "file:///x", output: `\u001b[32m+\u001b[0m ${"resource\n".repeat(20_000)}`, outcome: "success" });
        expect(comment.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
        expect(comment).toContain("... (cut: the whole output is in the run's log)\n```");
        expect(comment).not.toContain("\u001b[");
    });
});
