/**
 * The test plumbing's stand-in for the engine: wire values reach a policy as the engine hands them over (secrets
 * unwrapped, the unknown marker caught on read), so the other suites test the policies on what they really see.
 */
import { TYPES } from "../resource-types";
import { containerNotPrivileged, dbConnectionVerified } from "../rules";
import { propsAsTheEngineSends, runPolicy, UNKNOWN_AT_PREVIEW } from "./util";

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const secret = (value: unknown): Record<string, unknown> => ({ [SIG_KEY]: "1b47061264138c4ac30d75fd1eb44270", value });

describe("propsAsTheEngineSends", () => {
    it("unwraps secrets at any depth, and leaves out a top-level undefined", () => {
        const props = propsAsTheEngineSends({ a: secret("pw"), b: { list: [secret({ c: secret(3) }), null] }, gone: undefined });
        expect(JSON.parse(JSON.stringify(props))).toEqual({ a: "pw", b: { list: [{ c: 3 }, null] } });
        expect(Object.keys(props)).toEqual(["a", "b"]);
    });

    it("throws on undefined inside an object or array, and on a signature it does not know, as the SDK does", () => {
        expect(() => propsAsTheEngineSends({ a: { b: undefined } })).toThrow("unexpected undefined property value during deserialization");
        expect(() => propsAsTheEngineSends({ a: [undefined] })).toThrow("unexpected undefined property value during deserialization");
        expect(() => propsAsTheEngineSends({ a: { [SIG_KEY]: "nope" } })).toThrow("Unrecognized signature 'nope' when unmarshaling resource property");
    });

    it("makes a read of a value unknown at preview throw", () => {
        const props = propsAsTheEngineSends({ known: 1, later: UNKNOWN_AT_PREVIEW });
        expect(props.known).toBe(1);
        expect(() => props.later).toThrow("string value at .later can't be known during preview");
    });
});

describe("runPolicy", () => {
    it("checks the value inside a secret", async () => {
        expect(await runPolicy(dbConnectionVerified, { type: TYPES.connection, name: "c", props: { verifyConnection: secret(false) } })).toEqual([
            "verifyConnection is off: a wrong URL or password would only fail when an app asks for credentials. Remove verifyConnection: false (it defaults to true).",
        ]);
    });

    it("reports a policy that reads a value unknown at preview as the engine does", async () => {
        expect(await runPolicy(containerNotPrivileged, { type: TYPES.container, name: "c", props: { privileged: UNKNOWN_AT_PREVIEW } })).toEqual([
            "can't run policy 'container-not-privileged' during preview: string value at .privileged can't be known during preview",
        ]);
    });
});
