/**
 * Two node:test idioms that jest has no word for.
 *
 * - `skipIf(cond && 'reason').it(name, fn)`: node:test's `it(name, { skip: cond && 'reason' }, fn)`,
 *   a test (or `describe`) skipped with its reason or run. A skipped test's name carries the
 *   reason (`name [skipped: reason]`), so jest's verbose output and the run's closing summary
 *   (scripts/jest/summary-reporter.ts lists every skipped test) say why it did not run.
 * - `onTestFinished(fn)`: node:test's `after(fn)` called inside a test, a cleanup of that test alone
 *   (a temporary directory, a server) that runs when the test ends, passed or failed; an error it
 *   throws fails the test. Cleanups run in the order they were registered.
 */
import { afterEach, describe, it, test } from '@jest/globals';

type TestFn = (name: string, fn: Parameters<typeof it>[1], timeout?: number) => void;
type DescribeFn = (name: string, fn: () => void) => void;

/** A falsy `skip` runs the tests; `true` skips them; a string skips them and is the reason. */
export function skipIf(skip: string | boolean | null | undefined): {
  it: TestFn;
  test: TestFn;
  describe: DescribeFn;
} {
  if (!skip) return { it, test, describe };
  const label = (name: string) => `${name} [skipped: ${typeof skip === 'string' ? skip : 'no reason given'}]`;
  return {
    it: (name, fn, timeout) => it.skip(label(name), fn, timeout),
    test: (name, fn, timeout) => test.skip(label(name), fn, timeout),
    describe: (name, fn) => describe.skip(label(name), fn),
  };
}

const cleanups: Array<() => unknown> = [];

// Registered once per test file (jest gives each test file its own instance of this module), at
// the top level of the file: it runs after every test of the file.
afterEach(async () => {
  const errors: unknown[] = [];
  for (const cleanup of cleanups.splice(0)) {
    try {
      await cleanup();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} test cleanups failed`);
});

/** Runs `fn` when the current test ends, whatever its outcome (node:test's `after` inside a test). */
export function onTestFinished(fn: () => unknown): void {
  cleanups.push(fn);
}
