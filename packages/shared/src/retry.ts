/**
 * The one retry helper. It knows nothing of HTTP: callers say what is retryable and may ask for a
 * specific delay (a `Retry-After`). Backoff is injected so tests run with no delay at all.
 */

export interface RetryPolicy {
  /** Total attempts, the first included: 1 means no retry. */
  attempts: number;
  /** Delay in milliseconds before retry number `retry` (1-based). */
  backoff: (retry: number) => number;
  /** Upper bound for any single delay, including one a server asked for. */
  maxDelayMs: number;
  /** How to wait; replaced in tests that want to observe delays without spending them. */
  sleep?: (ms: number) => Promise<void>;
}

/** Exponential backoff with full jitter: 0..base·2^(n-1), capped. */
export function exponentialBackoff(baseMs: number, capMs: number, random: () => number = Math.random) {
  return (retry: number): number => Math.min(capMs, baseMs * 2 ** (retry - 1)) * (0.5 + random() / 2);
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 4,
  backoff: exponentialBackoff(500, 8_000),
  maxDelayMs: 30_000,
};

/** Retries immediately: for tests, where waiting proves nothing. */
export function immediateRetryPolicy(attempts = 3): RetryPolicy {
  return { attempts, backoff: () => 0, maxDelayMs: 0 };
}

/** What the predicate says of a failure: no retry, or retry (optionally after a server-chosen delay). */
export type RetryDecision = false | { afterMs?: number };

export interface RetryOptions {
  policy: RetryPolicy;
  /** Whether the failure of one attempt is worth another. */
  decide: (err: unknown) => RetryDecision;
  onRetry?: (err: unknown, retry: number, delayMs: number) => void;
  signal?: AbortSignal;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** Runs `fn` until it succeeds, the predicate declines, or the policy's attempts are spent; rethrows the last error. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const decision = attempt < policy.attempts && !options.signal?.aborted ? options.decide(err) : false;
      if (decision === false) throw err;
      const delay = Math.max(0, Math.min(policy.maxDelayMs, decision.afterMs ?? policy.backoff(attempt)));
      options.onRetry?.(err, attempt, delay);
      await (policy.sleep ? policy.sleep(delay) : defaultSleep(delay, options.signal));
    }
  }
}

/** 408, 429 and 5xx (but 501 Not Implemented, which no retry will change). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status <= 599);
}

const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Connection-level failures that a later attempt may not meet (refused, reset, timed out). */
export function isRetryableNetworkError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) return true;
  }
  return false;
}

/** A `Retry-After` header value (seconds or an HTTP date) in milliseconds, if it parses. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
