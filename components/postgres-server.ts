/**
 * The dev stack's PostgreSQL container (PostgresServer): image, network, named data volume, generated superuser password.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CertificateAuthority, ServerCertificate } from "./certificates";
import { keyInstallEntrypoint, POSTGRES_HBA_PATH, postgresHbaConf, postgresTlsOptions, tlsUploads } from "./container-tls";
import { serviceContainer } from "./service-container";
import { checkContainerPath, checkImage, checkPort, checkSqlName, DEFAULTS } from "./validate";

/** Port PostgreSQL listens on inside the container network. */
export const POSTGRES_CONTAINER_PORT = 5432;

/**
 * Where the official image keeps its data, by major version: 18 and later declare `VOLUME /var/lib/postgresql`
 * (data in a versioned folder below it), earlier ones `VOLUME /var/lib/postgresql/data`. Mounting the named volume
 * anywhere else leaves the data in an anonymous volume that a replaced container loses. A tag without a leading
 * major (`latest`, `alpine`) is taken as the current layout.
 */
export function postgresDataPath(image: string): string {
    const tag = image.split("@")[0].split("/").pop()!.split(":")[1] ?? "";
    const major = /^(\d+)/.exec(tag);
    return major && Number(major[1]) < 18 ? "/var/lib/postgresql/data" : "/var/lib/postgresql";
}

export interface PostgresServerArgs {
    /** Image to run; default "postgres:18". */
    image?: pulumi.Input<string>;
    /** Host port the container's 5432 is published on; default 15432. */
    hostPort?: pulumi.Input<number>;
    /** Host address the port is published on and the Pulumi process connects to; default "127.0.0.1". */
    hostAddress?: pulumi.Input<string>;
    /** Existing Docker network to join; default: a new user-defined network `<name>-network`. */
    networkName?: pulumi.Input<string>;
    /** Where the named data volume is mounted; default from the image's major version (see `postgresDataPath`). */
    dataMountPath?: pulumi.Input<string>;
    /** Name of the bootstrap superuser; default "postgres". */
    superuser?: string;
    /**
     * Serve TLS only, with a certificate this CA signs for the container name, `localhost`, 127.0.0.1 and
     * `hostAddress`: `ssl = on` and a pg_hba.conf that refuses TCP connections without TLS. Default: plain text.
     */
    certificateAuthority?: CertificateAuthority;
}

/**
 * A PostgreSQL container on a user-defined network, with a named data volume and a `pg_isready` healthcheck that
 * `pulumi up` waits on, so nothing connects before the server accepts TCP connections.
 */
export class PostgresServer extends pulumi.ComponentResource {
    /** Address the Pulumi process (and the host) connects to. */
    public readonly host: pulumi.Output<string>;
    /** Published host port; resolves once the container is healthy. */
    public readonly port: pulumi.Output<number>;
    /** Hostname other containers on the network use (Vault connects here). */
    public readonly internalHost: pulumi.Output<string>;
    public readonly internalPort: pulumi.Output<number>;
    public readonly superuser: pulumi.Output<string>;
    public readonly superuserPassword: pulumi.Output<string>;
    /** The Docker network shared with the Vault server. */
    public readonly networkName: pulumi.Output<string>;
    public readonly containerName: pulumi.Output<string>;
    /** The container, the data volume and (unless `networkName` was given) the network, for options such as `dependsOn`. */
    public readonly container: docker.Container;
    public readonly volume: docker.Volume;
    public readonly network?: docker.Network;
    /** With a CA: the server's certificate; clients verify it with `caCertificate` and sslmode verify-full. */
    public readonly certificate?: ServerCertificate;
    public readonly caCertificate?: pulumi.Output<string>;

    constructor(name: string, args: PostgresServerArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        const where = `PostgresServer ${name}`;
        checkImage(where, "image", args.image);
        checkPort(where, "hostPort", args.hostPort);
        checkContainerPath(where, "dataMountPath", args.dataMountPath);
        const superuser = checkSqlName(where, "superuser", args.superuser ?? "postgres");
        // Validation above runs before anything, this component included, is registered.
        super("vault-pg:postgres:PostgresServer", name, {}, opts);
        const hostPort = args.hostPort ?? DEFAULTS.postgresHostPort;
        const hostAddress = args.hostAddress ?? DEFAULTS.hostAddress;

        const imageName = pulumi.output(args.image ?? DEFAULTS.postgresImage);
        const image = new docker.RemoteImage(`${name}-image`, { name: imageName, keepLocally: true }, { parent: this });
        this.network = args.networkName
            ? undefined
            : new docker.Network(`${name}-network`, { name: `${name}-network`, driver: "bridge" }, { parent: this });
        const networkName = args.networkName ?? this.network!.name;
        const volume = new docker.Volume(`${name}-data`, { name: `${name}-data` }, { parent: this });
        const password = new random.RandomPassword(`${name}-superuser-password`, { length: 32, special: false }, { parent: this });
        const superuserPassword = pulumi.secret(password.result);
        const certificate = args.certificateAuthority
            ? new ServerCertificate(`${name}-tls`, { ca: args.certificateAuthority, hosts: [name, "localhost", "127.0.0.1", hostAddress] }, { parent: this })
            : undefined;

        const container = serviceContainer(
            name,
            {
                image: image.imageId,
                envs: [pulumi.interpolate`POSTGRES_USER=${superuser}`, pulumi.interpolate`POSTGRES_PASSWORD=${superuserPassword}`],
                networksAdvanced: [{ name: networkName, aliases: [name] }],
                internalPort: POSTGRES_CONTAINER_PORT,
                hostPort,
                hostAddress,
                volumes: [{ volumeName: volume.name, containerPath: args.dataMountPath ?? imageName.apply(postgresDataPath) }],
                // -h 127.0.0.1: the entrypoint's temporary init server listens on the socket only, so TCP
                // readiness means the real server is up.
                healthcheck: ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", String(POSTGRES_CONTAINER_PORT), "-U", superuser],
                startPeriod: "5s",
                ...(certificate && {
                    entrypoints: keyInstallEntrypoint("postgres"),
                    command: ["postgres", ...postgresTlsOptions()],
                    uploads: [...tlsUploads(certificate), { file: POSTGRES_HBA_PATH, content: postgresHbaConf(), permissions: "0644" }],
                }),
            },
            this,
        );
        this.container = container;
        this.volume = volume;

        this.host = pulumi.output(hostAddress);
        // Derived from the container so every consumer waits until it is healthy.
        this.port = pulumi.all([container.ports, hostPort]).apply(([ports, fallback]) => ports?.[0]?.external ?? fallback);
        this.internalHost = container.name.apply((containerName) => containerName);
        this.internalPort = container.id.apply(() => POSTGRES_CONTAINER_PORT);
        this.superuser = pulumi.output(superuser);
        this.superuserPassword = superuserPassword;
        this.networkName = pulumi.output(networkName);
        this.containerName = container.name;
        this.certificate = certificate;
        this.caCertificate = certificate?.caCertificate;
        this.registerOutputs({
            caCertificate: this.caCertificate,
            host: this.host,
            port: this.port,
            internalHost: this.internalHost,
            internalPort: this.internalPort,
            superuser: this.superuser,
            superuserPassword: this.superuserPassword,
            networkName: this.networkName,
            containerName: this.containerName,
        });
    }
}
