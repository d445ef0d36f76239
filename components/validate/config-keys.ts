/**
 * The stack config keys (namespace `vault-pg:`), declared once: the type index.ts reads each as, the default and
 * description Pulumi.yaml declares, and the config table row of docs/configuration.md. `npm run sync-config` writes
 * Pulumi.yaml's `config:` section and that table from this one; test/unit/config-keys.test.ts fails when they differ.
 *
 * "secret" keys are read with `getSecret` and "list" and "object" keys are set per stack: none appears in Pulumi.yaml, since a
 * typed key there without a default is required by the CLI. An empty default means "not set".
 */
import { DEFAULTS } from "./settings";

export interface ConfigKey {
    type: "string" | "integer" | "boolean" | "list" | "object" | "secret";
    /** Pulumi.yaml's default (scalar keys only). */
    default?: string | number | boolean;
    /** Pulumi.yaml's description (scalar keys only). */
    description?: string;
    /** The config table's row (docs/configuration.md): type, default and meaning, as Markdown; links relative to docs/. */
    docs: { type: string; default: string; meaning: string };
}

export const CONFIG_KEYS = {
    flavor: {
        type: "string",
        default: DEFAULTS.flavor,
        description: "\"vault\" (HashiCorp Vault) or \"openbao\"",
        docs: { type: "`vault` \\| `openbao`", default: "`vault`", meaning: "server flavor: image and dev-mode env names" },
    },
    postgresImage: {
        type: "string",
        default: DEFAULTS.postgresImage,
        description: "PostgreSQL image",
        docs: { type: "string", default: "`postgres:18`", meaning: "PostgreSQL image" },
    },
    postgresDataPath: {
        type: "string",
        default: "",
        description: "Where the data volume is mounted; \"\" picks it from the image's major version (18+: /var/lib/postgresql, before: /var/lib/postgresql/data)",
        docs: { type: "container path", default: "`\"\"`: `/var/lib/postgresql` for 18+, `/var/lib/postgresql/data` before", meaning: "where the named data volume is mounted" },
    },
    vaultImage: {
        type: "string",
        default: "",
        description: "Vault server image; \"\" picks the flavor's (hashicorp/vault:1.21 or openbao/openbao:2.4)",
        docs: { type: "string", default: "`\"\"`: `hashicorp/vault:1.21` / `openbao/openbao:2.4`", meaning: "Vault server image" },
    },
    postgresHostPort: {
        type: "integer",
        default: DEFAULTS.postgresHostPort,
        description: "Host port PostgreSQL is published on",
        docs: { type: "integer", default: "`15432`", meaning: "host port for PostgreSQL" },
    },
    vaultHostPort: {
        type: "integer",
        default: DEFAULTS.vaultHostPort,
        description: "Host port the Vault API is published on",
        docs: { type: "integer", default: "`18200`", meaning: "host port for the Vault API" },
    },
    hostAddress: {
        type: "string",
        default: DEFAULTS.hostAddress,
        description: "Host address ports are published on and the Pulumi process connects to",
        docs: { type: "string", default: "`127.0.0.1`", meaning: "where ports are published and the Pulumi process connects" },
    },
    tls: {
        type: "boolean",
        default: DEFAULTS.tls,
        description: "TLS for the stack's own containers: a stack CA, PostgreSQL with hostssl only, the Vault API over HTTPS, every client verifying (false: plain text, for a laptop)",
        docs: { type: "boolean", default: "`true`", meaning: "[TLS](tls.md) for the stack's containers: a stack CA (output `caCertificate`), PostgreSQL with `ssl = on` and `hostssl` only, the Vault API over HTTPS, every client verifying with `verify-full`; `false` for plain text on a laptop" },
    },
    postgresHost: {
        type: "string",
        default: "",
        description: "An existing PostgreSQL to use instead of the container (\"\" runs the container); a primary and its standbys as \"db1,db2\" or \"db1:5432,db2:5433\"; needs postgresSuperuserPassword",
        docs: { type: "host or host list", default: "`\"\"`", meaning: "an [existing PostgreSQL](../README.md#existing-servers) instead of the container; a primary and its standbys as `db1,db2` or `db1:5432,db2:5433` ([High availability](high-availability.md))" },
    },
    postgresPort: {
        type: "integer",
        default: DEFAULTS.postgresPort,
        description: "Port of the existing PostgreSQL",
        docs: { type: "integer", default: "`5432`", meaning: "its port (of every listed host without one)" },
    },
    postgresVaultHost: {
        type: "string",
        default: "",
        description: "Host Vault reaches the existing PostgreSQL at, where it differs from postgresHost (\"\" = the same)",
        docs: { type: "host or host list", default: "`\"\"` (= `postgresHost`)", meaning: "the host(s) Vault reaches it at, where that differs" },
    },
    postgresSuperuser: {
        type: "string",
        default: DEFAULTS.postgresSuperuser,
        description: "Admin of the existing PostgreSQL: a superuser, or a role with CREATEROLE and CREATEDB (a managed service's admin)",
        docs: { type: "SQL name", default: "`postgres`", meaning: "the role the Pulumi process administers it as: a superuser, or a role with `CREATEROLE` and `CREATEDB` ([Managed PostgreSQL](managed-postgresql.md))" },
    },
    postgresSuperuserPassword: {
        type: "secret",
        docs: { type: "secret", default: "—", meaning: "its password; required with `postgresHost`" },
    },
    postgresSslMode: {
        type: "string",
        default: "",
        description: "libpq sslmode to the existing PostgreSQL (\"\" = verify-full with postgresCaCertificate, else require)",
        docs: { type: "sslmode", default: "`\"\"` (= `verify-full` with a CA, else `require`)", meaning: "libpq `sslmode` for the Pulumi process and Vault; `disable`, `allow` and `prefer` are refused beyond this machine unless `postgresAllowPlaintext`" },
    },
    postgresCaCertificate: {
        type: "string",
        default: "",
        description: "PEM of the CA that issued the existing PostgreSQL's certificate (e.g. the RDS global bundle); makes verify-full the default sslmode",
        docs: { type: "PEM", default: "`\"\"`", meaning: "the CA of the existing PostgreSQL's certificate, e.g. the RDS bundle (`pulumi config set vault-pg:postgresCaCertificate < global-bundle.pem`); with it `postgresSslMode` defaults to `verify-full`" },
    },
    postgresClientCertificate: {
        type: "string",
        default: "",
        description: "PEM client certificate for the Pulumi process and Vault, where the existing PostgreSQL requires one (with postgresClientKey)",
        docs: { type: "PEM", default: "`\"\"`", meaning: "a client certificate for the Pulumi process and Vault, where the server requires one (mutual TLS)" },
    },
    postgresClientKey: {
        type: "secret",
        docs: { type: "secret PEM", default: "—", meaning: "its private key" },
    },
    postgresVaultCaFile: {
        type: "string",
        default: "",
        description: "Path on the Vault server of the PostgreSQL CA, for OpenBao (no inline TLS fields) or Vault before 1.18",
        docs: { type: "path", default: "`\"\"`", meaning: "OpenBao, or Vault before 1.18: the CA as a file on the Vault server (`sslrootcert` in the connection URL)" },
    },
    postgresVaultCertificateFile: {
        type: "string",
        default: "",
        description: "Path on the Vault server of the client certificate, for OpenBao or Vault before 1.18",
        docs: { type: "path", default: "`\"\"`", meaning: "the same for the client certificate (`sslcert`)" },
    },
    postgresVaultKeyFile: {
        type: "string",
        default: "",
        description: "Path on the Vault server of the client key, for OpenBao or Vault before 1.18",
        docs: { type: "path", default: "`\"\"`", meaning: "the same for its key (`sslkey`)" },
    },
    postgresAllowPlaintext: {
        type: "boolean",
        default: false,
        description: "Allow postgresSslMode disable, allow or prefer to a host beyond this machine (passwords may cross in clear)",
        docs: { type: "boolean", default: "`false`", meaning: "allow `disable`, `allow` or `prefer` to a host beyond this machine; refused otherwise" },
    },
    vaultAddress: {
        type: "string",
        default: "",
        description: "An existing Vault or OpenBao to use instead of the dev container (\"\" runs the container); needs vaultToken",
        docs: { type: "URL", default: "`\"\"`", meaning: "an [existing Vault or OpenBao](../README.md#existing-servers) instead of the dev container" },
    },
    vaultToken: {
        type: "secret",
        docs: { type: "secret", default: "—", meaning: "a token allowed to apply the stack's Vault resources ([`deployerPolicy`](server-mode.md#deployer-policy)); required with `vaultAddress`; in server mode optional, used instead of the root token" },
    },
    vaultCaCertificate: {
        type: "string",
        default: "",
        description: "PEM of the CA that issued the existing Vault's certificate, where the system does not trust it",
        docs: { type: "PEM", default: "`\"\"`", meaning: "the CA of the existing Vault's certificate, where the system does not trust it" },
    },
    vaultAllowPlaintext: {
        type: "boolean",
        default: false,
        description: "Allow an http:// vaultAddress to a host beyond this machine (tokens would cross in clear)",
        docs: { type: "boolean", default: "`false`", meaning: "allow an `http://` `vaultAddress` beyond this machine; refused otherwise" },
    },
    vaultMode: {
        type: "string",
        default: DEFAULTS.vaultMode,
        description: "\"dev\" (in-memory dev server) or \"server\" (sealed, persistent, audited; README \"Server mode\")",
        docs: { type: "`dev` \\| `server`", default: "`dev`", meaning: "the Vault container: in-memory dev server, or a sealed server with persistent storage ([Server mode](server-mode.md))" },
    },
    vaultUnsealShares: {
        type: "integer",
        default: DEFAULTS.vaultUnsealShares,
        description: "Server mode, at initialisation only - unseal key shares",
        docs: { type: "integer", default: "`5`", meaning: "server mode, at initialisation only: unseal key shares (1 to 255)" },
    },
    vaultUnsealThreshold: {
        type: "integer",
        default: DEFAULTS.vaultUnsealThreshold,
        description: "Server mode, at initialisation only - key shares needed to unseal",
        docs: { type: "integer", default: "`3`", meaning: "server mode, at initialisation only: shares needed to unseal (at least 2 with several shares)" },
    },
    vaultStorage: {
        type: "string",
        default: DEFAULTS.vaultStorage,
        description: "Server mode storage: \"raft\" or \"file\" (HashiCorp Vault only)",
        docs: { type: "`raft` \\| `file`", default: "`raft`", meaning: "server mode storage; `file` with HashiCorp Vault only (OpenBao 2.7 has no file storage)" },
    },
    vaultUnauthenticatedMetrics: {
        type: "boolean",
        default: false,
        description: "Server mode - serve Prometheus metrics without a token (only with a loopback hostAddress); false: a token with the metrics policy",
        docs: { type: "boolean", default: "`false`", meaning: "server mode: serve the [Prometheus metrics](server-mode.md#metrics) without a token; only with a loopback `hostAddress`. `false`: a token with the `vaultMetricsPolicy` output's policy" },
    },
    rotateRootCredentials: {
        type: "boolean",
        default: DEFAULTS.rotateRootCredentials,
        description: "Rotate the Vault admin's PostgreSQL password once the connection is written, so only Vault knows it",
        docs: { type: "boolean", default: "`false`", meaning: "rotate the Vault admin's password once the connection is written ([rotate-root](server-mode.md#rotate-root))" },
    },
    database: {
        type: "string",
        default: DEFAULTS.database,
        description: "Application database; also the group role prefix and the connection name",
        docs: { type: "SQL name", default: "`app`", meaning: "application database, group role prefix and connection name (prefix)" },
    },
    vaultAdminUsername: {
        type: "string",
        default: DEFAULTS.vaultAdminUsername,
        description: "Login role Vault connects to the first database as; stacks sharing one PostgreSQL need one each",
        docs: { type: "SQL name", default: "`vault_admin`", meaning: "the login role Vault connects to the first database as (further databases: `<database>_vault`); stacks sharing one PostgreSQL need one each" },
    },
    mountPath: {
        type: "string",
        default: DEFAULTS.mountPath,
        description: "Path of the database secrets engine",
        docs: { type: "path", default: "`database`", meaning: "database secrets engine path" },
    },
    approlePath: {
        type: "string",
        default: DEFAULTS.approlePath,
        description: "Path of the AppRole auth method",
        docs: { type: "path", default: "`approle`", meaning: "AppRole auth method path" },
    },
    sharedMount: {
        type: "boolean",
        default: false,
        description: "With vaultAddress: the mount at mountPath exists and other stacks use it; add to it and remove again, never mount or unmount",
        docs: { type: "boolean", default: "`false`", meaning: "with `vaultAddress`: the mount at `mountPath` exists and other stacks use it too; the stack adds its connections and roles and removes them again, revoking each role's leases first ([Sharing a mount](databases.md#several-stacks-on-one-mount))" },
    },
    sharedApprole: {
        type: "boolean",
        default: false,
        description: "With vaultAddress: the AppRole auth method at approlePath exists and other stacks use it",
        docs: { type: "boolean", default: "`false`", meaning: "with `vaultAddress`: the AppRole auth method at `approlePath` exists and other stacks use it too" },
    },
    maxOpenConnections: {
        type: "integer",
        default: DEFAULTS.maxOpenConnections,
        description: "Connections Vault may open to PostgreSQL, per connection config",
        docs: { type: "integer", default: "`2`", meaning: "connections Vault may open to PostgreSQL, per connection config" },
    },
    connectionBudget: {
        type: "integer",
        default: DEFAULTS.connectionBudget,
        description: "The most PostgreSQL connections Vault may hold for the stack, all connection configs together; a layout whose worst case exceeds it is refused",
        docs: { type: "integer", default: "`20`", meaning: "the most connections Vault may hold for the stack (every connection config's pool full); a layout whose worst case exceeds it is refused at preview ([Connection budget](performance.md#connection-budget))" },
    },
    connections: {
        type: "string",
        default: "",
        description: "\"bounded\", \"single\", \"per-role\" or \"per-access\": how roles are spread over connection configs (one lock each); \"\" = bounded, or single with rotateRootCredentials",
        docs: { type: "`bounded` \\| `single` \\| `per-role` \\| `per-access`", default: "`\"\"`: `bounded`, or `single` with `rotateRootCredentials`", meaning: "connection configs: one per role while that fits `connectionBudget`, else pooled (`<database>-pool-<n>`); one for all roles; one per role (`<database>-<role>`); or one per access level (`<database>-<access>`); see [Performance](performance.md). Rotation needs `single`: every connection config logs in as the one Vault admin" },
    },
    roles: {
        type: "list",
        docs: { type: "list", default: "—", meaning: "`{ name, access: readonly\\|readwrite\\|owner, defaultTtl, maxTtl }`" },
    },
    apps: {
        type: "list",
        docs: { type: "list", default: "`[]`", meaning: "`{ name, roles: [role names], tokenTtl?, tokenMaxTtl?, secretIdTtl?, staticRoles?: [names] }`; `secretIdTtl` defaults to `0` (no expiry), else must exceed `tokenMaxTtl`" },
    },
    jwtAuth: {
        type: "list",
        docs: { type: "list", default: "`[]`", meaning: "issuers whose tokens apps log in with: `{ path, oidcDiscoveryUrl \\| jwksUrl \\| publicKeys, caCertificate?, boundIssuer?, existing? }`; an app then takes `jwt: { auth: <path>, audience, kubernetes \\| github \\| subject/claims }` ([identity](identity.md))" },
    },
    ciOidc: {
        type: "object",
        docs: { type: "object", default: "not set", meaning: "`{ repository, deployBranch?, deployEnvironment?, path?, audience?, issuer?, existingAuth? }`: CI logs in with the job's OIDC token, a read-only preview role for every run, the deployer role on the deploy branch ([CI with OIDC](identity.md#ci-with-oidc))" },
    },
    databases: {
        type: "list",
        docs: { type: "list", default: "`[]`", meaning: "further databases on the same PostgreSQL: `{ name, roles: [...], staticRoles?: [...] }`, each with its own groups and Vault admin (`<name>_vault`), on the same mount and AppRole; role names unique across all ([Many databases](databases.md))" },
    },
    staticRoles: {
        type: "list",
        docs: { type: "list", default: "`[]`", meaning: "`{ name, access, rotationPeriod }` or `{ name, access, rotationSchedule }`; period at least 5 s" },
    },
} as const satisfies Record<string, ConfigKey>;

export type StackConfigKey = keyof typeof CONFIG_KEYS;

/** Keys Pulumi.yaml declares: every scalar key, with its type, description and default. */
export function pulumiYamlConfig(): Record<string, { type: string; description: string; default: string | number | boolean }> {
    const declared: Record<string, { type: string; description: string; default: string | number | boolean }> = {};
    for (const [key, spec] of Object.entries(CONFIG_KEYS) as [string, ConfigKey][]) {
        if (spec.type === "list" || spec.type === "object" || spec.type === "secret") continue;
        declared[key] = { type: spec.type, description: spec.description!, default: spec.default! };
    }
    return declared;
}

/** The config table of docs/configuration.md: header, separator, and one row per key. */
export function configTableMarkdown(): string[] {
    const rows = (Object.entries(CONFIG_KEYS) as [string, ConfigKey][]).map(
        ([key, spec]) => `| \`${key}\` | ${spec.docs.type} | ${spec.docs.default} | ${spec.docs.meaning} |`,
    );
    return ["| key | type | default | meaning |", "| --- | --- | --- | --- |", ...rows];
}
