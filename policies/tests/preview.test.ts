/**
 * The pack as `pulumi preview --policy-pack policies` runs it on a stack that does not exist yet (what the
 * pull-request workflow does): no resource has outputs, so whatever depends on one is unknown. Every policy must
 * still be evaluated on every resource of the dev stack, with no violation and no "can't run during preview".
 */
import { installMocks, loadStackConfig, plain } from "../../test/helpers/pulumi-mocks";
import { TYPES } from "../resource-types";
import { UNKNOWN_AT_PREVIEW, validateResources } from "./util";

describe("the dev stack at preview", () => {
    it("is checked by every policy, with values unknown at preview read by none of them", async () => {
        const recorder = await installMocks("dev", loadStackConfig(), true);
        await import("../../index");
        const resources = (await recorder.settle()).map((resource) => ({ type: resource.type, name: resource.name, props: plain<Record<string, unknown>>(resource.inputs) }));
        // The preview really hides outputs: a role's mount and an AppRole role's policies come from other resources.
        const role = resources.find((resource) => resource.type === TYPES.role)!;
        expect(role.props.backend).toBe(UNKNOWN_AT_PREVIEW);
        const approleRole = resources.find((resource) => resource.type === TYPES.approleRole)!;
        expect(approleRole.props.tokenPolicies).toEqual([UNKNOWN_AT_PREVIEW]);
        // ...while what the guardrails read is known: the policy text is rendered from the plain mount path.
        const policy = resources.find((resource) => resource.type === TYPES.policy)!;
        expect(policy.props.policy).toContain('path "database/creds/');

        expect(await validateResources(resources)).toEqual([]);
    });
});
