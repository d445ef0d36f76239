/**
 * Server mode under mocks: the stack with `vaultMode: server` (HashiCorp Vault with file storage, and OpenBao with
 * raft), rotate-root, the rendered server config and the deployer policy text.
 */
import { deployerPolicy } from "../../components/deployer-policy";
import { serverConfigHcl } from "../../components/server-config";
import { parsePolicyPaths as parsePolicy } from "../../policies/rules";
import * as pulumi from "@pulumi/pulumi";
import { findResource, installMocks, isSecret, loadStackConfig, plain, RecordedResource, resolve, TYPES } from "../helpers/pulumi-mocks";

const UNSEAL = "pulumi-nodejs:dynamic/vault-pg:VaultUnseal";

interface LifecycleRequest {
    getName(): string;
    getDeletedwith(): string;
    getReplaceWithList(): string[];
}
const AUDIT = "vault:index/audit:Audit";
const ENDPOINT = "vault:generic/endpoint:Endpoint";

describe("server config file", () => {
    const common = {
        listenAddress: "0.0.0.0:8200",
        clusterListenAddress: "0.0.0.0:8201",
        storagePath: "/vault/file",
        apiAddr: "http://v:8200",
        clusterAddr: "http://v:8201",
        nodeId: "v",
        auditLogPath: "/vault/logs/audit.log",
    };

    it("HashiCorp Vault with file storage locks memory: no disable_mlock, no raft addresses, no audit stanza; Prometheus telemetry", () => {
        expect(serverConfigHcl({ ...common, flavor: "vault", storage: "file" })).toBe(
            [
                'storage "file" {',
                '  path = "/vault/file"',
                "}",
                "",
                'listener "tcp" {',
                '  address         = "0.0.0.0:8200"',
                "  tls_disable     = true",
                "}",
                "",
                'api_addr = "http://v:8200"',
                "",
                "telemetry {",
                '  prometheus_retention_time = "1h"',
                "  disable_hostname          = true",
                "}",
                "",
            ].join("\n"),
        );
    });

    it("metrics need a token unless asked otherwise; then the listener lets a scraper in without one, with or without TLS", () => {
        const open = ["  telemetry {", "    unauthenticated_metrics_access = true", "  }", "}"].join("\n");
        for (const tls of [false, true]) {
            expect(serverConfigHcl({ ...common, flavor: "openbao", storage: "raft", tls })).not.toContain("unauthenticated_metrics_access");
            const text = serverConfigHcl({ ...common, flavor: "openbao", storage: "raft", tls, unauthenticatedMetrics: true });
            // Inside the listener block, after its last setting.
            expect(text.slice(text.indexOf('listener "tcp"'), text.indexOf("api_addr"))).toContain(`${tls ? '  tls_min_version = "tls12"' : "  tls_disable     = true"}\n${open}`);
        }
    });

    it("HashiCorp Vault with raft disables mlock and names its cluster address", () => {
        const text = serverConfigHcl({ ...common, flavor: "vault", storage: "raft" });
        expect(text).toContain('storage "raft" {\n  path    = "/vault/file"\n  node_id = "v"\n}');
        expect(text).toContain('  cluster_address = "0.0.0.0:8201"');
        expect(text).toContain('cluster_addr = "http://v:8201"');
        expect(text).toMatch(/\ndisable_mlock = true\n/);
        expect(text).not.toContain("audit");
    });

    it("OpenBao: no mlock setting at all (an error there), and the audit device declared in the file", () => {
        const text = serverConfigHcl({ ...common, flavor: "openbao", storage: "raft", auditLogPath: "/openbao/logs/audit.log" });
        expect(text).not.toContain("mlock");
        expect(text).toContain('audit "file" "file" {\n  description = "Every request and response; secrets HMAC\'d"\n  options {\n    file_path = "/openbao/logs/audit.log"\n  }\n}\n');
    });
});

describe("deployer policy", () => {
    const scope = { mountPath: "db", connectionNames: ["app"], rotateRoot: true, roleNames: ["ro"], approlePath: "approle", appRoleNames: ["web"], policyNames: ["web-db"] };

    it("names exactly the stack's paths, each with the capabilities its provider calls need", () => {
        expect(parsePolicy(deployerPolicy(scope))).toEqual([
            { path: "auth/token/create", capabilities: ["update"] },
            { path: "auth/token/lookup-self", capabilities: ["read"] },
            { path: "sys/mounts/db", capabilities: ["create", "read", "update", "delete"] },
            { path: "sys/mounts/db/tune", capabilities: ["read", "update"] },
            { path: "db/config/app", capabilities: ["create", "read", "update", "delete"] },
            { path: "db/rotate-root/app", capabilities: ["update"] },
            { path: "db/roles/ro", capabilities: ["create", "read", "update", "delete"] },
            { path: "sys/policies/acl/web-db", capabilities: ["create", "read", "update", "delete"] },
            { path: "sys/auth/approle", capabilities: ["create", "read", "update", "delete", "sudo"] },
            { path: "sys/mounts/auth/approle/tune", capabilities: ["read", "update"] },
            { path: "auth/approle/role/web", capabilities: ["create", "read", "update", "delete"] },
            { path: "auth/approle/role/web/role-id", capabilities: ["read", "update"] },
        ]);
    });

    it("names every connection config of the layout, and rotate-root only when the stack rotates", () => {
        const paths = parsePolicy(deployerPolicy({ ...scope, connectionNames: ["app-ro", "app-rw"], rotateRoot: false })).map((rule) => rule.path);
        expect(paths.filter((path) => path.startsWith("db/config/") || path.startsWith("db/rotate-root/"))).toEqual(["db/config/app-ro", "db/config/app-rw"]);
    });

    it("grants nothing on a wildcard, on creds or on secret ids; audit rules only with an audit device", () => {
        const paths = parsePolicy(deployerPolicy(scope)).map((rule) => rule.path);
        expect(paths.filter((path) => /[*+]|\/creds\/|secret-id|sys\/raw/.test(path))).toEqual([]);
        expect(paths.some((path) => path.startsWith("sys/audit"))).toBe(false);
        expect(parsePolicy(deployerPolicy({ ...scope, auditPath: "file" })).filter((rule) => rule.path.startsWith("sys/audit"))).toEqual([
            { path: "sys/audit/file", capabilities: ["create", "read", "update", "delete", "sudo"] },
            { path: "sys/audit", capabilities: ["read", "sudo"] },
        ]);
    });
});

describe("stack config for server mode", () => {
    const roles = JSON.stringify([{ name: "readonly", access: "readonly", defaultTtl: "1h", maxTtl: "24h" }]);

    it("takes vaultToken without vaultAddress as the token for the stack's own server (a deployer token)", async () => {
        const { readStackConfig } = await import("../../components/validate");
        const { secret } = await import("@pulumi/pulumi");
        const settings = readStackConfig({ roles, vaultMode: "server", vaultToken: secret("deployer-token") });
        expect(settings.existingVault).toBeUndefined();
        expect(await resolve(settings.vault.token!)).toBe("deployer-token");
        expect(settings.vault).toMatchObject({ mode: "server", unsealShares: 5, unsealThreshold: 3, storage: "raft" });
        expect(settings.rotateRootCredentials).toBeUndefined();
    });

    it("keeps refusing vaultToken without vaultAddress in dev mode", async () => {
        const { readStackConfig } = await import("../../components/validate");
        const { secret } = await import("@pulumi/pulumi");
        expect(() => readStackConfig({ roles, vaultToken: secret("t") })).toThrow(
            'stack config (vault-pg): vaultToken = "[secret]": applies only to an existing Vault; set vaultAddress too',
        );
    });
});

describe("the stack in server mode (HashiCorp Vault, file storage, rotation on)", () => {
    let all: RecordedResource[];
    let program: typeof import("../../index");
    const inputs = <T = Record<string, unknown>>(type: string, name: string): T => plain<T>(findResource(all, type, name).inputs);
    const vaultName = "vault-pg-dev-vault";

    /** Resource name → its deletedWith and replaceWith URNs, read off the registration as the engine gets it. */
    const lifecycle = new Map<string, { deletedWith: string; replaceWith: string[] }>();

    beforeAll(async () => {
        const recorder = await installMocks("dev", { ...loadStackConfig(), vaultMode: "server", vaultStorage: "file", rotateRootCredentials: "true", vaultUnsealShares: "7", vaultUnsealThreshold: "4" });
        const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: LifecycleRequest, callback: unknown): void };
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, callback) => {
            lifecycle.set(req.getName(), { deletedWith: req.getDeletedwith(), replaceWith: req.getReplaceWithList() });
            register(req, callback);
        };
        program = await import("../../index");
        all = await recorder.settle();
    });

    it("ties what lives only in the server to the data volume, not the container: a new container keeps it all", () => {
        const volume = findResource(all, TYPES.volume, `${vaultName}-data`).urn;
        const serverBound = all.filter((resource) => resource.custom && (resource.type.startsWith("vault:") || resource.type === UNSEAL));
        expect(serverBound.length).toBeGreaterThanOrEqual(12);
        for (const resource of serverBound) {
            expect([resource.name, lifecycle.get(resource.name)?.replaceWith]).toEqual([resource.name, [volume]]);
        }
        // The mount's children go with the mount, and the mount is deleted on its own (unmounting revokes the leases
        // and drops their users); everything else goes with the volume.
        const mount = findResource(all, "vault:index/mount:Mount", "vault-pg-dev-engine-mount").urn;
        const deletedWith = new Set(serverBound.map((resource) => lifecycle.get(resource.name)?.deletedWith));
        expect([...deletedWith].sort()).toEqual(["", mount, volume].sort());
        expect(lifecycle.get("vault-pg-dev-engine-mount")?.deletedWith).toBe("");
    });

    it("runs `server` with the rendered config uploaded into the image's config dir, data and logs on named volumes", () => {
        const container = inputs<{ command: string[]; uploads: { file: string; content: string }[]; volumes: { volumeName: string; containerPath: string }[]; envs: string[]; capabilities: { adds: string[] } }>(TYPES.container, vaultName);
        expect(container.command).toEqual(["server"]);
        // The config, and the TLS files (on by default): certificate, CA, and the key the wrapper hands to the vault user.
        expect(container.uploads.map((upload) => upload.file)).toEqual(["/vault/config/server.hcl", "/etc/vault-pg/tls/server.crt", "/etc/vault-pg/tls/ca.crt", "/etc/vault-pg/tls/server.key"]);
        expect(container.uploads[0].content).toContain('storage "file" {\n  path = "/vault/file"\n}');
        expect(container.uploads[0].content).toContain(`api_addr = "https://${vaultName}:8200"`);
        expect(container.uploads[0].content).toContain('tls_key_file    = "/run/vault-pg/tls/server.key"');
        expect(container.volumes).toEqual([
            { volumeName: `${vaultName}-data`, containerPath: "/vault/file" },
            { volumeName: `${vaultName}-logs`, containerPath: "/vault/logs" },
        ]);
        // mlock needs the entrypoint's setcap, which needs IPC_LOCK: no SKIP_SETCAP, and the capability added.
        expect(container.capabilities.adds).toEqual(["IPC_LOCK"]);
        expect(container.envs.filter((env) => env.startsWith("SKIP_SETCAP"))).toEqual([]);
    });

    it("initialises with the configured shares through the unseal step, whose keys and token are secret outputs", () => {
        const unseal = findResource(all, UNSEAL, `${vaultName}-unseal`);
        expect(plain(unseal.inputs)).toMatchObject({ address: "https://127.0.0.1:18200", shares: 7, threshold: 4 });
        // It talks to the server over TLS, verifying with the stack CA.
        expect(plain<{ caCertificate: string }>(unseal.inputs).caCertificate).toContain("BEGIN CERTIFICATE");
        expect(unseal.additionalSecretOutputs.sort()).toEqual(["rootToken", "unsealKeys"]);
        const container = findResource(all, TYPES.container, vaultName);
        expect(unseal.dependencies).toContain(container.urn);
    });

    it("configures the Vault provider only after the unseal step", () => {
        const provider = findResource(all, TYPES.vaultProvider, `${vaultName}-provider`);
        expect(provider.dependencies).toContain(findResource(all, UNSEAL, `${vaultName}-unseal`).urn);
    });

    it("enables a file audit device on the logs volume", () => {
        expect(inputs(AUDIT, `${vaultName}-audit`)).toEqual({ type: "file", path: "file", description: "Every request and response; secrets HMAC'd", options: { file_path: "/vault/logs/audit.log" } });
    });

    it("sends the admin password write-only, and rotates root once, after the connection, never read or deleted", () => {
        const connection = inputs<{ postgresql: Record<string, unknown> }>(TYPES.connection, "vault-pg-dev-engine-connection");
        expect(connection.postgresql.password).toBeUndefined();
        expect(connection.postgresql.passwordWo).toBe("mock-password-vault-pg-dev-access-vault-admin-password");
        expect(connection.postgresql.passwordWoVersion).toBe(1);
        const rotation = findResource(all, ENDPOINT, "vault-pg-dev-engine-rotate-root-v1");
        expect(plain(rotation.inputs)).toEqual({ path: "database/rotate-root/app", dataJson: "{}", disableRead: true, disableDelete: true });
        expect(rotation.dependencies).toContain(findResource(all, TYPES.connection, "vault-pg-dev-engine-connection").urn);
    });

    it("exports no Vault admin password once Vault rotates it: the generated one no longer logs in", async () => {
        expect(await resolve(program.vaultAdmins)).toEqual({ app: "vault_admin" });
        expect(await resolve(program.vaultAdminPasswords)).toEqual({});
        expect(await isSecret(program.vaultAdminPasswords)).toBe(true);
    });

    it("OpenBao in server mode: raft, no added capability, and the audit device in its config file, not a resource", async () => {
        const { VaultServer } = await import("../../components");
        const recorder = await installMocks("dev");
        new VaultServer("bao", { flavor: "openbao", mode: "server", hostPort: 28200 });
        const recorded = await recorder.settle();
        const container = plain<{ uploads: { file: string; content: string }[]; capabilities?: unknown; volumes: { containerPath: string }[] }>(findResource(recorded, TYPES.container, "bao").inputs);
        expect(container.uploads[0].file).toBe("/openbao/config/server.hcl");
        expect(container.uploads[0].content).toContain('storage "raft" {\n  path    = "/openbao/file"\n  node_id = "bao"\n}');
        expect(container.uploads[0].content).toContain('    file_path = "/openbao/logs/audit.log"');
        expect(container.capabilities).toBeUndefined();
        expect(container.volumes.map((volume) => volume.containerPath)).toEqual(["/openbao/file", "/openbao/logs"]);
        expect(recorded.filter((resource) => resource.type === AUDIT)).toEqual([]);
    });

    it("exports the unseal keys and root token as secrets, the mode, and the deployer policy with the audit rules", async () => {
        expect(await resolve(program.vaultMode)).toBe("server");
        expect(await isSecret(program.vaultUnsealKeys!)).toBe(true);
        expect(await isSecret(program.vaultRootToken!)).toBe(true);
        const policy = parsePolicy(await resolve(program.deployerPolicy));
        expect(policy.map((rule) => rule.path)).toEqual(
            expect.arrayContaining(["sys/audit/file", "database/rotate-root/app", "sys/policies/acl/web-db", "auth/approle/role/reports", "sys/policies/acl/vault-pg-backup", "sys/policies/acl/vault-pg-metrics"]),
        );
    });

    it("declares a backup and a metrics policy, each one path and its own token, gone with the data volume; outputs their names", async () => {
        expect(await resolve(program.vaultBackupPolicy!)).toBe("vault-pg-backup");
        expect(await resolve(program.vaultMetricsPolicy!)).toBe("vault-pg-metrics");
        const ownToken = [
            { path: "auth/token/renew-self", capabilities: ["update"] },
            { path: "auth/token/lookup-self", capabilities: ["read"] },
        ];
        const backup = findResource(all, TYPES.policy, "vault-pg-dev-vault-backup-policy");
        const metrics = findResource(all, TYPES.policy, "vault-pg-dev-vault-metrics-policy");
        expect(parsePolicy(plain<{ policy: string }>(backup.inputs).policy)).toEqual([{ path: "sys/storage/raft/snapshot", capabilities: ["read"] }, ...ownToken]);
        expect(parsePolicy(plain<{ policy: string }>(metrics.inputs).policy)).toEqual([{ path: "sys/metrics", capabilities: ["read"] }, ...ownToken]);
        const volume = findResource(all, TYPES.volume, `${vaultName}-data`).urn;
        for (const policy of [backup, metrics]) expect(lifecycle.get(policy.name)).toEqual({ deletedWith: volume, replaceWith: [volume] });
    });
});
