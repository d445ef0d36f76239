/**
 * What the doctor inspects (DoctorTarget), from a stack's outputs (`pulumi stack output --json --show-secrets`) and
 * explicit settings, which win: the Vault address and CA, VAULT_TOKEN, a PostgreSQL URL and CA, the mount, the budget;
 * without outputs, a one-database stack described by its roles. Pure: throws one line for what is missing or wrong.
 */
import { GroupRoleNames, groupRoleNames } from "../sql";
import { DEFAULTS, vaultAdminFor } from "../validate";

/** One database of the stack as the doctor checks it. */
export interface DoctorDatabase {
    name: string;
    /** Its Vault admin: the login role of its connection configs. */
    admin: string;
    /** The admin's password where the outputs carry it (not once Vault rotated it). */
    adminPassword?: string;
    groups: GroupRoleNames;
    /** Its dynamic roles: Vault role names on the mount, also the `<role>` in their users' names. */
    roles: string[];
    /** Its static roles, each also the name of its PostgreSQL user. */
    staticRoles: string[];
}

/** A PostgreSQL login: who, where, and how TLS is verified (libpq's sslmode, the CA as PEM). */
export interface PostgresLogin {
    host: string;
    port: number;
    user: string;
    password: string;
    database: string;
    sslMode: string;
    caCertificate?: string;
}

export interface DoctorTarget {
    vault: { address: string; token: string; caCertificate?: string };
    /** Who the doctor reads PostgreSQL's catalogs as: the URL's role, else the first database's Vault admin. */
    postgres: PostgresLogin;
    /** Whether `postgres` came from an explicit URL: then `--fix` acts as that role in every database. */
    postgresFromUrl: boolean;
    mountPath: string;
    databases: DoctorDatabase[];
    connectionBudget?: number;
    /** The CA certificates (PEM) the outputs carry, by output name. */
    caCertificates: Record<string, string>;
}

/** Explicit settings; each wins over the outputs. CA certificates as PEM text. */
export interface DoctorSettings {
    vaultAddress?: string;
    vaultCaCertificate?: string;
    postgresUrl?: string;
    postgresCaCertificate?: string;
    mountPath?: string;
    connectionBudget?: number;
    /** Without outputs only: the roles, static roles and Vault admin of the URL's database. */
    roles?: string[];
    staticRoles?: string[];
    vaultAdmin?: string;
}

type Outputs = Record<string, unknown>;

const text = (outputs: Outputs, key: string): string | undefined => (typeof outputs[key] === "string" && outputs[key] !== "" ? (outputs[key] as string) : undefined);
const record = (outputs: Outputs, key: string): Record<string, string> | undefined =>
    typeof outputs[key] === "object" && outputs[key] !== null ? (outputs[key] as Record<string, string>) : undefined;

/** `host:port`, or `[v6]:port`. */
function splitAddress(address: string): { host: string; port: number } {
    const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(address);
    if (!match) throw new Error(`postgresAddress "${address}" is not host:port`);
    return { host: match[1].replace(/^\[|\]$/g, ""), port: Number(match[2]) };
}

/** A postgresql:// URL as a login; sslmode from the URL, else `sslMode`. */
function urlLogin(url: string, sslMode: string): Omit<PostgresLogin, "caCertificate"> {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        throw new Error("--postgres-url is not a URL: expected postgresql://user:password@host:port/database");
    }
    if (!/^postgres(ql)?:$/.test(parsed.protocol) || !parsed.username || !parsed.hostname) {
        throw new Error("--postgres-url must be postgresql://user:password@host:port/database");
    }
    return {
        host: parsed.hostname.replace(/^\[|\]$/g, ""),
        port: parsed.port ? Number(parsed.port) : 5432,
        user: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password),
        database: decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "postgres",
        sslMode: parsed.searchParams.get("sslmode") ?? sslMode,
    };
}

/** The databases of a stack, from its outputs: the first (`database`) first, each with its roles. */
function databasesFromOutputs(outputs: Outputs): DoctorDatabase[] {
    const first = text(outputs, "database");
    const credsPaths = record(outputs, "credsPaths");
    if (!first || !credsPaths) throw new Error("the outputs lack database or credsPaths: is this a vault-pg stack's `pulumi stack output --json --show-secrets`?");
    const roleDatabases = record(outputs, "roleDatabases") ?? {};
    const staticRoles = Object.keys(record(outputs, "staticCredsPaths") ?? {});
    const admins = record(outputs, "vaultAdmins") ?? {};
    const legacyPassword = text(outputs, "vaultAdminPassword");
    const passwords = record(outputs, "vaultAdminPasswords") ?? (legacyPassword ? { [first]: legacyPassword } : {});
    const names = [first, ...new Set(Object.values(roleDatabases))].filter((name, index, all) => all.indexOf(name) === index);
    const firstGroups = record(outputs, "groupRoles") as GroupRoleNames | undefined;
    return names.map((name) => ({
        name,
        admin: admins[name] ?? (name === first ? DEFAULTS.vaultAdminUsername : vaultAdminFor(name)),
        ...(passwords[name] ? { adminPassword: passwords[name] } : {}),
        groups: name === first && firstGroups ? firstGroups : groupRoleNames(name),
        roles: Object.keys(credsPaths).filter((role) => (roleDatabases[role] ?? first) === name),
        staticRoles: staticRoles.filter((role) => (roleDatabases[role] ?? first) === name),
    }));
}

/** Outputs (or none) and settings into what the doctor inspects; `vaultToken` is VAULT_TOKEN, which wins. */
export function doctorTarget(outputs: Outputs | undefined, settings: DoctorSettings, vaultToken: string | undefined): DoctorTarget {
    const given = outputs ?? {};
    if (outputs && (settings.roles || settings.staticRoles || settings.vaultAdmin)) {
        throw new Error("--roles, --static-roles and --vault-admin describe a stack without --outputs; its outputs list them");
    }
    const vaultAddress = settings.vaultAddress ?? text(given, "vaultAddress");
    if (!vaultAddress) throw new Error("no Vault address: pass --outputs or --vault-address");
    const token = vaultToken || text(given, "vaultRootToken");
    if (!token) throw new Error("no Vault token: set VAULT_TOKEN (the outputs carry no vaultRootToken)");
    const sslMode = text(given, "postgresSslMode") ?? "prefer";
    const postgresCa = settings.postgresCaCertificate ?? text(given, "postgresCaCertificate");

    let databases: DoctorDatabase[];
    let postgres: PostgresLogin;
    if (outputs) {
        databases = databasesFromOutputs(outputs);
        if (settings.postgresUrl) {
            postgres = { ...urlLogin(settings.postgresUrl, sslMode), ...(postgresCa ? { caCertificate: postgresCa } : {}) };
        } else {
            const address = text(outputs, "postgresAddress");
            if (!address) throw new Error("the outputs lack postgresAddress: pass --postgres-url");
            const [first] = databases;
            if (!first.adminPassword) throw new Error(`the outputs carry no password for ${first.admin} (Vault rotated it?): pass --postgres-url`);
            postgres = { ...splitAddress(address), user: first.admin, password: first.adminPassword, database: first.name, sslMode, ...(postgresCa ? { caCertificate: postgresCa } : {}) };
        }
    } else {
        if (!settings.postgresUrl) throw new Error("no PostgreSQL: pass --outputs or --postgres-url");
        if (!settings.roles || settings.roles.length === 0) throw new Error("no roles: pass --outputs or --roles");
        postgres = { ...urlLogin(settings.postgresUrl, sslMode), ...(postgresCa ? { caCertificate: postgresCa } : {}) };
        const admin = settings.vaultAdmin ?? DEFAULTS.vaultAdminUsername;
        databases = [{
            name: postgres.database,
            admin,
            ...(admin === postgres.user ? { adminPassword: postgres.password } : {}),
            groups: groupRoleNames(postgres.database),
            roles: settings.roles,
            staticRoles: settings.staticRoles ?? [],
        }];
    }
    const budget = settings.connectionBudget ?? (typeof given.connectionBudget === "number" ? given.connectionBudget : undefined);
    const vaultCa = settings.vaultCaCertificate ?? text(given, "vaultCaCertificate");
    const caCertificates = Object.fromEntries(
        ["caCertificate", "vaultCaCertificate", "postgresCaCertificate"].flatMap((key) => (text(given, key) ? [[key, text(given, key)!]] : [])),
    );
    return {
        vault: { address: vaultAddress, token, ...(vaultCa ? { caCertificate: vaultCa } : {}) },
        postgres,
        postgresFromUrl: settings.postgresUrl !== undefined,
        mountPath: settings.mountPath ?? text(given, "mountPath") ?? DEFAULTS.mountPath,
        databases,
        ...(budget !== undefined ? { connectionBudget: budget } : {}),
        caCertificates,
    };
}
