/**
 * The pack over a stack with JWT logins at preview of a stack that does not exist yet: a role's auth path and
 * policies come from other resources and are unknown, its bindings are not, and every policy runs on every resource
 * with no violation and no "can't run during preview".
 */
import { TYPES } from "../resource-types";
import { recordJwtStack } from "./jwt-stack";
import { UNKNOWN_AT_PREVIEW, validateResources } from "./util";

describe("the pack on a stack with JWT logins, at preview", () => {
    it("checks each JWT role's bindings, which are known, and reports nothing", async () => {
        const resources = await recordJwtStack(true);
        const deploy = resources.find((resource) => resource.type === TYPES.jwtRole && resource.name === "team-ci-deploy-role")!;
        expect(deploy.props.backend).toBe(UNKNOWN_AT_PREVIEW);
        expect(deploy.props.tokenPolicies).toEqual([UNKNOWN_AT_PREVIEW]);
        expect(deploy.props).toMatchObject({ boundAudiences: ["https://github.com/acme"], boundClaims: { environment: "production" }, tokenNoDefaultPolicy: true });
        expect(await validateResources(resources)).toEqual([]);
    });
});
