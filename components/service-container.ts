/**
 * The container block both servers share: one published port, a health check the engine waits for (`wait: true`, so
 * everything that reads the server's outputs starts once it answers), restart unless stopped, its env and uploads (a
 * TLS key among them) kept secret in state, and delete-before-replace (a fixed name and host port: the old container
 * must go before its replacement).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export interface ServiceContainerArgs {
    image: pulumi.Input<string>;
    /** The port inside the container, published on `hostAddress:hostPort`. */
    internalPort: number;
    hostPort: pulumi.Input<number>;
    hostAddress: pulumi.Input<string>;
    /** The health check command (docker's `CMD` form) and how long the server may take to start. */
    healthcheck: pulumi.Input<pulumi.Input<string>[]>;
    startPeriod: string;
    command?: pulumi.Input<pulumi.Input<string>[]>;
    entrypoints?: pulumi.Input<pulumi.Input<string>[]>;
    /** The user the container starts as; default the image's. */
    user?: string;
    envs?: pulumi.Input<pulumi.Input<string>[]>;
    uploads?: docker.ContainerArgs["uploads"];
    volumes?: docker.ContainerArgs["volumes"];
    capabilities?: docker.ContainerArgs["capabilities"];
    networksAdvanced?: docker.ContainerArgs["networksAdvanced"];
}

export function serviceContainer(name: string, args: ServiceContainerArgs, parent: pulumi.Resource): docker.Container {
    return new docker.Container(
        name,
        {
            name,
            image: args.image,
            command: args.command,
            entrypoints: args.entrypoints,
            user: args.user,
            envs: args.envs,
            uploads: args.uploads,
            volumes: args.volumes,
            capabilities: args.capabilities,
            networksAdvanced: args.networksAdvanced,
            ports: [{ internal: args.internalPort, external: args.hostPort, ip: args.hostAddress }],
            healthcheck: { tests: args.healthcheck, interval: "2s", timeout: "3s", retries: 30, startPeriod: args.startPeriod },
            wait: true,
            waitTimeout: 120,
            restart: "unless-stopped",
        },
        { parent, additionalSecretOutputs: ["envs", "uploads"], deleteBeforeReplace: true },
    );
}
