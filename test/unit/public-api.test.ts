/**
 * The package's public surface, by name: what a consumer stack may import from "vault-pg". A change to this list is a
 * decision (a new name is a promise, a removed one breaks importers), so it is written out here, not derived.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../helpers/pulumi-mocks";

const RUNTIME_EXPORTS = [
    "ACCESS_LEVELS",
    "AppAccess",
    "CertificateAuthority",
    "ServerCertificate",
    "LeaseRevocation",
    "AppRoleAuth",
    "CiAccess",
    "JwtAuth",
    "CONFIG_KEYS",
    "DEFAULTS",
    "DYNAMIC_USERNAME_PREFIX",
    "DatabaseRole",
    "DatabaseSecretsEngine",
    "PostgresAccessModel",
    "PostgresAdminCheck",
    "PostgresServer",
    "StaticRole",
    "ValidationError",
    "VaultPostgres",
    "VaultServer",
    "VaultUnseal",
    "accessGrantPlan",
    "adminPrivilegeProblems",
    "agentConfigForApp",
    "appPolicy",
    "connectionUrlTemplate",
    "creationStatements",
    "credsPath",
    "deployerPolicy",
    "previewPolicy",
    "doctorTarget",
    "dropExpiredUserStatements",
    "expiredUsersQuery",
    "groupRoleNames",
    "quoteIdent",
    "quoteLiteral",
    "readStackConfig",
    "renderAgentConfig",
    "renewStatements",
    "revocationStatements",
    "roleStatements",
    "rollbackStatements",
    "runDoctor",
    "serverConfigHcl",
    "postgresHbaConf",
    "vaultTlsListenerHcl",
    "staticCredsPath",
    "staticRotationStatements",
    "usernameTemplate",
];

describe("the public API", () => {
    it("exports exactly the listed names at runtime", async () => {
        const api = await import("../../components");
        expect(Object.keys(api).sort()).toEqual([...RUNTIME_EXPORTS].sort());
    });

    it("lists every export by name: no `export *` lets a helper slip into the surface", () => {
        const index = fs.readFileSync(path.join(REPO_ROOT, "components", "index.ts"), "utf8");
        expect(index).not.toMatch(/export \*/);
    });

    it("names every component's Args type and the spec types the components take", () => {
        const index = fs.readFileSync(path.join(REPO_ROOT, "components", "index.ts"), "utf8");
        const components = RUNTIME_EXPORTS.filter((name) => /^[A-Z][a-z]/.test(name) && !["ValidationError"].includes(name));
        for (const component of components) expect(index).toMatch(new RegExp(`\\b${component}Args\\b`));
        for (const spec of ["DatabaseRoleSpec", "AppSpec", "StaticRoleSpec", "ExistingPostgres", "ExistingVault", "AccessLevel", "Flavor", "SslMode"]) {
            expect(index).toMatch(new RegExp(`\\b${spec}\\b`));
        }
    });
});
