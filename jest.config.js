/**
 * Suites: unit (mocks only), live (real PostgreSQL + Vault-API server), policies (CrossGuard pack),
 * e2e (Automation API with the pulumi CLI and Docker; skipped with a note where they are missing).
 */
const tsJest = { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }] };
const common = { testEnvironment: "node", transform: tsJest };

module.exports = {
  reporters: ["default", "<rootDir>/test/helpers/summary-reporter.js"],
  // Compiling a suite and running a whole program under mocks takes seconds on a busy 2-core machine.
  testTimeout: 60000,
  projects: [
    { displayName: "unit", ...common, testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    { displayName: "live", ...common, testMatch: ["<rootDir>/test/live/**/*.test.ts"] },
    { displayName: "e2e", ...common, testMatch: ["<rootDir>/test/e2e/**/*.test.ts"] },
    { displayName: "policies", ...common, testMatch: ["<rootDir>/policies/tests/**/*.test.ts"] },
  ],
};
