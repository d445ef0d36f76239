/** A bad config is caught at preview, on a stack that does not exist yet, as a mandatory violation. */
import { installMocks, loadStackConfig, plain } from "../../test/helpers/pulumi-mocks";
import { validateResources } from "./util";

describe("a bad config at preview", () => {
    it("reports a role whose maxTtl exceeds the cap, and nothing else", async () => {
        const config = loadStackConfig();
        const roles = JSON.parse(config.roles) as Record<string, unknown>[];
        roles[0] = { ...roles[0], maxTtl: "720h" };
        const recorder = await installMocks("dev", { ...config, roles: JSON.stringify(roles) }, true);
        await import("../../index");
        const resources = (await recorder.settle()).map((resource) => ({ type: resource.type, name: resource.name, props: plain<Record<string, unknown>>(resource.inputs) }));
        expect(await validateResources(resources)).toEqual([
            {
                policy: "db-role-bounded-ttl",
                resource: "vault-pg-dev-role-readonly-role",
                message: "maxTtl 2592000s exceeds the cap of 86400s. Lower maxTtl, or raise maxTtlCapSeconds in the policy pack config.",
            },
        ]);
    });
});
