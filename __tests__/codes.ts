/**
 * The assertion every error test makes: the error is of the expected class and carries the
 * expected code (tests branch on codes, never on wording). For `assert.rejects` / `assert.throws`.
 */
import assert from 'node:assert/strict';
import type { ReleaseError } from '@release-actions/shared';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass = abstract new (...args: any[]) => ReleaseError;

export function withCode(errorClass: ErrorClass, code: string): (err: unknown) => true {
  return (err: unknown) => {
    assert.ok(err instanceof errorClass, `expected a ${errorClass.name}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}
