/**
 * What an application does with the stack's outputs, against any Vault-API server: log in with AppRole and read a
 * creds path. Shared by the live suite (local servers) and the end-to-end test (a deployed stack).
 */
import type { VaultEndpoint } from "../../components/vault-init";
import { vaultRequest } from "../live/harness";

/** A server as its address, or its address and the CA of its certificate. */
function call<T>(server: VaultEndpoint, token: string | undefined, method: string, apiPath: string, body?: Record<string, unknown>): Promise<T> {
    const { address, caCertificate } = typeof server === "string" ? { address: server, caCertificate: undefined } : server;
    return vaultRequest<T>(address, token, method, apiPath, body, { caCertificate });
}

export interface DatabaseCreds {
    username: string;
    password: string;
    leaseId: string;
    leaseDuration: number;
    renewable: boolean;
}

/**
 * What a deploy pipeline hands an application: its role id and a fresh secret id, read and issued with an
 * operator token.
 */
export async function issueAppRoleLogin(address: VaultEndpoint, operatorToken: string, loginPath: string, app: string): Promise<{ roleId: string; secretId: string }> {
    const roleBase = loginPath.replace(/\/login$/, `/role/${app}`);
    const roleId = await call<{ data: { role_id: string } }>(address, operatorToken, "GET", `${roleBase}/role-id`);
    const secretId = await call<{ data: { secret_id: string } }>(address, operatorToken, "POST", `${roleBase}/secret-id`, {});
    return { roleId: roleId.data.role_id, secretId: secretId.data.secret_id };
}

/** Logs in as an application with its role id and a fresh secret id; returns the application's client token. */
export async function loginApp(address: VaultEndpoint, operatorToken: string, loginPath: string, app: string): Promise<string> {
    const { roleId, secretId } = await issueAppRoleLogin(address, operatorToken, loginPath, app);
    const login = await call<{ auth: { client_token: string } }>(address, undefined, "POST", loginPath, { role_id: roleId, secret_id: secretId });
    return login.auth.client_token;
}

/** Reads database credentials from a creds path. */
export async function readCreds(address: VaultEndpoint, token: string, credsPath: string): Promise<DatabaseCreds> {
    const response = await call<{ data: { username: string; password: string }; lease_id: string; lease_duration: number; renewable: boolean }>(
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
