/**
 * Closes the run with why suites were skipped and one line that any CI can read:
 * "summary: N passed, N failed, N skipped", counted over every project of the run.
 */
class SummaryReporter {
  constructor() {
    this.skipReasons = new Set();
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
    const lines = [...this.skipReasons, `summary: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped`];
    // Jest runs its own summary reporter after every configured one, synchronously: print once it is done.
    setImmediate(() => process.stdout.write(`${lines.join("\n")}\n`));
  }
}
module.exports = SummaryReporter;
