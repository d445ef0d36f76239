/** The stack program itself refuses bad config at start, before it registers anything. */
import { installMocks, loadStackConfig } from "../helpers/pulumi-mocks";

describe("the dev stack program with bad config", () => {
    it("fails with the field and the value, and registers nothing", async () => {
        const config = loadStackConfig();
        const roles = JSON.parse(config.roles) as Record<string, unknown>[];
        roles[1] = { ...roles[1], access: "superuser" };
        const recorder = await installMocks("dev", { ...config, roles: JSON.stringify(roles) });
        await expect(import("../../index")).rejects.toThrow(
            'stack config (vault-pg) roles[1] "readwrite": access = "superuser": unknown access level; expected one of readonly, readwrite, owner',
        );
        expect(await recorder.settle()).toEqual([]);
    });
});
