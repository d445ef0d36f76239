/**
 * The pack over a stack with JWT logins, as `pulumi up` sees it: every JWT role (apps' and CI's) passes jwt-role-bound,
 * every other resource its own policies, and a role broken in one way is caught there.
 */
import { TYPES } from "../resource-types";
import { CHECKED_TYPES } from "../rules";
import { recordJwtStack } from "./jwt-stack";
import { PolicyResource, validateResources } from "./util";

describe("the pack on a stack with JWT apps and CI's OIDC logins", () => {
    let resources: PolicyResource[];

    beforeAll(async () => {
        resources = await recordJwtStack(false);
    });

    it("declares every type the pack checks, and passes every resource", async () => {
        for (const type of CHECKED_TYPES) {
            expect([type, resources.some((resource) => resource.type === type)]).toEqual([type, true]);
        }
        const roleNames = resources.filter((resource) => resource.type === TYPES.jwtRole).map((resource) => resource.props.roleName);
        expect(roleNames.sort()).toEqual(["batch", "nightly", "orders", "team-deploy", "team-preview"]);
        expect(await validateResources(resources)).toEqual([]);
    });

    it("catches a role that keeps the default policy, and nothing else", async () => {
        const broken = resources.map((resource) =>
            resource.type === TYPES.jwtRole && resource.props.roleName === "team-deploy" ? { ...resource, props: { ...resource.props, tokenNoDefaultPolicy: false } } : resource,
        );
        expect(await validateResources(broken)).toEqual([
            {
                policy: "jwt-role-bound",
                resource: "team-ci-deploy-role",
                message:
                    "tokenNoDefaultPolicy is not true: every login would also get Vault's default policy, granted beside the role's own. " +
                    "Set tokenNoDefaultPolicy: true and list what the role needs in tokenPolicies.",
            },
        ]);
    });
});
