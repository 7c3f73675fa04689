import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import {
  exponentialBackoff,
  immediateRetryPolicy,
  isRetryableNetworkError,
  isRetryableStatus,
  parseRetryAfter,
  withRetry,
} from '@release-actions/shared';

describe('retry decisions', () => {
  it('retries 408, 429 and 5xx but not 501 or 4xx', () => {
    for (const s of [408, 429, 500, 502, 503, 504, 599]) assert.equal(isRetryableStatus(s), true, String(s));
    for (const s of [200, 301, 400, 401, 403, 404, 409, 501])
      assert.equal(isRetryableStatus(s), false, String(s));
  });

  it('recognises connection failures, also when wrapped as a cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    assert.equal(isRetryableNetworkError(refused), true);
    assert.equal(isRetryableNetworkError(new Error('wrapped', { cause: refused })), true);
    assert.equal(isRetryableNetworkError(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' })), true);
    assert.equal(
      isRetryableNetworkError(Object.assign(new Error('no such host'), { code: 'ENOTFOUND' })),
      false,
    );
    assert.equal(isRetryableNetworkError(new Error('plain')), false);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });

  it('backs off exponentially with jitter, up to the cap', () => {
    const max = exponentialBackoff(100, 1000, () => 1);
    assert.deepEqual([1, 2, 3, 4, 5].map(max), [100, 200, 400, 800, 1000]);
    const min = exponentialBackoff(100, 1000, () => 0);
    assert.equal(min(3), 200);
  });
});

describe('withRetry', () => {
  it('makes exactly policy.attempts attempts and rethrows the last error', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async (attempt) => {
          calls++;
          throw new Error(`attempt ${attempt}`);
        },
        { policy: immediateRetryPolicy(3), decide: () => ({}) },
      ),
      /attempt 3/,
    );
    assert.equal(calls, 3);
  });

  it('stops at once when the failure is not retryable', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw new Error('permanent');
        },
        { policy: immediateRetryPolicy(5), decide: () => false },
      ),
    );
    assert.equal(calls, 1);
  });

  it('waits what the server asked, capped by maxDelayMs, through the injected sleep', async () => {
    const waits: number[] = [];
    const result = await withRetry(
      async (attempt) => {
        if (attempt < 3) throw new Error('busy');
        return 'done';
      },
      {
        policy: {
          attempts: 3,
          backoff: () => 10,
          maxDelayMs: 2000,
          sleep: async (ms) => void waits.push(ms),
        },
        decide: (_err) => (waits.length === 0 ? { afterMs: 5000 } : {}),
      },
    );
    assert.equal(result, 'done');
    assert.deepEqual(waits, [2000, 10]);
  });
});
