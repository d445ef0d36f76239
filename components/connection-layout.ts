/**
 * Which connection config serves which role. Vault's and OpenBao's PostgreSQL plugin holds one mutex for the whole
 * of NewUser, UpdateUser and DeleteUser (plugins/database/postgresql/postgresql.go), and the database engine keeps
 * one plugin instance per connection config: roles on different connections issue, renew and revoke in parallel.
 */
import { ACCESS_LEVELS, AccessLevel } from "./sql";
import { ConnectionLayout } from "./validate";

/** One connection config: what its name adds to the base name (`<base><suffix>`) and exactly the roles it serves. */
export interface ConnectionGroup {
    suffix: string;
    roles: string[];
}

/**
 * The connections a layout needs, in a stable order: "single" is the base name for every role; "per-role" is
 * `<base>-<role>`; "per-access" is `<base>-<access>` for each access level that has a role.
 */
export function connectionGroups(layout: ConnectionLayout, roles: readonly { name: string; access: AccessLevel }[]): ConnectionGroup[] {
    switch (layout) {
        case "single":
            return [{ suffix: "", roles: roles.map((role) => role.name) }];
        case "per-role":
            return roles.map((role) => ({ suffix: `-${role.name}`, roles: [role.name] }));
        case "per-access":
            return ACCESS_LEVELS.map((access) => ({
                suffix: `-${access}`,
                roles: roles.filter((role) => role.access === access).map((role) => role.name),
            })).filter((group) => group.roles.length > 0);
    }
}
