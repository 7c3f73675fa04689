/**
 * The Prometheus source against a real Prometheus (Debian's 2.42) scraping instrumented apps
 * every second: an erroring canary's error rate and a slow canary's p95 as a user's queries read
 * them over a 2 s interval, and every kind of answer a query can get (one series, a scalar, none,
 * NaN, +Inf, several series, a range vector, a refused query, no Prometheus at all). Skipped,
 * saying how to install it, where Prometheus is missing.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { afterAll, beforeAll, it } from '@jest/globals';
import {
  createLoadSource,
  createPrometheusSource,
  judge,
  parsePrometheusMetrics,
  runCanary,
  type MetricSource,
  type TrafficAdapter,
  type Window,
} from '@release-actions/shared/canary';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import { needsPrometheus, startPrometheus, type TestPrometheus } from '@release-actions/shared/testing';
import { startApp, type TestApp } from './app.ts';
import { canaryError } from './assert.ts';
import { skipIf } from '../jest-helpers.ts';

const DIGEST = `sha256:${'e'.repeat(64)}`;

const ERROR_RATE = `sum(rate(http_requests_total{version="{{ canary }}",code=~"5.."}[{{ interval }}])) / sum(rate(http_requests_total{version="{{ canary }}"}[{{ interval }}]))`;
const p95Of = (version: string) =>
  `histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket{version="${version}"}[{{ interval }}])) by (le))`;

/** The window that just ended, as the loop hands it to a source. */
function lastWindow(ms = 2000): Window {
  const end = Date.now();
  return { step: 1, weight: 100, index: 1, sequence: 1, start: end - ms, end, interval: `${ms / 1000}s` };
}

/** One metric's sample from Prometheus for the window that just ended. */
async function ask(prom: TestPrometheus, yaml: string, canary = DIGEST) {
  const source = createPrometheusSource({ url: prom.url, canary, metrics: parsePrometheusMetrics(yaml) });
  try {
    const samples = await source.sample(lastWindow());
    assert.equal(samples.length, 1);
    return samples[0]!;
  } finally {
    await source.stop?.();
  }
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

skipIf(needsPrometheus()).describe('Prometheus source against a real Prometheus', () => {
  let prom: TestPrometheus;
  let erroring: TestApp;
  let slow: TestApp;
  let stable: TestApp;
  let load: MetricSource;

  beforeAll(async () => {
    erroring = await startApp({ version: DIGEST, mode: { kind: 'erroring', fraction: 0.1 } });
    slow = await startApp({ version: 'slow', mode: { kind: 'slow', delayMs: 150 } });
    stable = await startApp({ version: 'stable' });
    prom = await startPrometheus({ scrapeTargets: [erroring.host, slow.host, stable.host] });
    // 20 requests a second to each app, for the whole file.
    load = createLoadSource({
      urls: [erroring.url, slow.url, stable.url],
      rate: 60,
      maxErrorRate: 100,
      maxP95Ms: 1000,
      minRequests: 1,
    });
    load.startStep?.({ step: 1, weight: 100 });
    // Prometheus applies its targets about 5 s after start; three scrapes give every 2 s range two samples.
    await prom.waitForTargets({ scrapes: 3, timeoutMs: 30_000 });
  });

  afterAll(async () => {
    await load?.stop?.();
    await prom?.stop();
    await Promise.all([erroring?.close(), slow?.close(), stable?.close()]);
  });

  it("reads an erroring canary's error rate (10 % of requests answer 500) and fails its max", async () => {
    const sample = await ask(prom, `- {name: error-rate, query: '${ERROR_RATE}', max: 0.01}`);
    assert.ok(
      sample.value !== undefined && sample.value > 0.04 && sample.value < 0.2,
      `error rate ${sample.value}`,
    );
    assert.equal(judge(sample).outcome, 'fail');
    // The detail is the query as sent: the digest and the interval filled in.
    assert.match(sample.detail!, new RegExp(`version="${DIGEST}",code=~"5.."}\\[2s\\]`));
  });

  it("reads a slow canary's p95 (150 ms added) from its histogram, and a healthy app's", async () => {
    const slowP95 = await ask(prom, `- {name: p95, query: '${p95Of('slow')}', max: 0.1}`);
    assert.ok(
      slowP95.value !== undefined && slowP95.value > 0.15 && slowP95.value < 0.5,
      `slow p95 ${slowP95.value}`,
    );
    assert.equal(judge(slowP95).outcome, 'fail');
    const stableP95 = await ask(prom, `- {name: p95, query: '${p95Of('stable')}', max: 0.1}`);
    assert.ok(stableP95.value !== undefined && stableP95.value < 0.05, `stable p95 ${stableP95.value}`);
    assert.equal(judge(stableP95).outcome, 'pass');
  });

  it('an empty result and NaN are no data; +Inf is a value that fails a max; a scalar is its value', async () => {
    const empty = await ask(prom, `- {name: p95, query: '${p95Of('absent')}', max: 0.1}`);
    assert.equal(empty.value, undefined);
    assert.equal(judge(empty).outcome, 'no-data');
    const nan = await ask(prom, '- {name: ratio, query: "vector(0) / vector(0)", max: 1, on-no-data: hold}');
    assert.equal(nan.value, undefined);
    assert.equal(nan.onNoData, 'hold');
    const inf = await ask(prom, '- {name: ratio, query: "vector(1) / vector(0)", max: 1}');
    assert.equal(inf.value, Infinity);
    assert.equal(judge(inf).outcome, 'fail');
    const scalar = await ask(prom, '- {name: targets, query: "scalar(sum(up))", min: 3}');
    assert.equal(scalar.value, 3);
    assert.equal(judge(scalar).outcome, 'pass');
  });

  it('several series are METRIC_ERROR telling to aggregate; so is a range vector', async () => {
    await assert.rejects(
      ask(
        prom,
        '- {name: requests, query: "sum(rate(http_requests_total[{{ interval }}])) by (version)", min: 1}',
      ),
      canaryError(
        'METRIC_ERROR',
        /metric "requests": the query returned 3 series \(\{version=.*not one number/,
      ),
    );
    await assert.rejects(
      ask(
        prom,
        '- {name: requests, query: "sum(rate(http_requests_total[{{ interval }}])) by (version)", min: 1}',
      ),
      (err: Error & { fix?: string }) => /sum\(\.\.\.\) or max\(\.\.\.\)/.test(err.fix ?? ''),
    );
    await assert.rejects(
      ask(prom, '- {name: raw, query: "http_requests_total{version=\\"stable\\"}[{{ interval }}]", min: 1}'),
      (err: Error & { fix?: string }) =>
        canaryError('METRIC_ERROR', /the query returned a matrix/)(err) &&
        /rate\(\.\.\.\)/.test(err.fix ?? ''),
    );
  });

  it("a query Prometheus refuses (400 bad_data) is METRIC_ERROR with Prometheus's own words", async () => {
    await assert.rejects(
      ask(prom, '- {name: p95, query: "sum(rate(http_requests_total[{{ interval }}])", max: 1}'),
      canaryError(
        'METRIC_ERROR',
        /metric "p95": Prometheus refused the query \(400 bad_data: .*unclosed left parenthesis\); the query was: sum\(rate\(http_requests_total\[2s\]\)$/,
      ),
    );
  });

  it('a wrong base URL and an unreachable Prometheus are METRIC_ERROR naming the URL', async () => {
    const metrics = parsePrometheusMetrics('- {name: up, query: "sum(up)", min: 1}');
    const wrong = createPrometheusSource({ url: `${prom.url}/nope`, canary: DIGEST, metrics });
    await assert.rejects(
      wrong.sample(lastWindow()),
      canaryError('METRIC_ERROR', /\/nope\/api\/v1\/query answered 404 with no Prometheus API answer/),
    );
    await wrong.stop?.();
    const port = await closedPort();
    const gone = createPrometheusSource({
      url: `http://127.0.0.1:${port}`,
      canary: DIGEST,
      metrics,
      http: new HttpClient({ retry: immediateRetryPolicy(2) }),
    });
    await assert.rejects(
      gone.sample(lastWindow()),
      canaryError(
        'METRIC_ERROR',
        new RegExp(`Prometheus at http://127.0.0.1:${port} could not be asked: .*ECONNREFUSED`),
      ),
    );
  });

  it('through the analysis loop: the erroring canary is rolled back on its Prometheus error rate', async () => {
    const weights: number[] = [];
    const traffic: TrafficAdapter = {
      description: 'recording router',
      setWeight: async (w) => void weights.push(w),
      current: async () => weights.at(-1),
    };
    const outcome = await runCanary({
      plan: { steps: [50, 100], stepDurationMs: 2000, intervalMs: 2000, failureLimit: 0 },
      traffic,
      sources: [
        createPrometheusSource({
          url: prom.url,
          canary: DIGEST,
          metrics: parsePrometheusMetrics(
            `- {name: error-rate, query: '${ERROR_RATE}', max: 0.01}\n- {name: p95, query: '${p95Of(DIGEST)}', max: 0.1}`,
          ),
        }),
      ],
    });
    assert.equal(outcome.result, 'rolled-back');
    assert.equal(outcome.failedCheck, 'error-rate');
    assert.deepEqual(weights, [50, 0]);
    const checks = outcome.windows[0]!.checks;
    assert.deepEqual(
      checks.map((c) => [c.metric, c.outcome]),
      [
        ['error-rate', 'fail'],
        ['p95', 'pass'],
      ],
    );
  });
});
