/** The Vault policy text, rendered by pure functions, compared as exact strings. */
import { appPolicy, appPolicyRules, credsPath, hclString, renderPolicy } from "../../components/hcl";

describe("hclString", () => {
    it("quotes a plain path unchanged", () => {
        expect(hclString("database/creds/readonly")).toBe('"database/creds/readonly"');
    });

    it("escapes double quotes and backslashes, backslashes first", () => {
        expect(hclString('a"b')).toBe('"a\\"b"');
        expect(hclString("a\\b")).toBe('"a\\\\b"');
        expect(hclString('a\\"b')).toBe('"a\\\\\\"b"');
    });

    // Vault and OpenBao parse policies as HCL 1: `$${` would reach the path as `$${`, and an unclosed `${` ends no string.
    it("writes the $ of ${ as \\u0024, closed or not, so the path reads back as written", () => {
        expect(hclString("${x}")).toBe('"\\u0024{x}"');
        expect(hclString("a/${x")).toBe('"a/\\u0024{x"');
        expect(hclString("$${x}")).toBe('"$\\u0024{x}"');
        expect(hclString("$x{}")).toBe('"$x{}"');
    });

    it("leaves %{ alone: it means nothing in HCL 1", () => {
        expect(hclString("%{x}")).toBe('"%{x}"');
    });

    it("keeps an attempt to close the string and open a new block inside one string", () => {
        expect(hclString('x" {} path "sys/*" { capabilities = ["sudo"] } #')).toBe(
            '"x\\" {} path \\"sys/*\\" { capabilities = [\\"sudo\\"] } #"',
        );
    });

    it.each([
        ["a newline", "a\nb", '"a\\nb"'],
        ["a carriage return", "a\rb", '"a\\rb"'],
        ["a tab", "a\tb", '"a\\tb"'],
        ["a NUL byte", "a\0b", '"a\\u0000b"'],
        ["DEL", "a\u007fb", '"a\u007fb"'],
    ])("rejects %s", (_label, value, shown) => {
        expect(() => hclString(value)).toThrow(new Error(`hclString: control characters are not allowed in a policy path: ${shown}`));
    });
});

describe("appPolicy", () => {
    it("grants exactly one role's creds, its leases by id, and the app's own token", () => {
        expect(appPolicy("database", ["readonly"])).toBe(
            [
                '# Issue credentials of role "readonly".\npath "database/creds/readonly" {\n  capabilities = ["read"]\n}\n',
                '# Renew leases of role "readonly".\npath "sys/leases/renew/database/creds/readonly/*" {\n  capabilities = ["update"]\n}\n',
                '# Revoke leases of role "readonly".\npath "sys/leases/revoke/database/creds/readonly/*" {\n  capabilities = ["update"]\n}\n',
                '# Renew a lease given in the body, as Vault Agent does; never beyond the role\'s max TTL.\npath "sys/leases/renew" {\n  capabilities = ["update"]\n}\n',
                "# Read its own token's TTL.\npath \"auth/token/lookup-self\" {\n  capabilities = [\"read\"]\n}\n",
                '# Keep its own token alive.\npath "auth/token/renew-self" {\n  capabilities = ["update"]\n}\n',
            ].join("\n"),
        );
    });

    it("lists each of two roles in order, under a nested mount path, then the token rules once", () => {
        expect(appPolicy("team/db", ["reader", "writer"])).toBe(
            [
                '# Issue credentials of role "reader".\npath "team/db/creds/reader" {\n  capabilities = ["read"]\n}\n',
                '# Renew leases of role "reader".\npath "sys/leases/renew/team/db/creds/reader/*" {\n  capabilities = ["update"]\n}\n',
                '# Revoke leases of role "reader".\npath "sys/leases/revoke/team/db/creds/reader/*" {\n  capabilities = ["update"]\n}\n',
                '# Issue credentials of role "writer".\npath "team/db/creds/writer" {\n  capabilities = ["read"]\n}\n',
                '# Renew leases of role "writer".\npath "sys/leases/renew/team/db/creds/writer/*" {\n  capabilities = ["update"]\n}\n',
                '# Revoke leases of role "writer".\npath "sys/leases/revoke/team/db/creds/writer/*" {\n  capabilities = ["update"]\n}\n',
                '# Renew a lease given in the body, as Vault Agent does; never beyond the role\'s max TTL.\npath "sys/leases/renew" {\n  capabilities = ["update"]\n}\n',
                "# Read its own token's TTL.\npath \"auth/token/lookup-self\" {\n  capabilities = [\"read\"]\n}\n",
                '# Keep its own token alive.\npath "auth/token/renew-self" {\n  capabilities = ["update"]\n}\n',
            ].join("\n"),
        );
    });

    it("reads a static role's current password, with no lease rules when it has no dynamic role", () => {
        expect(appPolicy("database", [], ["pgbouncer"])).toBe(
            [
                '# Read the current password of static role "pgbouncer".\npath "database/static-creds/pgbouncer" {\n  capabilities = ["read"]\n}\n',
                "# Read its own token's TTL.\npath \"auth/token/lookup-self\" {\n  capabilities = [\"read\"]\n}\n",
                '# Keep its own token alive.\npath "auth/token/renew-self" {\n  capabilities = ["update"]\n}\n',
            ].join("\n"),
        );
    });

    it("needs at least one role", () => {
        expect(() => appPolicy("database", [], [])).toThrow(new Error("appPolicyRules: an application needs at least one role"));
        expect(() => appPolicy("database", [])).toThrow(new Error("appPolicyRules: an application needs at least one role"));
    });
});

describe("appPolicyRules", () => {
    const rules = appPolicyRules("database", ["readonly", "owner"]);

    it("touches nothing under sys/ but renewals and revocation of its own roles' leases by URL", () => {
        expect(rules.filter((rule) => rule.path.startsWith("sys/")).map((rule) => rule.path)).toEqual([
            "sys/leases/renew/database/creds/readonly/*",
            "sys/leases/revoke/database/creds/readonly/*",
            "sys/leases/renew/database/creds/owner/*",
            "sys/leases/revoke/database/creds/owner/*",
            "sys/leases/renew",
        ]);
        // The body form of revoke would reach every lease on the server.
        expect(rules.map((rule) => rule.path)).not.toContain("sys/leases/revoke");
    });

    it("reads only its own roles' creds paths under the mount, with no wildcard", () => {
        expect(rules.filter((rule) => rule.path.startsWith("database/")).map((rule) => [rule.path, rule.capabilities])).toEqual([
            ["database/creds/readonly", ["read"]],
            ["database/creds/owner", ["read"]],
        ]);
    });

    it("grants nothing else: only its own token besides, and never sudo, list, create or delete", () => {
        const other = rules.filter((rule) => !rule.path.startsWith("sys/") && !rule.path.startsWith("database/"));
        expect(other.map((rule) => [rule.path, rule.capabilities])).toEqual([
            ["auth/token/lookup-self", ["read"]],
            ["auth/token/renew-self", ["update"]],
        ]);
        for (const rule of rules) {
            for (const capability of ["sudo", "list", "create", "delete", "root"]) expect(rule.capabilities).not.toContain(capability);
        }
    });
});

describe("renderPolicy", () => {
    it("renders a rule without a comment, and a multi-line comment on one line", () => {
        expect(renderPolicy([{ path: "a/b", capabilities: ["read", "update"] }])).toBe('path "a/b" {\n  capabilities = ["read", "update"]\n}\n');
        expect(renderPolicy([{ path: "a", capabilities: ["read"], comment: "one\ntwo" }])).toBe('# one two\npath "a" {\n  capabilities = ["read"]\n}\n');
    });
});

describe("credsPath", () => {
    it("is <mount>/creds/<role>, nested mounts included", () => {
        expect(credsPath("database", "readonly")).toBe("database/creds/readonly");
        expect(credsPath("team/db", "reader")).toBe("team/db/creds/reader");
    });
});
