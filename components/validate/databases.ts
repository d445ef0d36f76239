/**
 * Further databases on the same PostgreSQL, each with its own group roles, Vault admin, connection configs and roles,
 * served by the stack's one secrets engine mount and one AppRole auth method. Role names are Vault role names on
 * that one mount, so they are unique across every database of the stack.
 */
import { invalid } from "./errors";
import { checkSqlName } from "./names";
import { MAX_GROUP_PREFIX_LENGTH } from "./settings";
import { DatabaseRoleSpec, resolveRoles, resolveStaticRoles, ResolvedRoleSpec, ResolvedStaticRoleSpec, StaticRoleSpec } from "./specs";

/** A further database: its name (also its group role prefix) and its roles. */
export interface DatabaseSpec {
    name: string;
    /** Its dynamic roles (at least one); names unique across the stack's databases. */
    roles: DatabaseRoleSpec[];
    /** Its static roles; names unique across the stack's databases. */
    staticRoles?: StaticRoleSpec[];
}

export interface ResolvedDatabaseSpec {
    name: string;
    roles: ResolvedRoleSpec[];
    staticRoles: ResolvedStaticRoleSpec[];
}

const DATABASE_SPEC_KEYS = ["name", "roles", "staticRoles"];

/** The Vault admin of a further database: `<database>_vault` (the first database's is `vault_admin`). */
export function vaultAdminFor(database: string): string {
    return `${database}_vault`;
}

/**
 * Every database of the stack, the first one (`database`, `roles`, `staticRoles`) first, then `databases`; throws
 * one line for a bad entry, a database named twice, or a role or static role name used in two databases.
 */
export function resolveDatabases(where: string, specs: unknown, first: ResolvedDatabaseSpec): ResolvedDatabaseSpec[] {
    if (specs === undefined) return [first];
    if (!Array.isArray(specs)) throw invalid(where, "databases", specs, "databases must be a list of { name, roles, staticRoles? }");
    const all: ResolvedDatabaseSpec[] = [first];
    specs.forEach((spec, index) => {
        const at = `${where} databases[${index}]`;
        if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw invalid(at, "database", spec, "a database must be an object { name, roles, staticRoles? }");
        const raw = spec as Record<string, unknown>;
        const name = checkSqlName(at, "name", raw.name, MAX_GROUP_PREFIX_LENGTH);
        const named = `${at} "${name}"`;
        for (const key of Object.keys(raw)) {
            if (!DATABASE_SPEC_KEYS.includes(key)) throw invalid(named, key, raw[key], `unknown key; known keys are ${DATABASE_SPEC_KEYS.join(", ")}`);
        }
        if (all.some((database) => database.name === name)) throw invalid(at, "name", name, "this database is already declared");
        all.push({ name, roles: resolveRoles(named, raw.roles), staticRoles: resolveStaticRoles(named, raw.staticRoles) });
    });
    // One mount: a role name serves one database.
    const owner = new Map<string, string>();
    for (const database of all) {
        for (const role of [...database.roles, ...database.staticRoles]) {
            const other = owner.get(role.name);
            if (other !== undefined) {
                throw invalid(where, "roles", role.name, `declared in databases "${other}" and "${database.name}"; a role name (a Vault role on the one mount) serves one database`);
            }
            owner.set(role.name, database.name);
        }
    }
    return all;
}
