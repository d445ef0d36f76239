/**
 * Each policy with a passing and a violating resource (one mutated prop per case), and the whole dev stack, run
 * under mocks, fed through the pack with zero violations.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { creationStatements, groupRoleNames, revocationStatements, renewStatements, appPolicy } from "../../components";
import { installMocks, loadStackConfig, plain, resolve } from "../../test/helpers/pulumi-mocks";
import { allPolicies, parsePolicyPaths, runPolicy, TYPES, validateResources } from "../rules";

const groups = groupRoleNames("app");

function policy(name: string): ResourceValidationPolicy {
    const found = allPolicies.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`no policy ${name}`);
    return found;
}

/** Runs one policy on one resource the way the engine does; returns the violation messages. */
function violations(name: string, type: string, props: Record<string, unknown>, config: Record<string, unknown> = {}): Promise<string[]> {
    return runPolicy(policy(name), { type, name: "subject", props }, config);
}

const goodRole = (): Record<string, unknown> => ({
    backend: "database",
    name: "readonly",
    dbName: "app",
    creationStatements: creationStatements("readonly", groups),
    revocationStatements: revocationStatements(groups),
    renewStatements: renewStatements(),
    defaultTtl: 3600,
    maxTtl: 86400,
});

const goodPolicy = (): Record<string, unknown> => ({ name: "web-db", policy: appPolicy("database", ["readonly", "readwrite"]) });

describe("db-role-no-privileged-options", () => {
    it("passes the project's own creation statements", async () => {
        expect(await violations("db-role-no-privileged-options", TYPES.role, goodRole())).toEqual([]);
        expect(await violations("db-role-no-privileged-options", TYPES.role, { ...goodRole(), creationStatements: creationStatements("owner", groups) })).toEqual([]);
    });

    it("flags a role with SUPERUSER", async () => {
        const statement = `CREATE ROLE "{{name}}" WITH LOGIN SUPERUSER PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`;
        expect(await violations("db-role-no-privileged-options", TYPES.role, { ...goodRole(), creationStatements: [statement] })).toEqual([
            `creation statement grants SUPERUSER: "${statement}". Remove SUPERUSER; give credentials their privileges by membership in a NOLOGIN group role (CREATE ROLE ... IN ROLE <group>).`,
        ]);
    });

    it("flags CREATEDB hidden in a second statement of one string, and accepts NOCREATEDB", async () => {
        const messages = await violations("db-role-no-privileged-options", TYPES.role, {
            ...goodRole(),
            creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN NOCREATEDB VALID UNTIL '{{expiration}}'; ALTER ROLE "{{name}}" CREATEDB`],
        });
        expect(messages).toEqual([
            `creation statement grants CREATEDB: "ALTER ROLE "{{name}}" CREATEDB". Remove CREATEDB; give credentials their privileges by membership in a NOLOGIN group role (CREATE ROLE ... IN ROLE <group>).`,
        ]);
    });

    it("does not trip on keywords inside quoted names or passwords", async () => {
        expect(
            await violations("db-role-no-privileged-options", TYPES.role, {
                ...goodRole(),
                creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD 'SUPERUSER' VALID UNTIL '{{expiration}}' IN ROLE "replication"`],
            }),
        ).toEqual([]);
    });

    it("flags creation statements without VALID UNTIL '{{expiration}}'", async () => {
        expect(
            await violations("db-role-no-privileged-options", TYPES.role, { ...goodRole(), creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`] }),
        ).toEqual([
            "creation statements do not set VALID UNTIL '{{expiration}}': the user would outlive its lease if revocation fails. Add VALID UNTIL '{{expiration}}' to the CREATE ROLE statement.",
        ]);
    });
});

describe("db-role-safe-revocation", () => {
    it("passes the project's revocation statements", async () => {
        expect(await violations("db-role-safe-revocation", TYPES.role, goodRole())).toEqual([]);
    });

    it("flags a role without revocation statements", async () => {
        expect(await violations("db-role-safe-revocation", TYPES.role, { ...goodRole(), revocationStatements: undefined })).toEqual([
            'the role has no revocation statements: Vault\'s default revocation fails when the user owns objects. Add revocation statements: REASSIGN OWNED BY "{{name}}" TO <owner group>, DROP OWNED BY "{{name}}", DROP ROLE "{{name}}".',
        ]);
    });

    it("flags DROP OWNED before REASSIGN OWNED", async () => {
        expect(
            await violations("db-role-safe-revocation", TYPES.role, {
                ...goodRole(),
                revocationStatements: [`DROP OWNED BY "{{name}}"`, `REASSIGN OWNED BY "{{name}}" TO app_owner`, `DROP ROLE "{{name}}"`],
            }),
        ).toEqual([
            'revocation runs "DROP OWNED BY "{{name}}"" before any REASSIGN OWNED: it would delete every table the user created. Put REASSIGN OWNED BY "{{name}}" TO <owner group> before DROP OWNED.',
        ]);
    });
});

describe("db-role-bounded-ttl", () => {
    it("passes TTLs within the default cap", async () => {
        expect(await violations("db-role-bounded-ttl", TYPES.role, goodRole())).toEqual([]);
    });

    it("flags defaultTtl above maxTtl", async () => {
        expect(await violations("db-role-bounded-ttl", TYPES.role, { ...goodRole(), defaultTtl: 7200, maxTtl: 3600 })).toEqual([
            "defaultTtl 7200s exceeds maxTtl 3600s. Lower defaultTtl to at most maxTtl.",
        ]);
    });

    it("flags maxTtl over the cap, and honours a configured cap", async () => {
        expect(await violations("db-role-bounded-ttl", TYPES.role, { ...goodRole(), maxTtl: 172800 })).toEqual([
            "maxTtl 172800s exceeds the cap of 86400s. Lower maxTtl, or raise maxTtlCapSeconds in the policy pack config.",
        ]);
        expect(await violations("db-role-bounded-ttl", TYPES.role, { ...goodRole(), maxTtl: 172800 }, { maxTtlCapSeconds: 259200 })).toEqual([]);
        expect(await violations("db-role-bounded-ttl", TYPES.role, goodRole(), { maxTtlCapSeconds: 3600 })).toEqual([
            "maxTtl 86400s exceeds the cap of 3600s. Lower maxTtl, or raise maxTtlCapSeconds in the policy pack config.",
        ]);
    });

    it("flags missing TTLs", async () => {
        expect(await violations("db-role-bounded-ttl", TYPES.role, { ...goodRole(), maxTtl: undefined })).toEqual([
            "defaultTtl (3600) and maxTtl (unset) must both be set above 0, or the mount's defaults (up to 32 days) apply. Set both explicitly, maxTtl at most 86400s.",
        ]);
    });
});

describe("vault-policy-least-privilege", () => {
    it("passes the project's app policy", async () => {
        expect(await violations("vault-policy-least-privilege", TYPES.policy, goodPolicy())).toEqual([]);
    });

    it("flags a policy granting sys/*", async () => {
        const hcl = `path "sys/*" {\n  capabilities = ["read", "list"]\n}\n`;
        expect(await violations("vault-policy-least-privilege", TYPES.policy, { ...goodPolicy(), policy: hcl })).toEqual([
            'path "sys/*" grants ["read","list"] on all of sys/. Grant the exact sys/ paths needed instead (for leases: sys/leases/renew/<mount>/creds/<role>/*).',
        ]);
    });

    it("flags sudo", async () => {
        const hcl = `# admin\npath "database/creds/readonly" { capabilities = ["read", "sudo"] }`;
        expect(await violations("vault-policy-least-privilege", TYPES.policy, { ...goodPolicy(), policy: hcl })).toEqual([
            'path "database/creds/readonly" grants sudo. Remove "sudo": applications never need root-protected endpoints.',
        ]);
    });

    it("flags write capabilities on a wildcard path, but not read there", async () => {
        const hcl = `path "database/*" { capabilities = ["*"] }\npath "secret/data/+/config" { capabilities = ["read"] }`;
        expect(await violations("vault-policy-least-privilege", TYPES.policy, { ...goodPolicy(), policy: hcl })).toEqual([
            'wildcard path "database/*" grants ["*"]. On a wildcard path grant only read or list (update only on sys/leases/renew|revoke/<prefix>/*), or name the exact paths.',
        ]);
    });

    it("reads path blocks and ignores comments", () => {
        expect(parsePolicyPaths(`// c\npath "a/b" {\n capabilities = ["Read"] # x\n}\n# path "sys/*" { capabilities = ["sudo"] }`)).toEqual([
            { path: "a/b", capabilities: ["read"] },
        ]);
    });
});

describe("db-connection-verified and container-not-privileged", () => {
    it("passes a verified connection and an unprivileged container", async () => {
        expect(await violations("db-connection-verified", TYPES.connection, { verifyConnection: true })).toEqual([]);
        expect(await violations("db-connection-verified", TYPES.connection, {})).toEqual([]);
        expect(await violations("container-not-privileged", TYPES.container, { image: "postgres:18" })).toEqual([]);
    });

    it("flags verifyConnection: false and privileged: true", async () => {
        expect(await violations("db-connection-verified", TYPES.connection, { verifyConnection: false })).toEqual([
            "verifyConnection is off: a wrong URL or password would only fail when an app asks for credentials. Remove verifyConnection: false (it defaults to true).",
        ]);
        expect(await violations("container-not-privileged", TYPES.container, { image: "x", privileged: true })).toEqual([
            "the container runs privileged: it could take over the Docker host. Remove privileged: true; add only the capabilities it needs.",
        ]);
    });
});

describe("the dev stack through the whole pack", () => {
    it("registers resources of every checked type and has zero violations", async () => {
        const recorder = await installMocks("dev", loadStackConfig());
        const program = await import("../../index");
        await resolve(program.apps);
        const resources = (await recorder.settle()).map((resource) => ({ type: resource.type, name: resource.name, props: plain<Record<string, unknown>>(resource.inputs) }));
        for (const type of Object.values(TYPES)) {
            expect(resources.some((resource) => resource.type === type)).toBe(true);
        }
        expect(await validateResources(resources)).toEqual([]);
        // The same feed does catch a bad resource.
        const broken = resources.map((resource) => (resource.type === TYPES.policy ? { ...resource, props: { ...resource.props, policy: 'path "sys/*" { capabilities = ["read"] }' } } : resource));
        expect((await validateResources(broken)).map((violation) => violation.policy)).toContain("vault-policy-least-privilege");
    });
});
