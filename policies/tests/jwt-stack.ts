/**
 * A stack with JWT logins for the pack's tests: a VaultPostgres (TLS on, as the dev stack) with JWT apps (an issuer it
 * enables, one verified by keys, one shared method it only reads), an AppRole app and CI's OIDC logins, run under
 * mocks and returned as the resources the engine hands the pack.
 */
import { JWT_STACK_ARGS } from "../../test/helpers/jwt-stack-args";
import { installMocks, plain } from "../../test/helpers/pulumi-mocks";
import { PolicyResource } from "./util";

/** `preview`: as `pulumi preview` of a stack that does not exist yet, every output unknown. */
export async function recordJwtStack(preview: boolean): Promise<PolicyResource[]> {
    const recorder = await installMocks("test", {}, preview);
    const { VaultPostgres } = await import("../../components");
    new VaultPostgres("team", JWT_STACK_ARGS);
    return (await recorder.settle()).map((resource) => ({ type: resource.type, name: resource.name, props: plain<Record<string, unknown>>(resource.inputs) }));
}
