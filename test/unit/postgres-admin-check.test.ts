import { adminPrivilegeProblems, AdminPrivileges } from "../../components/postgres-admin-check";

const managedAdmin: AdminPrivileges = { rolname: "master", rolsuper: false, rolcreaterole: true, rolcreatedb: true, serverVersionNum: 180004 };

describe("adminPrivilegeProblems", () => {
    it("accepts a managed service's admin: CREATEROLE and CREATEDB, no superuser, on any major", () => {
        expect(adminPrivilegeProblems(managedAdmin, "app")).toEqual([]);
        expect(adminPrivilegeProblems({ ...managedAdmin, serverVersionNum: 140012 }, "app")).toEqual([]);
    });

    it("accepts a superuser whatever its other attributes", () => {
        expect(adminPrivilegeProblems({ ...managedAdmin, rolsuper: true, rolcreaterole: false, rolcreatedb: false }, "app")).toEqual([]);
    });

    it("names the missing privilege, the role and what needs it, one line each", () => {
        expect(adminPrivilegeProblems({ ...managedAdmin, rolcreatedb: false }, "shop")).toEqual([
            'PostgreSQL admin "master" lacks CREATEDB, needed to create database "shop" (ALTER ROLE "master" CREATEDB, or use an admin that has it)',
        ]);
        expect(adminPrivilegeProblems({ ...managedAdmin, rolcreaterole: false, rolcreatedb: false }, "app")).toEqual([
            'PostgreSQL admin "master" lacks CREATEROLE, needed to create the group roles and the Vault admin (ALTER ROLE "master" CREATEROLE, or use an admin that has it)',
            'PostgreSQL admin "master" lacks CREATEDB, needed to create database "app" (ALTER ROLE "master" CREATEDB, or use an admin that has it)',
        ]);
    });

    it("quotes a role name as PostgreSQL would", () => {
        const [problem] = adminPrivilegeProblems({ ...managedAdmin, rolname: 'ad"min', rolcreaterole: false }, "app");
        expect(problem).toContain('PostgreSQL admin "ad""min" lacks CREATEROLE');
        expect(problem).not.toContain("\n");
    });
});
