/**
 * Closes the run with the servers the live suites ran on, why suites were skipped, and one line that any CI can read:
 * "summary: N passed, N failed, N skipped", counted over every project of the run.
 */
const fs = require("fs");
const os = require("os");
const path = require("path");

class SummaryReporter {
  constructor() {
    this.skipReasons = new Set();
    // Live suites append the servers they ran on here (describeLive in test/live/harness.ts); printed once at the end.
    this.serversFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "vault-pg-run-")), "live-servers.txt");
    process.env.VAULT_PG_LIVE_SERVERS = this.serversFile;
  }

  servers() {
    try {
      return [...new Set(fs.readFileSync(this.serversFile, "utf8").split("\n").filter(Boolean))];
    } catch {
      return [];
    } finally {
      fs.rmSync(path.dirname(this.serversFile), { recursive: true, force: true });
    }
  }

  // Suites say why they skip with console.warn, and Jest's default reporter prints nothing of a file whose tests
  // were all skipped, not even its console output: the warnings of files with skipped tests are repeated at the end.
  onTestResult(test, result) {
    if (result.numPendingTests === 0 || !result.console) return;
    const project = test.context.config.displayName?.name;
    for (const entry of result.console) {
      if (entry.type === "warn") this.skipReasons.add(project ? `[${project}] ${entry.message}` : entry.message);
    }
  }

  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const lines = [...this.servers(), ...this.skipReasons, `summary: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped`];
    // Jest runs its own summary reporter after every configured one, synchronously: print once it is done.
    setImmediate(() => process.stdout.write(`${lines.join("\n")}\n`));
  }
}
module.exports = SummaryReporter;
