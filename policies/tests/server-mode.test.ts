/**
 * The pack over the server-mode stack: its Vault container adds IPC_LOCK (HashiCorp Vault with file storage locks
 * its memory), which the pack allows, and every other resource passes as in dev mode.
 */
import { installMocks, loadStackConfig, plain } from "../../test/helpers/pulumi-mocks";
import { TYPES } from "../resource-types";
import { validateResources } from "./util";

describe("policy pack on the server-mode stack", () => {
    it("passes every resource, with the Vault container adding IPC_LOCK and nothing else", async () => {
        const recorder = await installMocks("dev", { ...loadStackConfig(), vaultMode: "server", vaultStorage: "file", rotateRootCredentials: "true" });
        await import("../../index");
        const resources = await recorder.settle();
        const containers = resources.filter((resource) => resource.type === TYPES.container);
        const added = containers.map((resource) => plain<{ capabilities?: { adds?: string[] } }>(resource.inputs).capabilities?.adds ?? []);
        expect(added.flat()).toEqual(["IPC_LOCK"]);
        const violations = await validateResources(resources.filter((resource) => resource.custom).map((resource) => ({ type: resource.type, name: resource.name, props: plain(resource.inputs) })));
        expect(violations).toEqual([]);
    });
});
