/**
 * The explicit postgresql provider each component that administers PostgreSQL creates for its children.
 */
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { PostgresClientTls, postgresProviderTls } from "./postgres-tls";

/** Where and as whom the Pulumi process administers PostgreSQL. */
export interface PostgresAdminConnection {
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    superuser: pulumi.Input<string>;
    superuserPassword: pulumi.Input<string>;
    /** sslmode, and the CA (and client certificate) to verify with. */
    tls: PostgresClientTls;
}

/**
 * An explicit postgresql provider for one component's children, connected to the `postgres` database.
 *
 * `superuser: false` always, whatever the admin is: in terraform-provider-postgresql (which @pulumi/postgresql 3.18
 * bridges) the setting gates one thing, reading a LOGIN role's password back from `pg_shadow` on refresh
 * (`readRolePassword`, postgresql/resource_postgresql_role.go; `superuser` in postgresql/provider.go, default true),
 * which fails for a managed service's admin ("could not read role password ... is not a SUPERUSER") and would show
 * a password Vault rotated as drift. Everything else detects a superuser on the server (`withRolesGranted`,
 * postgresql/helpers.go). With it off, the provider keeps the password from state.
 */
export function postgresAdminProvider(name: string, connection: PostgresAdminConnection, parent: pulumi.Resource): postgresql.Provider {
    return new postgresql.Provider(
        `${name}-provider`,
        {
            host: connection.host,
            port: connection.port,
            username: connection.superuser,
            password: connection.superuserPassword,
            database: "postgres",
            ...postgresProviderTls(connection.tls),
            connectTimeout: 15,
            superuser: false,
        },
        { parent },
    );
}
