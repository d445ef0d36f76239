import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as vault from "@pulumi/vault";
import { checkFlavor, checkImage, checkPort, DEFAULTS, Flavor } from "./validate";

/** Port the dev server listens on inside the container network. */
export const VAULT_CONTAINER_PORT = 8200;

/** What differs between HashiCorp Vault and OpenBao in dev mode: image, CLI name and the dev server's env names. */
export interface FlavorSettings {
    image: string;
    cli: string;
    rootTokenEnv: string;
    listenAddressEnv: string;
}

export function flavorSettings(flavor: Flavor): FlavorSettings {
    return flavor === "openbao"
        ? { image: DEFAULTS.vaultImages.openbao, cli: "bao", rootTokenEnv: "BAO_DEV_ROOT_TOKEN_ID", listenAddressEnv: "BAO_DEV_LISTEN_ADDRESS" }
        : { image: DEFAULTS.vaultImages.vault, cli: "vault", rootTokenEnv: "VAULT_DEV_ROOT_TOKEN_ID", listenAddressEnv: "VAULT_DEV_LISTEN_ADDRESS" };
}

export interface VaultServerArgs {
    /** "vault" (HashiCorp Vault) or "openbao"; default "vault". Picks the image and the dev server's env names. */
    flavor?: Flavor;
    /** Image to run; default per flavor ("hashicorp/vault:1.21" or "openbao/openbao:2.4"). */
    image?: pulumi.Input<string>;
    /** Host port the API is published on; default 18200. */
    hostPort?: pulumi.Input<number>;
    /** Host address the port is published on and the Pulumi process connects to; default "127.0.0.1". */
    hostAddress?: pulumi.Input<string>;
    /** Docker network shared with PostgreSQL; default: Docker's default bridge (PostgreSQL then runs elsewhere). */
    networkName?: pulumi.Input<string>;
}

/**
 * A Vault (or OpenBao) dev server container and an explicit `vault.Provider` built from its address and root token.
 * The provider's address resolves only once the container is healthy, so no Vault resource races the server.
 * Dev mode keeps everything in memory: a restart loses mounts, policies and leases (see README).
 */
export class VaultServer extends pulumi.ComponentResource {
    public readonly flavor: Flavor;
    /** API address for the Pulumi process and the host, e.g. http://127.0.0.1:18200. */
    public readonly address: pulumi.Output<string>;
    /** API address for containers on the shared network. */
    public readonly internalAddress: pulumi.Output<string>;
    public readonly rootToken: pulumi.Output<string>;
    public readonly containerName: pulumi.Output<string>;
    /** Use this provider for every Vault resource that belongs to this server. */
    public readonly provider: vault.Provider;
    /**
     * The server's container. A dev server keeps everything in memory, so whatever lives only in it should be
     * created with `replaceWith: [container]` and `deletedWith: container` (VaultPostgres does).
     */
    public readonly container: docker.Container;

    constructor(name: string, args: VaultServerArgs, opts?: pulumi.ComponentResourceOptions) {
        const where = `VaultServer ${name}`;
        const flavor = checkFlavor(where, args.flavor);
        checkImage(where, "image", args.image);
        checkPort(where, "hostPort", args.hostPort);
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:vault:VaultServer", name, {}, opts);
        this.flavor = flavor;
        const settings = flavorSettings(flavor);
        const hostPort = args.hostPort ?? DEFAULTS.vaultHostPort;
        const hostAddress = args.hostAddress ?? DEFAULTS.hostAddress;

        const image = new docker.RemoteImage(`${name}-image`, { name: args.image ?? settings.image, keepLocally: true }, { parent: this });
        const rootTokenPassword = new random.RandomPassword(`${name}-root-token`, { length: 32, special: false }, { parent: this });
        const rootToken = pulumi.secret(rootTokenPassword.result);
        const container = new docker.Container(
            name,
            {
                name,
                image: image.imageId,
                command: ["server", "-dev"],
                envs: [
                    pulumi.interpolate`${settings.rootTokenEnv}=${rootToken}`,
                    `${settings.listenAddressEnv}=0.0.0.0:${VAULT_CONTAINER_PORT}`,
                    // Dev mode does not lock memory; skipping setcap avoids needing IPC_LOCK.
                    "SKIP_SETCAP=true",
                ],
                networksAdvanced: args.networkName === undefined ? undefined : [{ name: args.networkName, aliases: [name] }],
                ports: [{ internal: VAULT_CONTAINER_PORT, external: hostPort, ip: hostAddress }],
                healthcheck: {
                    tests: ["CMD", settings.cli, "status", `-address=http://127.0.0.1:${VAULT_CONTAINER_PORT}`],
                    interval: "2s",
                    timeout: "3s",
                    retries: 30,
                    startPeriod: "2s",
                },
                wait: true,
                waitTimeout: 120,
                restart: "unless-stopped",
            },
            // A fixed name and host port: the old container must go before its replacement can start.
            { parent: this, additionalSecretOutputs: ["envs"], deleteBeforeReplace: true },
        );
        this.container = container;

        this.address = pulumi
            .all([container.ports, hostPort, hostAddress])
            .apply(([ports, fallbackPort, address]) => `http://${address}:${ports?.[0]?.external ?? fallbackPort}`);
        this.internalAddress = pulumi.interpolate`http://${container.name}:${VAULT_CONTAINER_PORT}`;
        this.rootToken = rootToken;
        this.containerName = container.name;
        this.provider = new vault.Provider(`${name}-provider`, { address: this.address, token: this.rootToken }, { parent: this });
        this.registerOutputs({
            address: this.address,
            internalAddress: this.internalAddress,
            rootToken: this.rootToken,
            containerName: this.containerName,
        });
    }
}
