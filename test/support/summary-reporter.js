// One plain line ("tests: N passed, N failed") that CI tools read regardless of the test
// runner. Jest prints its own lines after the reporters, so devenv/bootstrap.sh prints this
// one last, from JEST_SUMMARY_FILE; without that variable it goes to stdout.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
    if (process.env.JEST_SUMMARY_FILE) require('node:fs').writeFileSync(process.env.JEST_SUMMARY_FILE, line);
    else process.stdout.write(`\n${line}`);
  }
}
module.exports = SummaryReporter;
