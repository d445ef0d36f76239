/** Three suites: unit (mocks only), live (real PostgreSQL + Vault-API server), policies (CrossGuard pack). */
const tsJest = { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }] };

module.exports = {
  projects: [
    { displayName: "unit", testEnvironment: "node", transform: tsJest, testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    { displayName: "live", testEnvironment: "node", transform: tsJest, testMatch: ["<rootDir>/test/live/**/*.test.ts"] },
    { displayName: "policies", testEnvironment: "node", transform: tsJest, testMatch: ["<rootDir>/policies/tests/**/*.test.ts"] },
  ],
};
