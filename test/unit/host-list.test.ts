/**
 * VaultPostgres on an existing PostgreSQL given as a primary and a standby: Vault's connection lists both with
 * target_session_attrs=read-write, the PostgreSQL provider (one host:port) administers the first entry.
 */
import { findResource, installMocks, plain, RecordedResource, resolve, TYPES } from "../helpers/pulumi-mocks";

describe("VaultPostgres on a PostgreSQL host list", () => {
    let all: RecordedResource[];
    let postgresAddress: string;

    beforeAll(async () => {
        const recorder = await installMocks("test");
        const c = await import("../../components");
        const stack = new c.VaultPostgres("ha", {
            existingPostgres: { host: "db1.internal:5433,db2.internal:5434", vaultHost: "pg-a,pg-b", port: 6432, superuserPassword: "pw", sslMode: "verify-full" },
            existingVault: { address: "https://vault.internal:8200", token: "t" },
            roles: [{ name: "reader", access: "readonly", defaultTtl: "1h", maxTtl: "1d" }],
        });
        postgresAddress = await resolve(stack.postgresAddress);
        all = await recorder.settle();
    });

    it("administers the first server of the list through the PostgreSQL provider", () => {
        const provider = findResource(all, TYPES.pgProvider, "ha-access-provider");
        expect(plain(provider.inputs)).toMatchObject({ host: "db1.internal", port: "5433", sslmode: "verify-full" });
        expect(postgresAddress).toBe("db1.internal:5433");
    });

    it("gives Vault every server of its list, each with a port, and asks for the read-write one", () => {
        const connection = plain<{ postgresql: { connectionUrl: string } }>(findResource(all, TYPES.connection, "ha-engine-connection-reader").inputs);
        expect(connection.postgresql.connectionUrl).toBe(
            "postgresql://{{username}}:{{password}}@pg-a:6432,pg-b:6432/app?sslmode=verify-full&target_session_attrs=read-write",
        );
    });

    it("runs no container for the existing servers", () => {
        expect(all.filter((resource) => resource.type === TYPES.container)).toEqual([]);
    });
});
