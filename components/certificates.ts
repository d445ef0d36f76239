/**
 * The stack's private CA (CertificateAuthority) and the server certificates it signs (ServerCertificate), declared with
 * the tls provider: keys and certificates live in the stack's state, private keys as secrets.
 *
 * Renewal: a certificate is replaced by the first `pulumi up` that runs within its `earlyRenewalHours` of expiry (or
 * after it). terraform-provider-tls computes `ready_for_renewal` from the certificate's end date and the current
 * time while planning, and a true value requires replacement (README "TLS", "Renewal"); nothing needs `--refresh`.
 * The server that carries the certificate is replaced with it (its files are container uploads).
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { DEFAULTS } from "./validate";

/** Certificate lifetimes, in hours, and how long before the end `pulumi up` replaces one. */
export interface CertificateLifetime {
    validityHours: number;
    earlyRenewalHours: number;
}

/** Splits the names a server is reached by into the certificate's DNS names and IP addresses (a SAN each). */
export function subjectAltNames(hosts: readonly string[]): { dnsNames: string[]; ipAddresses: string[] } {
    const unique = [...new Set(hosts.map((host) => host.replace(/^\[(.*)\]$/, "$1").toLowerCase()))];
    const isIp = (host: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
    return { dnsNames: unique.filter((host) => !isIp(host)), ipAddresses: unique.filter(isIp) };
}

export interface CertificateAuthorityArgs {
    /** The CA's common name; default: the component's name. */
    commonName?: string;
    /** Default: 10 years, replaced in its last year (DEFAULTS.caLifetime). */
    lifetime?: CertificateLifetime;
}

/**
 * A self-signed CA for the stack's own servers. Clients trust its certificate (the stack output `caCertificate`); its
 * key signs the server certificates and stays in the stack's state as a secret.
 */
export class CertificateAuthority extends pulumi.ComponentResource {
    /** The CA certificate (PEM): what clients pass as `sslrootcert`, `VAULT_CACERT` or `ca_cert`. */
    public readonly certificate: pulumi.Output<string>;
    /** The CA's private key (PEM, secret). */
    public readonly privateKey: pulumi.Output<string>;

    constructor(name: string, args: CertificateAuthorityArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("vault-pg:tls:CertificateAuthority", name, {}, opts);
        const lifetime = args.lifetime ?? DEFAULTS.caLifetime;
        const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        const certificate = new tls.SelfSignedCert(
            `${name}-certificate`,
            {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: args.commonName ?? name, organization: "vault-pg" },
                isCaCertificate: true,
                setSubjectKeyId: true,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                validityPeriodHours: lifetime.validityHours,
                earlyRenewalHours: lifetime.earlyRenewalHours,
            },
            { parent: this },
        );
        this.certificate = certificate.certPem;
        this.privateKey = pulumi.secret(key.privateKeyPem);
        this.registerOutputs({ certificate: this.certificate, privateKey: this.privateKey });
    }
}

export interface ServerCertificateArgs {
    /** The CA that signs it. */
    ca: CertificateAuthority;
    /**
     * Every name and address clients use, first the common name: the container name other containers use, and the
     * published host address. Each becomes a subject alternative name (DNS or IP), which `verify-full` checks.
     */
    hosts: pulumi.Input<pulumi.Input<string>[]>;
    /** Default: 1 year, replaced in its last 30 days (DEFAULTS.serverCertificateLifetime). */
    lifetime?: CertificateLifetime;
}

/** A server key and a certificate for it, signed by the stack's CA, valid for TLS server authentication only. */
export class ServerCertificate extends pulumi.ComponentResource {
    /** The server certificate (PEM). */
    public readonly certificate: pulumi.Output<string>;
    /** Its private key (PEM, secret). */
    public readonly privateKey: pulumi.Output<string>;
    /** The signing CA's certificate (PEM). */
    public readonly caCertificate: pulumi.Output<string>;

    constructor(name: string, args: ServerCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vault-pg:tls:ServerCertificate", name, {}, opts);
        const lifetime = args.lifetime ?? DEFAULTS.serverCertificateLifetime;
        const hosts = pulumi.output(args.hosts);
        const names = hosts.apply(subjectAltNames);
        const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        const request = new tls.CertRequest(
            `${name}-request`,
            {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: hosts.apply((list) => list[0]), organization: "vault-pg" },
                dnsNames: names.dnsNames,
                ipAddresses: names.ipAddresses,
            },
            { parent: this },
        );
        const certificate = new tls.LocallySignedCert(
            `${name}-certificate`,
            {
                certRequestPem: request.certRequestPem,
                caCertPem: args.ca.certificate,
                caPrivateKeyPem: args.ca.privateKey,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                validityPeriodHours: lifetime.validityHours,
                earlyRenewalHours: lifetime.earlyRenewalHours,
            },
            { parent: this },
        );
        this.certificate = certificate.certPem;
        this.privateKey = pulumi.secret(key.privateKeyPem);
        this.caCertificate = args.ca.certificate;
        this.registerOutputs({ certificate: this.certificate, privateKey: this.privateKey, caCertificate: this.caCertificate });
    }
}
