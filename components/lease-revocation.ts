/**
 * Revoking a role's open leases when the stack lets go of the role, on a mount the stack shares with others
 * (LeaseRevocation). On its own mount the stack unmounts, which revokes every lease; on a shared mount nothing would,
 * and deleting the role's connection config would strand its leases (revoking one needs its connection:
 * builtin/logical/database/secret_creds.go). This dynamic resource creates nothing; its delete revokes every lease
 * under `<mount>/creds/<role>` (`PUT sys/leases/revoke-prefix/...`, which needs `sudo` on that path), and it depends
 * on the role and its connection config, so it is deleted before both.
 *
 * Like vault-init.ts, its provider uses only globals, `require` and the Vault client (vault-api.ts), which Pulumi
 * serializes into the state; the token it revokes with is kept there as a secret. Without one it revokes with the
 * `VAULT_TOKEN` of the environment the delete runs in (a CI job's OIDC login): the provider host inherits the CLI's.
 */
import * as pulumi from "@pulumi/pulumi";
import { vaultRequest } from "./vault-api";

export interface LeaseRevocationInputs {
    address: string;
    /** "" for the environment's `VAULT_TOKEN`. */
    token: string;
    caCertificate?: string;
    /** Lease prefixes, e.g. `database/creds/reader`. */
    prefix: string;
}

/** Revokes every lease under the prefix and waits for it; a prefix with no leases, or a mount gone, is done. */
export async function revokeLeasePrefix(inputs: LeaseRevocationInputs): Promise<void> {
    await vaultRequest(inputs.address, inputs.token || process.env.VAULT_TOKEN, "PUT", `sys/leases/revoke-prefix/${inputs.prefix}`, {}, { caCertificate: inputs.caCertificate }).catch((error: { status?: number }) => {
        if (error.status !== 404) throw error;
    });
}

const revocationProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: LeaseRevocationInputs) {
        return { id: inputs.prefix, outs: inputs };
    },
    async diff(_id: string, olds: LeaseRevocationInputs, news: LeaseRevocationInputs) {
        // Another prefix is another role's leases: replaced, so the old role's are revoked.
        return { changes: olds.prefix !== news.prefix || olds.address !== news.address || olds.token !== news.token || olds.caCertificate !== news.caCertificate, replaces: olds.prefix !== news.prefix ? ["prefix"] : [], deleteBeforeReplace: true };
    },
    async update(_id: string, _olds: LeaseRevocationInputs, news: LeaseRevocationInputs) {
        return { outs: news };
    },
    async delete(_id: string, props: LeaseRevocationInputs) {
        await revokeLeasePrefix(props);
    },
};

export interface LeaseRevocationArgs {
    address: pulumi.Input<string>;
    /** Unset: the `VAULT_TOKEN` of the environment the delete runs in. */
    token?: pulumi.Input<string>;
    caCertificate?: pulumi.Input<string>;
    prefix: pulumi.Input<string>;
}

/** Revokes the leases under `prefix` when deleted; give it `dependsOn` the role and its connection config. */
export class LeaseRevocation extends pulumi.dynamic.Resource {
    constructor(name: string, args: LeaseRevocationArgs, opts?: pulumi.CustomResourceOptions) {
        super(revocationProvider, name, { ...args, token: pulumi.secret(args.token ?? "") }, { ...opts, additionalSecretOutputs: ["token"] }, "vault-pg", "LeaseRevocation");
    }
}
