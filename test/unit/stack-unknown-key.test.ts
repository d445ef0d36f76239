/** A key the program does not know (here a typo of mountPath) stops the stack at start instead of falling back to a default. */
import { installMocks, loadStackConfig } from "../helpers/pulumi-mocks";

describe("the dev stack program with an unknown config key", () => {
    it("fails naming the key, its value and the known keys, and registers nothing", async () => {
        const recorder = await installMocks("dev", { ...loadStackConfig(), mountpath: "team/db" });
        await expect(import("../../index")).rejects.toThrow(
            new Error(
                'stack config (vault-pg): mountpath = "team/db": unknown config key; known keys are flavor, postgresImage, postgresDataPath, vaultImage, postgresHostPort, vaultHostPort, hostAddress, tls, postgresHost, postgresPort, postgresVaultHost, postgresSuperuser, postgresSuperuserPassword, postgresSslMode, postgresCaCertificate, postgresClientCertificate, postgresClientKey, postgresVaultCaFile, postgresVaultCertificateFile, postgresVaultKeyFile, postgresAllowPlaintext, vaultAddress, vaultToken, vaultCaCertificate, vaultAllowPlaintext, vaultMode, vaultUnsealShares, vaultUnsealThreshold, vaultStorage, vaultUnauthenticatedMetrics, rotateRootCredentials, database, vaultAdminUsername, mountPath, approlePath, sharedMount, sharedApprole, maxOpenConnections, connectionBudget, connections, roles, apps, jwtAuth, ciOidc, databases, staticRoles',
            ),
        );
        expect(await recorder.settle()).toEqual([]);
    });
});
