/**
 * Which connection config serves which role, within a connection budget. Vault's and OpenBao's PostgreSQL plugin
 * holds one mutex for the whole of NewUser, UpdateUser and DeleteUser (plugins/database/postgresql/postgresql.go),
 * and the database engine keeps one plugin instance, with its own pool, per connection config: roles on different
 * connections issue, renew and revoke in parallel, and each connection config may hold up to `maxOpenConnections`.
 */
import { ACCESS_LEVELS, AccessLevel } from "./sql";
import { ConnectionLayout, invalid } from "./validate";

/** One connection config: what its name adds to the base name (`<base><suffix>`) and exactly the roles it serves. */
export interface ConnectionGroup {
    suffix: string;
    roles: string[];
}

/** What bounds the connections: each config's pool size and the stack's total. */
export interface ConnectionLimits {
    maxOpenConnections: number;
    /** The most PostgreSQL connections Vault may hold for the stack, over every connection config. */
    connectionBudget: number;
}

/** FNV-1a of a role name: where a role lands in "bounded" depends on its name only, not on the other roles. */
function stableHash(text: string): number {
    let hash = 0x811c9dc5;
    for (const char of Buffer.from(text, "utf8")) {
        hash ^= char;
        hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash;
}

/** How many connection configs fit the budget (each may hold `maxOpenConnections`). */
export function connectionConfigsInBudget(limits: ConnectionLimits): number {
    return Math.floor(limits.connectionBudget / limits.maxOpenConnections);
}

/**
 * The connections a layout needs, in a stable order: "single" is the base name for every role; "per-role" is
 * `<base>-<role>`; "per-access" is `<base>-<access>` for each access level that has a role. "bounded" is "per-role"
 * while one config per role fits the budget, and otherwise spreads the roles by a hash of their names over as many
 * configs as fit, `<base>-pool-<n>` (a role keeps its config as roles are added, while the number that fits stays).
 */
export function connectionGroups(layout: ConnectionLayout, roles: readonly { name: string; access: AccessLevel }[], limits?: ConnectionLimits): ConnectionGroup[] {
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
        case "bounded": {
            // A budget below one pool is refused by checkConnectionBudget; here it still yields one.
            const fits = limits ? Math.max(1, connectionConfigsInBudget(limits)) : roles.length;
            if (roles.length <= fits) return connectionGroups("per-role", roles);
            const pools = Array.from({ length: fits }, (_, index): ConnectionGroup => ({ suffix: `-pool-${index + 1}`, roles: [] }));
            for (const role of roles) pools[stableHash(role.name) % fits].roles.push(role.name);
            return pools.filter((pool) => pool.roles.length > 0);
        }
    }
}

/**
 * Throws one line when the layout's worst case, every connection config's pool full, exceeds the budget: an explicit
 * layout that does not fit, or a budget too small for even one config.
 */
export function checkConnectionBudget(where: string, layout: ConnectionLayout, groups: readonly ConnectionGroup[], limits: ConnectionLimits): void {
    if (connectionConfigsInBudget(limits) < 1) {
        throw invalid(where, "connectionBudget", limits.connectionBudget, `must allow at least one connection config: at least maxOpenConnections (${limits.maxOpenConnections})`);
    }
    const worstCase = groups.length * limits.maxOpenConnections;
    if (worstCase > limits.connectionBudget) {
        throw invalid(where, "connections", layout,
            `${groups.length} connection configs × maxOpenConnections ${limits.maxOpenConnections} = ${worstCase} connections can exceed connectionBudget ${limits.connectionBudget}; use connections = "bounded" (the default), fewer roles per layout, or a larger connectionBudget`);
    }
}

/** One database's share of the budget, and the connection configs it gets. */
export interface DatabaseConnections {
    /** The part of `connectionBudget` this database's configs may hold (configs × maxOpenConnections). */
    connectionBudget: number;
    groups: ConnectionGroup[];
}

/**
 * The connection configs of several databases on one budget (a connection config serves one database). "bounded":
 * one per role everywhere while every role fits; otherwise each database gets one config, and the rest of what fits
 * goes to the databases in proportion to their further roles. Other layouts are per database as they are, and the
 * sum of their worst cases is checked. Throws one line when even one config per database does not fit.
 */
export function planConnections(
    where: string,
    layout: ConnectionLayout,
    databases: readonly { name: string; roles: readonly { name: string; access: AccessLevel }[] }[],
    limits: ConnectionLimits,
): DatabaseConnections[] {
    const fits = connectionConfigsInBudget(limits);
    if (fits < databases.length) {
        throw invalid(where, "connectionBudget", limits.connectionBudget,
            `${databases.length} databases need at least one connection config each: ${databases.length} × maxOpenConnections ${limits.maxOpenConnections} = ${databases.length * limits.maxOpenConnections} connections; raise connectionBudget or lower maxOpenConnections`);
    }
    const roleCount = databases.reduce((sum, database) => sum + database.roles.length, 0);
    let plan: DatabaseConnections[];
    if (layout !== "bounded" || roleCount <= fits) {
        // Every database as the layout has it ("bounded": a config per role, since all of them fit).
        plan = databases.map((database) => {
            const groups = connectionGroups(layout, database.roles);
            return { connectionBudget: Math.max(1, groups.length) * limits.maxOpenConnections, groups };
        });
    } else {
        const spare = fits - databases.length;
        const further = databases.map((database) => Math.max(0, database.roles.length - 1));
        const totalFurther = further.reduce((sum, count) => sum + count, 0);
        plan = databases.map((database, index) => {
            const configs = Math.min(database.roles.length, 1 + (totalFurther === 0 ? 0 : Math.floor((spare * further[index]) / totalFurther)));
            const connectionBudget = Math.max(1, configs) * limits.maxOpenConnections;
            return { connectionBudget, groups: connectionGroups(layout, database.roles, { ...limits, connectionBudget }) };
        });
    }
    const all = plan.flatMap((database) => database.groups);
    checkConnectionBudget(where, layout, all, limits);
    return plan;
}
