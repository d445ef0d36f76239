/**
 * Suites: unit (mocks only), live (real PostgreSQL + Vault-API server), policies (CrossGuard pack),
 * e2e (Automation API with the pulumi CLI and Docker; skipped with a note where they are missing).
 */
const tsJest = { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }] };

module.exports = {
  reporters: ["default", "<rootDir>/test/helpers/summary-reporter.js"],
  projects: [
    { displayName: "unit", testEnvironment: "node", transform: tsJest, testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    { displayName: "live", testEnvironment: "node", transform: tsJest, testMatch: ["<rootDir>/test/live/**/*.test.ts"] },
    { displayName: "e2e", testEnvironment: "node", transform: tsJest, testMatch: ["<rootDir>/test/e2e/**/*.test.ts"] },
    { displayName: "policies", testEnvironment: "node", transform: tsJest, testMatch: ["<rootDir>/policies/tests/**/*.test.ts"] },
  ],
};
