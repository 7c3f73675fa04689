/** Assertions the canary's metric-source tests share. */
import assert from 'node:assert/strict';
import { CanaryError } from '@release-actions/shared/canary';
import { withCode } from '../codes.ts';

/**
 * For `assert.rejects`/`assert.throws`: a CanaryError with this code whose message also says what
 * a user needs to act on it (the metric, the option, Prometheus's own words).
 */
export function canaryError(code: string, message: RegExp): (err: unknown) => true {
  return (err: unknown) => {
    withCode(CanaryError, code)(err);
    assert.match((err as Error).message, message);
    return true;
  };
}
