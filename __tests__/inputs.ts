/**
 * Helpers for tests of an action's `getInputs()`: set `INPUT_*` variables as the runner does, catch
 * the InputError, and capture what the action writes to stdout (`::add-mask::`, `::warning::`).
 */
import assert from 'node:assert/strict';
import { InputError, type InputProblem } from '@release-actions/shared/github';

/** Sets `INPUT_*` variables as the runner does (name uppercased, spaces to `_`, dashes kept), and only those. */
export function setInputs(inputs: Record<string, string>): void {
  for (const key of Object.keys(process.env)) if (key.startsWith('INPUT_')) delete process.env[key];
  for (const [name, value] of Object.entries(inputs))
    process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
}

/** The problems `read()` reports as an InputError for these inputs; fails the test if it reports none. */
export function inputProblems(read: () => unknown, inputs: Record<string, string>): InputProblem[] {
  setInputs(inputs);
  try {
    read();
  } catch (err) {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    assert.equal(err.code, 'INVALID_INPUT');
    return [...err.problems];
  }
  assert.fail('expected invalid inputs');
}

/** Runs `fn` and returns what it wrote to stdout along with its result. */
export async function captureStdout<T>(fn: () => T | Promise<T>): Promise<{ result: T; output: string }> {
  const write = process.stdout.write;
  let output = '';
  // Strings are what the action writes; bytes are the test runner's own reports, passed through.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk !== 'string') return write.call(process.stdout, chunk, ...rest);
    output += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    return { result: await fn(), output };
  } finally {
    process.stdout.write = write;
  }
}
