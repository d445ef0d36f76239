/** The Vault policy text, rendered by pure functions. */
import { appPolicy, appPolicyRules, credsPath, hclString } from "../../components/hcl";

describe("hclString", () => {
    it("escapes quotes, backslashes and template sequences", () => {
        expect(hclString('a"b')).toBe('"a\\"b"');
        expect(hclString("a\\b")).toBe('"a\\\\b"');
        expect(hclString("${x}")).toBe('"$${x}"');
        expect(hclString("%{x}")).toBe('"%%{x}"');
    });

    it("rejects control characters", () => {
        expect(() => hclString("a\nb")).toThrow('hclString: control characters are not allowed in a policy path: "a\\nb"');
    });
});

describe("appPolicy", () => {
    it("grants exactly one role's creds, its leases by id, and the app's own token", () => {
        expect(appPolicy("database", ["readonly"])).toBe(
            [
                '# Issue credentials of role "readonly".\npath "database/creds/readonly" {\n  capabilities = ["read"]\n}\n',
                '# Renew leases of role "readonly".\npath "sys/leases/renew/database/creds/readonly/*" {\n  capabilities = ["update"]\n}\n',
                '# Revoke leases of role "readonly".\npath "sys/leases/revoke/database/creds/readonly/*" {\n  capabilities = ["update"]\n}\n',
                "# Read its own token's TTL.\npath \"auth/token/lookup-self\" {\n  capabilities = [\"read\"]\n}\n",
                '# Keep its own token alive.\npath "auth/token/renew-self" {\n  capabilities = ["update"]\n}\n',
            ].join("\n"),
        );
    });

    it("lists each role of an app, under a nested mount path", () => {
        const paths = appPolicyRules("team/db", ["readonly", "readwrite"]).map((rule) => rule.path);
        expect(paths).toEqual([
            "team/db/creds/readonly",
            "sys/leases/renew/team/db/creds/readonly/*",
            "sys/leases/revoke/team/db/creds/readonly/*",
            "team/db/creds/readwrite",
            "sys/leases/renew/team/db/creds/readwrite/*",
            "sys/leases/revoke/team/db/creds/readwrite/*",
            "auth/token/lookup-self",
            "auth/token/renew-self",
        ]);
    });

    it("touches nothing under sys/ but its own roles' leases, and never grants sudo or list", () => {
        for (const rule of appPolicyRules("database", ["readonly", "owner"])) {
            if (rule.path.startsWith("sys/")) expect(rule.path).toMatch(/^sys\/leases\/(renew|revoke)\/database\/creds\/(readonly|owner)\/\*$/);
            expect(rule.capabilities).not.toContain("sudo");
            expect(rule.capabilities).not.toContain("list");
        }
    });

    it("needs at least one role", () => {
        expect(() => appPolicy("database", [])).toThrow("appPolicyRules: an application needs at least one role");
    });

    it("builds creds paths", () => {
        expect(credsPath("database", "readonly")).toBe("database/creds/readonly");
    });
});
