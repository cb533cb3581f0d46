/**
 * Ends a jest run with one plain line a CI reads, after jest's own summary: `N passed, N failed`, with `, N skipped` when tests were skipped.
 * A test file that could not run counts as one failure. When anything failed, it first names each failing file's log
 * (global setup keeps the run's logs then, see test/support/logs.ts).
 */
const fs = require('node:fs');
const path = require('node:path');

class SummaryLineReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const logs = process.env.ORDERLY_TEST_LOGS;
    const out = [];
    if (failed > 0 && logs) {
      process.env.ORDERLY_TEST_KEEP_LOGS = '1';
      out.push('', `Logs of the failing test files (the whole run's are kept in ${logs}):`);
      for (const file of results.testResults) {
        if (file.numFailingTests === 0 && !file.testExecError) continue;
        const name = path
          .relative(path.join(this.rootDir, 'test'), file.testFilePath)
          .replace(/\.test\.ts$/, '')
          .replace(/[\\/]/g, '-');
        const log = path.join(logs, `${name}.log`);
        const where = fs.existsSync(log) ? log : 'no log (it started no worker and no app)';
        out.push(`  ${path.relative(this.rootDir, file.testFilePath)}: ${where}`);
      }
    }
    if (out.length) process.stderr.write(`${out.join('\n')}\n`);
    // jest adds its own summary after every configured reporter; the line comes after it, as the run's last.
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.once('exit', () => process.stderr.write(`${line}\n`));
  }
}

module.exports = SummaryLineReporter;
