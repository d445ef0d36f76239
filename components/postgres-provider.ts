import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";

/** Where and as whom the Pulumi process administers PostgreSQL. */
export interface PostgresAdminConnection {
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    superuser: pulumi.Input<string>;
    superuserPassword: pulumi.Input<string>;
    /** libpq sslmode. */
    sslMode: string;
}

/**
 * An explicit postgresql provider for one component's children, connected to the `postgres` database.
 * `superuser: false` makes the provider skip reading password hashes back (see StaticRole).
 */
export function postgresAdminProvider(name: string, connection: PostgresAdminConnection, parent: pulumi.Resource, superuser?: boolean): postgresql.Provider {
    return new postgresql.Provider(
        `${name}-provider`,
        {
            host: connection.host,
            port: connection.port,
            username: connection.superuser,
            password: connection.superuserPassword,
            database: "postgres",
            sslmode: connection.sslMode,
            connectTimeout: 15,
            superuser,
        },
        { parent },
    );
}
