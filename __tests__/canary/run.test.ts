/**
 * The canary's analysis loop on a clock that does not wait: which weights the router is given,
 * when the canary is rolled back, and what is reported. The routers and metric sources here are
 * scripted; the real ones have their own integration tests.
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import {
  CanaryError,
  checkPlan,
  judge,
  parsePercent,
  parseSteps,
  runCanary,
  type CanaryPlan,
  type Clock,
  type MetricSample,
  type MetricSource,
  type TrafficAdapter,
  type Window,
} from '@release-actions/shared/canary';
import { withCode } from '../codes.ts';

/** Time that moves only when the loop sleeps. */
function fakeClock(): Clock & { t: number } {
  const clock = {
    t: 1_000_000,
    now: () => clock.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      clock.t += ms;
    },
  };
  return clock;
}

/** A router that records every weight it is given (and can be told to fail on one). */
function recordingRouter(failOn?: number): TrafficAdapter & { weights: number[] } {
  const weights: number[] = [];
  return {
    description: 'test router',
    weights,
    async setWeight(w) {
      if (w === failOn) throw new Error(`router refused weight ${w}`);
      weights.push(w);
    },
    async current() {
      return weights.at(-1);
    },
  };
}

/** A source whose metric takes the values given, one per window (the last repeats). */
function scripted(
  metric: string,
  values: Array<number | undefined>,
  more: Partial<MetricSample> = {},
): MetricSource & { windows: Window[] } {
  const windows: Window[] = [];
  return {
    description: `scripted ${metric}`,
    windows,
    async sample(window) {
      windows.push(window);
      const value = values[Math.min(windows.length - 1, values.length - 1)];
      return [{ metric, value, max: 1, unit: '%', onNoData: 'fail', ...more }];
    },
  };
}

const plan = (more: Partial<CanaryPlan> = {}): CanaryPlan => ({
  steps: [10, 50, 100],
  stepDurationMs: 30_000,
  intervalMs: 5_000,
  failureLimit: 0,
  ...more,
});

describe('runCanary', () => {
  it('a healthy canary goes through every step to 100%, six windows a step', async () => {
    const router = recordingRouter();
    const source = scripted('error-rate', [0]);
    const outcome = await runCanary({ plan: plan(), traffic: router, sources: [source], clock: fakeClock() });
    assert.equal(outcome.result, 'promoted');
    assert.equal(outcome.weight, 100);
    assert.deepEqual(router.weights, [10, 50, 100]);
    assert.equal(outcome.windows.length, 18);
    assert.deepEqual(
      outcome.steps.map((s) => [s.weight, s.windows, s.verdict]),
      [
        [10, 6, 'passed'],
        [50, 6, 'passed'],
        [100, 6, 'passed'],
      ],
    );
    assert.deepEqual(
      source.windows.slice(0, 2).map((w) => [w.step, w.index, w.sequence, w.end - w.start, w.interval]),
      [
        [1, 1, 1, 5000, '5s'],
        [1, 2, 2, 5000, '5s'],
      ],
    );
    assert.equal(outcome.failedCheck, undefined);
  });

  it('the first failed check rolls back at once: weight 0, the metric named, detected after one window', async () => {
    const router = recordingRouter();
    const clock = fakeClock();
    const outcome = await runCanary({
      plan: plan(),
      traffic: router,
      sources: [scripted('error-rate', [0]), scripted('p95', [4.8], { unit: 'ms', max: 3 })],
      clock,
    });
    assert.equal(outcome.result, 'rolled-back');
    assert.deepEqual(router.weights, [10, 0]);
    assert.equal(outcome.failedCheck, 'p95');
    assert.equal(outcome.detectedAfterMs, 5_000);
    assert.match(outcome.reason!, /^p95 4\.8 ms > 3 ms in step 1 \(10%\), window 1$/);
    assert.deepEqual(
      outcome.steps.map((s) => s.verdict),
      ['failed', 'not reached', 'not reached'],
    );
  });

  it('counted errors are judged by what max explains: 1 or 2 of 100 at 0.2% pass, 3 roll back, named with their p-value', async () => {
    const errors = [1, 2, 0, 1, 3];
    let window = 0;
    const source: MetricSource = {
      description: 'counted errors',
      async sample() {
        const k = errors[Math.min(window++, errors.length - 1)]!;
        return [
          {
            metric: 'error-rate',
            value: k,
            max: 0.2,
            unit: '%',
            onNoData: 'fail',
            counts: { events: k, trials: 100 },
          },
        ];
      },
    };
    const outcome = await runCanary({
      plan: plan(),
      traffic: recordingRouter(),
      sources: [source],
      clock: fakeClock(),
    });
    assert.equal(outcome.result, 'rolled-back');
    assert.deepEqual(
      outcome.windows.map((w) => [w.checks[0]!.value, w.checks[0]!.outcome]),
      [
        [1, 'pass'],
        [2, 'pass'],
        [0, 'pass'],
        [1, 'pass'],
        [3, 'fail'],
      ],
    );
    assert.equal(
      outcome.reason,
      'error-rate 3% (3 of 100) above 0.2% (p=0.0011 < 0.01) in step 1 (10%), window 5',
    );
    assert.ok(Math.abs(outcome.windows[1]!.checks[0]!.test!.pValue - 0.01739175) < 1e-8);
  });

  it('failure-limit: a metric may fail that many checks; one more rolls back', async () => {
    const router = recordingRouter();
    const outcome = await runCanary({
      plan: plan({ failureLimit: 2 }),
      traffic: router,
      sources: [scripted('error-rate', [0, 5, 0, 5, 0, 5])],
      clock: fakeClock(),
    });
    assert.equal(outcome.result, 'rolled-back');
    assert.equal(outcome.windows.length, 6, 'the third failure is in window 6');
    assert.match(outcome.reason!, /failed 3 checks, more than the failure limit of 2/);
  });

  it('no data: fail counts it, pass ignores it, hold waits until the step ends', async () => {
    const noData = (onNoData: 'fail' | 'pass' | 'hold', values: Array<number | undefined>) =>
      runCanary({
        plan: plan({ steps: [50, 100], stepDurationMs: 15_000 }),
        traffic: recordingRouter(),
        sources: [scripted('requests', values, { onNoData })],
        clock: fakeClock(),
      });
    const failed = await noData('fail', [undefined]);
    assert.equal(failed.result, 'rolled-back');
    assert.equal(failed.windows.length, 1);
    assert.match(failed.reason!, /requests: no data/);

    const passed = await noData('pass', [undefined]);
    assert.equal(passed.result, 'promoted');

    const heldThenData = await noData('hold', [undefined, undefined, 0]);
    assert.equal(heldThenData.result, 'promoted', 'data arrived in the step’s last window');
    assert.deepEqual(
      heldThenData.windows.slice(0, 3).map((w) => w.checks[0]!.outcome),
      ['no-data', 'no-data', 'pass'],
    );

    const heldForever = await noData('hold', [undefined]);
    assert.equal(heldForever.result, 'rolled-back');
    assert.equal(heldForever.windows.length, 3, 'held through the first step, failed at its end');
    assert.match(heldForever.windows[2]!.checks[0]!.detail!, /no data by the end of step 1/);
  });

  it('NaN is no data', () => {
    assert.equal(
      judge({ metric: 'x', value: Number.NaN, max: 1, unit: '', onNoData: 'fail' }).outcome,
      'no-data',
    );
    assert.equal(judge({ metric: 'x', value: 2, min: 3, unit: '', onNoData: 'fail' }).outcome, 'fail');
    assert.equal(
      judge({ metric: 'x', value: 9, max: 1, unit: '', onNoData: 'fail', verdict: 'pass' }).outcome,
      'pass',
    );
  });

  it('a source that throws rolls the canary back, naming the error', async () => {
    const router = recordingRouter();
    const broken: MetricSource = {
      description: 'broken',
      sample: async () => {
        throw new Error('prometheus answered 503');
      },
    };
    const outcome = await runCanary({ plan: plan(), traffic: router, sources: [broken], clock: fakeClock() });
    assert.equal(outcome.result, 'rolled-back');
    assert.deepEqual(router.weights, [10, 0]);
    assert.match(outcome.reason!, /the analysis stopped: prometheus answered 503/);
    assert.equal(outcome.steps[0]!.verdict, 'failed');
  });

  it('a weight that cannot be set mid-way rolls back; one that cannot be set back to 0 is TRAFFIC_ERROR with the fix', async () => {
    const router = recordingRouter(50);
    const outcome = await runCanary({
      plan: plan(),
      traffic: router,
      sources: [scripted('e', [0])],
      clock: fakeClock(),
    });
    assert.equal(outcome.result, 'rolled-back');
    assert.deepEqual(router.weights, [10, 0]);
    assert.match(outcome.reason!, /router refused weight 50/);

    await assert.rejects(
      runCanary({
        plan: plan(),
        traffic: recordingRouter(0),
        sources: [scripted('e', [5])],
        clock: fakeClock(),
      }),
      (err: Error & { fix?: string }) => {
        withCode(CanaryError, 'TRAFFIC_ERROR')(err);
        assert.match(err.message, /could not be moved back to stable/);
        assert.match(err.fix!, /Set the canary's weight to 0 by hand on test router/);
        return true;
      },
    );
  });

  it('cancellation rolls back', async () => {
    const controller = new AbortController();
    const router = recordingRouter();
    const clock = fakeClock();
    const source = scripted('e', [0]);
    const sample = source.sample.bind(source);
    source.sample = async (w) => {
      if (w.sequence === 2) controller.abort(new Error('cancelled'));
      return sample(w);
    };
    const outcome = await runCanary({
      plan: plan(),
      traffic: router,
      sources: [source],
      clock,
      signal: controller.signal,
    });
    assert.equal(outcome.result, 'rolled-back');
    assert.equal(outcome.reason, 'the job was cancelled');
    assert.deepEqual(router.weights, [10, 0]);
  });

  it('stops every source once, whatever the outcome', async () => {
    let stops = 0;
    const source: MetricSource = { ...scripted('e', [5]), stop: async () => void stops++ };
    await runCanary({ plan: plan(), traffic: recordingRouter(), sources: [source], clock: fakeClock() });
    assert.equal(stops, 1);
  });
});

describe('canary plan parsers', () => {
  it('steps: increasing whole percentages ending at 100', () => {
    assert.deepEqual(parseSteps('10,50,100'), [10, 50, 100]);
    assert.deepEqual(parseSteps('5%\n25%\n100%'), [5, 25, 100]);
    assert.deepEqual(parseSteps('100'), [100]);
    assert.throws(() => parseSteps('10,abc'), /"abc" is not a whole percentage: give increasing percentages/);
    assert.throws(() => parseSteps('50,10,100'), /10 does not increase on 50/);
    assert.throws(() => parseSteps('10,50'), /ends at 50, not 100/);
    assert.throws(() => parseSteps('0,100'), /0 is out of range/);
    assert.throws(() => parseSteps(''), /is empty/);
  });

  it('percentages', () => {
    assert.equal(parsePercent('0.2%'), 0.2);
    assert.equal(parsePercent('5%'), 5);
    assert.equal(parsePercent('0'), 0);
    assert.throws(() => parsePercent('0.2'), /not a percentage: use a percentage such as 0\.2% or 5%/);
    assert.throws(() => parsePercent('101%'), /over 100%/);
  });

  it('a step shorter than one interval is refused', () => {
    assert.throws(() => checkPlan(plan({ stepDurationMs: 1_000 })), withCode(CanaryError, 'INVALID_PLAN'));
    assert.deepEqual(checkPlan(plan()), plan());
  });
});
