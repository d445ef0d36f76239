/**
 * The program under the Node runner, started as the CLI starts it: bad config must stop it with exactly one line
 * (what `pulumi up` prints after `error: `), no stack trace, and nothing registered but the root stack.
 */
import { loadStackConfig } from "../helpers/pulumi-mocks";
import { runProgramLikeTheCli } from "../helpers/fake-engine";

const STACK_TYPE = "pulumi:pulumi:Stack";
const devConfig = loadStackConfig();
const withRoles = (change: (roles: Record<string, unknown>[]) => void): Record<string, string> => {
    const roles = JSON.parse(devConfig.roles) as Record<string, unknown>[];
    change(roles);
    return { ...devConfig, roles: JSON.stringify(roles) };
};
const withApps = (change: (apps: Record<string, unknown>[]) => void): Record<string, string> => {
    const apps = JSON.parse(devConfig.apps) as Record<string, unknown>[];
    change(apps);
    return { ...devConfig, apps: JSON.stringify(apps) };
};

const CASES: [string, Record<string, string>, string[], string][] = [
    ["an unknown access level", withRoles((roles) => (roles[1].access = "superuser")), [],
        'stack config (vault-pg) roles[1] "readwrite": access = "superuser": unknown access level; expected one of readonly, readwrite, owner'],
    ["an unknown key inside apps[]", withApps((apps) => (apps[0].tokenTTL = "5m")), [],
        'stack config (vault-pg) apps[0] "web": tokenTTL = "5m": unknown key; known keys are name, roles, staticRoles, tokenTtl, tokenMaxTtl, secretIdTtl, jwt'],
    ["an unknown key inside roles[]", withRoles((roles) => (roles[2].ttl = "1h")), [],
        'stack config (vault-pg) roles[2] "owner": ttl = "1h": unknown key; known keys are name, access, defaultTtl, maxTtl'],
    ["a port out of range", { ...devConfig, vaultHostPort: "70000" }, [], "stack config (vault-pg): vaultHostPort = 70000: a port must be a whole number from 1 to 65535"],
    ["an unknown flavor", { ...devConfig, flavor: "consul" }, [], 'stack config (vault-pg): flavor = "consul": unknown flavor; expected one of vault, openbao'],
    ["an existing Vault without its token", { ...devConfig, vaultAddress: "https://vault.internal:8200" }, [],
        "stack config (vault-pg): vaultToken = undefined: an existing Vault needs a token that may apply the stack's resources: VAULT_TOKEN in the environment (a CI login), or pulumi config set --secret vault-pg:vaultToken ..."],
    ["an app naming an undeclared role", withApps((apps) => (apps[2].roles = ["audit"])), [],
        'stack config (vault-pg) apps[2] "reports": roles = "audit": unknown role; declared roles are readonly, readwrite, owner'],
];

describe("the program under the Node runner", () => {
    it.each(CASES)("stops on %s with one line and registers nothing", async (_label, config, secretKeys, message) => {
        const run = await runProgramLikeTheCli(config, secretKeys);
        expect(run.errors).toEqual([message]);
        expect(run.registered.filter((type) => type !== STACK_TYPE)).toEqual([]);
        expect(run.code).not.toBe(0);
        expect(run.stderr).not.toMatch(/\n\s+at /);
    });

    it("runs the dev stack's own config to the end, registering its resources and logging no error", async () => {
        const run = await runProgramLikeTheCli(devConfig);
        expect(run.errors).toEqual([]);
        expect(run.code).toBe(0);
        expect(run.registered).toContain("vault:database/secretBackendConnection:SecretBackendConnection");
        expect(run.registered).toContain("docker:index/container:Container");
    });
});
