/**
 * The stack's Vault or OpenBao container (VaultServer): a dev server, or a sealed server with persistent storage that
 * the unseal step opens (server mode), and the Vault provider its resources use.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as vault from "@pulumi/vault";
import { CertificateAuthority, ServerCertificate } from "./certificates";
import { keyInstallEntrypoint, TLS_PATHS, tlsUploads, vaultTlsListenerHcl } from "./container-tls";
import { localPemFile } from "./local-pem-file";
import { BACKUP_POLICY_NAME, backupPolicy, METRICS_POLICY_NAME, metricsPolicy } from "./operator-policies";
import { AUDIT_DEVICE_DESCRIPTION, AUDIT_DEVICE_PATH, auditDeclaredInConfig, flavorPaths, locksMemory, serverConfigHcl, VAULT_CLUSTER_PORT } from "./server-config";
import {
    checkFlavor, checkImage, checkPort, checkUnauthenticatedMetrics, checkUnsealShares, checkVaultMode, checkVaultStorage, DEFAULTS, Flavor, invalid, VaultMode, VaultStorage,
} from "./validate";
import { serviceContainer } from "./service-container";
import { VaultUnseal } from "./vault-init";

/** Port the API listens on inside the container network. */
export const VAULT_CONTAINER_PORT = 8200;
/**
 * With TLS, the dev server's own plain-HTTP listener (dev mode always has one) binds the container's loopback address
 * on this port, out of reach of the network; the TLS listener takes VAULT_CONTAINER_PORT. Not 8199: each listener
 * also binds its port + 1 for cluster traffic.
 */
export const VAULT_DEV_LOOPBACK_PORT = 8210;

/** What differs between HashiCorp Vault and OpenBao in dev mode: image, CLI name and the dev server's env names. */
export interface FlavorSettings {
    image: string;
    cli: string;
    /** The image's service user, which its entrypoint drops to. */
    user: string;
    rootTokenEnv: string;
    listenAddressEnv: string;
}

export function flavorSettings(flavor: Flavor): FlavorSettings {
    return flavor === "openbao"
        ? { image: DEFAULTS.vaultImages.openbao, cli: "bao", user: "openbao", rootTokenEnv: "BAO_DEV_ROOT_TOKEN_ID", listenAddressEnv: "BAO_DEV_LISTEN_ADDRESS" }
        : { image: DEFAULTS.vaultImages.vault, cli: "vault", user: "vault", rootTokenEnv: "VAULT_DEV_ROOT_TOKEN_ID", listenAddressEnv: "VAULT_DEV_LISTEN_ADDRESS" };
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
    /** "dev" (in memory, fixed root token) or "server" (sealed, persistent storage); default "dev". */
    mode?: VaultMode;
    /** Server mode: "raft" or "file" (HashiCorp Vault only); default "raft". */
    storage?: VaultStorage;
    /** Server mode: key shares and threshold at initialisation; default 5 and 3. */
    unsealShares?: number;
    unsealThreshold?: number;
    /** Server mode: a token the provider uses instead of the root token from initialisation (a deployer token). */
    token?: pulumi.Input<string>;
    /**
     * Server mode: serve the Prometheus metrics (`sys/metrics`) without a token; default false, a token with the
     * `metricsPolicy` is needed. Allowed only with a loopback `hostAddress`, where the local host alone reaches the API.
     */
    unauthenticatedMetrics?: boolean;
    /**
     * Serve the API over TLS only, with a certificate this CA signs for the container name, `localhost`, 127.0.0.1
     * and `hostAddress`; the provider verifies it. Default: plain HTTP.
     */
    certificateAuthority?: CertificateAuthority;
    /**
     * The CA of an existing PostgreSQL (PEM), placed in the container at TLS_PATHS.postgresCaCertificate for
     * OpenBao's `sslrootcert` (OpenBao takes no inline CA).
     */
    postgresCaCertificate?: pulumi.Input<string>;
}

/**
 * A Vault (or OpenBao) server container and an explicit `vault.Provider` built from its address and root token.
 * The provider's address resolves only once the container is healthy, so no Vault resource races the server.
 * Dev mode keeps everything in memory: a restart loses mounts, policies and leases. Server mode keeps them on a
 * named volume, initialises once and unseals on every `pulumi up` before the provider is configured (README,
 * "Server mode").
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
    /** The server's container. Tie what lives only in the server to `dataHolder`, not to this. */
    public readonly container: docker.Container;
    public readonly mode: VaultMode;
    /**
     * What holds the server's data: the container in dev mode (memory), the data volume in server mode (a new
     * container on the same volume keeps everything). Create what lives only in the server with
     * `replaceWith: [dataHolder]` and `deletedWith: dataHolder` (VaultPostgres does).
     */
    public readonly dataHolder: docker.Container | docker.Volume;
    /** Server mode: the init/unseal step every Vault resource waits for; its unseal keys are secret outputs. */
    public readonly unseal?: VaultUnseal;
    /** Server mode: the unseal key shares (secret). */
    public readonly unsealKeys?: pulumi.Output<string[]>;
    /** Server mode: the ACL policy a backup job's token needs (Raft snapshots), and the one a metrics scraper's needs. */
    public readonly backupPolicy?: vault.Policy;
    public readonly metricsPolicy?: vault.Policy;
    /** Server mode with HashiCorp Vault: the file audit device (OpenBao declares it in its config file). */
    public readonly audit?: vault.Audit;
    /** Server mode: the audit log inside the container (on the logs volume). */
    public readonly auditLogPath?: string;
    /** With a CA: the API's certificate, and the CA clients verify it with (`VAULT_CACERT`). */
    public readonly certificate?: ServerCertificate;
    public readonly caCertificate?: pulumi.Output<string>;

    constructor(name: string, args: VaultServerArgs, opts?: pulumi.ComponentResourceOptions) {
        const where = `VaultServer ${name}`;
        const flavor = checkFlavor(where, args.flavor);
        checkImage(where, "image", args.image);
        checkPort(where, "hostPort", args.hostPort);
        const mode = checkVaultMode(where, "mode", args.mode);
        const storage = checkVaultStorage(where, "storage", args.storage);
        const shares = checkUnsealShares(where, { shares: "unsealShares", threshold: "unsealThreshold" }, args.unsealShares, args.unsealThreshold);
        if (mode === "dev" && args.token !== undefined) {
            throw invalid(where, "token", "[secret]", "applies to server mode only; a dev server's provider uses its own root token");
        }
        const unauthenticatedMetrics = checkUnauthenticatedMetrics(where, "unauthenticatedMetrics", args.unauthenticatedMetrics, mode, args.hostAddress);
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:vault:VaultServer", name, {}, opts);
        this.flavor = flavor;
        this.mode = mode;
        const settings = flavorSettings(flavor);
        const hostPort = args.hostPort ?? DEFAULTS.vaultHostPort;
        const hostAddress = args.hostAddress ?? DEFAULTS.hostAddress;

        const image = new docker.RemoteImage(`${name}-image`, { name: args.image ?? settings.image, keepLocally: true }, { parent: this });
        const certificate = args.certificateAuthority
            ? new ServerCertificate(`${name}-tls`, { ca: args.certificateAuthority, hosts: [name, "localhost", "127.0.0.1", hostAddress] }, { parent: this })
            : undefined;
        const tls = certificate !== undefined;
        const run = mode === "dev" ? this.devMode(name, flavor, settings, tls) : this.serverMode(name, flavor, storage, tls, unauthenticatedMetrics);
        const scheme = tls ? "https" : "http";
        const uploads = [
            ...(run.uploads ?? []),
            ...(certificate ? tlsUploads(certificate) : []),
            ...(args.postgresCaCertificate !== undefined ? [{ file: TLS_PATHS.postgresCaCertificate, content: args.postgresCaCertificate, permissions: "0644" }] : []),
        ];
        const container = serviceContainer(
            name,
            {
                image: image.imageId,
                command: run.command,
                envs: run.envs,
                uploads,
                // The key goes to the image's service user before its entrypoint drops to it (container-tls.ts);
                // OpenBao's image starts as that user from 2.6, so the container starts as root explicitly.
                ...(tls && { entrypoints: keyInstallEntrypoint(settings.user), user: "root" }),
                volumes: run.volumes,
                capabilities: run.capabilities,
                networksAdvanced: args.networkName === undefined ? undefined : [{ name: args.networkName, aliases: [name] }],
                internalPort: VAULT_CONTAINER_PORT,
                hostPort,
                hostAddress,
                healthcheck: run.healthcheck(settings.cli),
                startPeriod: "2s",
            },
            this,
        );
        this.container = container;

        this.address = pulumi
            .all([container.ports, hostPort, hostAddress])
            .apply(([ports, fallbackPort, address]) => `${scheme}://${address}:${ports?.[0]?.external ?? fallbackPort}`);
        this.internalAddress = pulumi.interpolate`${scheme}://${container.name}:${VAULT_CONTAINER_PORT}`;
        this.containerName = container.name;
        this.certificate = certificate;
        this.caCertificate = certificate?.caCertificate;
        // terraform-provider-vault takes a CA only as a file (local-pem-file.ts).
        const providerTls = this.caCertificate ? { caCertFile: localPemFile(this.caCertificate) } : {};
        if (run.mode === "dev") {
            this.dataHolder = container;
            this.rootToken = run.rootToken;
            this.provider = new vault.Provider(`${name}-provider`, { address: this.address, token: this.rootToken, ...providerTls }, { parent: this });
        } else {
            this.dataHolder = run.volume;
            // Not replaced with the container: a new container on the same volume is sealed, and only the keys in
            // this resource's state unseal it. Its diff sees the seal and unseals (vault-init.ts).
            this.unseal = new VaultUnseal(
                `${name}-unseal`,
                { address: this.address, caCertificate: this.caCertificate, shares: shares.shares, threshold: shares.threshold },
                { parent: this, dependsOn: [container], deletedWith: run.volume, replaceWith: [run.volume] },
            );
            this.rootToken = pulumi.secret(this.unseal.rootToken);
            this.unsealKeys = pulumi.secret(this.unseal.unsealKeys);
            // The provider is configured only once the unseal step has run, whichever token it uses.
            this.provider = new vault.Provider(
                `${name}-provider`,
                { address: this.address, token: args.token === undefined ? this.rootToken : pulumi.secret(args.token), ...providerTls },
                { parent: this, dependsOn: [this.unseal] },
            );
            this.auditLogPath = run.auditLogPath;
            const goesWithVolume = { parent: this, provider: this.provider, deletedWith: run.volume, replaceWith: [run.volume] };
            this.backupPolicy = new vault.Policy(`${name}-backup-policy`, { name: BACKUP_POLICY_NAME, policy: backupPolicy() }, goesWithVolume);
            this.metricsPolicy = new vault.Policy(`${name}-metrics-policy`, { name: METRICS_POLICY_NAME, policy: metricsPolicy() }, goesWithVolume);
            // Every request and response, with secrets HMAC'd (the file device's default, log_raw false).
            if (!auditDeclaredInConfig(flavor)) {
                this.audit = new vault.Audit(
                    `${name}-audit`,
                    { type: "file", path: AUDIT_DEVICE_PATH, description: AUDIT_DEVICE_DESCRIPTION, options: { file_path: this.auditLogPath } },
                    goesWithVolume,
                );
            }
        }
        this.registerOutputs({
            caCertificate: this.caCertificate,
            address: this.address,
            internalAddress: this.internalAddress,
            rootToken: this.rootToken,
            unsealKeys: this.unsealKeys,
            containerName: this.containerName,
        });
    }

    private devMode(name: string, flavor: Flavor, settings: FlavorSettings, tls: boolean) {
        const rootToken = pulumi.secret(new random.RandomPassword(`${name}-root-token`, { length: 32, special: false }, { parent: this }).result);
        const configDir = flavorPaths(flavor).configDir;
        return {
            mode: "dev" as const,
            rootToken,
            command: ["server", "-dev"],
            envs: [
                pulumi.interpolate`${settings.rootTokenEnv}=${rootToken}`,
                tls ? `${settings.listenAddressEnv}=127.0.0.1:${VAULT_DEV_LOOPBACK_PORT}` : `${settings.listenAddressEnv}=0.0.0.0:${VAULT_CONTAINER_PORT}`,
                // Dev mode does not lock memory; skipping setcap avoids needing IPC_LOCK.
                "SKIP_SETCAP=true",
            ] as pulumi.Input<string>[],
            // The entrypoint starts even the dev server with -config=<config dir>, whose listeners join the dev one.
            uploads: tls ? [{ file: `${configDir}/tls-listener.hcl`, content: `${vaultTlsListenerHcl(`0.0.0.0:${VAULT_CONTAINER_PORT}`)}\n` }] : undefined,
            volumes: undefined,
            capabilities: undefined,
            healthcheck: (cli: string) => ["CMD", cli, "status", ...statusFlags(tls)],
        };
    }

    private serverMode(name: string, flavor: Flavor, storage: VaultStorage, tls: boolean, unauthenticatedMetrics: boolean) {
        const paths = flavorPaths(flavor);
        const volume = new docker.Volume(`${name}-data`, { name: `${name}-data` }, { parent: this });
        // The audit log outlives the container too.
        const logs = new docker.Volume(`${name}-logs`, { name: `${name}-logs` }, { parent: this });
        const auditLogPath = `${paths.logsDir}/audit.log`;
        const config = serverConfigHcl({
            flavor,
            storage,
            listenAddress: `0.0.0.0:${VAULT_CONTAINER_PORT}`,
            clusterListenAddress: `0.0.0.0:${VAULT_CLUSTER_PORT}`,
            storagePath: paths.dataDir,
            apiAddr: `${tls ? "https" : "http"}://${name}:${VAULT_CONTAINER_PORT}`,
            clusterAddr: `http://${name}:${VAULT_CLUSTER_PORT}`,
            nodeId: name,
            auditLogPath,
            tls,
            unauthenticatedMetrics,
        });
        const mlock = locksMemory(flavor, storage);
        return {
            mode: "server" as const,
            volume,
            auditLogPath,
            // The entrypoint adds -config=<config dir> to `server`, which reads every file in it (server-config.ts).
            command: ["server"],
            // Without IPC_LOCK, the entrypoint's setcap would make the binary unable to start; no mlock, no setcap.
            envs: (mlock ? [] : ["SKIP_SETCAP=true"]) as pulumi.Input<string>[],
            uploads: [{ file: `${paths.configDir}/server.hcl`, content: config }],
            volumes: [
                { volumeName: volume.name, containerPath: paths.dataDir },
                { volumeName: logs.name, containerPath: paths.logsDir },
            ],
            capabilities: mlock ? { adds: ["IPC_LOCK"] } : undefined,
            // `status` exits 2 while sealed or uninitialised, which is healthy here: the unseal step needs the server
            // up to unseal it. Only 1 (no answer) is unhealthy.
            healthcheck: (cli: string) => ["CMD-SHELL", `${cli} status ${statusFlags(tls).join(" ")} >/dev/null 2>&1; test $? -ne 1`],
        };
    }
}

/** The health check's `status` flags: the API listener on the container's loopback, verified with the CA under TLS. */
function statusFlags(tls: boolean): string[] {
    return tls
        ? [`-address=https://127.0.0.1:${VAULT_CONTAINER_PORT}`, `-ca-cert=${TLS_PATHS.caCertificate}`]
        : [`-address=http://127.0.0.1:${VAULT_CONTAINER_PORT}`];
}
