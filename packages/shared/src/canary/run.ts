/**
 * The analysis loop: for each step, set the canary's weight, then check every metric once per
 * window until the step's time is up. A metric that fails more than `failureLimit` checks ends the
 * loop at once and the canary's weight goes to 0 (stable 100 %) before anything else happens. After
 * the last step the canary holds 100 %.
 *
 * Flagger counts failed checks against a threshold per analysis and Argo Rollouts a failureLimit per
 * metric; this loop counts per metric across all steps, as Argo does, so one flaky metric cannot
 * hide behind a healthy one. A window with no data follows the metric's `onNoData`: `fail` counts it
 * (Flagger's behaviour), `pass` ignores it, `hold` waits for data until the step's end and fails the
 * check if the step's last window still has none.
 */
import { errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { binomialUpperTail } from './analysis/binomial.ts';
import { CanaryError } from './errors.ts';
import { promDuration, windowsPerStep, type CanaryPlan } from './plan.ts';
import {
  systemClock,
  type Clock,
  type MetricSample,
  type MetricSource,
  type TrafficAdapter,
  type Window,
} from './types.ts';

/** One metric in one window, as judged. */
export interface CheckResult extends MetricSample {
  /** `pass`, `fail`, `no-data` (ignored, or held until the step's end). */
  outcome: 'pass' | 'fail' | 'no-data';
  /** For a sample with `counts`: the test's p-value, P(events or more | trials, rate `max`), and the α it was judged at. */
  test?: { pValue: number; alpha: number };
}

/**
 * The significance at which counted events (the built-in load's errors) are judged: a window fails
 * when as many errors as it saw, or more, would happen with a probability below 1 % if the canary's
 * true error rate were `max`. One error in 100 requests is 1 %, five times a 0.2 % limit, and yet
 * what a service erring at 0.2 % does in 18 % of such windows; three errors in 100 (p = 0.0011) it
 * does in 1 window of 900. Fixed rather than an input: 0.01 keeps a healthy canary's false rollbacks
 * rare over a whole analysis while a canary erring at a few percent still fails its first window.
 */
export const ERROR_TEST_ALPHA = 0.01;

export interface WindowReport extends Window {
  checks: CheckResult[];
}

export interface StepReport {
  step: number;
  weight: number;
  /** Windows analysed in this step (fewer than planned when the canary was rolled back in it). */
  windows: number;
  verdict: 'passed' | 'failed' | 'not reached' | 'skipped';
}

export interface CanaryOutcome {
  result: 'promoted' | 'rolled-back';
  /** The canary's share of traffic at the end, in percent. */
  weight: number;
  /** The metric whose failures rolled the canary back. */
  failedCheck: string | undefined;
  /** Why, in a sentence. */
  reason: string | undefined;
  /** Milliseconds from the canary's first traffic to the rollback decision. */
  detectedAfterMs: number | undefined;
  /** Milliseconds from the rollback decision until stable had all traffic again. */
  restoredAfterMs: number | undefined;
  steps: StepReport[];
  windows: WindowReport[];
  /** Epoch milliseconds when the canary first got traffic. */
  firstTrafficAt: number | undefined;
}

export interface CanaryOptions {
  plan: CanaryPlan;
  traffic: TrafficAdapter;
  sources: readonly MetricSource[];
  logger?: Logger;
  clock?: Clock;
  /** Aborting (the job was cancelled) rolls the canary back like a failed check. */
  signal?: AbortSignal;
  /** Called after every window, e.g. to log a line per window. */
  onWindow?: (window: WindowReport) => void;
}

async function stopSources(sources: readonly MetricSource[], logger: Logger): Promise<void> {
  await Promise.all(
    sources.map((s) =>
      Promise.resolve(s.stop?.()).catch((err: unknown) =>
        logger.warning(`${s.description} did not stop cleanly: ${errorMessage(err)}`),
      ),
    ),
  );
}

/** The outcome of one check: what a reader sees in the summary, and what the loop counts. */
export function judge(sample: MetricSample): CheckResult {
  if (sample.verdict) return { ...sample, outcome: sample.verdict };
  const value = sample.value;
  if (value === undefined || Number.isNaN(value)) return { ...sample, value: undefined, outcome: 'no-data' };
  if (sample.counts && sample.max !== undefined) {
    // Not `value > max`: whether the events are more than a true rate of `max` explains.
    const rate = Math.min(1, sample.max / (sample.unit === '%' ? 100 : 1));
    const pValue = binomialUpperTail(sample.counts.events, sample.counts.trials, rate);
    return {
      ...sample,
      outcome: pValue < ERROR_TEST_ALPHA ? 'fail' : 'pass',
      test: { pValue, alpha: ERROR_TEST_ALPHA },
    };
  }
  const failed =
    (sample.max !== undefined && value > sample.max) || (sample.min !== undefined && value < sample.min);
  return { ...sample, outcome: failed ? 'fail' : 'pass' };
}

/**
 * `p95 412 ms > 300 ms`, `error-rate 1% (1 of 100) within what 0.2% explains (p=0.18 ≥ 0.01)`: a
 * check for people.
 */
export function describeCheck(c: CheckResult): string {
  const unit = (v: number) =>
    c.unit === '%' ? `${round(v)}%` : c.unit === 'ms' ? `${round(v)} ms` : `${round(v)}`;
  if (c.value === undefined) return `${c.metric}: no data`;
  if (c.test && c.counts && c.max !== undefined) {
    const { pValue, alpha } = c.test;
    const failed = pValue < alpha;
    const p = `p=${String(Number(pValue.toPrecision(2)))} ${failed ? '<' : '≥'} ${alpha}`;
    return `${c.metric} ${unit(c.value)} (${c.counts.events} of ${c.counts.trials}) ${failed ? `above ${unit(c.max)}` : `within what ${unit(c.max)} explains`} (${p})`;
  }
  const bound =
    c.max !== undefined && c.value > c.max
      ? ` > ${unit(c.max)}`
      : c.min !== undefined && c.value < c.min
        ? ` < ${unit(c.min)}`
        : c.max !== undefined
          ? ` ≤ ${unit(c.max)}`
          : c.min !== undefined
            ? ` ≥ ${unit(c.min)}`
            : '';
  return `${c.metric} ${unit(c.value)}${bound}`;
}

function round(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/**
 * Runs the plan. Never leaves the canary with traffic after a failure: any error in the loop (a
 * source that throws, a weight that cannot be set, cancellation) sends the weight to 0 and is
 * reported as the reason. Throws only when even that fails (TRAFFIC_ERROR: stable does not have all
 * traffic back, and the message says so).
 */
export async function runCanary(options: CanaryOptions): Promise<CanaryOutcome> {
  const { plan, traffic, sources } = options;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const perStep = windowsPerStep(plan);
  const failures = new Map<string, number>();
  const windows: WindowReport[] = [];
  const steps: StepReport[] = plan.steps.map((weight, i) => ({
    step: i + 1,
    weight,
    windows: 0,
    verdict: 'not reached',
  }));
  let firstTrafficAt: number | undefined;
  let weight = 0;
  let failure: { check: string | undefined; reason: string } | undefined;
  let sequence = 0;

  try {
    for (const step of steps) {
      await traffic.setWeight(step.weight);
      weight = step.weight;
      firstTrafficAt ??= clock.now();
      logger.info(`step ${step.step}/${steps.length}: canary at ${step.weight}% (${traffic.description})`);
      for (const source of sources) await source.startStep?.({ step: step.step, weight: step.weight });
      for (let index = 1; index <= perStep && !failure; index++) {
        const start = clock.now();
        await clock.sleep(plan.intervalMs, options.signal);
        const window: Window = {
          step: step.step,
          weight: step.weight,
          index,
          sequence: ++sequence,
          start,
          end: clock.now(),
          interval: promDuration(plan.intervalMs),
        };
        const samples = (await Promise.all(sources.map((s) => s.sample(window)))).flat();
        const checks = samples.map(judge);
        const last = index === perStep;
        for (const check of checks) {
          if (check.outcome === 'no-data') {
            if (check.onNoData === 'fail') check.outcome = 'fail';
            else if (check.onNoData === 'hold' && last) {
              // Held until the step's end: its last window decides.
              check.outcome = 'fail';
              check.detail = `no data by the end of step ${step.step}${check.detail ? `; ${check.detail}` : ''}`;
            }
          }
          if (check.outcome !== 'fail') continue;
          const count = (failures.get(check.metric) ?? 0) + 1;
          failures.set(check.metric, count);
          if (count > plan.failureLimit && !failure)
            failure = {
              check: check.metric,
              reason: `${describeCheck(check)} in step ${step.step} (${step.weight}%), window ${index}${plan.failureLimit > 0 ? `: failed ${count} checks, more than the failure limit of ${plan.failureLimit}` : ''}`,
            };
        }
        const report = { ...window, checks };
        windows.push(report);
        step.windows = index;
        options.onWindow?.(report);
      }
      step.verdict = failure ? 'failed' : 'passed';
      if (failure) break;
    }
  } catch (err) {
    const cancelled = options.signal?.aborted;
    failure = {
      check: undefined,
      reason: cancelled ? 'the job was cancelled' : `the analysis stopped: ${errorMessage(err)}`,
    };
    const current = steps.find((s) => s.verdict === 'not reached' && s.weight === weight);
    if (current) current.verdict = 'failed';
  }

  if (!failure) {
    await stopSources(sources, logger);
    return outcome('promoted', weight, undefined, undefined, undefined);
  }

  const decidedAt = clock.now();
  logger.warning(`rolling back: ${failure.reason}`);
  try {
    await traffic.setWeight(0);
  } catch (err) {
    await stopSources(sources, logger);
    throw new CanaryError(
      'TRAFFIC_ERROR',
      `the canary failed (${failure.reason}) and its traffic could not be moved back to stable: ${errorMessage(err)}`,
      {
        cause: err,
        fix: `Set the canary's weight to 0 by hand on ${traffic.description} now; see the rollback runbook in docs/canary.md.`,
      },
    );
  }
  const restoredAfterMs = clock.now() - decidedAt;
  await stopSources(sources, logger);
  return outcome('rolled-back', 0, failure, decidedAt, restoredAfterMs);

  function outcome(
    result: CanaryOutcome['result'],
    finalWeight: number,
    failed: typeof failure,
    decidedAt: number | undefined,
    restoredAfterMs: number | undefined,
  ): CanaryOutcome {
    return {
      result,
      weight: finalWeight,
      failedCheck: failed?.check,
      reason: failed?.reason,
      detectedAfterMs:
        decidedAt !== undefined && firstTrafficAt !== undefined ? decidedAt - firstTrafficAt : undefined,
      restoredAfterMs,
      steps,
      windows,
      firstTrafficAt,
    };
  }
}
