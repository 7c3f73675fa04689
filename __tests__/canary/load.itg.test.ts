/**
 * The built-in load on the real clock against instrumented loopback apps: healthy, erroring (5 %
 * answer 500) and slow ones, apps that time out or refuse connections, and the Mann-Whitney
 * comparison of a canary with a baseline under the same load. Counts are asserted within ±10 % of
 * rate × duration; latencies only against thresholds far from what the apps do.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createLoadSource,
  judge,
  runCanary,
  type LoadSourceOptions,
  type MetricSample,
  type TrafficAdapter,
  type Window,
} from '@release-actions/shared/canary';
import { startApp, type TestApp } from './app.ts';

/** Runs the load for one window of `ms` and returns its samples by metric, with the window. */
async function oneWindow(
  options: LoadSourceOptions,
  ms = 2000,
): Promise<{ samples: Record<string, MetricSample>; window: Window; requests: number }> {
  const source = createLoadSource(options);
  try {
    source.startStep?.({ step: 1, weight: 100 });
    const start = Date.now();
    await sleep(ms);
    const end = Date.now();
    const window: Window = {
      step: 1,
      weight: 100,
      index: 1,
      sequence: 1,
      start,
      end,
      interval: `${ms / 1000}s`,
    };
    const list = await source.sample(window);
    const samples = Object.fromEntries(list.map((s) => [s.metric, s]));
    return { samples, window, requests: requestsOf(samples['error-rate']!) };
  } finally {
    await source.stop?.();
  }
}

function requestsOf(sample: MetricSample): number {
  const n = /^(\d+) requests/.exec(sample.detail ?? '')?.[1];
  assert.ok(n !== undefined, `no request count in ${sample.detail}`);
  return Number(n);
}

/** The count is within ±10 % of rate × the window's length. */
function assertRate(requests: number, rate: number, window: Window): void {
  const expected = (rate * (window.end - window.start)) / 1000;
  console.log(
    `${requests} requests in ${window.end - window.start} ms: ${((requests * 1000) / (window.end - window.start)).toFixed(1)} req/s of ${rate}`,
  );
  assert.ok(
    Math.abs(requests - expected) <= expected * 0.1,
    `${requests} requests, expected ${expected} ± 10 %`,
  );
}

const options = (urls: string[], more: Partial<LoadSourceOptions> = {}): LoadSourceOptions => ({
  urls,
  rate: 50,
  maxErrorRate: 1,
  maxP95Ms: 300,
  minRequests: 20,
  ...more,
});

describe('built-in load against loopback apps', () => {
  let healthy: TestApp;
  let healthy2: TestApp;
  let erroring: TestApp;
  let slow: TestApp;
  let hanging: TestApp;

  beforeAll(async () => {
    healthy = await startApp({ version: 'stable' });
    healthy2 = await startApp({ version: 'baseline' });
    erroring = await startApp({ version: 'canary', mode: { kind: 'erroring', fraction: 0.05 } });
    slow = await startApp({ version: 'canary', mode: { kind: 'slow', delayMs: 400 } });
    hanging = await startApp({ version: 'canary', mode: { kind: 'slow', delayMs: 5000 } });
  });
  afterAll(() => Promise.all([healthy, healthy2, erroring, slow, hanging].map((a) => a?.close())));

  it('a healthy app: error rate 0, p95 small, and the requests rate × duration ± 10 %', async () => {
    const before = healthy.requests;
    const { samples, window, requests } = await oneWindow(options([healthy.url], { rate: 100 }));
    assertRate(requests, 100, window);
    assert.equal(samples['error-rate']!.value, 0);
    assert.equal(samples['error-rate']!.detail, `${requests} requests, 0 errors`);
    assert.ok(samples['p95']!.value! < 300, `p95 ${samples['p95']!.value} ms`);
    assert.equal(judge(samples['p95']!).outcome, 'pass');
    console.log(samples['p95']!.detail!);
    // Only the URL given was loaded (the app counts each request it answers), and nothing after stop().
    const sent = healthy.requests - before;
    await sleep(200);
    assert.equal(healthy.requests - before, sent);
  });

  it('an app failing 5 % of requests: an error rate near 5 %, 500s counted in the detail, the check failed', async () => {
    const { samples, window, requests } = await oneWindow(
      options([erroring.url], { rate: 100, maxErrorRate: 0.2 }),
    );
    assertRate(requests, 100, window);
    const errorRate = samples['error-rate']!;
    assert.ok(
      errorRate.value! > 0.2 && errorRate.value! >= 2 && errorRate.value! <= 10,
      `error rate ${errorRate.value} %`,
    );
    assert.match(errorRate.detail!, new RegExp(`^${requests} requests, \\d+ errors \\(500×\\d+\\)$`));
    assert.equal(errorRate.unit, '%');
    assert.equal(judge(errorRate).outcome, 'fail');
    assert.equal(judge(samples['p95']!).outcome, 'pass');
  });

  it('an app 400 ms slow: p95 above the 300 ms threshold, no errors', async () => {
    const { samples, window, requests } = await oneWindow(options([slow.url]));
    assertRate(requests, 50, window);
    assert.ok(samples['p95']!.value! > 300, `p95 ${samples['p95']!.value} ms`);
    assert.equal(judge(samples['p95']!).outcome, 'fail');
    assert.equal(samples['error-rate']!.value, 0);
  });

  it('requests spread over several URLs in turn', async () => {
    const [a, b] = [healthy.requests, healthy2.requests];
    const { requests } = await oneWindow(options([healthy.url, healthy2.url], { rate: 40 }), 1000);
    const [da, db] = [healthy.requests - a, healthy2.requests - b];
    assert.ok(Math.abs(da - db) <= 1, `${da} and ${db} requests`);
    assert.ok(da + db >= requests);
  });

  it('a request past its timeout is an error, and the window waits for it only that long', async () => {
    const started = Date.now();
    const { samples, window } = await oneWindow(
      options([hanging.url], { rate: 20, timeoutMs: 300, minRequests: 5 }),
      1000,
    );
    const waited = Date.now() - started - (window.end - window.start);
    assert.equal(samples['error-rate']!.value, 100);
    assert.match(samples['error-rate']!.detail!, /^\d+ requests, \d+ errors? \(timeout×\d+\)$/);
    assert.equal(samples['p95']!.value, undefined);
    assert.match(samples['p95']!.detail!, /none successful/);
    assert.ok(waited < 1000, `sampling took ${waited} ms after the window`);
  });

  it('a refused connection is an error named by its code', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const { samples, requests } = await oneWindow(
      options([`http://127.0.0.1:${port}/`], { minRequests: 5 }),
      500,
    );
    assert.equal(samples['error-rate']!.value, 100);
    assert.equal(
      samples['error-rate']!.detail,
      `${requests} requests, ${requests} errors (ECONNREFUSED×${requests})`,
    );
  });

  describe('compared with a baseline (Mann-Whitney)', () => {
    it('a canary 20 ms slower than its healthy baseline fails latency-vs-baseline', async () => {
      const slower = await startApp({ version: 'canary', mode: { kind: 'slow', delayMs: 20 } });
      try {
        const before = healthy.requests;
        const { samples, window, requests } = await oneWindow(
          options([slower.url], { compare: 'mann-whitney', baselineUrls: [healthy.url], maxP95Ms: 1000 }),
        );
        assertRate(requests, 50, window);
        assertRate(healthy.requests - before, 50, window);
        const comparison = samples['latency-vs-baseline']!;
        console.log(comparison.detail!);
        assert.equal(comparison.verdict, 'fail');
        assert.equal(judge(comparison).outcome, 'fail');
        assert.ok(comparison.value! > 2, `effect ${comparison.value}`);
        assert.match(comparison.detail!, /significantly slower/);
        // The canary's own thresholds pass: only the comparison sees it.
        assert.equal(judge(samples['p95']!).outcome, 'pass');
      } finally {
        await slower.close();
      }
    });

    it('a healthy canary against a healthy baseline passes', async () => {
      const { samples } = await oneWindow(
        options([healthy2.url], { compare: 'mann-whitney', baselineUrls: [healthy.url] }),
      );
      const comparison = samples['latency-vs-baseline']!;
      console.log(comparison.detail!);
      assert.equal(comparison.verdict, 'pass');
      assert.equal(judge(comparison).outcome, 'pass');
    });

    it('too few values is no data, failed by onNoData', async () => {
      const { samples } = await oneWindow(
        options([healthy2.url], {
          compare: 'mann-whitney',
          baselineUrls: [healthy.url],
          rate: 10,
          minRequests: 50,
        }),
        1000,
      );
      const comparison = samples['latency-vs-baseline']!;
      assert.equal(comparison.value, undefined);
      assert.equal(comparison.verdict, undefined);
      assert.equal(comparison.onNoData, 'fail');
      assert.match(comparison.detail!, /too few latency values/);
    });
  });

  describe('in the analysis loop', () => {
    const router = (): TrafficAdapter & { weights: number[] } => {
      const weights: number[] = [];
      return {
        description: 'recording router',
        weights,
        setWeight: async (w) => void weights.push(w),
        current: async () => weights.at(-1),
      };
    };

    it('a healthy canary is promoted; every window has rate × interval requests; the overhead between windows is small', async () => {
      const traffic = router();
      const rate = 50;
      const before = healthy.requests;
      const outcome = await runCanary({
        plan: { steps: [50, 100], stepDurationMs: 2000, intervalMs: 1000, failureLimit: 0 },
        traffic,
        sources: [createLoadSource(options([healthy.url], { rate, minRequests: 20 }))],
      });
      assert.equal(outcome.result, 'promoted', outcome.reason);
      assert.deepEqual(traffic.weights, [50, 100]);
      assert.equal(outcome.windows.length, 4);
      for (const w of outcome.windows) {
        const requests = requestsOf(w.checks.find((c) => c.metric === 'error-rate')!);
        assertRate(requests, rate, w);
      }
      const gaps = outcome.windows.slice(1).map((w, i) => w.start - outcome.windows[i]!.end);
      console.log(`gaps between windows: ${gaps.join(', ')} ms`);
      assert.ok(
        gaps.every((g) => g < 500),
        `gaps ${gaps.join(', ')} ms`,
      );
      // The load stopped with the analysis.
      const sent = healthy.requests - before;
      await sleep(200);
      assert.equal(healthy.requests - before, sent);
    });

    it('each window waits for its own requests still in flight: with a 400 ms app, all are counted and the gap is about that latency', async () => {
      const rate = 50;
      const outcome = await runCanary({
        plan: { steps: [100], stepDurationMs: 3000, intervalMs: 1000, failureLimit: 0 },
        traffic: router(),
        sources: [createLoadSource(options([slow.url], { rate, maxP95Ms: 1000, minRequests: 20 }))],
      });
      assert.equal(outcome.result, 'promoted', outcome.reason);
      for (const w of outcome.windows) {
        const requests = requestsOf(w.checks.find((c) => c.metric === 'error-rate')!);
        assertRate(requests, rate, w);
        assert.equal(w.checks.find((c) => c.metric === 'error-rate')!.value, 0);
      }
      const gaps = outcome.windows.slice(1).map((w, i) => w.start - outcome.windows[i]!.end);
      console.log(`gaps between windows: ${gaps.join(', ')} ms`);
      assert.ok(
        gaps.every((g) => g >= 350 && g < 1500),
        `gaps ${gaps.join(', ')} ms`,
      );
    });

    it('a slow canary is rolled back on p95 in its first window', async () => {
      const traffic = router();
      const outcome = await runCanary({
        plan: { steps: [10, 100], stepDurationMs: 2000, intervalMs: 1000, failureLimit: 0 },
        traffic,
        sources: [createLoadSource(options([slow.url], { rate: 50, minRequests: 20 }))],
      });
      assert.equal(outcome.result, 'rolled-back');
      assert.equal(outcome.failedCheck, 'p95');
      assert.deepEqual(traffic.weights, [10, 0]);
      assert.equal(outcome.windows.length, 1);
      console.log(`${outcome.reason}; detected after ${outcome.detectedAfterMs} ms`);
    });
  });
});
