/**
 * TLS in the graph under mocks: the dev stack program (TLS on by default) and VaultPostgres with TLS off, with OpenBao,
 * and with existing servers. Each client is checked to verify the server by a name its certificate lists, against
 * the right CA; private keys travel only as secrets. The pure functions behind it are in tls.test.ts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { findResource, installMocks, isSecret, isSecretInput, loadStackConfig, MockRecorder, plain, RecordedResource, resolve, TYPES } from "../helpers/pulumi-mocks";

/** Per run, so a file left by an earlier run cannot pass for one this run wrote. */
const NONCE = `${process.pid}-${Date.now()}`;
const pem = (label: string, kind = "CERTIFICATE"): string => `-----BEGIN ${kind}-----\n${label}-${NONCE}\n-----END ${kind}-----\n`;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
/** Mock state: each CA certificate carries the run's nonce. */
const nonceCa = (type: string, name: string): Record<string, unknown> => (type === TYPES.tlsSelfSignedCert ? { certPem: pem(`mock-${name}`) } : {});

type Upload = { file: string; content: string; permissions?: string };
type ContainerInputs = { name: string; command?: string[]; entrypoints?: string[]; user?: string; envs: string[]; uploads?: Upload[]; healthcheck: { tests: string[] } };
type PgProviderInputs = { host: string; sslmode: string; sslrootcert?: string; clientcert?: string };
type ConnectionInputs = { postgresql: { connectionUrl: string; tlsCa?: string; tlsCertificate?: string; privateKey?: string } };

/** A local PEM file the program wrote (local-pem-file.ts). Those holding this run's PEMs are removed at the end. */
function readLocal(file: string | undefined): string {
    expect(path.dirname(file!)).toBe(path.join(os.tmpdir(), `vault-pg-pem-${process.getuid!()}`));
    return fs.readFileSync(file!, "utf8");
}
afterAll(() => {
    const directory = path.join(os.tmpdir(), `vault-pg-pem-${process.getuid!()}`);
    for (const name of fs.existsSync(directory) ? fs.readdirSync(directory) : []) {
        if (fs.readFileSync(path.join(directory, name), "utf8").includes(NONCE)) fs.rmSync(path.join(directory, name), { force: true });
    }
});

/** Recorded inputs whose text holds a private key outside a secret. */
function plainPrivateKeys(value: unknown, at: string): string[] {
    if (isSecretInput(value)) return [];
    if (typeof value === "string") return PRIVATE_KEY.test(value) ? [at] : [];
    if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([key, item]) => plainPrivateKeys(item, `${at}.${key}`));
    return [];
}

/** The upload of `file` in a container. */
const upload = (container: ContainerInputs, file: string): Upload | undefined => container.uploads?.find((entry) => entry.file === file);

describe("the dev stack program: TLS by default", () => {
    let recorder: MockRecorder;
    let all: RecordedResource[];
    let program: typeof import("../../index");
    let ca: string;
    const inputs = <T>(type: string, name: string): T => plain<T>(findResource(all, type, name).inputs);
    const postgres = (): ContainerInputs => inputs(TYPES.container, "vault-pg-dev-postgres");
    const vault = (): ContainerInputs => inputs(TYPES.container, "vault-pg-dev-vault");
    const request = (server: string): { dnsNames: string[]; ipAddresses: string[]; privateKeyPem: string } => inputs(TYPES.tlsCertRequest, `vault-pg-dev-${server}-tls-request`);

    beforeAll(async () => {
        recorder = await installMocks("dev", loadStackConfig(), false, nonceCa);
        program = await import("../../index");
        await Promise.all([resolve(program.apps), resolve(program.agents)]);
        all = await recorder.settle();
        ca = (await resolve(program.caCertificate))!;
    });

    it("exports the stack CA, not secret, as the CA of both servers, and verify-full as the sslmode", async () => {
        expect(ca).toBe(pem("mock-vault-pg-dev-ca-certificate"));
        expect(await isSecret(program.caCertificate!)).toBe(false);
        expect(await resolve(program.vaultCaCertificate!)).toBe(ca);
        expect(await resolve(program.postgresCaCertificate!)).toBe(ca);
        expect(program.postgresSslMode).toBe("verify-full");
        expect(await resolve(program.vaultAddress)).toBe("https://127.0.0.1:18200");
    });

    it("every client verifies with the CA, by a name the server's certificate lists", () => {
        const pgProvider = inputs<PgProviderInputs>(TYPES.pgProvider, "vault-pg-dev-access-provider");
        expect(pgProvider.sslmode).toBe("verify-full");
        expect(readLocal(pgProvider.sslrootcert)).toBe(ca);
        expect(request("postgres").ipAddresses).toContain(pgProvider.host);
        const vaultProvider = inputs<{ address: string; caCertFile: string }>(TYPES.vaultProvider, "vault-pg-dev-vault-provider");
        expect(readLocal(vaultProvider.caCertFile)).toBe(ca);
        expect(request("vault").ipAddresses).toContain(new URL(vaultProvider.address).hostname);
        // Vault reaches PostgreSQL by its container name on the shared network, with the CA inline.
        const connection = inputs<ConnectionInputs>(TYPES.connection, "vault-pg-dev-engine-connection-readonly").postgresql;
        expect(connection.connectionUrl).toBe("postgresql://{{username}}:{{password}}@vault-pg-dev-postgres:5432/app?sslmode=verify-full");
        expect(connection.tlsCa).toBe(ca);
        expect(request("postgres").dnsNames).toContain(postgres().name);
        const check = inputs<{ host: string; sslMode: string; caCertificate: string }>(TYPES.adminCheck, "vault-pg-dev-access-admin-check");
        expect([check.host, check.sslMode, check.caCertificate]).toEqual(["127.0.0.1", "verify-full", ca]);
    });

    it("certificates name the container, localhost and 127.0.0.1; a year each, renewed in the last 30 days; the CA 10 years", () => {
        for (const server of ["postgres", "vault"]) {
            expect(request(server)).toMatchObject({ dnsNames: [`vault-pg-dev-${server}`, "localhost"], ipAddresses: ["127.0.0.1"] });
            const signed = inputs<{ caCertPem: string; validityPeriodHours: number; earlyRenewalHours: number; allowedUses: string[] }>(TYPES.tlsLocallySignedCert, `vault-pg-dev-${server}-tls-certificate`);
            expect(signed).toMatchObject({ caCertPem: ca, validityPeriodHours: 8760, earlyRenewalHours: 720 });
            expect(signed.allowedUses).toContain("server_auth");
            expect(signed.allowedUses).not.toContain("cert_signing");
        }
        const authority = inputs<{ isCaCertificate: boolean; validityPeriodHours: number; earlyRenewalHours: number; allowedUses: string[] }>(TYPES.tlsSelfSignedCert, "vault-pg-dev-ca-certificate");
        expect(authority).toMatchObject({ isCaCertificate: true, validityPeriodHours: 87600, earlyRenewalHours: 8760 });
        expect(authority.allowedUses).toContain("cert_signing");
    });

    it("PostgreSQL's wrapper hands its own key to postgres (0600); the server runs TLS only, with the hostssl pg_hba.conf", () => {
        const container = postgres();
        expect(container.entrypoints!.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
        expect(container.entrypoints![2]).toContain("install -m 0600 -o postgres -g postgres /etc/vault-pg/tls/server.key /run/vault-pg/tls/server.key\n");
        expect(container.command![0]).toBe("postgres");
        expect(container.command).toEqual(expect.arrayContaining(["ssl=on", "hba_file=/etc/vault-pg/pg_hba.conf"]));
        expect(upload(container, "/etc/vault-pg/tls/server.key")).toEqual({ file: "/etc/vault-pg/tls/server.key", content: request("postgres").privateKeyPem, permissions: "0600" });
        expect(upload(container, "/etc/vault-pg/tls/server.crt")?.content).toContain("mock-vault-pg-dev-postgres-tls-certificate");
        expect(upload(container, "/etc/vault-pg/pg_hba.conf")?.content).toMatch(/^hostssl +all +all +all +scram-sha-256$/m);
        expect(upload(container, "/etc/vault-pg/pg_hba.conf")?.content).not.toMatch(/^host /m);
    });

    it("the uploads, key included, go to the container as a secret and stay secret in state", () => {
        for (const name of ["vault-pg-dev-postgres", "vault-pg-dev-vault"]) {
            const container = findResource(all, TYPES.container, name);
            expect(isSecretInput(container.inputs.uploads)).toBe(true);
            expect(container.additionalSecretOutputs).toContain("uploads");
        }
    });

    it("Vault serves its API over TLS; the dev server's plain listener stays on the container's loopback", () => {
        const container = vault();
        expect(container.envs).toContain("VAULT_DEV_LISTEN_ADDRESS=127.0.0.1:8210");
        expect(upload(container, "/vault/config/tls-listener.hcl")?.content).toContain('address         = "0.0.0.0:8200"\n  tls_cert_file   = "/etc/vault-pg/tls/server.crt"');
        expect(upload(container, "/etc/vault-pg/tls/server.key")).toEqual({ file: "/etc/vault-pg/tls/server.key", content: request("vault").privateKeyPem, permissions: "0600" });
        expect(container.healthcheck.tests).toEqual(["CMD", "vault", "status", "-address=https://127.0.0.1:8200", "-ca-cert=/etc/vault-pg/tls/ca.crt"]);
        expect(container.user).toBe("root");
        expect(container.entrypoints![2]).toContain("-o vault -g vault");
    });

    it("private keys travel only as secrets: in every resource input and every stack output", async () => {
        expect(all.flatMap((resource) => plainPrivateKeys(resource.inputs, `${resource.name}`))).toEqual([]);
        const outputs = Object.entries(program).filter(([name]) => name !== "default").map(([name, value]) => [name, pulumi.output(value as pulumi.Input<unknown>)] as const);
        const plainOutputs = await Promise.all(outputs.map(async ([name, output]) => ((await isSecret(output)) ? "" : `${name}=${JSON.stringify(await resolve(output))}`)));
        expect(plainOutputs.filter((text) => PRIVATE_KEY.test(text))).toEqual([]);
        expect(plainOutputs.filter((text) => text.startsWith("caCertificate="))).toHaveLength(1);
    });

    it("agent configs verify Vault with its CA and PostgreSQL with verify-full against a CA file", async () => {
        const config = (await resolve(program.agents)).web.config;
        expect(config).toContain('  ca_cert = "/run/vault-pg/web/vault-ca.crt"\n');
        expect(config).toContain("PGSSLMODE=verify-full");
        expect(config).toContain("PGSSLROOTCERT=/run/vault-pg/web/postgres-ca.crt");
    });
});

describe("VaultPostgres: TLS off, OpenBao, existing servers", () => {
    type Composite = import("../../components").VaultPostgres;
    let all: RecordedResource[];
    let authority: import("../../components").CertificateAuthority;
    let lanPostgres: import("../../components").PostgresServer;
    const stacks: Record<string, Composite> = {};
    const roles = [{ name: "reader", access: "readonly" as const, defaultTtl: "1h", maxTtl: "1d" }];
    const apps = [{ name: "web", roles: ["reader"] }];
    const PG_CA = pem("existing-postgres-ca");
    const VAULT_CA = pem("existing-vault-ca");
    const CLIENT_CERT = pem("client-certificate");
    const CLIENT_KEY = pem("client-key", "PRIVATE KEY");
    const inputs = <T>(type: string, name: string): T => plain<T>(findResource(all, type, name).inputs);
    const url = (stack: string): string => inputs<ConnectionInputs>(TYPES.connection, `${stack}-engine-connection-reader`).postgresql.connectionUrl;
    const tlsResources = (stack: string): string[] => all.filter((resource) => resource.name.startsWith(`${stack}-`) && (resource.type.startsWith("tls:") || resource.type.startsWith("vault-pg:tls:"))).map((resource) => resource.name);

    beforeAll(async () => {
        const recorder = await installMocks("test", {}, false, nonceCa);
        const c = await import("../../components");
        stacks.plain = new c.VaultPostgres("plain", { tls: false, roles, apps });
        stacks.bao = new c.VaultPostgres("bao", { flavor: "openbao", roles, apps });
        stacks.ext = new c.VaultPostgres("ext", {
            existingPostgres: { host: "db.internal", superuserPassword: "pw", caCertificate: PG_CA, clientCertificate: CLIENT_CERT, clientKey: CLIENT_KEY },
            existingVault: { address: "https://vault.internal:8200", token: "t", caCertificate: VAULT_CA },
            roles,
            apps,
        });
        stacks.mix = new c.VaultPostgres("mix", { flavor: "openbao", existingPostgres: { host: "db.internal", superuserPassword: "pw", caCertificate: PG_CA }, roles, apps });
        authority = new c.CertificateAuthority("lone", { lifetime: { validityHours: 48, earlyRenewalHours: 24 } });
        lanPostgres = new c.PostgresServer("lan", { hostAddress: "192.168.1.10", certificateAuthority: authority });
        await Promise.all(Object.values(stacks).map((stack) => Promise.all([resolve(stack.apps), resolve(stack.agents)])));
        all = await recorder.settle();
    });

    it("a CA of one's own: its key a secret, its lifetime as given; a server published on a LAN address is certified for it", async () => {
        expect([await isSecret(authority.privateKey), await isSecret(authority.certificate)]).toEqual([true, false]);
        expect(inputs(TYPES.tlsSelfSignedCert, "lone-certificate")).toMatchObject({ validityPeriodHours: 48, earlyRenewalHours: 24 });
        expect(inputs(TYPES.tlsCertRequest, "lan-tls-request")).toMatchObject({ dnsNames: ["lan", "localhost"], ipAddresses: ["127.0.0.1", "192.168.1.10"] });
        expect(await isSecret(lanPostgres.certificate!.privateKey)).toBe(true);
        expect(await resolve(lanPostgres.caCertificate!)).toContain("mock-lone-certificate");
    });

    it("tls: false runs no CA and no certificate, plain HTTP and sslmode disable everywhere", async () => {
        expect(tlsResources("plain")).toEqual([]);
        expect([stacks.plain.caCertificate, stacks.plain.vaultCaCertificate, stacks.plain.postgresTls]).toEqual([undefined, undefined, { sslMode: "disable" }]);
        expect(await resolve(stacks.plain.vaultAddress)).toBe("http://127.0.0.1:18200");
        const pgProvider = inputs<PgProviderInputs>(TYPES.pgProvider, "plain-access-provider");
        expect([pgProvider.sslmode, pgProvider.sslrootcert]).toEqual(["disable", undefined]);
        expect(inputs<{ caCertFile?: string }>(TYPES.vaultProvider, "plain-vault-provider").caCertFile).toBeUndefined();
        expect(inputs<ConnectionInputs>(TYPES.connection, "plain-engine-connection-reader").postgresql).not.toHaveProperty("tlsCa");
        expect(url("plain")).toBe("postgresql://{{username}}:{{password}}@plain-postgres:5432/app?sslmode=disable");
        expect(inputs<{ sslMode: string }>(TYPES.adminCheck, "plain-access-admin-check").sslMode).toBe("disable");
        for (const name of ["plain-postgres", "plain-vault"]) expect(inputs<ContainerInputs>(TYPES.container, name)).not.toHaveProperty("entrypoints");
        expect(inputs<ContainerInputs>(TYPES.container, "plain-vault").envs).toContain("VAULT_DEV_LISTEN_ADDRESS=0.0.0.0:8200");
        const config = (await resolve(stacks.plain.agents)).web.config;
        expect(config).not.toContain("ca_cert");
        expect(config).not.toContain("PGSSLROOTCERT");
    });

    it("OpenBao beside its own PostgreSQL verifies against the stack CA as a file in its container, not inline", () => {
        expect(url("bao")).toBe("postgresql://{{username}}:{{password}}@bao-postgres:5432/app?sslmode=verify-full&sslrootcert=/etc/vault-pg/tls/ca.crt");
        expect(inputs<ConnectionInputs>(TYPES.connection, "bao-engine-connection-reader").postgresql).not.toHaveProperty("tlsCa");
        const container = inputs<ContainerInputs>(TYPES.container, "bao-vault");
        expect(container.entrypoints![2]).toContain("install -m 0600 -o openbao -g openbao /etc/vault-pg/tls/server.key /run/vault-pg/tls/server.key\n");
        expect(container.envs).toContain("BAO_DEV_LISTEN_ADDRESS=127.0.0.1:8210");
        expect(upload(container, "/openbao/config/tls-listener.hcl")).toBeDefined();
        expect(container.healthcheck.tests.slice(0, 3)).toEqual(["CMD", "bao", "status"]);
    });

    it("existing servers: no stack CA; PostgreSQL verified against its CA with the client certificate inline, as a secret", async () => {
        expect(tlsResources("ext")).toEqual([]);
        expect(stacks.ext.caCertificate).toBeUndefined();
        const provider = findResource(all, TYPES.pgProvider, "ext-access-provider");
        const settings = plain<PgProviderInputs>(provider.inputs);
        expect([settings.sslmode, settings.sslrootcert]).toEqual(["verify-full", PG_CA]);
        expect(JSON.parse(settings.clientcert!)).toEqual({ cert: CLIENT_CERT, key: CLIENT_KEY, sslinline: true });
        expect(isSecretInput(provider.inputs.clientcert)).toBe(true);
        const check = findResource(all, TYPES.adminCheck, "ext-access-admin-check");
        expect(plain(check.inputs)).toMatchObject({ sslMode: "verify-full", caCertificate: PG_CA, clientCertificate: CLIENT_CERT, clientKey: CLIENT_KEY });
        expect([isSecretInput(check.inputs.clientKey), check.additionalSecretOutputs]).toEqual([true, ["password", "clientKey"]]);
        expect(await resolve(stacks.ext.postgresTls.caCertificate!)).toBe(PG_CA);
    });

    it("existing servers: HashiCorp Vault gets the PostgreSQL CA, certificate and key inline; its own CA verifies the API", async () => {
        const connection = findResource(all, TYPES.connection, "ext-engine-connection-reader");
        expect(plain<ConnectionInputs>(connection.inputs).postgresql).toMatchObject({ tlsCa: PG_CA, tlsCertificate: CLIENT_CERT, privateKey: CLIENT_KEY });
        // The block that carries the key is sent as a secret.
        expect(isSecretInput(connection.inputs.postgresql)).toBe(true);
        expect(url("ext")).toBe("postgresql://{{username}}:{{password}}@db.internal:5432/app?sslmode=verify-full");
        expect(readLocal(inputs<{ caCertFile: string }>(TYPES.vaultProvider, "ext-vault-provider").caCertFile)).toBe(VAULT_CA);
        expect(await resolve(stacks.ext.vaultCaCertificate!)).toBe(VAULT_CA);
    });

    it("an existing PostgreSQL with its own OpenBao container: the PostgreSQL CA is uploaded into it and named in the URL", () => {
        expect(all.filter((resource) => resource.type === TYPES.container && resource.name.startsWith("mix-")).map((resource) => resource.name)).toEqual(["mix-vault"]);
        const container = inputs<ContainerInputs>(TYPES.container, "mix-vault");
        expect(upload(container, "/etc/vault-pg/tls/postgres-ca.crt")).toEqual({ file: "/etc/vault-pg/tls/postgres-ca.crt", content: PG_CA, permissions: "0644" });
        expect(url("mix")).toBe("postgresql://{{username}}:{{password}}@db.internal:5432/app?sslmode=verify-full&sslrootcert=/etc/vault-pg/tls/postgres-ca.crt");
        // Without a client certificate the postgresql provider takes the CA as a local file (lib/pq reads PEM inline only with one).
        expect(readLocal(inputs<PgProviderInputs>(TYPES.pgProvider, "mix-access-provider").sslrootcert)).toBe(PG_CA);
        // The stack still signs the OpenBao container's own certificate.
        expect(tlsResources("mix")).toContain("mix-vault-tls-certificate");
    });
});
