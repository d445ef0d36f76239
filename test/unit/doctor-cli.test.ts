/**
 * The doctor's command line and report: arguments, what it inspects from a stack's outputs and settings, the table,
 * the JSON and the exit code.
 */
import { doctorExitCode, DoctorFinding } from "../../components/doctor/findings";
import { renderFindings, summaryLine } from "../../components/doctor/render";
import { doctorTarget } from "../../components/doctor/target";
import { findingsJson, parseDoctorArgs } from "../../scripts/doctor";

/** Outputs as `pulumi stack output --json --show-secrets` prints them for a stack with two databases. */
const OUTPUTS = {
    vaultAddress: "https://127.0.0.1:18200",
    vaultCaCertificate: "VAULT CA PEM",
    caCertificate: "STACK CA PEM",
    postgresAddress: "127.0.0.1:15432",
    postgresCaCertificate: "PG CA PEM",
    postgresSslMode: "verify-full",
    vaultRootToken: "root-token",
    vaultAdminPassword: "first-password",
    vaultAdmins: { shop: "vault_admin", billing: "billing_vault" },
    vaultAdminPasswords: { shop: "first-password", billing: "billing-password" },
    connectionBudget: 20,
    database: "shop",
    mountPath: "database",
    credsPaths: { "orders-read": "database/creds/orders-read", "billing-read": "database/creds/billing-read" },
    roleDatabases: { "orders-read": "shop", "billing-read": "billing", billing_report: "billing" },
    staticCredsPaths: { billing_report: "database/static-creds/billing_report" },
    groupRoles: { readonly: "shop_readonly", readwrite: "shop_readwrite", owner: "shop_owner" },
};

describe("parseDoctorArgs", () => {
    it("takes the outputs, flags and switches", () => {
        expect(parseDoctorArgs(["--outputs", "-", "--json", "--fix", "--connection-budget", "40", "--mount", "team/db"])).toEqual({ outputs: "-", json: true, fix: true, policy: false, connectionBudget: 40, mountPath: "team/db" });
        expect(parseDoctorArgs(["--policy", "--mount", "team/db"])).toMatchObject({ policy: true, mountPath: "team/db" });
        expect(parseDoctorArgs(["--vault-address", "http://v:8200", "--postgres-url", "postgresql://u:p@h/app", "--roles", "a, b"])).toMatchObject({ roles: ["a", "b"] });
        expect(parseDoctorArgs(["--outputs", "o.json", "-h"])).toBe("help");
    });

    it("refuses bad usage with one line first, then the usage", () => {
        const firstLine = (argv: string[]): string => {
            try {
                parseDoctorArgs(argv);
            } catch (error) {
                expect((error as Error).message).toContain("usage: npm run doctor");
                return (error as Error).message.split("\n")[0];
            }
            throw new Error("expected a usage error");
        };
        expect(firstLine([])).toBe("pass --outputs, or --vault-address with --postgres-url and --roles");
        expect(firstLine(["--outputs"])).toBe("--outputs needs a value");
        expect(firstLine(["--outputs", "--json"])).toBe("--outputs needs a value");
        expect(firstLine(["--outputs", "o.json", "--verbose"])).toBe("unknown option --verbose");
        expect(firstLine(["--outputs", "o.json", "--connection-budget", "0"])).toBe('--connection-budget must be a positive integer, not "0"');
    });
});

describe("doctorTarget", () => {
    it("reads every database of the stack, its admin, password, groups, roles and static roles", () => {
        const target = doctorTarget(OUTPUTS, {}, undefined);
        expect(target.databases).toEqual([
            { name: "shop", admin: "vault_admin", adminPassword: "first-password", groups: OUTPUTS.groupRoles, roles: ["orders-read"], staticRoles: [] },
            {
                name: "billing", admin: "billing_vault", adminPassword: "billing-password",
                groups: { readonly: "billing_readonly", readwrite: "billing_readwrite", owner: "billing_owner" }, roles: ["billing-read"], staticRoles: ["billing_report"],
            },
        ]);
        expect(target.vault).toEqual({ address: "https://127.0.0.1:18200", token: "root-token", caCertificate: "VAULT CA PEM" });
        expect(target.postgres).toEqual({ host: "127.0.0.1", port: 15432, user: "vault_admin", password: "first-password", database: "shop", sslMode: "verify-full", caCertificate: "PG CA PEM" });
        expect(target.connectionBudget).toBe(20);
        expect(Object.keys(target.caCertificates).sort()).toEqual(["caCertificate", "postgresCaCertificate", "vaultCaCertificate"]);
    });

    it("lets VAULT_TOKEN and explicit settings win over the outputs", () => {
        const target = doctorTarget(OUTPUTS, { vaultAddress: "https://vault.internal:8200", postgresUrl: "postgresql://postgres:s%40cret@[::1]:5433/postgres", mountPath: "other", connectionBudget: 8 }, "env-token");
        expect(target.vault.token).toBe("env-token");
        expect(target.vault.address).toBe("https://vault.internal:8200");
        expect(target.postgres).toMatchObject({ host: "::1", port: 5433, user: "postgres", password: "s@cret", database: "postgres", sslMode: "verify-full" });
        expect(target.postgresFromUrl).toBe(true);
        expect([target.mountPath, target.connectionBudget]).toEqual(["other", 8]);
    });

    it("takes the first database's admin password from an older stack's vaultAdminPassword", () => {
        const { vaultAdmins: _admins, vaultAdminPasswords: _passwords, ...older } = OUTPUTS;
        expect(doctorTarget(older, {}, undefined).databases.map((database) => [database.admin, database.adminPassword])).toEqual([["vault_admin", "first-password"], ["billing_vault", undefined]]);
    });

    it("describes a one-database stack from flags alone", () => {
        const target = doctorTarget(undefined, { vaultAddress: "http://127.0.0.1:8200", postgresUrl: "postgresql://vault_admin:pw@db:5432/app?sslmode=require", roles: ["readonly"] }, "t");
        expect(target.databases).toEqual([{ name: "app", admin: "vault_admin", adminPassword: "pw", groups: { readonly: "app_readonly", readwrite: "app_readwrite", owner: "app_owner" }, roles: ["readonly"], staticRoles: [] }]);
        expect(target.postgres.sslMode).toBe("require");
    });

    it("says in one line what is missing, never echoing a secret", () => {
        const fails = (outputs: Record<string, unknown> | undefined, settings: Parameters<typeof doctorTarget>[1], token?: string): string => {
            try {
                doctorTarget(outputs, settings, token);
            } catch (error) {
                return (error as Error).message;
            }
            throw new Error("expected an error");
        };
        const { vaultRootToken: _token, ...noToken } = OUTPUTS;
        expect(fails(noToken, {})).toBe("no Vault token: set VAULT_TOKEN (the outputs carry no vaultRootToken)");
        expect(fails({ ...OUTPUTS, vaultAdminPasswords: {} }, {})).toBe("the outputs carry no password for vault_admin (Vault rotated it?): pass --postgres-url");
        expect(fails(OUTPUTS, { roles: ["x"] })).toBe("--roles, --static-roles and --vault-admin describe a stack without --outputs; its outputs list them");
        expect(fails({ vaultAddress: "http://v", vaultRootToken: "t" }, {})).toMatch(/^the outputs lack database or credsPaths/);
        expect(fails(undefined, { vaultAddress: "http://v", postgresUrl: "postgresql://u:p@h/app" }, "t")).toBe("no roles: pass --outputs or --roles");
        const badUrl = fails(undefined, { vaultAddress: "http://v", postgresUrl: "mysql://u:hunter2@h/app", roles: ["r"] }, "t");
        expect(badUrl).toBe("--postgres-url must be postgresql://user:password@host:port/database");
        expect(badUrl).not.toContain("hunter2");
    });
});

describe("the report", () => {
    const findings: DoctorFinding[] = [
        { check: "vault", subject: "https://v:8200", severity: "ok", detail: "initialised, unsealed, active" },
        { check: "admin", subject: "vault_admin", severity: "fail", detail: "is not a member of app_readwrite" },
        { check: "users", subject: "v-readonly-AAAAAAAAAAAA-1780315200", severity: "fail", detail: "no lease", fixed: "dropped by --fix" },
        { check: "certificate", subject: "Vault v:8200", severity: "warn", detail: "expires soon" },
    ];

    it("lists problems first (fail, warn, fixed), then what is fine, and ends with a summary", () => {
        expect(renderFindings(findings).split("\n")).toEqual([
            "SEVERITY  CHECK        SUBJECT                             DETAIL",
            "fail      admin        vault_admin                         is not a member of app_readwrite",
            "warn      certificate  Vault v:8200                        expires soon",
            "fixed     users        v-readonly-AAAAAAAAAAAA-1780315200  no lease; dropped by --fix",
            "ok        vault        https://v:8200                      initialised, unsealed, active",
            "2 need attention (1 fail, 1 warn), 1 fixed, 1 ok",
            "",
        ]);
    });

    it("exits 1 while anything is a warning or a failure not fixed, else 0", () => {
        expect(doctorExitCode(findings)).toBe(1);
        expect(doctorExitCode(findings.filter((finding) => finding.severity !== "warn" && finding.check !== "admin"))).toBe(0);
        expect(doctorExitCode([{ ...findings[3] }])).toBe(1);
        expect(summaryLine([findings[0]])).toBe("nothing needs attention: 1 ok");
    });

    it("gives machines the same findings, order, summary and exit code as JSON", () => {
        const parsed = JSON.parse(findingsJson(findings, doctorExitCode(findings)));
        expect(parsed.findings.map((finding: DoctorFinding) => finding.check)).toEqual(["admin", "certificate", "users", "vault"]);
        expect(parsed.summary).toEqual({ fail: 1, warn: 1, fixed: 1, ok: 1 });
        expect(parsed.exitCode).toBe(1);
    });
});
