/**
 * Suites: unit (mocks only), live (real PostgreSQL + Vault-API server, once per PostgreSQL major), policies
 * (CrossGuard pack), e2e (Automation API with the pulumi CLI and Docker; skipped with a note where they are missing).
 */
const tsJest = { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }] };
const common = { testEnvironment: "node", transform: tsJest };

// 15 is Debian's; 18 is the dev stack's default image (`postgres:18`). `PG_VERSION=17 npm test` runs the live
// suite on 17 only; test/live/postgres-binaries.ts finds the binaries of each major.
const postgresMajors = (process.env.PG_VERSION || "15,18").split(",").map((version) => {
  if (!/^\s*\d+\s*$/.test(version)) throw new Error(`PG_VERSION=${process.env.PG_VERSION}: expected majors such as 15,18`);
  return Number(version);
});

module.exports = {
  reporters: ["default", "<rootDir>/test/helpers/summary-reporter.js"],
  // Compiling a suite and running a whole program under mocks takes seconds on a busy 2-core machine.
  testTimeout: 60000,
  // One test file at a time (the live suites share the machine's two cores), in a worker that is replaced once it
  // holds more than this between files: one process running every file keeps growing (module registries, compiled
  // code) past the machine's memory. Measured: 6.2 GB resident after 27 of 74 files in one process.
  workerIdleMemoryLimit: "1536MB",
  projects: [
    { displayName: "unit", ...common, testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    ...postgresMajors.map((major) => ({
      displayName: `live-pg${major}`,
      ...common,
      testMatch: ["<rootDir>/test/live/**/*.test.ts"],
      globals: { postgresMajor: major },
    })),
    { displayName: "e2e", ...common, testMatch: ["<rootDir>/test/e2e/**/*.test.ts"] },
    { displayName: "policies", ...common, testMatch: ["<rootDir>/policies/tests/**/*.test.ts"] },
  ],
};
