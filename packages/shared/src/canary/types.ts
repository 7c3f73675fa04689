/**
 * The canary's two small interfaces: where traffic goes ({@link TrafficAdapter}) and what is measured
 * ({@link MetricSource}). Adapters (haproxy, nginx, command; later Gateway API, Cloud Run) and
 * sources (built-in load, Prometheus, baseline comparison) implement them; the analysis loop in
 * `run.ts` knows only these.
 */

/** A router that splits requests between the stable release and the canary. */
export interface TrafficAdapter {
  /** How the adapter names itself in logs and the summary, e.g. `haproxy app/canary`. */
  readonly description: string;
  /** Sends `canary` percent (0–100) of the traffic to the canary and the rest to stable; resolves once it is in effect. */
  setWeight(canary: number): Promise<void>;
  /** The canary's share in percent as the router reports it, or undefined when the router cannot say. */
  current(): Promise<number | undefined>;
  /** Releases connections or files; called once at the end. */
  close?(): Promise<void>;
}

/** What a metric does with a window that has no data (no requests, an empty query result, NaN). */
export type OnNoData = 'fail' | 'pass' | 'hold';

/** One metric's value in one window. */
export interface MetricSample {
  /** The metric's name, as `failed-check` reports it: `error-rate`, `p95`, `latency-vs-baseline`, or a Prometheus metric's name. */
  metric: string;
  /** The value measured, in `unit`; undefined when the window had no data. */
  value: number | undefined;
  /** The canary fails the check when `value` is above `max` … */
  max?: number;
  /** … or below `min`. */
  min?: number;
  /** `%` (value 0–100), `ms`, or '' for a plain number. */
  unit: '%' | 'ms' | '';
  onNoData: OnNoData;
  /**
   * For a rate of counted events (the built-in load's errors of requests): `max` is then the rate
   * the events may happen at, and the window fails only when more events happened than that rate
   * explains (an exact one-sided binomial test, see `judge` in run.ts), not whenever `value` is above it.
   */
  counts?: { events: number; trials: number };
  /** A source that judges its own sample (the baseline comparison) sets the verdict; otherwise `max`/`min` decide. */
  verdict?: 'pass' | 'fail';
  /** What a reader needs to trust the value: `120 requests, 3 errors`, the query, the test's confidence interval. */
  detail?: string;
}

/** The window the loop asks a source about. */
export interface Window {
  /** 1-based step number, and the canary's weight in it. */
  step: number;
  weight: number;
  /** 1-based window number within the step, and across the whole analysis. */
  index: number;
  sequence: number;
  /** Epoch milliseconds: the window is [start, end). */
  start: number;
  end: number;
  /** The window's length as Prometheus writes durations, e.g. `5s`, for query templates. */
  interval: string;
}

/** A source of metrics, asked once per window for every metric it has. */
export interface MetricSource {
  /** How the source names itself in logs, e.g. `load 20 req/s → http://canary:8080/`. */
  readonly description: string;
  /** Called when each step starts (after its weight is set): load sources start or keep sending here. */
  startStep?(step: { step: number; weight: number }): Promise<void> | void;
  /** The samples of the window that just ended. */
  sample(window: Window): Promise<MetricSample[]>;
  /** Stops any load and releases connections; called once at the end, whatever happened. */
  stop?(): Promise<void>;
}

/** Time, injected so the loop can be tested without waiting. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
