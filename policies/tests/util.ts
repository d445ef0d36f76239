/**
 * Test plumbing, not part of the pack: runs the policies the way the engine does, without one. `runPolicy` runs one
 * policy on one resource, `validateResources` every policy over a list of resources (a whole stack run under mocks).
 * Props go through `propsAsTheEngineSends` first: the engine's wire values turned into what a policy sees, wrapped in
 * the SDK's proxy that throws when a policy reads a value unknown at preview.
 */
import { asset } from "@pulumi/pulumi";
import { PolicyResourceOptions, ResourceValidationArgs, ResourceValidationPolicy, unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import { UNKNOWN_AT_PREVIEW } from "../resource-types";
import { allPolicies } from "../rules";

export { UNKNOWN_AT_PREVIEW };

/** A resource as the engine hands it to a policy: its type token, name and input properties. */
export interface PolicyResource {
    type: string;
    name: string;
    props: Record<string, unknown>;
}

/** One violation found by `validateResources`; `level` is set only on a policy that could not run at preview. */
export interface Violation {
    policy: string;
    resource: string;
    message: string;
    level?: "advisory";
}

/** The key that marks a special object on the wire, and the signatures it holds (`@pulumi/pulumi/runtime/rpc.js`). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";

/**
 * One wire value as a policy sees it, the way `deserializeProperty` of `@pulumi/policy/deserialize.js` makes it for the
 * engine (secrets not proxied): a secret `{ [SIG_KEY]: SECRET_SIG, value }` becomes its value, assets and archives
 * become @pulumi/pulumi's objects, and the UNKNOWN_AT_PREVIEW marker stays a plain string (the proxy catches reads of
 * it). Any other signature, and undefined inside an object or array, are errors, as in the SDK.
 */
function fromWire(value: unknown): unknown {
    if (value === undefined) throw new Error("unexpected undefined property value during deserialization");
    if (value === null || typeof value === "boolean" || typeof value === "number" || typeof value === "string") return value;
    if (value instanceof Array) {
        const items: unknown[] = [];
        for (const item of value) items.push(fromWire(item));
        return items;
    }
    const object = value as Record<string, unknown>;
    const sig = object[SIG_KEY];
    if (sig) {
        switch (sig) {
            case SECRET_SIG:
                return fromWire(object.value);
            case ASSET_SIG:
                if (object.path) return new asset.FileAsset(object.path as string);
                if (object.text) return new asset.StringAsset(object.text as string);
                if (object.uri) return new asset.RemoteAsset(object.uri as string);
                throw new Error("Invalid asset encountered when unmarshaling resource property");
            case ARCHIVE_SIG:
                if (object.assets) {
                    const assets: asset.AssetMap = {};
                    for (const name of Object.keys(object.assets)) {
                        const item = fromWire((object.assets as Record<string, unknown>)[name]);
                        if (!asset.Asset.isInstance(item) && !asset.Archive.isInstance(item)) {
                            throw new Error("Expected an AssetArchive's assets to be unmarshaled Asset or Archive objects");
                        }
                        assets[name] = item;
                    }
                    return new asset.AssetArchive(assets);
                }
                if (object.path) return new asset.FileArchive(object.path as string);
                if (object.uri) return new asset.RemoteArchive(object.uri as string);
                throw new Error("Invalid archive encountered when unmarshaling resource property");
            default:
                throw new Error(`Unrecognized signature '${sig}' when unmarshaling resource property`);
        }
    }
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(object)) result[key] = fromWire(object[key]);
    return result;
}

/**
 * Props as the engine hands them to a policy (`@pulumi/policy/server.js`, `analyze`): each wire value turned into
 * what a policy sees (`fromWire`; a top-level property that is undefined is left out), then wrapped in the SDK's
 * proxy, which throws `UnknownValueError` when a policy reads a value marked UNKNOWN_AT_PREVIEW.
 */
export function propsAsTheEngineSends(props: Record<string, unknown>): Record<string, unknown> {
    const deserialized: Record<string, unknown> = {};
    for (const key of Object.keys(props)) {
        if (props[key] !== undefined) deserialized[key] = fromWire(props[key]);
    }
    return unknownCheckingProxy(deserialized);
}

const NO_OPTIONS: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

/** The arguments the engine passes to `validateResource`, with `config` as what `getConfig()` returns. */
export function resourceValidationArgs(resource: PolicyResource, config: Record<string, unknown> = {}): ResourceValidationArgs {
    const isType = (resourceClass: unknown): boolean => (resourceClass as { __pulumiType?: string }).__pulumiType === resource.type;
    return {
        type: resource.type,
        name: resource.name,
        urn: `urn:pulumi:test::test::${resource.type}::${resource.name}`,
        props: resource.props,
        opts: NO_OPTIONS,
        stackTags: new Map<string, string>(),
        isType,
        asType: <T>(resourceClass: unknown) => (isType(resourceClass) ? (resource.props as T) : undefined),
        getConfig: <T extends object>() => ({ ...config }) as T,
        notApplicable: (reason?: string): never => {
            throw new Error(`not applicable: ${reason ?? ""}`);
        },
    };
}

/**
 * Runs one policy on one resource the way the engine does; returns its violation messages in order. A read of a
 * value unknown at preview ends the policy with the engine's advisory note (prefixed "can't run"), as the engine does.
 */
export async function runPolicy(policy: ResourceValidationPolicy, resource: PolicyResource, config: Record<string, unknown> = {}): Promise<string[]> {
    const messages: string[] = [];
    const args = resourceValidationArgs({ ...resource, props: propsAsTheEngineSends(resource.props) }, config);
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
    for (const validate of validations) {
        try {
            await validate(args, (message) => messages.push(message));
        } catch (error) {
            if (!(error instanceof UnknownValueError)) throw error;
            messages.push(`can't run policy '${policy.name}' during preview: ${(error as Error).message}`);
        }
    }
    return messages;
}

/** Runs every policy over every resource; for tests that feed a whole stack through the pack. */
export async function validateResources(resources: PolicyResource[], config: { maxTtlCapSeconds?: number } = {}): Promise<Violation[]> {
    const violations: Violation[] = [];
    for (const resource of resources) {
        for (const policy of allPolicies) {
            for (const message of await runPolicy(policy, resource, config)) {
                const level = message.startsWith("can't run policy ") ? { level: "advisory" as const } : {};
                violations.push({ policy: policy.name, resource: resource.name, message, ...level });
            }
        }
    }
    return violations;
}
