/**
 * The AppRole auth method every application logs in with (AppRoleAuth).
 */
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { childLifecycle } from "./lifecycle";
import { checkMountPath, DEFAULTS } from "./validate";

export interface AppRoleAuthArgs {
    /** Path the AppRole auth method is enabled at; default "approle". */
    path?: string;
    /** It is enabled already and shared with other stacks: read, never enabled or disabled here. Default false. */
    existing?: boolean;
}

/**
 * The AppRole auth method, enabled once and shared by every application. Pass the provider in `opts.providers`;
 * `opts.deletedWith` and `opts.replaceWith` are passed on to the auth backend.
 */
export class AppRoleAuth extends pulumi.ComponentResource {
    /** Mount path of the auth method (without the `auth/` prefix). */
    public readonly path: pulumi.Output<string>;
    public readonly backend: vault.AuthBackend;

    constructor(name: string, args: AppRoleAuthArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        const path = checkMountPath(`AppRoleAuth ${name}`, "path", args.path ?? DEFAULTS.approlePath);
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:auth:AppRoleAuth", name, {}, opts);
        // terraform-provider-vault reads an auth method by its path (its id).
        this.backend = args.existing
            ? vault.AuthBackend.get(`${name}-backend`, path, undefined, { parent: this })
            : new vault.AuthBackend(
                  `${name}-backend`,
                  { type: "approle", path, description: "Applications reading database credentials" },
                  { parent: this, ...childLifecycle(opts) },
              );
        this.path = this.backend.path;
        this.registerOutputs({ path: this.path });
    }
}
