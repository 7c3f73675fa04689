/** The canary's `analysis` output and charts, from an outcome built by hand. */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { judge, type CanaryOutcome } from '@release-actions/shared/canary';
import { analysisJson, charts, checkLines } from '../../actions/canary/src/report.ts';

const outcome: CanaryOutcome = {
  result: 'rolled-back',
  weight: 0,
  failedCheck: 'p95',
  reason: 'p95 +Inf ms > 250 ms',
  detectedAfterMs: 1000,
  restoredAfterMs: 3,
  firstTrafficAt: 10_000,
  steps: [{ step: 1, weight: 10, windows: 2, verdict: 'failed' }],
  windows: [1, 2].map((index) => ({
    step: 1,
    weight: 10,
    index,
    sequence: index,
    start: 10_000 + (index - 1) * 500,
    end: 10_000 + index * 500,
    interval: '500ms',
    checks: [
      {
        metric: 'error-rate',
        value: index === 1 ? 0 : undefined,
        max: 0.2,
        unit: '%',
        onNoData: 'pass',
        outcome: index === 1 ? 'pass' : 'no-data',
      },
      {
        metric: 'p95',
        value: index === 1 ? 12 : Infinity,
        max: 250,
        unit: 'ms',
        onNoData: 'fail',
        outcome: index === 1 ? 'pass' : 'fail',
      },
    ],
  })),
};

describe('canary report', () => {
  it('analysis: an infinite value is "+Inf", no data is null, and the restore time is there', () => {
    const json = analysisJson(outcome) as {
      windows: Array<{ checks: Array<{ value: unknown }> }>;
      restoredAfterMs: number;
    };
    assert.deepEqual(
      json.windows.map((w) => w.checks.map((c) => c.value)),
      [
        [0, 12],
        [null, '+Inf'],
      ],
    );
    assert.equal(json.restoredAfterMs, 3);
    assert.equal(JSON.parse(JSON.stringify(json)).windows[1].checks[1].value, '+Inf');
  });

  it('charts: the weight with the percentages, the latencies apart, seconds from the first traffic', () => {
    const text = charts(outcome);
    assert.match(
      text,
      /```mermaid\nxychart-beta\n {2}title "Canary weight \(bars\) and error-rate \(lines\), %"\n {2}x-axis "seconds of canary traffic" \[0\.5, 1\]/,
    );
    assert.match(text, /bar \[10, 10\]\n {2}line \[0, 0\]/);
    assert.match(text, /title "p95, ms"/);
    assert.doesNotMatch(text, /Infinity|NaN/, 'mermaid takes finite numbers only');
  });

  it('a counted error rate above max that the test passes: a ✓ line saying so, and the counts and p-value in analysis', () => {
    const check = judge({
      metric: 'error-rate',
      value: 1,
      max: 0.2,
      unit: '%',
      onNoData: 'fail',
      counts: { events: 1, trials: 100 },
      detail: '100 requests, 1 error (500×1)',
    });
    assert.deepEqual(checkLines([check]), [
      '✓ error-rate 1% (1 of 100) within what 0.2% explains (p=0.18 ≥ 0.01) (100 requests, 1 error (500×1))',
    ]);
    const json = analysisJson({ ...outcome, windows: [{ ...outcome.windows[0]!, checks: [check] }] }) as {
      windows: Array<{ checks: Array<Record<string, unknown>> }>;
    };
    const c = json.windows[0]!.checks[0]!;
    assert.deepEqual(
      [c.value, c.max, c.events, c.trials, c.alpha, c.outcome],
      [1, 0.2, 1, 100, 0.01, 'pass'],
    );
    assert.ok(Math.abs((c.pValue as number) - 0.1814332) < 1e-7);
  });
});
