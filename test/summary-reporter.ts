/**
 * Vitest reporter that ends the run with one plain line, "tests: N passed, N failed, N skipped", which CI (and any
 * log reader) can count without knowing Vitest's own format. Runs after the default reporter.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      // A hook that failed (beforeAll, an import) fails its suite or module without failing a test: count it too,
      // so this line never says "0 failed" for a run that failed.
      const failedTests = [...module.children.allTests()].filter((t) => t.result().state === 'failed').length;
      const failedHooks = [...module.children.allSuites()].filter(
        (suite) =>
          suite.state() === 'failed' && ![...suite.children.allTests()].some((t) => t.result().state === 'failed'),
      ).length;
      if (failedTests === 0 && failedHooks === 0 && (module.state() === 'failed' || module.errors().length > 0))
        failed++;
      failed += failedHooks;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    // An error outside any test (e.g. an unhandled rejection) fails the run too: count it.
    failed += unhandledErrors.length;
    console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  }
}
