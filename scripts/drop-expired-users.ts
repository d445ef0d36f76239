/**
 * Removes database users the secrets engine created whose `VALID UNTIL` has passed but whose leases Vault no longer
 * knows, e.g. after a dev server restart (dev mode keeps nothing). Such users can no longer log in, but they stay in
 * `pg_roles` and may own objects: this hands what they own to the owner group, then drops them, exactly like a
 * revocation would.
 *
 * Usage: npm run drop-expired-users -- --url postgresql://vault_admin:<password>@127.0.0.1:15432/app --owner-group app_owner [--dry-run]
 * The role in the URL needs CREATEROLE and membership in the owner group: the Vault admin role has both.
 */
import { Client } from "pg";
import { dropExpiredUserStatements, expiredUsersQuery } from "../components/sql";

/** Drops every expired engine user, one transaction each; returns the names dropped. */
export async function dropExpiredUsers(client: Client, ownerGroup: string, dryRun = false): Promise<string[]> {
    const expired = (await client.query<{ rolname: string }>(expiredUsersQuery())).rows.map((row) => row.rolname);
    if (dryRun) return expired;
    for (const username of expired) {
        await client.query("BEGIN");
        try {
            for (const statement of dropExpiredUserStatements(username, ownerGroup)) await client.query(statement);
            await client.query("COMMIT");
        } catch (error) {
            await client.query("ROLLBACK");
            throw new Error(`dropping ${username} failed: ${(error as Error).message}`);
        }
    }
    return expired;
}

function parseArgs(argv: string[]): { url: string; ownerGroup: string; dryRun: boolean } {
    const usage = "usage: drop-expired-users --url <postgresql URL> --owner-group <owner group role> [--dry-run]";
    let url = "";
    let ownerGroup = "";
    let dryRun = false;
    for (let index = 0; index < argv.length; index++) {
        const flag = argv[index];
        if (flag === "--help" || flag === "-h") {
            console.log(usage);
            process.exit(0);
        } else if (flag === "--url") url = argv[++index] ?? "";
        else if (flag === "--owner-group") ownerGroup = argv[++index] ?? "";
        else if (flag === "--dry-run") dryRun = true;
        else throw new Error(`unknown option ${flag}\n${usage}`);
    }
    if (!url || !ownerGroup) throw new Error(usage);
    return { url, ownerGroup, dryRun };
}

function main(): void {
    let args: ReturnType<typeof parseArgs>;
    try {
        args = parseArgs(process.argv.slice(2));
    } catch (error) {
        console.error((error as Error).message);
        process.exit(2);
    }
    const { url, ownerGroup, dryRun } = args;
    const client = new Client({ connectionString: url });
    client
        .connect()
        .then(() => dropExpiredUsers(client, ownerGroup, dryRun))
        .then((names) => console.log(`${dryRun ? "would drop" : "dropped"} ${names.length} expired user(s)${names.length ? `: ${names.join(", ")}` : ""}`))
        .catch((error: Error) => {
            console.error(error.message);
            process.exitCode = 1;
        })
        .finally(() => void client.end());
}

if (require.main === module) main();
