/** The example stack that reads the dev stack through a StackReference: it compiles, and wires the right values. */
import { execFileSync } from "child_process";
import * as path from "path";
import { installMocks, REPO_ROOT, resolve } from "../helpers/pulumi-mocks";

const CA = "-----BEGIN CERTIFICATE-----\nstack-ca\n-----END CERTIFICATE-----\n";
const DEV_STACK_OUTPUTS = {
    vaultAddress: "https://127.0.0.1:18200",
    postgresSslMode: "verify-full",
    vaultCaCertificate: CA,
    postgresCaCertificate: CA,
    credsPaths: { readonly: "database/creds/readonly", readwrite: "database/creds/readwrite" },
    apps: { web: { policyName: "web-db", roleId: "0f6c-web", loginPath: "auth/approle/login" } },
};

describe("examples/stack-reference", () => {
    it("compiles with its own tsconfig", () => {
        const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
        expect(() =>
            execFileSync(process.execPath, [tsc, "--noEmit", "-p", path.join(REPO_ROOT, "examples", "stack-reference", "tsconfig.json")], { encoding: "utf8" }),
        ).not.toThrow();
    }, 60_000);

    it("turns the dev stack's outputs into one app's environment, without secrets", async () => {
        const references: string[] = [];
        await installMocks("dev", {}, false, (type, _name, inputs) => {
            if (type !== "pulumi:pulumi:StackReference") return {};
            references.push(String(inputs.name));
            return { outputs: DEV_STACK_OUTPUTS, secretOutputNames: [] };
        });
        const program = await import("../../examples/stack-reference/index");
        expect(await resolve(program.appEnvironment)).toEqual({
            VAULT_ADDR: "https://127.0.0.1:18200",
            VAULT_ROLE_ID: "0f6c-web",
            VAULT_LOGIN_PATH: "auth/approle/login",
            DB_CREDS_PATH: "database/creds/readonly",
            PGSSLMODE: "verify-full",
        });
        // The CAs to mount beside it: what the app verifies both servers with.
        expect(await resolve(program.certificateAuthorities)).toEqual({ vault: CA, postgres: CA });
        expect(references).toEqual(["organization/vault-pg/dev"]);
    });
});
