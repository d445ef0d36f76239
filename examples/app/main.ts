/**
 * Runs the example service. Configuration comes from the environment, filled from the vault-pg stack outputs:
 *   VAULT_ADDR        stack output vaultAddress
 *   VAULT_CACERT      a file holding vaultCaCertificate (the stack CA), where the system does not trust it
 *   VAULT_LOGIN_PATH  apps.<app>.loginPath (default auth/approle/login)
 *   VAULT_ROLE_ID     apps.<app>.roleId
 *   VAULT_SECRET_ID   issued per deployment: vault write -f auth/approle/role/<app>/secret-id
 *   DB_CREDS_PATH     credsPaths.<role>
 *   PGHOST, PGPORT, PGDATABASE   where PostgreSQL is (postgresAddress, database)
 *   PGSSLMODE, PGSSLROOTCERT     postgresSslMode, and a file holding postgresCaCertificate
 *   PORT              HTTP port (default 8080)
 */
import * as fs from "fs";
import { DynamicCredentialPool } from "./dynamic-pool";
import { postgresSsl } from "./postgres-ssl";
import { createServer } from "./server";

function required(name: string): string {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set (see the header of examples/app/main.ts)`);
    return value;
}

async function main(): Promise<void> {
    const database = await DynamicCredentialPool.start({
        vaultAddress: required("VAULT_ADDR"),
        vaultCaCertificate: process.env.VAULT_CACERT ? fs.readFileSync(process.env.VAULT_CACERT, "utf8") : undefined,
        loginPath: process.env.VAULT_LOGIN_PATH ?? "auth/approle/login",
        roleId: required("VAULT_ROLE_ID"),
        secretId: required("VAULT_SECRET_ID"),
        credsPath: required("DB_CREDS_PATH"),
        pool: {
            host: process.env.PGHOST ?? "127.0.0.1",
            port: Number(process.env.PGPORT ?? 15432),
            database: process.env.PGDATABASE ?? "app",
            ssl: postgresSsl(process.env.PGSSLMODE, process.env.PGSSLROOTCERT),
            max: 10,
        },
        onError: (error) => console.error(`credentials: ${error.message}`),
        onRotate: ({ from, to }) => console.log(`credentials rotated: ${from} -> ${to}`),
    });
    const port = Number(process.env.PORT ?? 8080);
    const server = createServer(database).listen(port, () => console.log(`listening on :${port}`));
    const shutdown = (): void => {
        server.close();
        void database.close().then(() => process.exit(0));
    };
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
}

main().catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
});
