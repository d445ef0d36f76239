/**
 * Passing a component's lifecycle options (`deletedWith`, `replaceWith`) on to its custom children.
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * The lifecycle ties a component passes on to each custom child. The SDK does not inherit `deletedWith` or
 * `replaceWith` from a component to its children (`@pulumi/pulumi/runtime/resource.js` reads them off each
 * resource's own options), and the engine only logs that they have "no automatic effect on component resources".
 */
export function childLifecycle(opts?: pulumi.ComponentResourceOptions): Pick<pulumi.CustomResourceOptions, "deletedWith" | "replaceWith"> {
    return { deletedWith: opts?.deletedWith, replaceWith: opts?.replaceWith };
}
