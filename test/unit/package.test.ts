/**
 * Import from other stacks: `npm pack` the project, install the tarball into a fresh consumer project with its own
 * tsconfig, compile the example consumer stack against it, and run it under mocks.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../helpers/pulumi-mocks";

const run = (command: string, args: string[], cwd: string): string =>
    execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_loglevel: "error" } });

/** Runs the compiled consumer program under mocks and prints its outputs and registered types as JSON. */
const MOCK_RUNNER = `
const pulumi = require("@pulumi/pulumi");
const types = [];
pulumi.runtime.setMocks({
    newResource: (args) => { types.push(args.type); return { id: args.name + "-id", state: { ...args.inputs, ...(args.type.endsWith("AuthBackendRole") ? { roleId: "role-id-" + args.inputs.roleName } : {}) } }; },
    call: (args) => { throw new Error("Mock call not implemented: " + args.token); },
}, "shop-platform", "dev", false).then(async () => {
    const program = require("./bin/index.js");
    const value = (output) => new Promise((resolve) => pulumi.output(output).apply(resolve));
    const outputs = { mountPath: await value(program.mountPath), credsPaths: await value(program.credsPaths), apps: await value(program.apps), groupRoles: await value(program.groupRoles) };
    await new Promise((resolve) => setTimeout(resolve, 200));
    console.log(JSON.stringify({ outputs, types }));
});
`;

describe("the packed package", () => {
    let workDir: string;
    let tarball: string;

    beforeAll(() => {
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-consumer-"));
        const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", workDir], REPO_ROOT)) as { filename: string; files: { path: string }[] }[];
        tarball = path.join(workDir, packed[0].filename);
        fs.writeFileSync(path.join(workDir, "files.json"), JSON.stringify(packed[0].files.map((file) => file.path)));
    }, 180_000);

    afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

    it("ships the compiled components and their types, and no sources, tests or state", () => {
        const files = JSON.parse(fs.readFileSync(path.join(workDir, "files.json"), "utf8")) as string[];
        expect(files).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "dist/vault-postgres.js", "dist/sql.d.ts", "package.json", "README.md"]));
        expect(files.filter((file) => !file.startsWith("dist/") && !["package.json", "README.md"].includes(file))).toEqual([]);
        expect(files.some((file) => file.endsWith(".test.js") || file.includes("index.ts"))).toBe(false);
    });

    it("installs into a consumer project that compiles and runs the example consumer stack under mocks", () => {
        const consumer = path.join(workDir, "consumer");
        fs.mkdirSync(consumer);
        const example = path.join(REPO_ROOT, "examples", "consumer-stack");
        for (const file of ["index.ts", "tsconfig.json", "Pulumi.yaml"]) fs.copyFileSync(path.join(example, file), path.join(consumer, file));
        const rootPackage = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
        fs.writeFileSync(
            path.join(consumer, "package.json"),
            JSON.stringify({ name: "shop-platform", private: true, dependencies: { "@pulumi/pulumi": rootPackage.dependencies["@pulumi/pulumi"], "vault-pg": `file:${tarball}` } }),
        );
        run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], consumer);
        run(process.execPath, [path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], consumer);
        fs.writeFileSync(path.join(consumer, "run-under-mocks.js"), MOCK_RUNNER);

        const result = JSON.parse(run(process.execPath, ["run-under-mocks.js"], consumer)) as {
            outputs: { mountPath: string; credsPaths: Record<string, string>; apps: Record<string, { loginPath: string; policyName: string }>; groupRoles: Record<string, string> };
            types: string[];
        };
        expect(result.outputs.mountPath).toBe("team-shop/postgres");
        expect(result.outputs.credsPaths).toEqual({
            "catalog-reader": "team-shop/postgres/creds/catalog-reader",
            "orders-writer": "team-shop/postgres/creds/orders-writer",
            "schema-owner": "team-shop/postgres/creds/schema-owner",
        });
        expect(result.outputs.apps.storefront).toMatchObject({ policyName: "storefront-db", loginPath: "auth/team-shop-approle/login" });
        expect(result.outputs.groupRoles).toEqual({ readonly: "shop_readonly", readwrite: "shop_readwrite", owner: "shop_owner" });
        expect(result.types).toEqual(expect.arrayContaining(["vault-pg:index:VaultPostgres", "vault:database/secretBackendRole:SecretBackendRole", "docker:index/container:Container"]));
    }, 300_000);
});
