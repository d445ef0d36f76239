/**
 * Checks of single values: durations, ports, images, integers, and the closed sets (flavor, mode, storage, layout,
 * sslmode), each returning the value or its default, or throwing one line that names the field and the value.
 */
import { invalid } from "./errors";
import { isLoopbackHost } from "./tls";
import {
    CONNECTION_LAYOUTS,
    ConnectionLayout,
    DEFAULTS,
    Flavor,
    FLAVORS,
    MAX_UNSEAL_SHARES,
    SSL_MODES,
    SslMode,
    VAULT_MODES,
    VAULT_STORAGES,
    VaultMode,
    VaultStorage,
} from "./settings";

export function checkVaultMode(where: string, field: string, value: unknown): VaultMode {
    if (value === undefined) return DEFAULTS.vaultMode;
    if (typeof value === "string" && (VAULT_MODES as readonly string[]).includes(value)) return value as VaultMode;
    throw invalid(where, field, value, `unknown mode; expected one of ${VAULT_MODES.join(", ")}`);
}

/** Server mode is the stack's own container's: with an existing Vault it means nothing, and saying so beats ignoring it. */
export function checkModeWithoutExistingVault(where: string, field: string, mode: VaultMode, existingVault: boolean): void {
    if (mode === "server" && existingVault) {
        throw invalid(where, field, mode, "applies to the stack's own Vault container, not to an existing Vault; leave the mode at dev or drop the existing Vault");
    }
}

/**
 * Metrics without a token only where the local host alone reaches the API: a server-mode listener published on a
 * loopback address (docs/server-mode.md, "Metrics"). A dev server's listener serves them without a token anyway.
 * `hostAddress` is checked when it is a plain string (an Output is known only later).
 */
export function checkUnauthenticatedMetrics(where: string, field: string, value: unknown, mode: VaultMode, hostAddress: unknown): boolean {
    if (value === undefined) return false;
    const wanted = checkBoolean(where, field, value);
    if (!wanted) return false;
    if (mode !== "server") throw invalid(where, field, value, "applies to server mode only");
    const address = hostAddress ?? DEFAULTS.hostAddress;
    if (typeof address === "string" && !isLoopbackHost(address)) {
        throw invalid(where, field, value, `the API is published on ${address}, beyond this machine; scrape with a token of the metrics policy instead`);
    }
    return true;
}

export function checkVaultStorage(where: string, field: string, value: unknown): VaultStorage {
    if (value === undefined) return DEFAULTS.vaultStorage;
    if (typeof value === "string" && (VAULT_STORAGES as readonly string[]).includes(value)) return value as VaultStorage;
    throw invalid(where, field, value, `unknown storage; expected one of ${VAULT_STORAGES.join(", ")}`);
}

/**
 * Key shares and threshold for `sys/init`, with Vault's own rules (vault/seal.go, SealConfig.Validate): 1 to 255
 * shares, a threshold from 1 to the shares, and more than 1 whenever there is more than one share.
 */
export function checkUnsealShares(
    where: string,
    fields: { shares: string; threshold: string },
    shares: unknown = DEFAULTS.vaultUnsealShares,
    threshold: unknown = DEFAULTS.vaultUnsealThreshold,
): { shares: number; threshold: number } {
    const checkedShares = checkPositiveInteger(where, fields.shares, shares, MAX_UNSEAL_SHARES);
    const checkedThreshold = checkPositiveInteger(where, fields.threshold, threshold, MAX_UNSEAL_SHARES);
    if (checkedThreshold > checkedShares) {
        throw invalid(where, fields.threshold, threshold, `the threshold cannot exceed the number of key shares (${checkedShares})`);
    }
    if (checkedShares > 1 && checkedThreshold < 2) {
        throw invalid(where, fields.threshold, threshold, "with more than one key share the threshold must be at least 2");
    }
    return { shares: checkedShares, threshold: checkedThreshold };
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** A TTL: whole seconds, or a string such as "90s", "15m", "1h", "7d". */
export type Duration = number | string;

/** Parses a TTL into whole seconds (> 0). */
export function parseDuration(where: string, field: string, value: unknown): number {
    if (typeof value === "number") {
        if (Number.isInteger(value) && value > 0) return value;
        throw invalid(where, field, value, "a TTL must be a whole number of seconds greater than 0");
    }
    if (typeof value === "string") {
        const match = /^(\d+)([smhd]?)$/.exec(value.trim());
        if (match) {
            const seconds = Number(match[1]) * DURATION_UNITS[match[2] || "s"];
            if (seconds > 0) return seconds;
        }
        throw invalid(where, field, value, 'a TTL must look like 3600, "90s", "15m", "1h" or "7d" and be greater than 0');
    }
    throw invalid(where, field, value, 'a TTL must be a number of seconds or a string like "1h"');
}

/** Checks a TCP port given as a plain number; values only known at deploy time pass through. */
export function checkPort(where: string, field: string, value: unknown): void {
    if (value === undefined || isPulumiValue(value)) return;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
        throw invalid(where, field, value, "a port must be a whole number from 1 to 65535");
    }
}

/** Checks an image reference given as a plain string. */
export function checkImage(where: string, field: string, value: unknown): void {
    if (value === undefined || isPulumiValue(value)) return;
    if (typeof value !== "string" || !/^[a-z0-9][a-z0-9._\-/:@]*$/.test(value)) {
        throw invalid(where, field, value, 'an image must be a reference like "postgres:18" or "registry/name:tag"');
    }
}

export function checkFlavor(where: string, value: unknown): Flavor {
    if (value === undefined) return DEFAULTS.flavor;
    if (typeof value === "string" && (FLAVORS as readonly string[]).includes(value)) return value as Flavor;
    throw invalid(where, "flavor", value, `unknown flavor; expected one of ${FLAVORS.join(", ")}`);
}

/**
 * The connection layout; unset, it is "per-role", or "single" when the stack rotates the Vault admin's password
 * (every connection config logs in as that one admin, so rotating through one would lock out the others).
 */
export function checkConnectionLayout(where: string, value: unknown, rotateRoot = false): ConnectionLayout {
    if (value === undefined) return rotateRoot ? "single" : DEFAULTS.connections;
    if (typeof value === "string" && (CONNECTION_LAYOUTS as readonly string[]).includes(value)) return value as ConnectionLayout;
    throw invalid(where, "connections", value, `unknown connection layout; expected one of ${CONNECTION_LAYOUTS.join(", ")}`);
}

export function checkPositiveInteger(where: string, field: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= max) return value;
    throw invalid(where, field, value, `must be a whole number from 1 to ${max}`);
}

export function checkBoolean(where: string, field: string, value: unknown): boolean {
    if (typeof value === "boolean") return value;
    throw invalid(where, field, value, "must be true or false");
}

/** An Output or a promise: checked by the provider at deploy time, not here. */
export function isPulumiValue(value: unknown): boolean {
    return typeof value === "object" && value !== null;
}

export function checkSslMode(where: string, field: string, value: unknown, fallback: SslMode): SslMode {
    if (value === undefined) return fallback;
    if (typeof value === "string" && (SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
    throw invalid(where, field, value, `unknown sslmode; expected one of ${SSL_MODES.join(", ")}`);
}


/** A Vault API address: http(s)://host[:port], no path. */
export function checkVaultAddress(where: string, field: string, value: unknown): void {
    if (value === undefined || isPulumiValue(value)) return;
    if (typeof value !== "string" || !/^https?:\/\/[A-Za-z0-9.\-[\]:]+(:\d{1,5})?\/?$/.test(value)) {
        throw invalid(where, field, value, 'a Vault address looks like "https://vault.example.com:8200"');
    }
}

/** A path inside a container, absolute. */
export function checkContainerPath(where: string, field: string, value: unknown): void {
    if (value === undefined || isPulumiValue(value)) return;
    if (typeof value !== "string" || !/^\/[A-Za-z0-9._\-/]*$/.test(value)) {
        throw invalid(where, field, value, "a container path must be absolute, e.g. /var/lib/postgresql/data");
    }
}
