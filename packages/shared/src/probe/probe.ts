/**
 * The probe loop: one URL, attempted until it passes `consecutiveSuccesses` times in a row, the
 * attempts are spent, the deadline passes, or a failure no retry can change (an untrusted
 * certificate). Every attempt is exactly one request (the client's own retry is off), logged with
 * what happened and what comes next. {@link probeAll} runs every URL at once.
 */
import { redactUrl } from '../errors.ts';
import type { HttpClient } from '../http.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { exponentialBackoff, withRetry, type RetryPolicy } from '../retry.ts';
import { ProbeError, type ProbeFailureCode } from './errors.ts';
import { checkResponse, type ProbeExpectations } from './expectations.ts';
import { classifyError } from './failures.ts';
import { summarizeLatencies, type LatencySummary } from './stats.ts';

export const PROBE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type ProbeMethod = (typeof PROBE_METHODS)[number];

/** The most of a body read for assertions; the rest is discarded. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface RetrySchedule {
  /** Wait between attempts (constant), or the first wait (exponential), in milliseconds. */
  intervalMs: number;
  /** `exponential` doubles the wait after each attempt, with jitter (50–100 % of it), up to `maxIntervalMs`. */
  backoff: 'constant' | 'exponential';
  maxIntervalMs: number;
}

export interface ProbeOptions {
  method: ProbeMethod;
  headers?: Readonly<Record<string, string>>;
  body?: string;
  expect: ProbeExpectations;
  /** Limit for one attempt: connect, headers and body. */
  timeoutMs: number;
  /** Total attempts, the first included: 1 sends exactly one request. */
  maxAttempts: number;
  /** Passes in a row needed to call the URL healthy. */
  consecutiveSuccesses: number;
  retry: RetrySchedule;
  /** Limit across all attempts and waits, from the start of the probe; `undefined` for none. */
  deadlineMs?: number;
  /** Follow redirects (GET and HEAD only); otherwise a 3xx is the answer checked. */
  followRedirects: boolean;
  maxRedirects?: number;
}

export interface ProbeContext {
  client: HttpClient;
  logger?: Logger;
  /** Cancels every attempt and wait (the job is being stopped). */
  signal?: AbortSignal;
  /** Source of jitter for exponential backoff. */
  random?: () => number;
}

/** One attempt: one request and what came of it. */
export interface AttemptRecord {
  attempt: number;
  /** Status of the final response (after redirects when followed); absent when none came. */
  status?: number;
  /** Time from sending the request to the end of the response body, in milliseconds. */
  latencyMs?: number;
  error?: { code: ProbeFailureCode; message: string };
}

/** Why the probe stopped. */
export type StopReason = 'healthy' | 'attempts-exhausted' | 'deadline' | 'not-retryable' | 'cancelled';

export interface ProbeResult {
  /** The URL as given, with any credentials or token-like query values redacted. */
  url: string;
  healthy: boolean;
  /** Requests sent. */
  attempts: number;
  /** Status of the last attempt, or `undefined` when it got no response. */
  status?: number;
  /** Latencies of the attempts that got a response. */
  latency?: LatencySummary;
  /** The most recent failure, also when a later attempt passed. */
  lastError?: { code: ProbeFailureCode; message: string };
  stopReason: StopReason;
  durationMs: number;
  history: AttemptRecord[];
}

/** The URL for people to read: as given, unless it carries credentials or token-like query values. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.username || u.password || redactUrl(u) !== u.toString() ? redactUrl(u) : url;
  } catch {
    return url;
  }
}

/** Throws INVALID_PROBE_OPTIONS for options no probe can satisfy. */
export function validateProbeOptions(options: ProbeOptions): void {
  const bad = (message: string) => new ProbeError('INVALID_PROBE_OPTIONS', message);
  if (!PROBE_METHODS.includes(options.method)) throw bad(`unknown method ${options.method}`);
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1)
    throw bad(`maxAttempts must be a positive integer, got ${options.maxAttempts}`);
  if (!Number.isInteger(options.consecutiveSuccesses) || options.consecutiveSuccesses < 1)
    throw bad(`consecutiveSuccesses must be a positive integer, got ${options.consecutiveSuccesses}`);
  if (options.consecutiveSuccesses > options.maxAttempts)
    throw bad(
      `consecutiveSuccesses (${options.consecutiveSuccesses}) exceeds maxAttempts (${options.maxAttempts})`,
    );
  if (!(options.timeoutMs > 0)) throw bad(`timeoutMs must be positive, got ${options.timeoutMs}`);
  if (options.deadlineMs !== undefined && !(options.deadlineMs > 0))
    throw bad(`deadlineMs must be positive, got ${options.deadlineMs}`);
  if (!(options.retry.intervalMs >= 0)) throw bad(`retry.intervalMs must not be negative`);
  if (options.body !== undefined && (options.method === 'GET' || options.method === 'HEAD'))
    throw bad(`a ${options.method} request cannot carry a body`);
}

/** Probes every URL concurrently; results come back in the order of `urls`. */
export async function probeAll(
  urls: readonly string[],
  options: ProbeOptions,
  context: ProbeContext,
): Promise<ProbeResult[]> {
  validateProbeOptions(options);
  return Promise.all(
    urls.map((url, i) =>
      probe(
        url,
        options,
        context,
        urls.length > 1 ? `[${i + 1}/${urls.length}] ${displayUrl(url)}` : undefined,
      ),
    ),
  );
}

/** Probes one URL until it is healthy or the attempts, the deadline or the retryable failures run out. */
export async function probe(
  url: string,
  options: ProbeOptions,
  context: ProbeContext,
  label: string = displayUrl(url),
): Promise<ProbeResult> {
  validateProbeOptions(options);
  const logger = context.logger ?? silentLogger;
  const started = performance.now();
  const deadlineAt = options.deadlineMs === undefined ? undefined : started + options.deadlineMs;
  const { intervalMs, maxIntervalMs } = options.retry;
  const backoff =
    options.retry.backoff === 'exponential'
      ? exponentialBackoff(Math.max(1, intervalMs), maxIntervalMs, context.random)
      : () => intervalMs;
  const policy: RetryPolicy = {
    attempts: options.maxAttempts,
    backoff,
    maxDelayMs: Math.max(intervalMs, maxIntervalMs),
  };
  const history: AttemptRecord[] = [];
  let passes = 0;
  let retryable = true;
  let stopReason = 'attempts-exhausted' as StopReason; // set from the retry callbacks
  const describe = (r: AttemptRecord) => {
    const got = r.status === undefined ? '' : `${r.status} in ${Math.round(r.latencyMs ?? 0)} ms, `;
    const outcome = r.error
      ? `${r.error.message}`
      : options.consecutiveSuccesses > 1
        ? `passed (${passes} of ${options.consecutiveSuccesses} in a row)`
        : 'passed';
    return `${label}: attempt ${r.attempt}/${options.maxAttempts}: ${got}${outcome}`;
  };

  try {
    await withRetry(
      async (n) => {
        const { record, retryable: again } = await attempt(url, n, options, context, deadlineAt);
        history.push(record);
        retryable = again;
        if (record.error) {
          passes = 0;
          throw new ProbeError(record.error.code, record.error.message);
        }
        passes++;
        if (passes < options.consecutiveSuccesses) throw new NotYetStable();
      },
      {
        policy,
        signal: context.signal,
        decide: () => {
          if (!retryable) {
            const code = history.at(-1)?.error?.code;
            stopReason =
              code === 'CANCELLED'
                ? 'cancelled'
                : code === 'DEADLINE_EXCEEDED'
                  ? 'deadline'
                  : 'not-retryable';
            return false;
          }
          const delay = Math.min(policy.maxDelayMs, backoff(history.length));
          if (deadlineAt !== undefined && performance.now() + delay >= deadlineAt) {
            stopReason = 'deadline';
            return false;
          }
          return { afterMs: delay };
        },
        onRetry: (_err, _retry, delayMs) =>
          logger.info(`${describe(history.at(-1)!)}; next attempt in ${formatMs(delayMs)}`),
      },
    );
    stopReason = 'healthy';
  } catch {
    if (context.signal?.aborted) stopReason = 'cancelled';
  }

  const healthy = stopReason === 'healthy';
  const last = history.at(-1);
  if (last) logger.info(`${describe(last)}; ${healthy ? 'healthy' : `unhealthy: ${STOP_TEXT[stopReason]}`}`);
  let lastError = history.findLast((r) => r.error)?.error;
  if (!healthy && stopReason === 'deadline' && !last?.error) {
    lastError = {
      code: 'DEADLINE_EXCEEDED',
      message: `deadline of ${options.deadlineMs} ms reached after ${passes} of ${options.consecutiveSuccesses} passes in a row`,
    };
  }
  const latencies = history.flatMap((r) => (r.latencyMs === undefined ? [] : [r.latencyMs]));
  return {
    url: displayUrl(url),
    healthy,
    attempts: history.length,
    status: last?.status,
    latency: summarizeLatencies(latencies),
    lastError,
    stopReason,
    durationMs: Math.round(performance.now() - started),
    history,
  };
}

const STOP_TEXT: Record<StopReason, string> = {
  healthy: 'healthy',
  'attempts-exhausted': 'no attempts left',
  deadline: 'deadline reached',
  'not-retryable': 'not retried, another attempt would fail the same way',
  cancelled: 'cancelled',
};

/** A pass that still needs more passes in a row: retried like a failure, never reported as one. */
class NotYetStable extends Error {}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** Sends one request and checks the response; never throws. */
async function attempt(
  url: string,
  n: number,
  options: ProbeOptions,
  context: ProbeContext,
  deadlineAt: number | undefined,
): Promise<{ record: AttemptRecord; retryable: boolean }> {
  const remaining = deadlineAt === undefined ? Infinity : deadlineAt - performance.now();
  const byDeadline = remaining < options.timeoutMs;
  const controller = new AbortController();
  let why: 'timeout' | 'deadline' | 'cancelled' | undefined;
  const abort = (reason: 'timeout' | 'deadline' | 'cancelled') => {
    why ??= reason;
    controller.abort(new ProbeError(reason === 'cancelled' ? 'CANCELLED' : 'TIMEOUT', reason));
  };
  const timer = setTimeout(
    () => abort(byDeadline ? 'deadline' : 'timeout'),
    Math.max(0, Math.min(options.timeoutMs, remaining)),
  );
  const onCancel = () => abort('cancelled');
  context.signal?.addEventListener('abort', onCancel, { once: true });
  if (context.signal?.aborted) abort('cancelled');
  const t0 = performance.now();
  try {
    const res = await context.client.request({
      method: options.method,
      url,
      headers: { ...options.headers },
      body: options.body,
      redirect: options.followRedirects ? 'follow' : 'manual',
      maxRedirects: options.maxRedirects,
      signal: controller.signal,
      retry: false,
    });
    const { text, truncated } =
      options.method === 'HEAD' ? await discard(res.body) : await readBody(res.body, MAX_BODY_BYTES);
    const latencyMs = performance.now() - t0;
    const failure = checkResponse({ status: res.status, body: text, truncated, latencyMs }, options.expect);
    return {
      record: {
        attempt: n,
        status: res.status,
        latencyMs,
        ...(failure ? { error: { code: failure.code as ProbeFailureCode, message: failure.message } } : {}),
      },
      retryable: true,
    };
  } catch (err) {
    const { error, retryable } = classifyError(err, {
      deadline: why === 'deadline',
      cancelled: why === 'cancelled',
      timedOut: why === 'timeout',
      timeoutMs: options.timeoutMs,
      deadlineMs: options.deadlineMs,
    });
    return {
      record: { attempt: n, error: { code: error.code as ProbeFailureCode, message: error.message } },
      retryable,
    };
  } finally {
    clearTimeout(timer);
    context.signal?.removeEventListener('abort', onCancel);
  }
}

async function discard(body: AsyncIterable<unknown>): Promise<{ text: undefined; truncated: false }> {
  for await (const _ of body) {
    // HEAD has no body; drain whatever a misbehaving server sends.
  }
  return { text: undefined, truncated: false };
}

async function readBody(
  body: AsyncIterable<Buffer>,
  limit: number,
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) {
      truncated = true;
      break; // leaving the loop destroys the stream; the connection is not reused anyway
    }
  }
  return { text: Buffer.concat(chunks).subarray(0, limit).toString('utf8'), truncated };
}
