/**
 * A dynamic resource's provider as Pulumi's dynamic provider host runs it: from the text the program serialized into
 * its `__provider` input (a CommonJS module whose `handler()` returns the provider), with only what that text carries,
 * Node's globals and `require`.
 */
import * as vm from "vm";
import { plain, RecordedResource } from "../helpers/pulumi-mocks";

export function serializedProvider<T>(resource: RecordedResource): T {
    return providerFromText<T>(plain<{ __provider: string }>(resource.inputs).__provider, resource.name);
}

export function providerFromText<T>(text: string, name: string): T {
    const module = { exports: {} as { handler?: () => T } };
    const wrapper = vm.runInThisContext(`(function (exports, module, require) {\n${text}\n})`) as (exports: object, module: object, require: NodeRequire) => void;
    wrapper(module.exports, module, require);
    if (!module.exports.handler) throw new Error(`the serialized provider of ${name} has no handler`);
    return module.exports.handler();
}
