/**
 * The public surface of vault-pg, listed by name: the components and their Args, the spec types they take, the pure
 * renderers of the SQL, policies and configs they declare, stack config reading, and the error validation throws.
 * Everything else is internal to this package (package.json `exports` allows no deep imports), so it may change
 * without breaking a stack; test/unit/public-api.test.ts fails when this list changes, so a change is a decision.
 */

// The composite, and the components it is made of.
export { VaultPostgres } from "./vault-postgres";
export type { AppLogin, ContainerSettings, PostgresContainerSettings, VaultContainerSettings, VaultPostgresArgs } from "./vault-postgres";
export { PostgresServer } from "./postgres-server";
export type { PostgresServerArgs } from "./postgres-server";
export { VaultServer } from "./vault-server";
export type { VaultServerArgs } from "./vault-server";
export { VaultUnseal } from "./vault-init";
export type { UnsealInputs, UnsealState, VaultUnsealArgs } from "./vault-init";
export { PostgresAccessModel, accessGrantPlan } from "./access-model";
export type { PostgresAccessModelArgs, PrivilegeGrant } from "./access-model";
export { PostgresAdminCheck, adminPrivilegeProblems } from "./postgres-admin-check";
export type { AdminPrivileges, PostgresAdminCheckArgs } from "./postgres-admin-check";
export { DatabaseSecretsEngine } from "./secrets-engine";
export type { DatabaseSecretsEngineArgs } from "./secrets-engine";
export { DatabaseRole } from "./database-role";
export type { DatabaseRoleArgs } from "./database-role";
export { StaticRole } from "./static-role";
export type { StaticRoleArgs } from "./static-role";
export { AppRoleAuth } from "./approle-auth";
export type { AppRoleAuthArgs } from "./approle-auth";
export { AppAccess } from "./app-access";
export type { AppAccessArgs, AppLoginMethod } from "./app-access";
export { JwtAuth } from "./jwt-auth";
export type { JwtAuthArgs } from "./jwt-auth";
export { CiAccess } from "./ci-access";
export type { CiAccessArgs, CiLogin } from "./ci-access";
export { CertificateAuthority, ServerCertificate } from "./certificates";
export { LeaseRevocation } from "./lease-revocation";
export type { LeaseRevocationArgs } from "./lease-revocation";
export type { CertificateAuthorityArgs, CertificateLifetime, ServerCertificateArgs } from "./certificates";

// Inspecting a deployed stack (npm run doctor): what to inspect, from the outputs and settings, and the inspection.
export { doctorTarget } from "./doctor/target";
export type { DoctorDatabase, DoctorSettings, DoctorTarget, PostgresLogin } from "./doctor/target";
export { runDoctor } from "./doctor/run";
export type { DoctorOptions } from "./doctor/run";
export type { DoctorCheck, DoctorFinding, DoctorReport, Severity } from "./doctor/findings";

// What the components take.
export type {
    AppSpec,
    CiOidcSpec,
    ConnectionLayout,
    DatabaseSpec,
    DatabaseRoleSpec,
    Duration,
    ExistingPostgres,
    ExistingVault,
    Flavor,
    GithubBinding,
    JwtBindingSpec,
    JwtIssuerSpec,
    KubernetesBinding,
    PostgresClientTls,
    SslMode,
    StaticRoleSpec,
    VaultMode,
    VaultStorage,
} from "./validate";
export { DEFAULTS, ValidationError } from "./validate";

// Stack config: the keys, and reading them into the composite's arguments.
export { CONFIG_KEYS, readStackConfig } from "./validate";
export type { RawStackConfig, StackSettings } from "./validate";

// Pure renderers: the statements, policies and configs the components declare.
export {
    ACCESS_LEVELS,
    DYNAMIC_USERNAME_PREFIX,
    connectionUrlTemplate,
    creationStatements,
    dropExpiredUserStatements,
    expiredUsersQuery,
    groupRoleNames,
    quoteIdent,
    quoteLiteral,
    renewStatements,
    revocationStatements,
    roleStatements,
    rollbackStatements,
    staticRotationStatements,
    usernameTemplate,
} from "./sql";
export type { AccessLevel, GroupRoleNames, RoleStatements } from "./sql";
export { appPolicy, credsPath, staticCredsPath } from "./hcl";
export { deployerPolicy, previewPolicy } from "./deployer-policy";
export type { DeployerScope } from "./deployer-policy";
export { serverConfigHcl } from "./server-config";
export { postgresHbaConf, vaultTlsListenerHcl } from "./container-tls";
export type { VaultServerTlsFiles } from "./postgres-tls";
export type { ServerConfigSettings } from "./server-config";
export { agentConfigForApp, renderAgentConfig } from "./agent-config";
export type { AgentConfigSpec, AgentLayout, AgentStackOutputs } from "./agent-config";
