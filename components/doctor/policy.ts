/**
 * The least-privilege ACL policy for a token the doctor runs with (instead of the root token): everything it reads,
 * nothing it could change. `npm run doctor -- --policy` prints it.
 */
import { renderPolicy } from "../hcl";

/** What the doctor reads of the mount and of the leases under it; `auth/token/lookup-self` is in the default policy. */
export function doctorPolicy(mountPath: string): string {
    return renderPolicy([
        { path: `${mountPath}/roles/*`, capabilities: ["read"], comment: "which connection config each role uses" },
        { path: `${mountPath}/static-roles/*`, capabilities: ["read"], comment: "the same for static roles, and their users" },
        { path: `${mountPath}/config/*`, capabilities: ["read"], comment: "the connection configs (Vault never returns their passwords)" },
        { path: `sys/leases/lookup/${mountPath}/creds/*`, capabilities: ["list", "sudo"], comment: "listing a role's leases needs sudo" },
        { path: "sys/leases/lookup", capabilities: ["update"], comment: "each lease's issue and expire time" },
    ]);
}
