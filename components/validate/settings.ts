/**
 * Defaults, the closed sets of choices (flavors, modes, layouts, sslmodes) and the named limits every check uses.
 */
import { POSTGRES_MAX_IDENTIFIER_LENGTH } from "../sql";

export type Flavor = "vault" | "openbao";
export const FLAVORS: readonly Flavor[] = ["vault", "openbao"];

/**
 * How roles are spread over connection configs: one per role while that fits the connection budget and pooled
 * beyond it ("bounded"), one for all, one per role, or one per access level. The PostgreSQL plugin serializes
 * creation, renewal and revocation per connection config, so each connection config is one lock.
 */
export type ConnectionLayout = "bounded" | "single" | "per-role" | "per-access";
export const CONNECTION_LAYOUTS: readonly ConnectionLayout[] = ["bounded", "single", "per-role", "per-access"];

export const DEFAULTS = {
    flavor: "vault" as Flavor,
    postgresImage: "postgres:18",
    /** Images per flavor, pinned to a minor release so `pulumi up` is repeatable. */
    vaultImages: { vault: "hashicorp/vault:1.21", openbao: "openbao/openbao:2.4" } as Record<Flavor, string>,
    postgresHostPort: 15432,
    vaultHostPort: 18200,
    /** The address the Pulumi process uses to reach published container ports. */
    hostAddress: "127.0.0.1",
    /** An existing PostgreSQL: port of every host listed without one, and the role the Pulumi process administers it as. */
    postgresPort: 5432,
    postgresSuperuser: "postgres",
    database: "app",
    mountPath: "database",
    approlePath: "approle",
    /** The JWT auth method GitHub Actions' tokens are verified by, and the branch deploys run from. */
    ciOidcPath: "github-actions",
    ciDeployBranch: "main",
    /** A CI job's Vault token: long enough for a preview with refresh, or for an up. */
    ciPreviewTokenTtlSeconds: 900,
    ciDeployTokenTtlSeconds: 3600,
    vaultAdminUsername: "vault_admin",
    /**
     * Per connection config. The plugin's mutex lets one operation at a time use a config's pool (docs/performance.md:
     * one connection throughout the concurrent runs), so 2 leaves room for a reconnect and doubles the configs a
     * budget holds.
     */
    maxOpenConnections: 2,
    /**
     * The most PostgreSQL connections Vault may hold for the stack: a fifth of a default `max_connections` (100),
     * 10 connection configs (locks) at 2 connections each (docs/performance.md, "Connection budget").
     */
    connectionBudget: 20,
    /** Idle connections each config keeps, and how long any connection lives (s): idle pools shrink to one. */
    maxIdleConnections: 1,
    maxConnectionLifetimeSeconds: 300,
    /** One lock per role while the budget allows it, pooled beyond (docs/performance.md). */
    connections: "bounded" as ConnectionLayout,
    appTokenTtlSeconds: 3600,
    /** 0: the secret id never expires. An app logs in again every tokenMaxTtl with the secret id it started with,
     *  so a secret id that expires while the app runs locks it out; re-issue one per deploy instead. */
    appSecretIdTtlSeconds: 0,
    vaultMode: "dev" as VaultMode,
    /** Shamir key shares and threshold at initialisation (server mode). */
    vaultUnsealShares: 5,
    vaultUnsealThreshold: 3,
    /** Integrated storage: both flavors have it (OpenBao 2.7 has no file storage). */
    vaultStorage: "raft" as VaultStorage,
    rotateRootCredentials: false,
    /** The stack's own containers speak TLS only, with certificates from the stack's CA (README "TLS"). */
    tls: true,
    /** The stack CA: 10 years, replaced by the first `pulumi up` in its last year. */
    caLifetime: { validityHours: 10 * 8760, earlyRenewalHours: 8760 },
    /** Server certificates: 1 year, replaced by the first `pulumi up` in their last 30 days. */
    serverCertificateLifetime: { validityHours: 8760, earlyRenewalHours: 30 * 24 },
} as const;


/** "dev": in-memory dev server, fixed root token. "server": sealed server with persistent storage (docs/server-mode.md). */
export type VaultMode = "dev" | "server";
export const VAULT_MODES: readonly VaultMode[] = ["dev", "server"];
/** Where a server-mode Vault keeps its data: integrated storage, or files (HashiCorp Vault only). */
export type VaultStorage = "raft" | "file";
export const VAULT_STORAGES: readonly VaultStorage[] = ["raft", "file"];
/** Vault's own limit on key shares (`sys/init`, secret_shares). */
export const MAX_UNSEAL_SHARES = 255;

export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
export const SSL_MODES: readonly SslMode[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

/** Longest application name: it becomes part of policy and AppRole role names. */
export const MAX_APP_NAME_LENGTH = 48;
/** Longest group role prefix (or database name, the default prefix): the longest suffix is "_readwrite". */
export const MAX_GROUP_PREFIX_LENGTH = POSTGRES_MAX_IDENTIFIER_LENGTH - "_readwrite".length;
/** Longest Vault role name an app or a connection may list (a static role name is a Postgres user: 63). */
export const MAX_VAULT_ROLE_NAME_LENGTH = 64;
/** Longest connection config name (`<database>` plus a role or access suffix). */
export const MAX_CONNECTION_NAME_LENGTH = 128;
/** Most connections one connection config may keep open, and the largest budget (PostgreSQL's own cap on max_connections). */
export const MAX_OPEN_CONNECTIONS_LIMIT = 1000;
export const MAX_CONNECTION_BUDGET = 262143;
/** Vault refuses shorter static role rotation periods (terraform-provider-vault validates the same bound). */
export const MIN_STATIC_ROTATION_SECONDS = 5;
