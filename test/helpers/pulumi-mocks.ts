/**
 * Runs Pulumi code under `pulumi.runtime.setMocks` and records every resource it registers: type, name, inputs,
 * parent, provider, dependencies, additional secret outputs and the lifecycle options (deletedWith, replaceWith,
 * ignoreChanges). Unit tests assert the graph with it; the live
 * applier replays the recorded inputs against real servers.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { TYPES, UNKNOWN_AT_PREVIEW } from "../../policies/resource-types";

export interface RecordedResource {
    type: string;
    name: string;
    urn: string;
    inputs: Record<string, unknown>;
    custom: boolean;
    parent: string;
    /** Provider reference `<urn>::<id>`, or "" for the default provider. */
    provider: string;
    dependencies: string[];
    additionalSecretOutputs: string[];
    /** URN of the `deletedWith` resource, or "". */
    deletedWith: string;
    /** URNs of the `replaceWith` resources. */
    replaceWith: string[];
    /** Property paths of `ignoreChanges`. */
    ignoreChanges: string[];
    deleteBeforeReplace: boolean;
    retainOnDelete: boolean;
}

export const PROJECT = "vault-pg";
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Deterministic outputs for the few properties providers compute. */
function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
            return { result: `mock-password-${name}` };
        case "docker:index/remoteImage:RemoteImage":
            return { imageId: `sha256:mock-${name}`, repoDigest: `${inputs.name}@sha256:mock` };
        case "vault:appRole/authBackendRole:AuthBackendRole":
            return { roleId: `mock-role-id-${inputs.roleName}` };
        case "vault:database/secretBackendConnection:SecretBackendConnection":
            return { name: inputs.name ?? name };
        case TYPES.tlsPrivateKey:
            return { privateKeyPem: `-----BEGIN PRIVATE KEY-----\nmock-${name}\n-----END PRIVATE KEY-----\n` };
        case TYPES.tlsCertRequest:
            return { certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\nmock-${name}\n-----END CERTIFICATE REQUEST-----\n` };
        case TYPES.tlsSelfSignedCert:
        case TYPES.tlsLocallySignedCert:
            return { certPem: `-----BEGIN CERTIFICATE-----\nmock-${name}\n-----END CERTIFICATE-----\n` };
        default:
            return {};
    }
}

interface MonitorRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getProvider(): string;
    getDependenciesList(): string[];
    getAdditionalsecretoutputsList(): string[];
    getDeletedwith(): string;
    getReplaceWithList(): string[];
    getIgnorechangesList(): string[];
    getDeletebeforereplace(): boolean;
    getRetainondelete(): boolean | undefined;
}

/** The resources a program registered under mocks, in registration order. */
export class MockRecorder {
    public readonly resources: RecordedResource[] = [];
    private readonly inputsByKey = new Map<string, Record<string, unknown>>();

    /** Remembers the deserialized inputs the mocks API receives. */
    noteInputs(type: string, name: string, inputs: Record<string, unknown>): void {
        this.inputsByKey.set(`${type}::${name}`, inputs);
    }

    /** Remembers what only the monitor request carries: parent, provider, dependencies, secret outputs, options. */
    noteRegistration(req: MonitorRequest, urn: string): void {
        this.resources.push({
            type: req.getType(),
            name: req.getName(),
            urn,
            custom: req.getCustom(),
            parent: req.getParent(),
            provider: req.getProvider(),
            dependencies: req.getDependenciesList(),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            deletedWith: req.getDeletedwith(),
            replaceWith: req.getReplaceWithList(),
            ignoreChanges: req.getIgnorechangesList(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            retainOnDelete: req.getRetainondelete() === true,
            inputs: this.inputsByKey.get(`${req.getType()}::${req.getName()}`) ?? {},
        });
    }

    /** Waits until no resource has been registered for a few event-loop turns, then returns them all. */
    async settle(): Promise<RecordedResource[]> {
        let stableTurns = 0;
        let last = -1;
        while (stableTurns < 5) {
            await new Promise((resolveTimer) => setTimeout(resolveTimer, 10));
            stableTurns = this.resources.length === last ? stableTurns + 1 : 0;
            last = this.resources.length;
        }
        return this.resources;
    }
}

/**
 * Installs mocks for project `vault-pg` with the given stack and config, and returns the recorder.
 * `config` holds values as Pulumi stores them: strings, with lists and objects as JSON.
 * `preview` runs the program as `pulumi preview` of a stack that does not exist yet: no resource reports any output,
 * so every input computed from another resource's output is unknown (recorded as `pulumi.unknown`).
 */
export async function installMocks(
    stack = "dev",
    config: Record<string, string> = {},
    preview = false,
    extraState: (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown> = () => ({}),
): Promise<MockRecorder> {
    const recorder = new MockRecorder();
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([key, value]) => [`${PROJECT}:${key}`, value])));
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
                const inputs = args.inputs as Record<string, unknown>;
                // A read of an existing mount or auth method (`Mount.get`): the provider reads it back by its id, the path.
                if (args.id && (args.type === TYPES.mount || args.type === TYPES.authBackend)) return { id: args.id, state: { path: args.id } };
                recorder.noteInputs(args.type, args.name, inputs);
                if (preview) return { id: "", state: {} };
                const state = { ...inputs, ...computedState(args.type, args.name, inputs), ...extraState(args.type, args.name, inputs) };
                return { id: `${args.name}-id`, state };
            },
            call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
                throw new Error(`Mock call not implemented: ${args.token}`);
            },
        },
        PROJECT,
        stack,
        preview,
    );
    // The mocks API does not pass on parent, dependencies or secret outputs: read them off the monitor request.
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource(req: MonitorRequest, callback: (err: unknown, res: unknown) => void): void;
    };
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) =>
        registerResource(req, (err, res) => {
            if (!err && res) recorder.noteRegistration(req, (res as { getUrn(): string }).getUrn());
            callback(err, res);
        });
    return recorder;
}

/** Turns an Output into a Promise of its value (undefined while unknown in preview). */
export function resolve<T>(output: pulumi.Input<T>): Promise<T> {
    return new Promise((resolvePromise) => pulumi.output(output).apply((value) => resolvePromise(value as T)));
}

/** Whether an Output is marked secret. */
export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
    return pulumi.isSecret(output);
}

export function byType(recorded: RecordedResource[], type: string): RecordedResource[] {
    return recorded.filter((entry) => entry.type === type);
}

export function findResource(recorded: RecordedResource[], type: string, name: string): RecordedResource {
    const found = recorded.find((entry) => entry.type === type && entry.name === name);
    if (!found) {
        const names = byType(recorded, type).map((entry) => entry.name);
        throw new Error(`no ${type} named ${name}; registered: ${names.join(", ") || "(none)"}`);
    }
    return found;
}

/** The URN part of a provider reference `<urn>::<id>`. */
export function providerUrn(reference: string): string {
    return reference.split("::").slice(0, -1).join("::");
}

/** Reads a stack file's `config:` as Pulumi hands it to the program: project keys only, lists and objects as JSON. */
export function loadStackConfig(file = path.join(REPO_ROOT, "Pulumi.dev.yaml")): Record<string, string> {
    const parsed = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed.config ?? {})) {
        const [namespace, name] = key.split(":");
        if (namespace !== PROJECT) continue;
        config[name] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return config;
}

/** Type tokens of the provider resources the components use; defined once, in policies/resource-types.ts. */
export { TYPES };

/** Marker keys the Pulumi wire format uses for a secret value: `{ [SIG_KEY]: SECRET_SIG, value }`. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Whether a recorded input value was sent as a secret. */
export function isSecretInput(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** The wire format's marker for a value unknown at preview; defined once, in policies/resource-types.ts. */
export { UNKNOWN_AT_PREVIEW };

/** A recorded input with every secret wrapper removed, as the provider would see it. */
export function plain<T = unknown>(value: unknown): T {
    if (pulumi.isUnknown(value)) return UNKNOWN_AT_PREVIEW as T;
    if (isSecretInput(value)) return plain<T>((value as { value: unknown }).value);
    if (Array.isArray(value)) return value.map((item) => plain(item)) as T;
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)])) as T;
    }
    return value as T;
}
