/**
 * Removes database users the secrets engine created whose `VALID UNTIL` has passed but whose leases Vault no longer
 * knows, e.g. after a dev server restart (dev mode keeps nothing). Such users can no longer log in, but they stay in
 * `pg_roles` and may own objects: this hands what they own to the owner group, then drops them, exactly like a
 * revocation would.
 *
 * Usage: npm run drop-expired-users -- --url postgresql://vault_admin:<password>@127.0.0.1:15432/app --owner-group app_owner [--dry-run] [--all]
 * The role in the URL needs CREATEROLE and membership in the owner group: the Vault admin role has both.
 *
 * `--all` also drops engine users that have not expired yet: only for when Vault no longer holds their leases (a dev
 * server restart, before or during `pulumi destroy`), since a lease Vault still holds would then fail to revoke. If
 * the owner group is already gone (a destroy dropped the database and the groups), what the users still own goes to
 * the role in the URL instead.
 */
import { Client } from "pg";
import { dropUsers } from "../components/drop-users";
import { DYNAMIC_USERNAME_PREFIX, expiredUsersQuery, quoteLiteral } from "../components/sql";

/** Drops every expired engine user (with `all`, every engine user), one transaction each; returns the names dropped. */
export async function dropExpiredUsers(client: Client, ownerGroup: string, dryRun = false, all = false): Promise<string[]> {
    const query = all ? `SELECT rolname FROM pg_roles WHERE rolname LIKE ${quoteLiteral(DYNAMIC_USERNAME_PREFIX + "%")} ORDER BY rolname` : expiredUsersQuery();
    const expired = (await client.query<{ rolname: string }>(query)).rows.map((row) => row.rolname);
    if (!dryRun) await dropUsers(client, expired, ownerGroup);
    return expired;
}

function parseArgs(argv: string[]): { url: string; ownerGroup: string; dryRun: boolean; all: boolean } {
    const usage = "usage: drop-expired-users --url <postgresql URL> --owner-group <owner group role> [--dry-run] [--all]";
    let url = "";
    let ownerGroup = "";
    let dryRun = false;
    let all = false;
    for (let index = 0; index < argv.length; index++) {
        const flag = argv[index];
        if (flag === "--help" || flag === "-h") {
            console.log(usage);
            process.exit(0);
        } else if (flag === "--url") url = argv[++index] ?? "";
        else if (flag === "--owner-group") ownerGroup = argv[++index] ?? "";
        else if (flag === "--dry-run") dryRun = true;
        else if (flag === "--all") all = true;
        else throw new Error(`unknown option ${flag}\n${usage}`);
    }
    if (!url || !ownerGroup) throw new Error(usage);
    return { url, ownerGroup, dryRun, all };
}

function main(): void {
    let args: ReturnType<typeof parseArgs>;
    try {
        args = parseArgs(process.argv.slice(2));
    } catch (error) {
        console.error((error as Error).message);
        process.exit(2);
    }
    const { url, ownerGroup, dryRun, all } = args;
    const client = new Client({ connectionString: url });
    client
        .connect()
        .then(() => dropExpiredUsers(client, ownerGroup, dryRun, all))
        .then((names) => console.log(`${dryRun ? "would drop" : "dropped"} ${names.length} ${all ? "engine" : "expired"} user(s)${names.length ? `: ${names.join(", ")}` : ""}`))
        .catch((error: Error) => {
            console.error(error.message);
            process.exitCode = 1;
        })
        .finally(() => void client.end());
}

if (require.main === module) main();
