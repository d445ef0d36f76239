/**
 * Each policy with a passing and a violating resource (one happy-path props factory per resource kind, one mutated
 * prop per case, exact messages), and the whole dev stack, run under mocks, fed through the pack.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { appPolicy, creationStatements, deployerPolicy, groupRoleNames, previewPolicy, renewStatements, revocationStatements } from "../../components";
import { installMocks, loadStackConfig, plain, resolve } from "../../test/helpers/pulumi-mocks";
import { configSchema } from "../config";
import { TYPES } from "../resource-types";
import {
    allPolicies,
    CHECKED_TYPES,
    containerNotPrivileged,
    dbConnectionTls,
    dbConnectionVerified,
    dbRoleBoundedTtl,
    dbRoleNoPrivilegedOptions,
    dbRoleSafeRevocation,
    vaultPolicyLeastPrivilege,
} from "../rules";
import { parsePolicyPaths } from "../vault-policy-parser";
import { runPolicy, validateResources } from "./util";

/** Runs one policy's validateResource on one resource, as the engine would; returns the reported messages. */
function violations(policy: ResourceValidationPolicy, type: string, props: Record<string, unknown>, config: Record<string, unknown> = {}): Promise<string[]> {
    return runPolicy(policy, { type, name: "subject", props }, config);
}

const groups = groupRoleNames("app");

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

const goodConnection = (): Record<string, unknown> => ({
    backend: "database",
    name: "app",
    allowedRoles: ["readonly", "readwrite"],
    verifyConnection: true,
    postgresql: { connectionUrl: "postgresql://{{username}}:{{password}}@postgres:5432/app", username: "vault_admin", password: "secret" },
});

const goodContainer = (): Record<string, unknown> => ({ name: "postgres", image: "postgres:18", privileged: false, restart: "unless-stopped" });

const hclPolicy = (path: string, capabilities: string[]): string => `path "${path}" {\n  capabilities = [${capabilities.map((c) => `"${c}"`).join(", ")}]\n}\n`;

describe("the pack", () => {
    it("has kebab-case, described, mandatory policies, each checking only its own resource type", async () => {
        expect(allPolicies.map((policy) => policy.name)).toEqual([
            "db-role-no-privileged-options",
            "db-role-safe-revocation",
            "db-role-bounded-ttl",
            "vault-policy-least-privilege",
            "jwt-role-bound",
            "db-connection-verified",
            "db-connection-tls",
            "container-not-privileged",
        ]);
        for (const policy of allPolicies) {
            expect(policy.name).toMatch(/^[a-z]+(-[a-z]+)+$/);
            expect(policy.description.length).toBeGreaterThan(20);
            expect(policy.enforcementLevel).toBe("mandatory");
            expect(await violations(policy, TYPES.password, { privileged: true, verifyConnection: false, policy: "x" })).toEqual([]);
        }
        expect(allPolicies.filter((policy) => policy.configSchema).map((policy) => policy.name)).toEqual(["db-role-bounded-ttl"]);
        expect(dbRoleBoundedTtl.configSchema).toBe(configSchema);
        expect(configSchema.properties.maxTtlCapSeconds).toMatchObject({ type: "integer", default: 86400 });
    });
});

describe("db-role-no-privileged-options", () => {
    it("passes the project's own creation statements", async () => {
        expect(await violations(dbRoleNoPrivilegedOptions, TYPES.role, goodRole())).toEqual([]);
        expect(await violations(dbRoleNoPrivilegedOptions, TYPES.role, { ...goodRole(), creationStatements: creationStatements("owner", groups) })).toEqual([]);
    });

    it("passes NOSUPERUSER, NOCREATEROLE, NOCREATEDB, NOREPLICATION and NOBYPASSRLS", async () => {
        const statement = `CREATE ROLE "{{name}}" WITH LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`;
        expect(await violations(dbRoleNoPrivilegedOptions, TYPES.role, { ...goodRole(), creationStatements: [statement] })).toEqual([]);
    });

    it("flags a role with SUPERUSER", async () => {
        const statement = `CREATE ROLE "{{name}}" WITH LOGIN SUPERUSER PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`;
        expect(await violations(dbRoleNoPrivilegedOptions, TYPES.role, { ...goodRole(), creationStatements: [statement] })).toEqual([
            `creation statement grants SUPERUSER: "${statement}". Remove SUPERUSER; give credentials their privileges by membership in a NOLOGIN group role (CREATE ROLE ... IN ROLE <group>).`,
        ]);
    });

    it("flags lower-case createrole", async () => {
        const statement = `create role "{{name}}" with login createrole password '{{password}}' valid until '{{expiration}}'`;
        expect(await violations(dbRoleNoPrivilegedOptions, TYPES.role, { ...goodRole(), creationStatements: [statement] })).toEqual([
            `creation statement grants CREATEROLE: "${statement}". Remove CREATEROLE; give credentials their privileges by membership in a NOLOGIN group role (CREATE ROLE ... IN ROLE <group>).`,
        ]);
    });

    it("flags CREATEDB hidden in a second statement of one string, and accepts NOCREATEDB", async () => {
        const messages = await violations(dbRoleNoPrivilegedOptions, TYPES.role, {
            ...goodRole(),
            creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN NOCREATEDB VALID UNTIL '{{expiration}}'; ALTER ROLE "{{name}}" CREATEDB`],
        });
        expect(messages).toEqual([
            `creation statement grants CREATEDB: "ALTER ROLE "{{name}}" CREATEDB". Remove CREATEDB; give credentials their privileges by membership in a NOLOGIN group role (CREATE ROLE ... IN ROLE <group>).`,
        ]);
    });

    it("does not trip on keywords that are quoted identifiers", async () => {
        const statement = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "replication", "Superuser ""x"""`;
        expect(await violations(dbRoleNoPrivilegedOptions, TYPES.role, { ...goodRole(), creationStatements: [statement] })).toEqual([]);
    });

    it("flags BYPASSRLS inside a string literal, which EXECUTE runs as SQL", async () => {
        const statement = `DO $$ BEGIN EXECUTE format('ALTER ROLE %I BYPASSRLS', '{{name}}')`;
        expect(
            await violations(dbRoleNoPrivilegedOptions, TYPES.role, { ...goodRole(), creationStatements: [...(goodRole().creationStatements as string[]), `${statement}; END $$`] }),
        ).toEqual([
            `creation statement grants BYPASSRLS: "${statement}". Remove BYPASSRLS; give credentials their privileges by membership in a NOLOGIN group role (CREATE ROLE ... IN ROLE <group>).`,
        ]);
    });

    it("flags creation statements without VALID UNTIL '{{expiration}}'", async () => {
        expect(
            await violations(dbRoleNoPrivilegedOptions, TYPES.role, { ...goodRole(), creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`] }),
        ).toEqual([
            "creation statements do not set VALID UNTIL '{{expiration}}': the user would outlive its lease if revocation fails. Add VALID UNTIL '{{expiration}}' to the CREATE ROLE statement.",
        ]);
    });
});

describe("db-role-safe-revocation", () => {
    const noRevocation =
        'the role has no revocation statements: Vault\'s default revocation fails when the user owns objects. Add revocation statements: REASSIGN OWNED BY "{{name}}" TO <owner group>, DROP OWNED BY "{{name}}", DROP ROLE "{{name}}".';

    it("passes the project's revocation statements", async () => {
        expect(await violations(dbRoleSafeRevocation, TYPES.role, goodRole())).toEqual([]);
    });

    it("passes REASSIGN then DROP OWNED within one string", async () => {
        const statements = [`REASSIGN OWNED BY "{{name}}" TO app_owner; DROP OWNED BY "{{name}}"; DROP ROLE "{{name}}"`];
        expect(await violations(dbRoleSafeRevocation, TYPES.role, { ...goodRole(), revocationStatements: statements })).toEqual([]);
    });

    it("flags a role without revocation statements", async () => {
        expect(await violations(dbRoleSafeRevocation, TYPES.role, { ...goodRole(), revocationStatements: undefined })).toEqual([noRevocation]);
    });

    it("flags revocation statements that are only blanks", async () => {
        expect(await violations(dbRoleSafeRevocation, TYPES.role, { ...goodRole(), revocationStatements: ["  ", ";"] })).toEqual([noRevocation]);
    });

    it("flags DROP OWNED before REASSIGN OWNED", async () => {
        expect(
            await violations(dbRoleSafeRevocation, TYPES.role, {
                ...goodRole(),
                revocationStatements: [`DROP OWNED BY "{{name}}"`, `REASSIGN OWNED BY "{{name}}" TO app_owner`, `DROP ROLE "{{name}}"`],
            }),
        ).toEqual([
            'revocation runs "DROP OWNED BY "{{name}}"" before any REASSIGN OWNED: it would delete every table the user created. Put REASSIGN OWNED BY "{{name}}" TO <owner group> before DROP OWNED.',
        ]);
    });

    it("flags DROP OWNED with no REASSIGN OWNED at all", async () => {
        expect(await violations(dbRoleSafeRevocation, TYPES.role, { ...goodRole(), revocationStatements: [`drop owned by "{{name}}"; drop role "{{name}}"`] })).toEqual([
            'revocation runs "drop owned by "{{name}}"" before any REASSIGN OWNED: it would delete every table the user created. Put REASSIGN OWNED BY "{{name}}" TO <owner group> before DROP OWNED.',
        ]);
    });
});

describe("db-role-bounded-ttl", () => {
    it("passes TTLs within the default cap", async () => {
        expect(await violations(dbRoleBoundedTtl, TYPES.role, goodRole())).toEqual([]);
    });

    it("flags defaultTtl above maxTtl", async () => {
        expect(await violations(dbRoleBoundedTtl, TYPES.role, { ...goodRole(), defaultTtl: 90000 })).toEqual([
            "defaultTtl 90000s exceeds maxTtl 86400s. Lower defaultTtl to at most maxTtl.",
        ]);
    });

    it("flags maxTtl over the default cap", async () => {
        expect(await violations(dbRoleBoundedTtl, TYPES.role, { ...goodRole(), maxTtl: 172800 })).toEqual([
            "maxTtl 172800s exceeds the cap of 86400s. Lower maxTtl, or raise maxTtlCapSeconds in the policy pack config.",
        ]);
    });

    it("honours maxTtlCapSeconds from the pack config, raised or lowered", async () => {
        expect(await violations(dbRoleBoundedTtl, TYPES.role, { ...goodRole(), maxTtl: 172800 }, { maxTtlCapSeconds: 259200 })).toEqual([]);
        expect(await violations(dbRoleBoundedTtl, TYPES.role, goodRole(), { maxTtlCapSeconds: 3600 })).toEqual([
            "maxTtl 86400s exceeds the cap of 3600s. Lower maxTtl, or raise maxTtlCapSeconds in the policy pack config.",
        ]);
    });

    it("flags a missing maxTtl", async () => {
        expect(await violations(dbRoleBoundedTtl, TYPES.role, { ...goodRole(), maxTtl: undefined })).toEqual([
            "defaultTtl (3600) and maxTtl (unset) must both be set above 0, or the mount's defaults (up to 32 days) apply. Set both explicitly, maxTtl at most 86400s.",
        ]);
    });

    it("flags a defaultTtl of 0", async () => {
        expect(await violations(dbRoleBoundedTtl, TYPES.role, { ...goodRole(), defaultTtl: 0 })).toEqual([
            "defaultTtl (0) and maxTtl (86400) must both be set above 0, or the mount's defaults (up to 32 days) apply. Set both explicitly, maxTtl at most 86400s.",
        ]);
    });

    it("rejects a pack config that is not a whole number of seconds", async () => {
        await expect(violations(dbRoleBoundedTtl, TYPES.role, goodRole(), { maxTtlCapSeconds: "1d" })).rejects.toThrow(
            'policy pack config: maxTtlCapSeconds = "1d": must be a whole number of seconds, 1 or more',
        );
    });
});

describe("vault-policy-least-privilege", () => {
    const sysMessage = (path: string, capabilities: string[]): string =>
        `path "${path}" grants ${JSON.stringify(capabilities)} on sys/ without naming an exact sys/ endpoint. ` +
        "Name the exact sys/ paths needed (for leases: sys/leases/renew/<mount>/creds/<role>/* and sys/leases/revoke/<mount>/creds/<role>/*).";
    const wildcardMessage = (path: string, capabilities: string[]): string =>
        `wildcard path "${path}" grants ${JSON.stringify(capabilities)}. ` +
        "On a wildcard path grant only read or list (update only on sys/leases/renew|revoke/<mount>/creds/<role>/*), or name the exact paths.";

    it("passes the project's app policy, lease wildcards and token self-service included", async () => {
        const policy = goodPolicy().policy as string;
        expect(parsePolicyPaths(policy)).toContainEqual({ path: "sys/leases/renew/database/creds/readonly/*", capabilities: ["update"] });
        expect(parsePolicyPaths(policy)).toContainEqual({ path: "sys/leases/revoke/database/creds/readwrite/*", capabilities: ["update"] });
        expect(parsePolicyPaths(policy)).toContainEqual({ path: "auth/token/renew-self", capabilities: ["update"] });
        expect(parsePolicyPaths(policy)).toContainEqual({ path: "sys/leases/renew", capabilities: ["update"] });
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, goodPolicy())).toEqual([]);
    });

    it.each(["sys/leases/renew", "sys/renew"])("passes update on %s (renewal with the lease id in the body)", async (path) => {
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy: hclPolicy(path, ["update"]) })).toEqual([]);
    });

    it("flags any write but update on the body form of renew", async () => {
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy: hclPolicy("sys/leases/renew", ["create", "update"]) })).toEqual([
            'path "sys/leases/renew" grants ["create","update"]. Renewing a lease given in the body needs only ["update"]; grant nothing else there.',
        ]);
    });

    it.each(["sys/leases/revoke", "sys/revoke"])("flags %s: revocation with the lease id in the body reaches every lease", async (path) => {
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy: hclPolicy(path, ["update"]) })).toEqual([
            `path "${path}" grants ["update"]: it revokes the lease named in the body, so a token could end other apps' leases. ` +
                "Grant revoke only as sys/leases/revoke/<mount>/creds/<role>/* for the app's own roles.",
        ]);
    });

    it("passes a deny on the body form of revoke", async () => {
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy: hclPolicy("sys/leases/revoke", ["deny"]) })).toEqual([]);
    });

    it("flags a policy granting sys/*", async () => {
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy: hclPolicy("sys/*", ["read", "list"]) })).toEqual([
            sysMessage("sys/*", ["read", "list"]),
        ]);
    });

    it.each(["sys", "sys/", "sys/+", "sys/+/tune", "sys*", "*"])("flags %s as a grant on sys/ as a whole", async (path) => {
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy: hclPolicy(path, ["read"]) })).toEqual([sysMessage(path, ["read"])]);
    });

    it("passes exact sys/ endpoints and a deny on sys/*", async () => {
        const policy = hclPolicy("sys/leases/lookup", ["update"]) + hclPolicy("sys/capabilities-self", ["update"]) + hclPolicy("sys/*", ["deny"]);
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy })).toEqual([]);
    });

    it("flags sudo", async () => {
        const policy = `# admin\npath "database/creds/readonly" { capabilities = ["read", "sudo"] }`;
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy })).toEqual([
            'path "database/creds/readonly" grants sudo. Remove "sudo": applications never need root-protected endpoints, and a deployer only on sys/auth/<path>, sys/audit and sys/leases/revoke-prefix/<mount>/creds/<role>.',
        ]);
    });

    it("passes the stack's own deployer and preview policies (CI's vault.Policy resources), sudo on exact endpoints included", async () => {
        const scope = {
            mountPath: "database",
            connectionNames: ["app"],
            roleNames: ["readonly"],
            approlePath: "approle",
            appRoleNames: ["web"],
            policyNames: ["web-db", "ci-preview", "ci-deployer"],
            jwtAuthPaths: ["kubernetes", "github-actions"],
            jwtRoles: [{ path: "github-actions", name: "ci-deploy" }],
            auditPath: "file",
            sharedMount: true,
        };
        for (const policy of [deployerPolicy(scope), previewPolicy(scope)]) {
            expect(policy).toContain('"sudo"');
            expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy })).toEqual([]);
        }
    });

    it("flags sudo on a wildcard auth path", async () => {
        const policy = hclPolicy("sys/auth/*", ["read", "sudo"]);
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy })).toEqual([
            'path "sys/auth/*" grants sudo. Remove "sudo": applications never need root-protected endpoints, and a deployer only on sys/auth/<path>, sys/audit and sys/leases/revoke-prefix/<mount>/creds/<role>.',
            wildcardMessage("sys/auth/*", ["sudo"]),
        ]);
    });

    it("flags write capabilities on a wildcard path, but not read there", async () => {
        const policy = hclPolicy("database/*", ["*"]) + hclPolicy("secret/data/+/config", ["read", "list"]);
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy })).toEqual([wildcardMessage("database/*", ["*"])]);
    });

    it("flags update on every lease, and delete on one role's leases", async () => {
        const policy = hclPolicy("sys/leases/revoke/*", ["update"]) + hclPolicy("sys/leases/renew/database/creds/readonly/*", ["update", "delete"]);
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy })).toEqual([
            wildcardMessage("sys/leases/revoke/*", ["update"]),
            wildcardMessage("sys/leases/renew/database/creds/readonly/*", ["update", "delete"]),
        ]);
    });

    it("finds capabilities after a nested allowed_parameters block", async () => {
        const policy = `path "secret/data/*" {\n  allowed_parameters = { "ttl" = [] }\n  capabilities = ["create"]\n}\n`;
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy })).toEqual([wildcardMessage("secret/data/*", ["create"])]);
    });

    it("reads JSON policies too", async () => {
        const policy = JSON.stringify({ path: { "sys/*": { capabilities: ["read"] } } });
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy })).toEqual([sysMessage("sys/*", ["read"])]);
    });

    it("flags a policy it cannot read rather than passing it", async () => {
        expect(await violations(vaultPolicyLeastPrivilege, TYPES.policy, { ...goodPolicy(), policy: 'path "sys/*" { capabilities = ["sudo"]' })).toEqual([
            'the policy cannot be read (unbalanced braces), so its grants cannot be checked. Write it as path "<path>" { capabilities = ["read"] } blocks, one per path.',
        ]);
    });

    it("reads both HCL block forms, skips comments and unescapes strings", () => {
        const policy = [
            "// a comment",
            'path "a/b" {\n capabilities = ["Read"] # trailing\n}',
            '# path "sys/*" { capabilities = ["sudo"] }',
            '/* path "x" {} */ path "c/\\u0024{d}" = { capabilities = ["list"] }',
            'path = { "e/f" = { capabilities = ["update"] }, "g" { capabilities = [] } }',
        ].join("\n");
        expect(parsePolicyPaths(policy)).toEqual([
            { path: "a/b", capabilities: ["read"] },
            { path: "c/${d}", capabilities: ["list"] },
            { path: "e/f", capabilities: ["update"] },
            { path: "g", capabilities: [] },
        ]);
    });
});

describe("db-connection-verified", () => {
    it("passes a verified connection, and one that leaves verifyConnection to the provider default", async () => {
        expect(await violations(dbConnectionVerified, TYPES.connection, goodConnection())).toEqual([]);
        expect(await violations(dbConnectionVerified, TYPES.connection, { ...goodConnection(), verifyConnection: undefined })).toEqual([]);
    });

    it("flags verifyConnection: false", async () => {
        expect(await violations(dbConnectionVerified, TYPES.connection, { ...goodConnection(), verifyConnection: false })).toEqual([
            "verifyConnection is off: a wrong URL or password would only fail when an app asks for credentials. Remove verifyConnection: false (it defaults to true).",
        ]);
    });
});

describe("db-connection-tls", () => {
    const withUrl = (connectionUrl: string): Record<string, unknown> => ({ ...goodConnection(), postgresql: { ...(goodConnection().postgresql as object), connectionUrl } });

    it("passes a connection that verifies the server, and one that never leaves the machine", async () => {
        for (const url of [
            "postgresql://{{username}}:{{password}}@vault-pg-dev-postgres:5432/app?sslmode=verify-full",
            "postgresql://{{username}}:{{password}}@db1:5432,db2:5432/app?sslmode=verify-ca&target_session_attrs=read-write",
            "postgresql://{{username}}:{{password}}@db:5432/app?sslmode=verify-full&sslrootcert=/etc/vault-pg/tls/ca.crt",
            "postgresql://{{username}}:{{password}}@127.0.0.1:5432/app?sslmode=disable",
        ]) {
            expect(await violations(dbConnectionTls, TYPES.connection, withUrl(url))).toEqual([]);
        }
    });

    it("flags a connection to another host that does not verify, saying whether it may even be in clear", async () => {
        expect(await violations(dbConnectionTls, TYPES.connection, withUrl("postgresql://{{username}}:{{password}}@db.internal:5432/app?sslmode=require"))).toEqual([
            "Vault connects to db.internal with sslmode=require: credentials and the Vault admin's password cross unverified. Use verify-full with the server's CA (TLS on for the stack's containers; postgresCaCertificate for an existing server).",
        ]);
        expect(await violations(dbConnectionTls, TYPES.connection, withUrl("postgresql://{{username}}:{{password}}@pg:5432/app?sslmode=disable"))).toEqual([
            "Vault connects to pg with sslmode=disable: credentials and the Vault admin's password cross unverified and may cross in clear. Use verify-full with the server's CA (TLS on for the stack's containers; postgresCaCertificate for an existing server).",
        ]);
        // No sslmode is pgx's default, prefer: plain text where the server offers no TLS.
        expect(await violations(dbConnectionTls, TYPES.connection, goodConnection())).toHaveLength(1);
    });
});

describe("container-not-privileged", () => {
    it("passes an unprivileged container", async () => {
        expect(await violations(containerNotPrivileged, TYPES.container, goodContainer())).toEqual([]);
    });

    it("flags privileged: true", async () => {
        expect(await violations(containerNotPrivileged, TYPES.container, { ...goodContainer(), privileged: true })).toEqual([
            "the container runs privileged: it could take over the Docker host. Remove privileged: true; add only the capabilities it needs.",
        ]);
    });

    it("allows IPC_LOCK, which a server-mode Vault needs to lock its memory, in Docker's spellings", async () => {
        for (const capability of ["IPC_LOCK", "CAP_IPC_LOCK", "ipc_lock"]) {
            expect(await violations(containerNotPrivileged, TYPES.container, { ...goodContainer(), capabilities: { adds: [capability] } })).toEqual([]);
        }
    });

    it("flags any other added capability, also beside IPC_LOCK", async () => {
        const props = { ...goodContainer(), capabilities: { adds: ["IPC_LOCK", "SYS_ADMIN", "NET_ADMIN"] } };
        expect(await violations(containerNotPrivileged, TYPES.container, props)).toEqual([
            'the container adds capability "SYS_ADMIN"; only IPC_LOCK (memory locking for a Vault server) is allowed.',
            'the container adds capability "NET_ADMIN"; only IPC_LOCK (memory locking for a Vault server) is allowed.',
        ]);
    });
});

describe("validateResources", () => {
    it("names policy, resource and message, and passes the TTL cap on", async () => {
        const resources = [
            { type: TYPES.role, name: "long", props: { ...goodRole(), maxTtl: 172800 } },
            { type: TYPES.container, name: "pg", props: goodContainer() },
        ];
        expect(await validateResources(resources)).toEqual([
            { policy: "db-role-bounded-ttl", resource: "long", message: "maxTtl 172800s exceeds the cap of 86400s. Lower maxTtl, or raise maxTtlCapSeconds in the policy pack config." },
        ]);
        expect(await validateResources(resources, { maxTtlCapSeconds: 172800 })).toEqual([]);
    });

    it("passes every resource of the dev stack, and catches one broken resource in it", async () => {
        const recorder = await installMocks("dev", loadStackConfig());
        const program = await import("../../index");
        await resolve(program.apps);
        const resources = (await recorder.settle()).map((resource) => ({ type: resource.type, name: resource.name, props: plain<Record<string, unknown>>(resource.inputs) }));
        // JWT logins are opt-in: tests/jwt-stack.test.ts runs the pack over a stack that has them.
        for (const type of CHECKED_TYPES.filter((checked) => checked !== TYPES.jwtRole)) {
            expect([type, resources.some((resource) => resource.type === type)]).toEqual([type, true]);
        }
        expect(await validateResources(resources)).toEqual([]);
        const broken = resources.map((resource) => (resource.type === TYPES.policy ? { ...resource, props: { ...resource.props, policy: hclPolicy("sys/*", ["read"]) } } : resource));
        const found = await validateResources(broken);
        expect(found.length).toBe(resources.filter((resource) => resource.type === TYPES.policy).length);
        expect(new Set(found.map((violation) => violation.policy))).toEqual(new Set(["vault-policy-least-privilege"]));
    });
});
