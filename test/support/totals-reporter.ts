import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the run's totals alone on the last line, `N passed, N failed`, the line CI reads.
 * A test file that fails to load, or an unhandled error, counts as a failure.
 */
export default class TotalsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    for (const module of testModules) {
      let moduleFailed = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') moduleFailed += 1;
      }
      // A module that could not run at all (import error, failing hook) has no failed test to show for it.
      if (moduleFailed === 0 && module.state() === 'failed') moduleFailed = 1;
      failed += moduleFailed;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  }
}
