/**
 * Drops engine users the way a revocation does (dropExpiredUserStatements): what each owns goes to the owner group
 * first, then its grants and the role itself, one transaction per user. Shared by `npm run drop-expired-users` and the
 * doctor's `--fix`.
 */
import type { Client } from "pg";
import { dropExpiredUserStatements } from "./sql";

/**
 * Drops `usernames` in the connected database (REASSIGN and DROP OWNED act on it only). If the owner group is gone
 * (a destroy dropped it), what the users own goes to the connected role instead. The role needs CREATEROLE and ADMIN
 * OPTION on each user (the Vault admin that created it has both), or superuser. Throws one line naming the first user
 * that could not be dropped; the ones before it stay dropped.
 */
export async function dropUsers(client: Client, usernames: readonly string[], ownerGroup: string): Promise<void> {
    if (usernames.length === 0) return;
    const ownerExists = (await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [ownerGroup])).rowCount === 1;
    const newOwner = ownerExists ? ownerGroup : (await client.query<{ name: string }>("SELECT current_user AS name")).rows[0].name;
    for (const username of usernames) {
        await client.query("BEGIN");
        try {
            for (const statement of dropExpiredUserStatements(username, newOwner)) await client.query(statement);
            await client.query("COMMIT");
        } catch (error) {
            await client.query("ROLLBACK");
            throw new Error(`dropping ${username} failed: ${(error as Error).message}`);
        }
    }
}
