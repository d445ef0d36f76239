/**
 * PEM text as a file on the machine that runs Pulumi, for provider settings that take only a path: the Vault
 * provider's `caCertFile` (terraform-provider-vault has no setting for PEM content, only the process-wide
 * VAULT_CACERT_BYTES: internal/provider/meta.go, setClient) and the postgresql provider's `sslrootcert` without a
 * client certificate (its `sslinline` comes only with `clientcert`: postgresql/config.go, connParams).
 *
 * The file is named by its content's hash, so the same CA gives the same path on every run of the same user and a
 * provider's settings do not change from one run to the next; it is written whenever the value is
 * known, at preview too, so a fresh CI runner that previews a stack whose CA is in its state finds the file.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/**
 * The directory the files go to: `$TMPDIR/vault-pg-pem-<uid>`, this user's own. A CA file there decides whom the
 * providers trust, so a directory another user made first (a shared /tmp), or one others may write to, is refused.
 */
export function localPemDirectory(): string {
    const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
    return path.join(os.tmpdir(), uid === undefined ? "vault-pg-pem" : `vault-pg-pem-${uid}`);
}

function ownDirectory(): string {
    const directory = localPemDirectory();
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    const stat = fs.lstatSync(directory);
    const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
    if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0) {
        throw new Error(`${directory} is not a directory of this user's that only it may use (mode 0700); remove it and run again`);
    }
    return directory;
}

/** Writes `pem` (mode 0600) unless the same content is there; returns its path. */
export function writeLocalPemFile(pem: string): string {
    const directory = ownDirectory();
    const file = path.join(directory, `${crypto.createHash("sha256").update(pem).digest("hex").slice(0, 32)}.pem`);
    if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== pem) {
        // A fresh name opened exclusively ("wx"), then renamed over the file: a reader sees the old or the new, whole.
        const partial = path.join(directory, `.${crypto.randomBytes(8).toString("hex")}.tmp`);
        fs.writeFileSync(partial, pem, { mode: 0o600, flag: "wx" });
        fs.renameSync(partial, file);
    }
    return file;
}

/**
 * The path of `pem` as a local file; resolves once the file is written. A certificate the engine computes is always
 * set once created; under a test's mocks it may be missing, and then so is the path.
 */
export function localPemFile(pem: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.output(pem).apply((text) => (typeof text === "string" && text !== "" ? writeLocalPemFile(text) : (undefined as unknown as string)));
}
