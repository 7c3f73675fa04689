/**
 * The built-in load: the canary's own traffic, for services that have no real traffic to judge or
 * no metrics of their own. From the first step until `stop()` it sends GET requests at a steady
 * rate to the given URLs and, per window, reports the error rate and the p95 latency of the
 * requests started in that window, and optionally how the canary's latencies compare with a
 * baseline's under the same load (Mann-Whitney, as Kayenta judges).
 *
 * An open model, as real users are: a request goes out every 1000/rate ms whatever the earlier
 * ones are doing (a slow canary gets the same traffic, not less, and its slowness shows), on a
 * schedule of deadlines so timer lateness does not add up (setInterval drifts and under-sends).
 * Every request has a timeout, after which it counts as an error; the requests in flight are
 * bounded, and one that would pass the bound is not sent and counts as an error (`in-flight limit`):
 * with the default bound that happens only when requests are piling up towards their timeout.
 *
 * Requests go out through the shared {@link HttpClient} without retries (a retried request hides
 * the failure the canary is looking for), on keep-alive connections as browsers and service
 * clients use them: a long canary at a high rate would otherwise exhaust the runner's ports with
 * connections in TIME_WAIT.
 */
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { errorMessage, redactUrl } from '../../errors.ts';
import { HttpClient } from '../../http.ts';
import { silentLogger, type Logger } from '../../logger.ts';
import { percentile } from '../../probe/stats.ts';
import { CanaryError } from '../errors.ts';
import { systemClock, type Clock, type MetricSample, type MetricSource, type Window } from '../types.ts';
import { classifyLatency, latencyVerdict } from './mann-whitney.ts';

export interface LoadSourceOptions {
  /** The canary's URLs, sent to in turn (GET). */
  urls: readonly string[];
  /** Requests per second, spread over `urls` (and as many again to `baselineUrls` when comparing); up to 1000. */
  rate: number;
  /**
   * The error rate the canary may have, in percent (0.2 for 0.2 %): a window's error-rate check
   * fails when its errors are more than this rate explains (p < 0.01, an exact binomial test), so
   * at 100 requests and 0.2 % one or two errors pass and three fail.
   */
  maxErrorRate: number;
  /** The p95 check fails above this many milliseconds. */
  maxP95Ms: number;
  /** A window with fewer requests than this has no data. */
  minRequests: number;
  /** The baseline's URLs (the stable release, same load), for `compare: 'mann-whitney'`. */
  baselineUrls?: readonly string[];
  /** `mann-whitney` also reports `latency-vs-baseline`; default `none`. */
  compare?: 'none' | 'mann-whitney';
  /** Limit for one request, body included; default max(2 s, 4 × maxP95Ms). */
  timeoutMs?: number;
  /** Requests in flight at most, per stream (canary, baseline); default what the rate needs within the timeout, plus a margin. */
  maxInFlight?: number;
  /** Default: a keep-alive client of its own, closed by stop(). */
  client?: HttpClient;
  logger?: Logger;
  clock?: Clock;
}

/** A request's outcome: `ok` (2xx), the status (`404`), an error code (`ECONNREFUSED`), `timeout`, `in-flight limit`. */
type Outcome = string;

interface RequestRecord {
  /** Epoch milliseconds (the source's clock) when it was sent. */
  start: number;
  latencyMs: number;
  outcome: Outcome | undefined;
  done: Promise<void>;
}

/** How far behind its schedule the sender may fall (a stalled event loop) before it skips the missed sends. */
const MAX_LAG_MS = 1000;
/** The highest rate the source accepts: a runner is not a load-testing rig. */
export const MAX_LOAD_RATE = 1000;

function invalid(message: string, fix: string): CanaryError {
  return new CanaryError('INVALID_PLAN', message, { fix });
}

function checkUrls(urls: readonly string[] | undefined, name: string): string[] {
  if (!urls || urls.length === 0)
    throw invalid(`the load has no ${name}`, `Give at least one http(s) URL in ${name}.`);
  return urls.map((u) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch (err) {
      throw new CanaryError('INVALID_PLAN', `${name}: ${JSON.stringify(u)} is not a URL`, {
        cause: err,
        fix: `Give absolute http(s) URLs in ${name}, e.g. http://canary:8080/healthz.`,
      });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw invalid(
        `${name}: ${redactUrl(u)} is not an http(s) URL`,
        `Give http:// or https:// URLs in ${name}.`,
      );
    return url.toString();
  });
}

/** The failure a request met, as the error-rate detail counts it. */
function failureOf(err: unknown, elapsedMs: number, timeoutMs: number): Outcome {
  const chain: Array<{ name?: unknown; code?: unknown }> = [];
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++)
    chain.push(e as { name?: unknown; code?: unknown });
  if (chain.some((e) => e.name === 'TimeoutError') || elapsedMs >= timeoutMs) return 'timeout';
  for (const e of chain) if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  for (const e of chain) if (typeof e.code === 'string') return e.code;
  const first = chain[0];
  return typeof first?.name === 'string' && first.name !== 'Error' ? first.name : errorMessage(err);
}

/** `404×2, ECONNREFUSED×1`, most frequent first. */
function countOutcomes(records: readonly RequestRecord[]): string {
  const counts = new Map<string, number>();
  for (const r of records) if (r.outcome !== 'ok') counts.set(r.outcome!, (counts.get(r.outcome!) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([outcome, n]) => `${outcome}×${n}`)
    .join(', ');
}

/** One stream of requests (the canary's, or the baseline's) and what became of them. */
class Stream {
  records: RequestRecord[] = [];
  inFlight = 0;
  sent = 0;
  skipped = 0;
  private next = 0;
  readonly urls: readonly string[];
  constructor(urls: readonly string[]) {
    this.urls = urls;
  }
  nextUrl(): string {
    return this.urls[this.next++ % this.urls.length]!;
  }
  /** The requests started in [start, end), once each has an outcome. */
  async settled(start: number, end: number): Promise<RequestRecord[]> {
    const records = this.records.filter((r) => r.start >= start && r.start < end);
    await Promise.all(records.map((r) => r.done));
    // Windows come in order: what started before this one's end is never asked for again.
    this.records = this.records.filter((r) => r.start >= end);
    return records;
  }
}

/**
 * A {@link MetricSource} that makes its own load and measures it: `error-rate` (`%`, of all
 * requests, with the counts that `judge` tests against `maxErrorRate`), `p95` (`ms`, of the successful ones) and, with `compare: 'mann-whitney'`,
 * `latency-vs-baseline` (the canary's latency over the baseline's; the test's judgement decides).
 * Throws INVALID_PLAN, naming the option, for options that cannot make a load.
 */
export function createLoadSource(options: LoadSourceOptions): MetricSource {
  const urls = checkUrls(options.urls, 'urls');
  const compare = options.compare ?? 'none';
  if (compare !== 'none' && compare !== 'mann-whitney')
    throw invalid(
      `compare ${JSON.stringify(compare)} is not none or mann-whitney`,
      'Use none or mann-whitney.',
    );
  const baselineUrls =
    compare === 'mann-whitney' ? checkUrls(options.baselineUrls, 'baselineUrls') : undefined;
  if (compare === 'none' && options.baselineUrls?.length)
    throw invalid(
      'baselineUrls are given but compare is none: the baseline would be loaded and never compared',
      'Set compare to mann-whitney, or leave out baselineUrls.',
    );
  const { rate, maxErrorRate, maxP95Ms, minRequests } = options;
  if (!Number.isFinite(rate) || rate <= 0 || rate > MAX_LOAD_RATE)
    throw invalid(
      `rate ${rate} is not a number of requests per second above 0 and up to ${MAX_LOAD_RATE}`,
      'Give a rate such as 10 or 50.',
    );
  if (!Number.isFinite(maxErrorRate) || maxErrorRate < 0 || maxErrorRate > 100)
    throw invalid(
      `maxErrorRate ${maxErrorRate} is not a percentage from 0 to 100`,
      'Give a percentage such as 0.2 or 5.',
    );
  if (!Number.isFinite(maxP95Ms) || maxP95Ms <= 0)
    throw invalid(
      `maxP95Ms ${maxP95Ms} is not a number of milliseconds above 0`,
      'Give a latency such as 300.',
    );
  if (!Number.isInteger(minRequests) || minRequests < 1)
    throw invalid(
      `minRequests ${minRequests} is not a whole number of 1 or more`,
      'Give a count such as 20.',
    );
  const timeoutMs = options.timeoutMs ?? Math.max(2000, 4 * maxP95Ms);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw invalid(
      `timeoutMs ${timeoutMs} is not a number of milliseconds above 0`,
      'Give a timeout such as 2000.',
    );
  const maxInFlight = options.maxInFlight ?? Math.ceil((rate * timeoutMs) / 1000) + 16;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1)
    throw invalid(
      `maxInFlight ${maxInFlight} is not a whole number of 1 or more`,
      'Leave it out for the default.',
    );

  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const own = options.client === undefined;
  const client =
    options.client ??
    new HttpClient({
      dispatcher: new Agent({
        connections: maxInFlight,
        keepAliveTimeout: 10_000,
        connect: { timeout: timeoutMs },
      }),
      retry: { attempts: 1, backoff: () => 0, maxDelayMs: 0 },
      logger: options.logger,
      userAgent: 'release-actions-canary',
    });
  const periodMs = 1000 / rate;
  const canary = new Stream(urls);
  const baseline = baselineUrls ? new Stream(baselineUrls) : undefined;
  const stopper = new AbortController();
  let loops: Promise<void>[] | undefined;
  let stopping: Promise<void> | undefined;

  function send(stream: Stream): void {
    const url = stream.nextUrl();
    stream.sent++;
    const record: RequestRecord = {
      start: clock.now(),
      latencyMs: 0,
      outcome: undefined,
      done: Promise.resolve(),
    };
    stream.records.push(record);
    if (stream.inFlight >= maxInFlight) {
      record.outcome = 'in-flight limit';
      return;
    }
    stream.inFlight++;
    const began = performance.now();
    record.done = (async () => {
      try {
        const res = await client.request({
          method: 'GET',
          url,
          timeoutMs,
          retry: false,
          signal: stopper.signal,
        });
        // The whole body: a response is complete when its last byte is in.
        for await (const _chunk of res.body) {
          // drained: only its arrival matters
        }
        record.outcome = res.status >= 200 && res.status < 300 ? 'ok' : String(res.status);
      } catch (err) {
        record.outcome = stopper.signal.aborted
          ? 'stopped'
          : failureOf(err, performance.now() - began, timeoutMs);
      } finally {
        record.latencyMs = performance.now() - began;
        stream.inFlight--;
      }
    })();
  }

  /** Sends on a schedule of deadlines, t0 + k·period, until stop(). */
  async function schedule(stream: Stream, offsetMs: number): Promise<void> {
    let next = clock.now() + offsetMs;
    for (;;) {
      const wait = next - clock.now();
      if (wait > 0) {
        try {
          await clock.sleep(wait, stopper.signal);
        } catch {
          return; // stopped
        }
      } else if (-wait > MAX_LAG_MS) {
        const missed = Math.floor(-wait / periodMs);
        stream.skipped += missed;
        next += missed * periodMs;
        logger.debug(
          `load: ${missed} requests not sent, the sender was ${Math.round(-wait)} ms behind its schedule`,
        );
      }
      if (stopper.signal.aborted) return;
      send(stream);
      next += periodMs;
    }
  }

  function loadSamples(records: readonly RequestRecord[]): MetricSample[] {
    const counted = records.filter((r) => r.outcome !== 'stopped');
    const n = counted.length;
    const ok = counted.filter((r) => r.outcome === 'ok');
    const errors = n - ok.length;
    const enough = n >= minRequests && n > 0;
    const tooFew = `${n} requests, fewer than the ${minRequests} needed`;
    const failures = countOutcomes(counted);
    let p95: number | undefined;
    let p95Detail = tooFew;
    if (enough) {
      if (ok.length === 0) p95Detail = `${n} requests, none successful`;
      else {
        const sorted = ok.map((r) => r.latencyMs).sort((a, b) => a - b);
        p95 = percentile(sorted, 95);
        const ms = (v: number) => `${Math.round(v)} ms`;
        p95Detail = `${ok.length} successful requests: p50 ${ms(percentile(sorted, 50))}, p95 ${ms(p95)}, max ${ms(sorted.at(-1)!)}`;
      }
    }
    return [
      {
        metric: 'error-rate',
        value: enough ? (errors / n) * 100 : undefined,
        max: maxErrorRate,
        unit: '%',
        onNoData: 'fail',
        // Judged by whether the errors are more than maxErrorRate explains, not by the rate itself.
        ...(enough ? { counts: { events: errors, trials: n } } : {}),
        detail: enough
          ? `${n} requests, ${plural(errors, 'error')}${failures ? ` (${failures})` : ''}`
          : tooFew,
      },
      { metric: 'p95', value: p95, max: maxP95Ms, unit: 'ms', onNoData: 'fail', detail: p95Detail },
    ];
  }

  function comparisonSample(
    canaryRecords: readonly RequestRecord[],
    baselineRecords: readonly RequestRecord[],
  ): MetricSample {
    const latencies = (records: readonly RequestRecord[]) =>
      records.filter((r) => r.outcome === 'ok').map((r) => r.latencyMs);
    const judgement = classifyLatency(latencies(canaryRecords), latencies(baselineRecords), {
      minSamples: minRequests,
    });
    const baselineCounted = baselineRecords.filter((r) => r.outcome !== 'stopped');
    const baselineErrors = baselineCounted.filter((r) => r.outcome !== 'ok');
    const baselineNote =
      baselineErrors.length > 0
        ? `; baseline: ${baselineCounted.length} requests, ${plural(baselineErrors.length, 'error')} (${countOutcomes(baselineCounted)})`
        : '';
    const verdict = latencyVerdict(judgement.classification);
    return {
      metric: 'latency-vs-baseline',
      // The ratio of means; undefined without data (and NaN, a baseline mean of 0, is no number to show).
      value: verdict === undefined || Number.isNaN(judgement.effect) ? undefined : judgement.effect,
      unit: '',
      onNoData: 'fail',
      ...(verdict ? { verdict } : {}),
      detail: `${judgement.reason}${baselineNote}`,
    };
  }

  const more = (list: readonly string[]) => (list.length > 1 ? ` (+${list.length - 1} more)` : '');
  return {
    description: `load ${rate} req/s → ${redactUrl(urls[0]!)}${more(urls)}${baselineUrls ? `, baseline ${redactUrl(baselineUrls[0]!)}${more(baselineUrls)}` : ''}`,

    startStep() {
      if (loops || stopper.signal.aborted) return;
      logger.debug(`load: ${rate} req/s, timeout ${timeoutMs} ms, at most ${maxInFlight} in flight`);
      loops = [schedule(canary, 0)];
      // The baseline's requests fall between the canary's, so the two do not meet in bursts.
      if (baseline) loops.push(schedule(baseline, periodMs / 2));
    },

    async sample(window: Window) {
      const [canaryRecords, baselineRecords] = await Promise.all([
        canary.settled(window.start, window.end),
        baseline?.settled(window.start, window.end),
      ]);
      const samples = loadSamples(canaryRecords);
      if (baselineRecords) samples.push(comparisonSample(canaryRecords, baselineRecords));
      return samples;
    },

    stop() {
      stopping ??= (async () => {
        stopper.abort(new Error('the load was stopped'));
        await Promise.all(loops ?? []);
        await Promise.all([...canary.records, ...(baseline?.records ?? [])].map((r) => r.done));
        logger.debug(
          `load: ${canary.sent} requests sent${baseline ? `, and ${baseline.sent} to the baseline` : ''}`,
        );
        const skipped = canary.skipped + (baseline?.skipped ?? 0);
        if (skipped > 0)
          logger.warning(
            `load: ${skipped} requests were not sent because the runner fell behind the schedule`,
          );
        if (own) await client.close().catch(() => undefined);
      })();
      return stopping;
    },
  };
}

/** `1 error`, `2 errors`. */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
