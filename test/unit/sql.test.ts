/** The SQL the secrets engine runs, rendered by pure functions, compared as exact strings. */
import {
    ACCESS_LEVELS,
    connectionUrlTemplate,
    creationStatements,
    dropExpiredUserStatements,
    expiredUsersQuery,
    groupRoleNames,
    MAX_ROLE_NAME_LENGTH,
    POSTGRES_MAX_IDENTIFIER_LENGTH,
    quoteIdent,
    quoteLiteral,
    renewStatements,
    revocationStatements,
    roleStatements,
    rollbackStatements,
    usernameTemplate,
} from "../../components/sql";

const groups = groupRoleNames("app");
const allStatements = [
    ...ACCESS_LEVELS.flatMap((access) => Object.values(roleStatements(access, groups)).flat()),
    ...dropExpiredUserStatements("v-reader-abc-1700000000", "app_owner"),
    expiredUsersQuery(),
];

describe("quoting", () => {
    it("quotes identifiers and doubles embedded double quotes", () => {
        expect(quoteIdent("app_owner")).toBe('"app_owner"');
        expect(quoteIdent('a"; DROP TABLE x; --')).toBe('"a""; DROP TABLE x; --"');
    });

    it("quotes literals and doubles embedded single quotes", () => {
        expect(quoteLiteral("o'brien")).toBe("'o''brien'");
        expect(quoteLiteral("'; DROP ROLE postgres; --")).toBe("'''; DROP ROLE postgres; --'");
    });

    it("quotes an empty literal, which is a valid SQL string", () => {
        expect(quoteLiteral("")).toBe("''");
    });

    it("rejects empty identifiers and NUL bytes", () => {
        expect(() => quoteIdent("")).toThrow("quoteIdent: an SQL identifier cannot be empty");
        expect(() => quoteIdent("a\0b")).toThrow('quoteIdent: an SQL identifier cannot contain a NUL byte: "a\\u0000b"');
        expect(() => quoteLiteral("a\0b")).toThrow('quoteLiteral: an SQL literal cannot contain a NUL byte: "a\\u0000b"');
    });
});

describe("group role names", () => {
    it("are <prefix>_readonly, <prefix>_readwrite and <prefix>_owner", () => {
        expect(groupRoleNames("shop")).toEqual({ readonly: "shop_readonly", readwrite: "shop_readwrite", owner: "shop_owner" });
    });
});

describe("creation statements", () => {
    it("make a LOGIN role that expires with its lease and joins the read-only group", () => {
        expect(creationStatements("readonly", groups)).toEqual([
            `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "app_readonly"`,
        ]);
    });

    it("join the read-write group for readwrite", () => {
        expect(creationStatements("readwrite", groups)).toEqual([
            `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "app_readwrite"`,
        ]);
    });

    it("switch owner sessions to the owner group so what they create belongs to the group", () => {
        expect(creationStatements("owner", groups)).toEqual([
            `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "app_owner"`,
            `ALTER ROLE "{{name}}" SET role = "app_owner"`,
        ]);
    });

    it("quote hostile group names", () => {
        expect(creationStatements("readonly", groupRoleNames('x"; DROP ROLE postgres; --'))[0]).toContain(`IN ROLE "x""; DROP ROLE postgres; --_readonly"`);
    });
});

describe("every generated statement", () => {
    it("grants no privileged role option and nothing per table", () => {
        for (const statement of allStatements) {
            expect(statement).not.toMatch(/(?<![A-Z_])(SUPERUSER|CREATEDB|CREATEROLE|REPLICATION|BYPASSRLS)(?![A-Z_])/i);
            expect(statement).not.toMatch(/GRANT\s+[\w, ]+\s+ON\s/i);
        }
    });

    it("is exactly one statement, or a DO block Vault runs whole (it contains END, outside quotes)", () => {
        for (const statement of allStatements) {
            if (/^\s*DO\b/.test(statement)) {
                // The plugin's containsMultilineStatement: a case-sensitive \bEND\b, quoted text ignored.
                expect(statement.replace(/'[^']*'|"[^"]*"/g, "")).toMatch(/\bEND\b/);
                expect(statement).toMatch(/^DO \$\$ .* \$\$$/);
            } else {
                expect(statement).not.toContain(";");
                expect(statement).not.toContain("$$");
            }
        }
    });
});

describe("revocation statements", () => {
    const revocation = revocationStatements(groups);

    it("recreate a user an earlier run dropped, take membership, end sessions, reassign, drop owned, then drop the role", () => {
        expect(revocation).toEqual([
            `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{{name}}') THEN CREATE ROLE "{{name}}" NOLOGIN; END IF; END $$`,
            `GRANT "{{name}}" TO CURRENT_USER`,
            `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = '{{name}}' AND pid <> pg_backend_pid()`,
            `REASSIGN OWNED BY "{{name}}" TO "app_owner"`,
            `DROP OWNED BY "{{name}}"`,
            `DROP ROLE IF EXISTS "{{name}}"`,
        ]);
    });

    it("take the user's privileges before ending its sessions (no pg_signal_backend needed), and drop the role last, in every role and in expired-user cleanup", () => {
        const sequences = [...ACCESS_LEVELS.map((access) => roleStatements(access, groups).revocation), dropExpiredUserStatements("v-x", "app_owner")];
        for (const statements of sequences) {
            const grant = statements.findIndex((statement) => /^GRANT "[^"]+" TO CURRENT_USER$/.test(statement));
            const endSessions = statements.findIndex((statement) => statement.startsWith("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = "));
            expect(grant).toBeGreaterThanOrEqual(0);
            expect(endSessions).toBe(grant + 1);
            expect(statements[statements.length - 1]).toMatch(/^DROP ROLE IF EXISTS /);
            expect(statements.filter((statement) => statement.startsWith("DROP ROLE"))).toHaveLength(1);
        }
    });

    it("hand what the user owns to the owner group, quoted", () => {
        expect(revocationStatements(groupRoleNames('x"y'))).toContain(`REASSIGN OWNED BY "{{name}}" TO "x""y_owner"`);
    });

    it("keep the recreating block whole: Vault splits a statement on ';' unless it contains END", () => {
        const block = revocation.filter((statement) => statement.includes(";"));
        expect(block).toHaveLength(1);
        expect(block[0]).toMatch(/\bEND\b/);
    });

    it("reassign before every DROP OWNED, in every role", () => {
        for (const access of ACCESS_LEVELS) {
            const statements = roleStatements(access, groups).revocation;
            const reassign = statements.findIndex((statement) => statement.startsWith("REASSIGN OWNED"));
            statements.forEach((statement, index) => {
                if (statement.startsWith("DROP OWNED")) {
                    expect(reassign).toBeGreaterThanOrEqual(0);
                    expect(reassign).toBeLessThan(index);
                }
            });
        }
    });
});

describe("renew and rollback", () => {
    it("renew moves VALID UNTIL to the new expiration", () => {
        expect(renewStatements()).toEqual([`ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}'`]);
    });

    it("rollback drops only the role", () => {
        expect(rollbackStatements()).toEqual([`DROP ROLE IF EXISTS "{{name}}"`]);
    });
});

describe("usernames", () => {
    it("are v-<role>-<12 random>-<unix time>", () => {
        expect(usernameTemplate()).toBe("v-{{.RoleName}}-{{random 12}}-{{unix_time}}");
    });

    it("fit Postgres' 63-character limit at the longest role name", () => {
        const longest = usernameTemplate()
            .replace("{{.RoleName}}", "r".repeat(MAX_ROLE_NAME_LENGTH))
            .replace("{{random 12}}", "A".repeat(12))
            .replace("{{unix_time}}", String(9_999_999_999));
        expect(longest).toMatch(/^v-r{37}-A{12}-9999999999$/);
        expect(longest.length).toBeLessThanOrEqual(POSTGRES_MAX_IDENTIFIER_LENGTH);
        expect(MAX_ROLE_NAME_LENGTH).toBe(37);
    });

    it("leave no room to spare: MAX_ROLE_NAME_LENGTH plus the template's own characters is 63", () => {
        // Literal characters of the template, plus 12 random characters and a 10-digit unix time (until 2286).
        const literal = usernameTemplate().replace(/\{\{[^}]*\}\}/g, "").length;
        expect(literal).toBe(4);
        expect(MAX_ROLE_NAME_LENGTH + literal + 12 + 10).toBe(POSTGRES_MAX_IDENTIFIER_LENGTH);
    });
});

describe("connection URL", () => {
    it("keeps the credentials as templates and names the database", () => {
        expect(connectionUrlTemplate("vault-pg-dev-postgres", 5432, "app")).toBe("postgresql://{{username}}:{{password}}@vault-pg-dev-postgres:5432/app?sslmode=disable");
    });

    it("escapes the database name so it cannot add URL parameters", () => {
        expect(connectionUrlTemplate("pg", 15432, "a/b?sslmode=require&x")).toBe("postgresql://{{username}}:{{password}}@pg:15432/a%2Fb%3Fsslmode%3Drequire%26x?sslmode=disable");
    });

    it("writes every host of a list with its own port and asks for the read-write server", () => {
        // pgx drops missing ports from a URL's list and pairs the rest by position: each entry carries its port.
        expect(connectionUrlTemplate("db1,db2", 5432, "app", "require")).toBe(
            "postgresql://{{username}}:{{password}}@db1:5432,db2:5432/app?sslmode=require&target_session_attrs=read-write",
        );
        expect(connectionUrlTemplate("db1:5433,[::1]:5434,10.0.0.3:5435", 5432, "app")).toBe(
            "postgresql://{{username}}:{{password}}@db1:5433,[::1]:5434,10.0.0.3:5435/app?sslmode=disable&target_session_attrs=read-write",
        );
    });

    it("keeps a single host's own port, without target_session_attrs", () => {
        expect(connectionUrlTemplate("db1:6432", 5432, "app")).toBe("postgresql://{{username}}:{{password}}@db1:6432/app?sslmode=disable");
    });
});

describe("expired-user cleanup", () => {
    it("finds engine users past VALID UNTIL", () => {
        expect(expiredUsersQuery()).toBe(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%' AND rolvaliduntil IS NOT NULL AND rolvaliduntil < now() ORDER BY rolname",
        );
    });

    it("removes one in revocation order, quoting a hostile name", () => {
        expect(dropExpiredUserStatements(`v-x"'; DROP ROLE postgres; --`, "app_owner")).toEqual([
            `GRANT "v-x""'; DROP ROLE postgres; --" TO CURRENT_USER`,
            `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = 'v-x"''; DROP ROLE postgres; --' AND pid <> pg_backend_pid()`,
            `REASSIGN OWNED BY "v-x""'; DROP ROLE postgres; --" TO "app_owner"`,
            `DROP OWNED BY "v-x""'; DROP ROLE postgres; --"`,
            `DROP ROLE IF EXISTS "v-x""'; DROP ROLE postgres; --"`,
        ]);
    });
});
