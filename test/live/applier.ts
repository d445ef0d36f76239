/**
 * Replays a Pulumi program's whole life on a real PostgreSQL and a real Vault-API server, the way the engine and the
 * providers would: creation (`applyResources`), an update between two recorded programs (`planUpdate` + `up`), a
 * `destroy`, and a `refresh`. Programs are recorded under mocks (test/helpers/pulumi-mocks.ts); nothing here is a
 * fixture: statements, policies and grants are the program's own inputs. Per-resource SQL and Vault API calls are in
 * applier-providers.ts.
 *
 * Engine semantics (pulumi/pulumi, pkg/resource/deploy):
 * - step_generator.go: a resource whose inputs changed is updated, or replaced when a changed input is one the
 *   provider forces new on; a replacement is created first and its old copy deleted at the end ("create before
 *   delete"); resources named in `replaceWith` of a replaced resource are replaced with it; `ignoreChanges` keeps the
 *   old value of a property; resources gone from the program are deleted after all creates and updates, and deletes
 *   run in reverse dependency order (a resource goes only once everything that depends on it, its children and the
 *   resources using it as provider are gone), in parallel where nothing orders them.
 * - step.go, DeleteStep.Apply: a resource whose `deletedWith` target is deleted in the same operation is removed from
 *   state without calling the provider. RefreshStep.Apply: the provider's Read replaces the state's inputs; a
 *   resource the provider reads as missing is dropped from state.
 *
 * Provider semantics replayed (cyrilgdn/terraform-provider-postgresql, which @pulumi/postgresql 3.18 bridges):
 * - postgresql/resource_postgresql_role.go: create = CREATE ROLE + GRANT each of `roles`; update = ALTER ROLE, then
 *   REVOKE every membership the role has and GRANT `roles` (on any update); delete = REASSIGN OWNED BY <role> TO
 *   <provider user>, DROP OWNED, DROP ROLE, in the provider's own database only; read: `roles` = every membership in
 *   pg_auth_members.
 * - postgresql/resource_postgresql_grant_role.go: every argument forces new; create = REVOKE then GRANT [WITH ADMIN
 *   OPTION]; delete = REVOKE; read: the pg_auth_members row, missing = gone.
 * - postgresql/resource_postgresql_grant.go: create/update = REVOKE ALL (previous values) then GRANT, in one
 *   transaction in `database`; delete = REVOKE ALL; read = each object's ACL for the role compared with the declared
 *   privileges, and the first object that differs becomes the read value (so a table with more or fewer privileges
 *   is drift).
 * - postgresql/resource_postgresql_default_privileges.go: create/update = ALTER DEFAULT PRIVILEGES ... REVOKE ALL then
 *   GRANT; delete = REVOKE ALL; read from pg_default_acl, and no privileges read as "gone".
 * - postgresql/resource_postgresql_database.go: delete = ALLOW_CONNECTIONS false, terminate sessions, DROP DATABASE
 *   ... WITH (FORCE).
 * Provider semantics replayed (hashicorp/terraform-provider-vault, which @pulumi/vault 7.8 bridges), each read
 * dropping the resource from state when the server has nothing at its path:
 * - vault/resource_mount.go: `type` forces new, `path` remounts; delete = DELETE sys/mounts/<path>.
 * - vault/resource_database_secret_backend_connection.go: `backend` forces new; create/update = POST
 *   <backend>/config/<name>; delete = DELETE of it. vault/resource_database_secret_backend_role.go: `name`,
 *   `backend`, `db_name` force new; POST/DELETE <backend>/roles/<name>.
 * - vault/resource_policy.go (`name` forces new; PUT/DELETE sys/policies/acl/<name>), vault/resource_auth_backend.go
 *   (`type` forces new; POST/DELETE sys/auth/<path>), vault/resource_approle_auth_backend_role.go (`role_name`,
 *   `backend` force new; POST/DELETE auth/<backend>/role/<name>).
 * Server semantics the live tests rely on (openbao/openbao): vault/mount.go unmountInternal revokes every lease under
 * the mount (RevokePrefix) before it clears the mount's storage, so revocation still finds the connection if it was
 * not deleted first; builtin/logical/database/secret_creds.go revokes a lease whose role was deleted with the
 * connection name and revocation statements kept in the lease's internal data, but needs the connection itself.
 *
 * Not applied: docker:* (the harness runs both servers as local processes; a changed container counts as replaced,
 * and the caller stands in a fresh server), random:* (the recorded mock values are the passwords),
 * pulumi:providers:* (the harness's superuser and root token stand in for them). Any other type, or an input the
 * mapping does not know, fails loudly so the mapping cannot silently fall behind.
 */
import * as fs from "fs";
import { isDeepStrictEqual } from "util";
import { nodePostgresSsl } from "../../components/postgres-tls";
import { plain, providerUrn, RecordedResource, TYPES } from "../helpers/pulumi-mocks";
import { PostgresServer } from "./harness";
import { Inputs, LiveTargets, opsFor, PostgresLogin, ProviderContext } from "./applier-providers";

export type { LiveTargets };

const NOT_APPLIED = new Set<string>([TYPES.container, TYPES.network, TYPES.volume, TYPES.image, TYPES.password, TYPES.pgProvider, TYPES.vaultProvider]);
const isApplied = (resource: RecordedResource): boolean => resource.custom && !NOT_APPLIED.has(resource.type);

/**
 * In the container setup Vault reaches PostgreSQL by its container name on the Docker network. Here both are local
 * processes, so that one endpoint is rewritten to the harness's port. This is the only place it happens.
 */
function localEndpoints(resources: RecordedResource[], postgres: PostgresServer): Map<string, string> {
    const endpoints = new Map<string, string>();
    for (const container of resources.filter((resource) => resource.type === TYPES.container)) {
        const inputs = plain<{ name: string; envs?: string[]; ports?: { internal: number }[] }>(container.inputs);
        if ((inputs.envs ?? []).some((env) => env.startsWith("POSTGRES_PASSWORD="))) {
            endpoints.set(`${inputs.name}:${inputs.ports?.[0]?.internal ?? 5432}`, `${postgres.host}:${postgres.port}`);
        }
    }
    return endpoints;
}

/**
 * The admin each resource's postgresql provider logs in as. With the PostgreSQL container, the harness's superuser
 * stands in for the container's (its password is the harness's, not the recorded mock). With an existing PostgreSQL,
 * the provider's recorded settings (from the stack config); the admin check, which has no provider, uses its own.
 */
function postgresAdmins(resources: RecordedResource[], postgres: PostgresServer, containerProgram: boolean): (resource: RecordedResource) => PostgresLogin {
    const harnessSuperuser: PostgresLogin = { host: postgres.host, port: postgres.port, user: postgres.superuser, password: postgres.superuserPassword, ssl: postgres.ssl };
    const providers = new Map(resources.filter((resource) => resource.type === TYPES.pgProvider).map((resource) => [resource.urn, resource]));
    return (resource) => {
        if (containerProgram) return harnessSuperuser;
        const provider = resource.provider ? providers.get(providerUrn(resource.provider)) : undefined;
        if (provider) {
            const settings = plain<ProviderSettings>(provider.inputs);
            return { host: settings.host, port: Number(settings.port), user: settings.username, password: settings.password, ssl: providerSsl(settings) };
        }
        if (resource.type === TYPES.adminCheck) {
            const own = plain<{ host: string; port: number; username: string; password: string; sslMode: string; caCertificate?: string; clientCertificate?: string; clientKey?: string }>(resource.inputs);
            return { host: own.host, port: Number(own.port), user: own.username, password: own.password, ssl: nodePostgresSsl(own) };
        }
        return harnessSuperuser;
    };
}

/** A postgresql provider's recorded connection settings. */
interface ProviderSettings {
    host: string;
    port: string | number;
    username: string;
    password: string;
    sslmode?: string;
    sslrootcert?: string;
    /** An object in config reaches a provider as JSON text (how the SDK serializes provider inputs). */
    clientcert?: string | { cert: string; key: string; sslinline?: boolean };
}

/**
 * TLS as lib/pq makes it of the provider's settings (postgresql/config.go, connParams; lib/pq ssl.go): sslrootcert is
 * a file, or PEM itself with `sslinline` (set only inside clientcert), and so are the client certificate and key.
 */
function providerSsl(settings: ProviderSettings) {
    const clientcert = typeof settings.clientcert === "string" ? (JSON.parse(settings.clientcert) as Exclude<ProviderSettings["clientcert"], string>) : settings.clientcert;
    const inline = clientcert?.sslinline === true;
    const read = (value: string | undefined): string | undefined => (value === undefined || value === "" ? undefined : inline ? value : fs.readFileSync(value, "utf8"));
    return nodePostgresSsl({
        sslMode: settings.sslmode ?? "prefer",
        caCertificate: read(settings.sslrootcert),
        clientCertificate: read(clientcert?.cert),
        clientKey: read(clientcert?.key),
    });
}

/** The provider context of each resource: the shared targets, and the PostgreSQL admin of its provider. */
function providerContext(resources: RecordedResource[], targets: LiveTargets): (resource: RecordedResource) => ProviderContext {
    const endpoints = localEndpoints(resources, targets.postgres);
    const adminOf = postgresAdmins(resources, targets.postgres, endpoints.size > 0);
    return (resource) => ({
        targets,
        pgAdmin: adminOf(resource),
        localUrl(url) {
            // With an existing PostgreSQL the program declares no container, and its URL already names the real servers.
            if (endpoints.size === 0) return url;
            for (const [inNetwork, local] of endpoints) {
                if (url.includes(`@${inNetwork}/`)) return url.replace(`@${inNetwork}/`, `@${local}/`);
            }
            throw new Error(`applier: connection URL ${url} points at no known PostgreSQL container (${[...endpoints.keys()].join(", ")})`);
        },
    });
}

/** The URNs a resource needs to exist first: dependencies, its parent and its provider. */
function prerequisites(resource: RecordedResource): string[] {
    return [...resource.dependencies, ...(resource.parent ? [resource.parent] : []), ...(resource.provider ? [providerUrn(resource.provider)] : [])];
}

/** Resources in an order where each comes after everything it depends on (Pulumi's create order). */
function createOrder(resources: RecordedResource[]): RecordedResource[] {
    const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
    const ordered: RecordedResource[] = [];
    const visited = new Set<string>();
    const visit = (resource: RecordedResource): void => {
        if (visited.has(resource.urn)) return;
        visited.add(resource.urn);
        for (const urn of prerequisites(resource)) {
            const target = byUrn.get(urn);
            if (target) visit(target);
        }
        ordered.push(resource);
    };
    resources.forEach(visit);
    return ordered;
}

/**
 * The deletion waves of `doomed` within `state`: each wave holds what nothing still standing depends on, so the
 * engine may delete a wave's members in parallel, and wave n+1 starts when wave n is done.
 */
export function deleteWaves(state: RecordedResource[], doomed: RecordedResource[]): RecordedResource[][] {
    const remaining = new Set(doomed.map((resource) => resource.urn));
    const byUrn = new Map(state.map((resource) => [resource.urn, resource]));
    const dependents = new Map<string, Set<string>>();
    for (const resource of state) {
        for (const urn of prerequisites(resource)) dependents.set(urn, (dependents.get(urn) ?? new Set()).add(resource.urn));
    }
    const waves: RecordedResource[][] = [];
    while (remaining.size > 0) {
        const wave = [...remaining].filter((urn) => ![...(dependents.get(urn) ?? [])].some((dependent) => remaining.has(dependent)));
        if (wave.length === 0) throw new Error(`applier: dependency cycle among ${[...remaining].join(", ")}`);
        wave.forEach((urn) => remaining.delete(urn));
        waves.push(wave.map((urn) => byUrn.get(urn) ?? doomed.find((resource) => resource.urn === urn)!));
    }
    return waves;
}

/** One change to a resource that exists before and after. */
export interface Change {
    before: RecordedResource;
    after: RecordedResource;
    /** Inputs that differ once `ignoreChanges` is applied. */
    changed: string[];
}

/** What `pulumi up` would do to go from the deployed state to a program. */
export interface Plan {
    creates: RecordedResource[];
    updates: Change[];
    replaces: Change[];
    deletes: RecordedResource[];
}

/** The new inputs with every `ignoreChanges` property taken from the old ones. */
function withIgnoredChanges(after: RecordedResource, before: RecordedResource): Inputs {
    const inputs: Inputs = { ...plain<Inputs>(after.inputs) };
    const old = plain<Inputs>(before.inputs);
    for (const path of after.ignoreChanges) {
        if (path.includes(".") || path.includes("[")) throw new Error(`applier: ignoreChanges path ${path} of ${after.name} is not a top-level input; extend the mapping`);
        if (path in old) inputs[path] = old[path];
        else delete inputs[path];
    }
    return inputs;
}

function changedInputs(old: Inputs, next: Inputs): string[] {
    const keys = new Set([...Object.keys(old), ...Object.keys(next)]);
    return [...keys].filter((key) => !isDeepStrictEqual(old[key] ?? null, next[key] ?? null)).sort();
}

/** The plan from `before` (deployed state) to `after` (a recorded program), as the engine computes it. */
export function planUpdate(before: RecordedResource[], after: RecordedResource[]): Plan {
    const old = new Map(before.filter((resource) => resource.custom).map((resource) => [resource.urn, resource]));
    const next = new Map(after.filter((resource) => resource.custom).map((resource) => [resource.urn, resource]));
    const plan: Plan = { creates: [], updates: [], replaces: [], deletes: [] };
    const replaced = new Set<string>();
    const changes = new Map<string, Change>();
    for (const resource of next.values()) {
        const previous = old.get(resource.urn);
        if (!previous) {
            if (isApplied(resource)) opsFor(resource.type, plain(resource.inputs));
            plan.creates.push(resource);
            continue;
        }
        const changed = changedInputs(plain(previous.inputs), withIgnoredChanges(resource, previous));
        if (changed.length === 0) continue;
        changes.set(resource.urn, { before: previous, after: resource, changed });
        // A changed container or other stand-in counts as replaced: its replaceWith dependents follow it.
        const forcesNew = isApplied(resource) ? changed.some((key) => opsFor(resource.type, plain(resource.inputs)).replaceOn.includes(key)) : true;
        if (forcesNew) replaced.add(resource.urn);
    }
    // replaceWith: replaced along with any resource it names, transitively.
    for (let grew = true; grew; ) {
        grew = false;
        for (const resource of next.values()) {
            if (!old.has(resource.urn) || replaced.has(resource.urn)) continue;
            if (resource.replaceWith.some((urn) => replaced.has(urn))) {
                replaced.add(resource.urn);
                if (!changes.has(resource.urn)) changes.set(resource.urn, { before: old.get(resource.urn)!, after: resource, changed: [] });
                grew = true;
            }
        }
    }
    for (const [urn, change] of changes) (replaced.has(urn) ? plan.replaces : plan.updates).push(change);
    plan.deletes = [...old.values()].filter((resource) => !next.has(resource.urn));
    return plan;
}

/** Whether a plan changes nothing: what a no-change preview shows. */
export function isEmptyPlan(plan: Plan): boolean {
    return plan.creates.length + plan.updates.length + plan.replaces.length + plan.deletes.length === 0;
}

/** One step the replay took; `actions` are the SQL statements and Vault calls it made. */
export interface Step {
    op: "create" | "update" | "replace" | "delete" | "delete-skipped" | "delete-retained";
    type: string;
    name: string;
    /** For deletes: the wave it ran in (waves run one after another). */
    wave?: number;
    actions: string[];
}

/** A replay that stopped at a failing step; `state` is what stays deployed, `steps` what was done. */
export class ApplyError extends Error {
    constructor(
        message: string,
        public readonly state: RecordedResource[],
        public readonly steps: Step[],
    ) {
        super(message);
        this.name = "ApplyError";
    }
}

export interface ApplyResult {
    plan: Plan;
    /** The deployed state afterwards: the program's resources, inputs as applied. */
    state: RecordedResource[];
    steps: Step[];
}

/**
 * `pulumi up` from `state` to `program`: creates, updates and replacement creates in dependency order, then deletes
 * (gone from the program, and the old copies of replaced resources) in reverse dependency order, wave by wave, with
 * `deletedWith` honoured. Throws ApplyError at the first failing step, after the wave it belongs to has finished.
 */
export interface ApplyHooks {
    /** Runs after each deletion wave, before the next starts: lets a test look at the servers mid-destroy. */
    afterWave?(wave: number, deleted: RecordedResource[]): Promise<void>;
}

export async function up(state: RecordedResource[], program: RecordedResource[], targets: LiveTargets, hooks: ApplyHooks = {}): Promise<ApplyResult> {
    const plan = planUpdate(state, program);
    const ctx = providerContext([...program, ...state], targets);
    const deployed = new Map(state.map((resource) => [resource.urn, resource]));
    const steps: Step[] = [];
    const fail = (resource: RecordedResource, error: unknown): never => {
        const log = steps.flatMap((step) => step.actions).join("\n");
        throw new ApplyError(`applier: ${resource.type} ${resource.name} failed: ${(error as Error).message}\napplied so far:\n${log}`, [...deployed.values()], steps);
    };

    const creates = new Set(plan.creates.map((resource) => resource.urn));
    const changes = new Map([...plan.updates, ...plan.replaces].map((change) => [change.after.urn, change]));
    const replaced = new Set(plan.replaces.map((change) => change.after.urn));
    for (const resource of createOrder(program)) {
        const change = changes.get(resource.urn);
        if (!creates.has(resource.urn) && !change) {
            // Unchanged: the state takes the program's inputs, with ignored properties as they were.
            const previous = deployed.get(resource.urn);
            deployed.set(resource.urn, previous && resource.custom ? { ...resource, inputs: withIgnoredChanges(resource, previous) } : resource);
            continue;
        }
        const applied: RecordedResource = change ? { ...resource, inputs: withIgnoredChanges(resource, change.before) } : resource;
        const op: Step["op"] = creates.has(resource.urn) ? "create" : replaced.has(resource.urn) ? "replace" : "update";
        if (isApplied(resource)) {
            const inputs = plain<Inputs>(applied.inputs);
            const ops = opsFor(resource.type, inputs);
            try {
                const actions =
                    op === "update" ? await ops.update(plain(change!.before.inputs), inputs, change!.changed, ctx(resource)) : await ops.create(inputs, ctx(resource));
                steps.push({ op, type: resource.type, name: resource.name, actions });
            } catch (error) {
                fail(resource, error);
            }
        }
        deployed.set(resource.urn, applied);
    }

    // Deletes: what left the program, and the old copies of what was replaced.
    const oldCopies = plan.replaces.map((change) => change.before);
    const doomed = [...plan.deletes, ...oldCopies];
    const doomedUrns = new Set(doomed.map((resource) => resource.urn));
    const waves = deleteWaves(state, doomed);
    for (const [index, wave] of waves.entries()) {
        const results = await Promise.allSettled(
            wave.map(async (resource): Promise<Step | undefined> => {
                if (!isApplied(resource)) return undefined;
                if (resource.deletedWith && doomedUrns.has(resource.deletedWith)) {
                    return { op: "delete-skipped", type: resource.type, name: resource.name, wave: index, actions: [] };
                }
                // retainOnDelete: the engine drops it from the state and never calls the provider's delete.
                if (resource.retainOnDelete) return { op: "delete-retained", type: resource.type, name: resource.name, wave: index, actions: [] };
                const inputs = plain<Inputs>(resource.inputs);
                return { op: "delete", type: resource.type, name: resource.name, wave: index, actions: await opsFor(resource.type, inputs).delete(inputs, ctx(resource)) };
            }),
        );
        let failure: [RecordedResource, unknown] | undefined;
        results.forEach((result, position) => {
            const resource = wave[position];
            if (result.status === "rejected") {
                failure ??= [resource, result.reason];
                return;
            }
            if (result.value) steps.push(result.value);
            if (!replaced.has(resource.urn)) deployed.delete(resource.urn);
        });
        if (failure) fail(...failure);
        await hooks.afterWave?.(index, wave);
    }
    return { plan, state: [...deployed.values()], steps };
}

/** `pulumi destroy`: every resource of the state deleted in reverse dependency order, `deletedWith` honoured. */
export function destroy(state: RecordedResource[], targets: LiveTargets, hooks: ApplyHooks = {}): Promise<ApplyResult> {
    return up(state, [], targets, hooks);
}

/** What a refresh read back differently from the state. */
export interface Drift {
    type: string;
    name: string;
    input: string;
    declared: unknown;
    read: unknown;
}

export interface RefreshResult {
    /** The state afterwards: read-back inputs, without the resources the providers found missing. */
    state: RecordedResource[];
    /** Resources the providers read as missing, dropped from state. */
    dropped: RecordedResource[];
    drift: Drift[];
}

/** `pulumi refresh`: each provider's read of each resource in the state. */
export async function refresh(state: RecordedResource[], targets: LiveTargets): Promise<RefreshResult> {
    const ctx = providerContext(state, targets);
    const result: RefreshResult = { state: [], dropped: [], drift: [] };
    for (const resource of state) {
        if (!isApplied(resource)) {
            result.state.push(resource);
            continue;
        }
        const declared = plain<Inputs>(resource.inputs);
        const read = await opsFor(resource.type, declared).read(declared, ctx(resource));
        if (!read) {
            result.dropped.push(resource);
            continue;
        }
        for (const input of changedInputs(declared, read)) {
            result.drift.push({ type: resource.type, name: resource.name, input, declared: declared[input], read: read[input] });
        }
        result.state.push({ ...resource, inputs: read });
    }
    return result;
}

/**
 * Creates every custom resource of a program on empty servers (or, with `only: "vault"`, just the Vault ones, as
 * `pulumi up` does after a dev server restart); returns what was done, one line each, for failure messages.
 */
export async function applyResources(resources: RecordedResource[], targets: LiveTargets, only?: "vault"): Promise<string[]> {
    const ctx = providerContext(resources, targets);
    const log: string[] = [];
    for (const resource of createOrder(resources)) {
        if (!isApplied(resource)) continue;
        if (only === "vault" && !resource.type.startsWith("vault:")) continue;
        const inputs = plain<Inputs>(resource.inputs);
        try {
            log.push(...(await opsFor(resource.type, inputs).create(inputs, ctx(resource))));
        } catch (error) {
            throw new Error(`applier: ${resource.type} ${resource.name} failed: ${(error as Error).message}\napplied so far:\n${log.join("\n")}`);
        }
    }
    return log;
}
