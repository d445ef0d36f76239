/**
 * The resource type tokens, defined here once: the policies pick the resources they check by them, and the project's
 * tests find resources by them (test/helpers/pulumi-mocks.ts re-exports TYPES). Also the wire format's marker for a
 * value unknown at preview. No imports, so the root project can load this file without the pack's dependencies.
 */

/** Type tokens of the provider resources the components use. */
export const TYPES = {
    container: "docker:index/container:Container",
    network: "docker:index/network:Network",
    volume: "docker:index/volume:Volume",
    image: "docker:index/remoteImage:RemoteImage",
    password: "random:index/randomPassword:RandomPassword",
    pgProvider: "pulumi:providers:postgresql",
    vaultProvider: "pulumi:providers:vault",
    pgDatabase: "postgresql:index/database:Database",
    pgRole: "postgresql:index/role:Role",
    pgGrantRole: "postgresql:index/grantRole:GrantRole",
    pgGrant: "postgresql:index/grant:Grant",
    pgDefaultPrivileges: "postgresql:index/defaultPrivileges:DefaultPrivileges",
    mount: "vault:index/mount:Mount",
    connection: "vault:database/secretBackendConnection:SecretBackendConnection",
    role: "vault:database/secretBackendRole:SecretBackendRole",
    staticRole: "vault:database/secretBackendStaticRole:SecretBackendStaticRole",
    policy: "vault:index/policy:Policy",
    authBackend: "vault:index/authBackend:AuthBackend",
    approleRole: "vault:appRole/authBackendRole:AuthBackendRole",
    jwtAuthBackend: "vault:jwt/authBackend:AuthBackend",
    jwtRole: "vault:jwt/authBackendRole:AuthBackendRole",
    adminCheck: "pulumi-nodejs:dynamic/vault-pg:PostgresAdminCheck",
    leaseRevocation: "pulumi-nodejs:dynamic/vault-pg:LeaseRevocation",
    tlsPrivateKey: "tls:index/privateKey:PrivateKey",
    tlsSelfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
    tlsCertRequest: "tls:index/certRequest:CertRequest",
    tlsLocallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
} as const;

/** The wire format's marker for a value unknown at preview (`@pulumi/pulumi/runtime/rpc.js`, `unknownValue`). */
export const UNKNOWN_AT_PREVIEW = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
