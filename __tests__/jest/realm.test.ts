/**
 * A test file runs in a realm of its own; what Node's built-in modules make comes from Node's.
 * scripts/jest/environment.ts makes `instanceof` with the built-in classes answer as it does
 * outside jest, and leaves the classes the code defines exact.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { describe, it } from '@jest/globals';
import { ReleaseError } from '@release-actions/shared';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('did not throw');
}

describe('instanceof on what Node’s built-in modules make', () => {
  it('an fs error is an Error', () => {
    const err = thrown(() => readFileSync('/no/such/file'));
    assert.ok(err instanceof Error);
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOENT');
  });

  it('a failed fetch is a TypeError whose cause is an Error', async () => {
    const err = await fetch('http://127.0.0.1:1/').then(
      () => assert.fail('port 1 answered'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TypeError);
    assert.ok(err instanceof Error);
    assert.ok((err as Error).cause instanceof Error);
  });

  it('an array from readdir is an Array, a promise from fs/promises a Promise', () => {
    assert.ok(readdirSync('/') instanceof Array);
    const pending = readdir('/');
    assert.ok(pending instanceof Promise);
    return pending.then(() => undefined);
  });

  it('a class of the code stays exact: a Node error is not a ReleaseError', () => {
    const err = thrown(() => readFileSync('/no/such/file'));
    assert.equal(err instanceof ReleaseError, false);
    assert.equal(new Error('x') instanceof ReleaseError, false);
    assert.ok(new ReleaseError('CODE', 'x') instanceof Error);
  });
});
