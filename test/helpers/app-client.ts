/**
 * What an application does with the stack's outputs, against any Vault-API server: log in with AppRole and read a
 * creds path. Shared by the live suite (local servers) and the end-to-end test (a deployed stack).
 */
import { vaultRequest } from "../live/harness";

export interface DatabaseCreds {
    username: string;
    password: string;
    leaseId: string;
    leaseDuration: number;
    renewable: boolean;
}

/**
 * Logs in as an application: reads its role id and issues a fresh secret id with an operator token (as a deploy
 * pipeline would), then logs in with both. Returns the application's client token.
 */
export async function loginApp(address: string, operatorToken: string, loginPath: string, app: string): Promise<string> {
    const roleBase = loginPath.replace(/\/login$/, `/role/${app}`);
    const roleId = await vaultRequest<{ data: { role_id: string } }>(address, operatorToken, "GET", `${roleBase}/role-id`);
    const secretId = await vaultRequest<{ data: { secret_id: string } }>(address, operatorToken, "POST", `${roleBase}/secret-id`, {});
    const login = await vaultRequest<{ auth: { client_token: string } }>(address, undefined, "POST", loginPath, {
        role_id: roleId.data.role_id,
        secret_id: secretId.data.secret_id,
    });
    return login.auth.client_token;
}

/** Reads database credentials from a creds path. */
export async function readCreds(address: string, token: string, credsPath: string): Promise<DatabaseCreds> {
    const response = await vaultRequest<{ data: { username: string; password: string }; lease_id: string; lease_duration: number; renewable: boolean }>(
        address,
        token,
        "GET",
        credsPath,
    );
    return {
        username: response.data.username,
        password: response.data.password,
        leaseId: response.lease_id,
        leaseDuration: response.lease_duration,
        renewable: response.renewable,
    };
}
