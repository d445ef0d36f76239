/**
 * The dev stack: read typed config, build one VaultPostgres, export what applications and operators need.
 * Nothing else lives here; the components are importable on their own (see components/index.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, RawStackConfig, readStackConfig, VaultPostgres } from "./components";

const projectConfig = new pulumi.Config();
const read = (key: string): string | pulumi.Output<string> | undefined =>
    (CONFIG_KEYS as Record<string, { type: string }>)[key]?.type === "secret" ? projectConfig.getSecret(key) : projectConfig.get(key);
const raw: RawStackConfig = {};
for (const key of Object.keys(CONFIG_KEYS)) {
    raw[key] = read(key);
}
// Keys set in the stack but unknown to the program are reported too.
for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
    const [namespace, key] = fullKey.split(":");
    if (namespace === pulumi.getProject() && !(key in raw)) {
        raw[key] = read(key);
    }
}
const settings = readStackConfig(raw);

const stack = new VaultPostgres(`vault-pg-${pulumi.getStack()}`, settings);

const vault = stack.vault;
/**
 * The stack outputs. Only those the stack has: a value left undefined would make every `pulumi up` warn that it
 * "will not show as a stack output" (no unseal keys in dev mode, no root token or container password with existing
 * servers).
 */
const outputs = {
    vaultAddress: stack.vaultAddress,
    /** The stack CA (PEM): `VAULT_CACERT` for the Vault CLI, `sslrootcert` for PostgreSQL clients (README "TLS"). */
    ...(stack.caCertificate && { caCertificate: stack.caCertificate }),
    /** The CA each server's certificate verifies against, where the stack knows it (the stack CA for its containers). */
    ...(stack.vaultCaCertificate && { vaultCaCertificate: stack.vaultCaCertificate }),
    ...(stack.postgresTls.caCertificate && { postgresCaCertificate: pulumi.output(stack.postgresTls.caCertificate) }),
    /** How clients connect to PostgreSQL: verify-full with the stack CA, or the existing server's sslmode. */
    postgresSslMode: stack.postgresTls.sslMode,
    ...(vault && {
        vaultFlavor: vault.flavor,
        /** The stack's own Vault server's root token (secret). */
        vaultRootToken: vault.rootToken,
        vaultMode: vault.mode,
    }),
    /** Server mode: the unseal key shares (secret; docs/server-mode.md says how to take them out). */
    ...(vault?.unsealKeys && { vaultUnsealKeys: vault.unsealKeys }),
    /** Server mode: the ACL policies for a backup job's token and a metrics scraper's (docs/server-mode.md). */
    ...(vault?.backupPolicy && { vaultBackupPolicy: vault.backupPolicy.name }),
    ...(vault?.metricsPolicy && { vaultMetricsPolicy: vault.metricsPolicy.name }),
    /** The ACL policy a CI pipeline's token needs to apply this stack's Vault resources. */
    deployerPolicy: stack.deployerPolicy,
    /** The ACL policy of a token that may run `pulumi preview --refresh` of this stack and write nothing. */
    previewPolicy: stack.previewPolicy,
    /** With `ciOidc`: the JWT login path, audience and roles a workflow logs in with (docs/identity.md). */
    ...(stack.ciLogin && { ci: stack.ciLogin }),
    postgresAddress: stack.postgresAddress,
    /** The stack's own PostgreSQL container's superuser password (secret). */
    ...(stack.postgres && { postgresSuperuserPassword: stack.postgres.superuserPassword }),
    vaultAdminPassword: stack.accessModel.vaultAdminPassword,
    /** Database → its Vault admin's login role, and its password (secret; none with rotateRootCredentials). */
    vaultAdmins: stack.vaultAdmins,
    vaultAdminPasswords: stack.vaultAdminPasswords,
    /** The most PostgreSQL connections Vault may hold for the stack (what `npm run doctor` compares with). */
    connectionBudget: stack.connectionBudget,
    database: stack.accessModel.database,
    /** Role or static role → the database it serves (the stack may have several: config `databases`). */
    roleDatabases: stack.roleDatabases,
    mountPath: stack.mountPath,
    credsPaths: stack.credsPaths,
    groupRoles: stack.groupRoles,
    apps: stack.apps,
    staticCredsPaths: stack.staticCredsPaths,
    agents: stack.agents,
};
export = outputs;
