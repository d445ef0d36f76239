/**
 * Where the composite's two servers come from: a container the stack runs (with the stack CA's certificate under
 * TLS), or an existing server it was given; and how every client of each reaches and verifies it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { CertificateAuthority } from "./certificates";
import { localPemFile } from "./local-pem-file";
import { PostgresServer, PostgresServerArgs } from "./postgres-server";
import { PostgresClientTls } from "./postgres-tls";
import { DEFAULTS, ExistingPostgres, ExistingVault, firstEndpoint } from "./validate";
import { VaultServer, VaultServerArgs } from "./vault-server";

/** The PostgreSQL the stack administers, as the Pulumi process reaches it. */
export interface PostgresSide {
    server?: PostgresServer;
    host: pulumi.Output<string>;
    port: pulumi.Output<number>;
    superuser: pulumi.Output<string>;
    superuserPassword: pulumi.Output<string>;
    /** sslmode and CA: the Pulumi process, Vault and applications use the same. */
    tls: PostgresClientTls;
}

/** A container the stack runs (`ca`: TLS only, verified with verify-full), or the existing server it was given. */
export function postgresSide(parent: pulumi.Resource, name: string, container: PostgresServerArgs, existing: ExistingPostgres | undefined, ca: CertificateAuthority | undefined): PostgresSide {
    if (existing) {
        // The postgresql provider connects to one host:port (terraform-provider-postgresql postgresql/config.go,
        // connStr), and its parameters have no target_session_attrs: it administers the first server listed.
        const admin = pulumi.all([existing.host, existing.port ?? DEFAULTS.postgresPort]).apply(([hosts, port]) => firstEndpoint(hosts, port));
        return {
            host: admin.host,
            port: admin.port,
            superuser: pulumi.output(existing.superuser ?? DEFAULTS.postgresSuperuser),
            superuserPassword: pulumi.secret(existing.superuserPassword),
            tls: {
                // checkExistingPostgres resolved it: verify-full with a CA, else require.
                sslMode: existing.sslMode!,
                caCertificate: existing.caCertificate,
                clientCertificate: existing.clientCertificate,
                clientKey: existing.clientKey === undefined ? undefined : pulumi.secret(existing.clientKey),
            },
        };
    }
    const server = new PostgresServer(`${name}-postgres`, { ...container, certificateAuthority: ca }, { parent });
    // Verified against the names the certificate lists: the published host address for the Pulumi side, the
    // container name for Vault beside it.
    const tls: PostgresClientTls = ca ? { sslMode: "verify-full", caCertificate: ca.certificate } : { sslMode: "disable" };
    return { server, host: server.host, port: server.port, superuser: server.superuser, superuserPassword: server.superuserPassword, tls };
}

/** The Vault every Vault resource of the stack goes through. */
export interface VaultSide {
    server?: VaultServer;
    provider: vault.Provider;
    address: pulumi.Output<string>;
    /** The CA its certificate verifies against, where the stack knows one. */
    caCertificate?: pulumi.Output<string>;
}

/** The stack's Vault container (`container.certificateAuthority`: TLS only), or a provider for the existing one. */
export function vaultSide(parent: pulumi.Resource, name: string, container: VaultServerArgs, existing: ExistingVault | undefined): VaultSide {
    if (existing) {
        // terraform-provider-vault takes a CA only as a file (local-pem-file.ts), and without a token reads VAULT_TOKEN
        // from its environment (internal/provider/meta.go, GetToken).
        const providerTls = existing.caCertificate !== undefined ? { caCertFile: localPemFile(existing.caCertificate) } : {};
        return {
            provider: new vault.Provider(`${name}-vault-provider`, { address: existing.address, ...(existing.token !== undefined && existing.token !== "" ? { token: pulumi.secret(existing.token) } : {}), ...providerTls }, { parent }),
            address: pulumi.output(existing.address),
            caCertificate: existing.caCertificate === undefined ? undefined : pulumi.output(existing.caCertificate),
        };
    }
    const server = new VaultServer(`${name}-vault`, container, { parent });
    return { server, provider: server.provider, address: server.address, caCertificate: server.caCertificate };
}
