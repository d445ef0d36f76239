/**
 * Another stack that consumes the vault-pg dev stack: it reads the outputs through a StackReference and assembles
 * the environment one application needs to fetch its own credentials. No secret crosses the reference.
 *
 * Config: `app-wiring:platformStack` (default "organization/vault-pg/dev", the name on a local file backend),
 * `app-wiring:app` (default "web") and `app-wiring:role` (default "readonly").
 */
import * as pulumi from "@pulumi/pulumi";

interface AppLogin {
    policyName: string;
    roleId: string;
    loginPath: string;
}

const config = new pulumi.Config();
const appName = config.get("app") ?? "web";
const roleName = config.get("role") ?? "readonly";
const platform = new pulumi.StackReference(config.get("platformStack") ?? "organization/vault-pg/dev");

const credsPaths = platform.requireOutput("credsPaths") as pulumi.Output<Record<string, string>>;
const apps = platform.requireOutput("apps") as pulumi.Output<Record<string, AppLogin>>;

const appLogin = apps.apply((all) => {
    const login = all[appName];
    if (!login) throw new Error(`app-wiring: app = "${appName}": the platform stack has no such app (${Object.keys(all).join(", ")})`);
    return login;
});
const credsPath = credsPaths.apply((paths) => {
    const path = paths[roleName];
    if (!path) throw new Error(`app-wiring: role = "${roleName}": the platform stack has no such role (${Object.keys(paths).join(", ")})`);
    return path;
});

/**
 * Environment for the application's deployment; the secret id is issued separately, per deployment. With TLS (the
 * platform's default) the deployment also mounts the two CA files below and points VAULT_CACERT and PGSSLROOTCERT at
 * them.
 */
export const appEnvironment = pulumi
    .all([platform.requireOutput("vaultAddress"), appLogin, credsPath, platform.getOutput("postgresSslMode")])
    .apply(([address, login, path, sslMode]) => ({
        VAULT_ADDR: String(address),
        VAULT_ROLE_ID: login.roleId,
        VAULT_LOGIN_PATH: login.loginPath,
        DB_CREDS_PATH: path,
        // A platform stack from before TLS exports no sslmode: libpq's own default.
        PGSSLMODE: sslMode === undefined ? "prefer" : String(sslMode),
    }));

/** The CAs the application verifies Vault and PostgreSQL with (PEM, public), where the platform stack has them. */
export const certificateAuthorities = pulumi
    .all([platform.getOutput("vaultCaCertificate"), platform.getOutput("postgresCaCertificate")])
    .apply(([vault, postgres]) => ({ vault: vault === undefined ? undefined : String(vault), postgres: postgres === undefined ? undefined : String(postgres) }));
