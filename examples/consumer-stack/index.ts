/**
 * A consumer stack: the "shop" team runs its own PostgreSQL and OpenBao with the vault-pg components, under its own
 * names, mount path and AppRole path, and adds nothing but config.
 */
import * as pulumi from "@pulumi/pulumi";
import { VaultPostgres } from "vault-pg";

const platform = new VaultPostgres("shop", {
    flavor: "openbao",
    database: "shop",
    mountPath: "team-shop/postgres",
    approlePath: "team-shop-approle",
    postgres: { hostPort: 25432 },
    vault: { hostPort: 28200 },
    roles: [
        { name: "catalog-reader", access: "readonly", defaultTtl: "30m", maxTtl: "4h" },
        { name: "orders-writer", access: "readwrite", defaultTtl: "30m", maxTtl: "4h" },
        { name: "schema-owner", access: "owner", defaultTtl: "10m", maxTtl: "30m" },
    ],
    apps: [
        { name: "storefront", roles: ["catalog-reader", "orders-writer"] },
        { name: "migrator", roles: ["schema-owner"] },
    ],
});

export const vaultAddress = platform.vaultAddress;
export const mountPath = platform.mountPath;
export const credsPaths = platform.credsPaths;
export const apps = platform.apps;
export const groupRoles = platform.groupRoles;
// The stack runs its own dev server here (no existingVault), so there is a root token to hand to operators.
export const rootToken = platform.vault && pulumi.secret(platform.vault.rootToken);
