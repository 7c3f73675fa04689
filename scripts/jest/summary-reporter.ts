/**
 * Jest reporter that closes the run with one plain line for the whole suite,
 * `N passed, N failed, N skipped`, so a log reader sees the result at a glance. It is written as
 * the jest process exits: after jest's own summary (which jest always adds after every listed
 * reporter) and after whatever jest prints once the run is over (--detectOpenHandles).
 * Above it: every test skipped for a reason (skipIf in __tests__/jest-helpers.ts puts the reason in
 * the test's name), and every test file that failed to run at all (a syntax error, a failed
 * top-level await): each such file counts as one failure, so the line never says "0 failed" for
 * a run that failed. "skipped" counts jest's pending and todo tests (those `-t` leaves out too).
 */
import { writeSync } from 'node:fs';

interface AssertionResult {
  status: string;
  fullName: string;
}

interface TestFileResult {
  testFilePath: string;
  testExecError?: { message: string } | null;
  testResults: AssertionResult[];
}

interface AggregatedResult {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numRuntimeErrorTestSuites: number;
  testResults: TestFileResult[];
}

interface GlobalConfig {
  rootDir: string;
}

export default class SummaryReporter {
  readonly #rootDir: string;

  constructor(globalConfig: GlobalConfig) {
    this.#rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts: unknown, results: AggregatedResult): void {
    const relative = (path: string) =>
      path.startsWith(this.#rootDir + '/') ? path.slice(this.#rootDir.length + 1) : path;
    const lines: string[] = [];
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        // Only the tests skipIf skipped, with their reason: not those `-t` left out.
        if (test.status === 'pending' && test.fullName.includes(' [skipped: ')) {
          lines.push(`skipped: ${relative(file.testFilePath)} › ${test.fullName}`);
        }
      }
    }
    const broken = results.testResults.filter((file) => file.testExecError);
    for (const file of broken) {
      lines.push(`failed to run: ${relative(file.testFilePath)}`);
    }
    const passed = results.numPassedTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    lines.push(`${passed} passed, ${failed} failed, ${skipped} skipped`);
    const text = '\n' + lines.join('\n') + '\n';
    process.once('exit', () => writeSync(process.stdout.fd, text));
  }
}
