/**
 * `npm run up` (scripts/up.sh) on machines with and without what it needs: one line per missing tool and exit code
 * 2 before `pulumi` is ever called; otherwise `pulumi up --refresh` on the dev stack with the caller's flags.
 * The script runs from a copy in a temp project, with fake `pulumi` and `docker` commands on a minimal PATH.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../helpers/pulumi-mocks";

interface Machine {
    pulumi?: boolean;
    /** "none": no docker CLI; "down": `docker info` fails; "up": it answers. */
    docker: "none" | "down" | "up";
    stackConfig?: string;
}

function runUp(machine: Machine, args: string[] = [], env: Record<string, string> = {}) {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-up-"));
    fs.mkdirSync(path.join(project, "scripts"));
    fs.copyFileSync(path.join(REPO_ROOT, "scripts", "up.sh"), path.join(project, "scripts", "up.sh"));
    if (machine.stackConfig) fs.writeFileSync(path.join(project, "Pulumi.dev.yaml"), machine.stackConfig);
    const bin = path.join(project, "bin");
    fs.mkdirSync(bin);
    for (const tool of ["dirname", "grep", "mkdir"]) fs.symlinkSync(spawnSync("sh", ["-c", `command -v ${tool}`]).stdout.toString().trim(), path.join(bin, tool));
    const calls = path.join(project, "pulumi-calls");
    const fake = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    if (machine.pulumi) fake("pulumi", `echo "$PULUMI_CONFIG_PASSPHRASE|$*" >> ${calls}`);
    if (machine.docker !== "none") fake("docker", machine.docker === "up" ? "exit 0" : "echo 'Cannot connect to the Docker daemon' >&2; exit 1");
    const result = spawnSync("/bin/bash", [path.join(project, "scripts", "up.sh"), ...args], { env: { PATH: bin, ...env }, encoding: "utf8" });
    const pulumiCalls = fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : [];
    const stateFolder = fs.existsSync(path.join(project, ".pulumi-state"));
    fs.rmSync(project, { recursive: true, force: true });
    return { code: result.status, stderr: result.stderr.trim().split("\n").filter(Boolean), pulumiCalls, stateFolder };
}

const NO_PULUMI = "npm run up: the pulumi CLI is not on PATH; install it (https://www.pulumi.com/docs/install/), then run npm run up again";
const NO_DOCKER = "npm run up: the docker CLI is not on PATH; install Docker (https://docs.docker.com/get-docker/), or set postgresHost and vaultAddress to use existing servers";
const DOCKER_DOWN = "npm run up: no Docker daemon answers (docker info failed); start Docker, or set postgresHost and vaultAddress to use existing servers";

describe("npm run up", () => {
    it("names each missing tool on one line and exits 2 without calling pulumi", () => {
        expect(runUp({ docker: "none" })).toMatchObject({ code: 2, stderr: [NO_PULUMI, NO_DOCKER], stateFolder: false });
        expect(runUp({ pulumi: true, docker: "down" })).toMatchObject({ code: 2, stderr: [DOCKER_DOWN], pulumiCalls: [], stateFolder: false });
    });

    it("selects or creates the dev stack and runs up with --refresh, the dev passphrase and the caller's flags", () => {
        const run = runUp({ pulumi: true, docker: "up" }, ["--yes", "--skip-preview"]);
        expect(run).toMatchObject({ code: 0, stderr: [], stateFolder: true });
        expect(run.pulumiCalls).toEqual(["vault-pg-dev|stack select dev --create", "vault-pg-dev|up --refresh --stack dev --yes --skip-preview"]);
    });

    it("keeps a passphrase the caller set", () => {
        const run = runUp({ pulumi: true, docker: "up" }, [], { PULUMI_CONFIG_PASSPHRASE: "mine" });
        expect(run.pulumiCalls).toEqual(["mine|stack select dev --create", "mine|up --refresh --stack dev"]);
    });

    it("runs a plain up in server mode, whose unseal step must come before anything reads the server", () => {
        const run = runUp({ pulumi: true, docker: "up", stackConfig: "config:\n  vault-pg:vaultMode: server\n" });
        expect(run.pulumiCalls).toEqual(["vault-pg-dev|stack select dev --create", "vault-pg-dev|up --stack dev"]);
    });

    it("needs no Docker when the stack points at an existing PostgreSQL and Vault", () => {
        const stackConfig = "config:\n  vault-pg:postgresHost: db.internal\n  vault-pg:vaultAddress: https://vault.internal:8200\n";
        expect(runUp({ pulumi: true, docker: "none", stackConfig })).toMatchObject({ code: 0, stderr: [] });
        expect(runUp({ pulumi: true, docker: "none", stackConfig: "config:\n  vault-pg:postgresHost: db.internal\n" })).toMatchObject({ code: 2, stderr: [NO_DOCKER] });
    });
});
