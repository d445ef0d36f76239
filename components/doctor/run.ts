/**
 * `runDoctor`: inspects a deployed stack and reports findings (findings.ts), read-only unless asked to fix. It reads
 * Vault's health, each role's connection config (and tries the Vault admin's own login to PostgreSQL, the read-only
 * way to see that the config can connect: a `reset` would reconnect the plugin), each role's leases against the
 * engine's users, the Vault admins' memberships, the connections Vault holds, and the certificates in use. `fix` only
 * drops orphaned users (no lease), handing what they own to their database's owner group (drop-users.ts).
 */
import { X509Certificate } from "crypto";
import { Client } from "pg";
import { dropUsers } from "../drop-users";
import { VaultError } from "../vault-api";
import { adminFindings } from "./admin-findings";
import { caOutputFindings, certificateFinding } from "./certificate-expiry";
import { connectionUseFindings } from "./connection-use";
import { DoctorFinding, doctorExitCode, DoctorReport } from "./findings";
import { orphanedUsers, roleLeaseFindings } from "./lease-findings";
import { EngineUser, parseEngineUsername } from "./lease-matching";
import { connectPostgres, loginFailure, readAdmins, readConnectionUse, readEngineUsers, tryLogin } from "./postgres-inspection";
import { presentedPostgresCertificate, presentedTlsCertificate } from "./presented-certificates";
import { DoctorDatabase, DoctorTarget, PostgresLogin } from "./target";
import { checkToken, connectionConfigProblems, healthFinding, readConnectionConfig, readHealth, readRoleConnection, readRoleLeases } from "./vault-inspection";

/** The doctor could not look at all: a server out of reach, or a login or token refused. The script exits 2. */
export class DoctorCannotInspect extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DoctorCannotInspect";
    }
}

export interface DoctorOptions {
    /** Drop orphaned users; nothing else is ever changed. */
    fix?: boolean;
    /** The time findings are judged at; default now. */
    now?: Date;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Each role's users, by the role in their names; static roles' users are not the engine's. */
function usersByRole(users: readonly EngineUser[], roles: readonly string[], staticUsers: ReadonlySet<string>): Map<string, EngineUser[]> {
    const byRole = new Map(roles.map((role) => [role, [] as EngineUser[]]));
    for (const user of users) {
        const role = parseEngineUsername(user.name)?.role;
        if (role !== undefined && !staticUsers.has(user.name)) byRole.get(role)?.push(user);
    }
    return byRole;
}

/** Check "connection" for one database; returns the sum of its configs' max_open_connections (undefined if unread). */
async function checkConnections(target: DoctorTarget, database: DoctorDatabase, findings: DoctorFinding[], staticUsers: Set<string>): Promise<number | undefined> {
    const mount = target.mountPath;
    const rolesOf = new Map<string, string[]>();
    const kinds = [...database.roles.map((role) => [role, "roles"] as const), ...database.staticRoles.map((role) => [role, "static-roles"] as const)];
    for (const [role, kind] of kinds) {
        const found = await readRoleConnection(target.vault, mount, role, kind);
        if (!found) {
            findings.push({ check: "connection", subject: `${mount}/${kind}/${role}`, severity: "fail", detail: "Vault has no such role (404): pulumi up --refresh declares it again" });
            continue;
        }
        if (kind === "static-roles") staticUsers.add(found.username ?? role);
        rolesOf.set(found.connection, [...(rolesOf.get(found.connection) ?? []), role]);
    }
    let worstCase: number | undefined = 0;
    for (const [name, roles] of rolesOf) {
        const subject = `${mount}/config/${name}`;
        const config = await readConnectionConfig(target.vault, mount, name);
        if (!config) {
            findings.push({ check: "connection", subject, severity: "fail", detail: `missing (404), while ${roles.join(", ")} use${roles.length === 1 ? "s" : ""} it: nothing can be issued for them` });
            worstCase = undefined;
            continue;
        }
        worstCase = worstCase === undefined || config.maxOpenConnections === undefined ? undefined : worstCase + config.maxOpenConnections;
        const problems = connectionConfigProblems(config, { database: database.name, admin: database.admin, roles });
        if (problems.length > 0) {
            findings.push({ check: "connection", subject, severity: "fail", detail: problems.join("; ") });
            continue;
        }
        const login: PostgresLogin | undefined = database.adminPassword ? { ...target.postgres, user: database.admin, password: database.adminPassword, database: database.name } : undefined;
        const failure = login && (await tryLogin(login));
        const where = `${target.postgres.host}:${target.postgres.port}, sslmode ${target.postgres.sslMode}`;
        findings.push(
            failure
                ? { check: "connection", subject, severity: "fail", detail: `read; the Vault admin's login fails: ${failure}` }
                : {
                      check: "connection", subject, severity: "ok",
                      detail: `${database.admin} → ${database.name} for ${roles.join(", ")}; ${login ? `the admin logs in (${where})` : "login not tried: the outputs carry no password for it (rotated by Vault)"}`,
                  },
        );
    }
    return worstCase;
}

/** Check "certificate": the certificates the servers present, then the CA outputs. */
async function checkCertificates(target: DoctorTarget, now: Date): Promise<DoctorFinding[]> {
    const findings: DoctorFinding[] = [];
    const presented: X509Certificate[] = [];
    const vaultUrl = new URL(target.vault.address);
    const servers: { subject: string; read: () => Promise<X509Certificate | undefined> }[] = [];
    if (vaultUrl.protocol === "https:") {
        servers.push({ subject: `Vault ${vaultUrl.host}`, read: () => presentedTlsCertificate(vaultUrl.hostname.replace(/^\[|\]$/g, ""), Number(vaultUrl.port || 443)) });
    }
    const { host, port, sslMode } = target.postgres;
    if (!["disable", "allow"].includes(sslMode)) servers.push({ subject: `PostgreSQL ${host}:${port}`, read: () => presentedPostgresCertificate(host, port) });
    for (const server of servers) {
        try {
            const certificate = await server.read();
            if (!certificate) {
                findings.push({ check: "certificate", subject: server.subject, severity: sslMode === "prefer" ? "warn" : "fail", detail: `speaks no TLS, while sslmode is ${sslMode}` });
                continue;
            }
            presented.push(certificate);
            findings.push(certificateFinding(server.subject, certificate, now));
        } catch (error) {
            findings.push({ check: "certificate", subject: server.subject, severity: "fail", detail: `its certificate could not be read: ${message(error)}` });
        }
    }
    for (const [output, pem] of Object.entries(target.caCertificates)) findings.push(...caOutputFindings(output, pem, presented, now));
    return findings;
}

/** `--fix`: drops each orphan in its database, as the URL's role or that database's Vault admin (its creator). */
async function dropOrphans(target: DoctorTarget, orphans: { database: DoctorDatabase; user: EngineUser }[], findings: DoctorFinding[]): Promise<void> {
    for (const database of target.databases) {
        const users = orphans.filter((orphan) => orphan.database === database).map((orphan) => orphan.user.name);
        if (users.length === 0) continue;
        const login: PostgresLogin | undefined = target.postgresFromUrl
            ? { ...target.postgres, database: database.name }
            : database.adminPassword ? { ...target.postgres, user: database.admin, password: database.adminPassword, database: database.name } : undefined;
        const finding = (user: string): DoctorFinding | undefined => findings.find((entry) => entry.check === "users" && entry.subject === user);
        const notDropped = (user: string, why: string): void => void (finding(user)!.detail += `; --fix could not drop it: ${why}`);
        if (!login) {
            for (const user of users) notDropped(user, `no password for ${database.admin} in the outputs (pass --postgres-url)`);
            continue;
        }
        let client: Client;
        try {
            client = await connectPostgres(login);
        } catch (error) {
            for (const user of users) notDropped(user, loginFailure(login, error));
            continue;
        }
        try {
            for (const user of users) {
                try {
                    await dropUsers(client, [user], database.groups.owner);
                    finding(user)!.fixed = `dropped by --fix (what it owned now belongs to ${database.groups.owner})`;
                } catch (error) {
                    notDropped(user, message(error));
                }
            }
        } finally {
            await client.end().catch(() => undefined);
        }
    }
}

/** Inspects the stack; throws DoctorCannotInspect when Vault or PostgreSQL cannot be looked at at all. */
export async function runDoctor(target: DoctorTarget, options: DoctorOptions = {}): Promise<DoctorReport> {
    const now = options.now ?? new Date();
    const findings: DoctorFinding[] = [];
    const health = await readHealth(target.vault).catch((error) => {
        throw new DoctorCannotInspect(`cannot reach Vault at ${target.vault.address}: ${message(error)}`);
    });
    const vaultServes = health.initialized && !health.sealed;
    const vaultFinding = healthFinding(target.vault.address, health);
    findings.push(vaultServes ? vaultFinding : { ...vaultFinding, detail: `${vaultFinding.detail}; connection configs and leases not checked` });
    if (vaultServes) await checkToken(target.vault).catch((error) => Promise.reject(new DoctorCannotInspect(message(error))));

    const client = await connectPostgres(target.postgres).catch((error) => {
        throw new DoctorCannotInspect(`cannot inspect PostgreSQL: ${loginFailure(target.postgres, error)}`);
    });
    const orphans: { database: DoctorDatabase; user: EngineUser }[] = [];
    try {
        // Users first, leases after: a user created in between is missing here rather than a false orphan.
        const users = await readEngineUsers(client);
        let worstCase: number | undefined = vaultServes ? 0 : undefined;
        for (const database of target.databases) {
            if (!vaultServes) continue;
            const staticUsers = new Set<string>();
            const configs = await checkConnections(target, database, findings, staticUsers);
            worstCase = worstCase === undefined || configs === undefined ? undefined : worstCase + configs;
            const byRole = usersByRole(users, database.roles, staticUsers);
            for (const role of database.roles) {
                let leases;
                try {
                    leases = await readRoleLeases(target.vault, target.mountPath, role);
                } catch (error) {
                    const refused = error instanceof VaultError && error.status === 403;
                    const detail = refused ? `the token may not list sys/leases/lookup/${target.mountPath}/creds/${role} (it needs sudo there)` : message(error);
                    findings.push({ check: "leases", subject: role, severity: "fail", detail: `not checked: ${detail}` });
                    continue;
                }
                const roleUsers = byRole.get(role) ?? [];
                findings.push(...roleLeaseFindings(role, roleUsers, leases, now));
                orphans.push(...orphanedUsers(roleUsers, leases, now).map((user) => ({ database, user })));
            }
        }
        const admins = await readAdmins(client, target.databases.map((database) => database.admin));
        for (const database of target.databases) {
            const found = admins.get(database.admin);
            findings.push(...adminFindings({ admin: database.admin, database: database.name, groups: database.groups, staticUsers: database.staticRoles }, found?.attributes, found?.memberships ?? [], now));
        }
        const use = await readConnectionUse(client, target.databases.map((database) => database.admin));
        findings.push(...connectionUseFindings(use, target.connectionBudget, worstCase));
    } finally {
        await client.end().catch(() => undefined);
    }
    findings.push(...(await checkCertificates(target, now)));
    if (options.fix) await dropOrphans(target, orphans, findings);
    return { findings, exitCode: doctorExitCode(findings) };
}
