/**
 * The built-in load's options and its schedule. The schedule runs on a clock whose timers fire
 * late, as real timers do under load: a sender that waits one period after each request (as
 * setInterval or a sleep loop does) under-sends there, one that keeps deadlines does not. The
 * requests themselves go to a loopback app; the load against healthy, erroring and slow apps is in
 * load.itg.test.ts.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { setImmediate as tick } from 'node:timers/promises';
import {
  createLoadSource,
  describeCheck,
  judge,
  type Clock,
  type LoadSourceOptions,
  type Window,
} from '@release-actions/shared/canary';
import { startApp, type TestApp } from './app.ts';
import { canaryError } from './assert.ts';

/** Time that moves only when the load sleeps, and every sleep ends `lateMs` after it was due. */
function lateClock(lateMs: number): Clock & { t: number } {
  const clock = {
    t: 1_000_000,
    now: () => clock.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      await tick();
      if (signal?.aborted) throw signal.reason;
      clock.t += ms + lateMs;
    },
  };
  return clock;
}

function windowOf(start: number, end: number): Window {
  return { step: 1, weight: 100, index: 1, sequence: 1, start, end, interval: `${(end - start) / 1000}s` };
}

const base = (url: string): LoadSourceOptions => ({
  urls: [url],
  rate: 10,
  maxErrorRate: 1,
  maxP95Ms: 300,
  minRequests: 5,
});

describe('createLoadSource: options', () => {
  it('refuses options that cannot make a load, naming the option', () => {
    const url = 'http://127.0.0.1:1/';
    const cases: Array<[Partial<LoadSourceOptions>, RegExp]> = [
      [{ urls: [] }, /the load has no urls/],
      [{ urls: ['canary/healthz'] }, /urls: "canary\/healthz" is not a URL/],
      [{ urls: ['canary:8080/'] }, /urls: canary:8080\/ is not an http\(s\) URL/],
      [{ urls: ['ftp://canary/'] }, /urls: ftp:\/\/canary\/ is not an http\(s\) URL/],
      [{ rate: 0 }, /rate 0 is not a number of requests per second above 0 and up to 1000/],
      [{ rate: 5000 }, /rate 5000 is not/],
      [{ maxErrorRate: 101 }, /maxErrorRate 101 is not a percentage from 0 to 100/],
      [{ maxP95Ms: 0 }, /maxP95Ms 0 is not a number of milliseconds above 0/],
      [{ minRequests: 2.5 }, /minRequests 2.5 is not a whole number of 1 or more/],
      [{ timeoutMs: -1 }, /timeoutMs -1 is not/],
      [{ compare: 'mann-whitney' }, /the load has no baselineUrls/],
      [{ baselineUrls: [url] }, /baselineUrls are given but compare is none/],
    ];
    for (const [patch, message] of cases)
      assert.throws(() => createLoadSource({ ...base(url), ...patch }), canaryError('INVALID_PLAN', message));
  });

  it('describes itself by its rate and targets', () => {
    const source = createLoadSource({
      ...base('http://canary:8080/healthz'),
      urls: ['http://canary:8080/healthz', 'http://canary:8080/'],
      rate: 20,
      compare: 'mann-whitney',
      baselineUrls: ['http://stable:8080/healthz'],
    });
    assert.equal(
      source.description,
      'load 20 req/s → http://canary:8080/healthz (+1 more), baseline http://stable:8080/healthz',
    );
  });
});

describe('createLoadSource: schedule', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ version: 'canary' });
  });
  afterAll(() => app?.close());

  it('keeps its rate when every timer fires 4 ms late: 100 req/s gives 200 requests in 2 s, not 143', async () => {
    const clock = lateClock(4);
    const source = createLoadSource({ ...base(app.url), rate: 100, minRequests: 1, clock });
    const start = clock.now();
    source.startStep?.({ step: 1, weight: 100 });
    while (clock.now() < start + 2100) await tick();
    const [errorRate] = await source.sample(windowOf(start, start + 2000));
    await source.stop?.();
    const requests = Number(/^(\d+) requests/.exec(errorRate!.detail!)?.[1]);
    assert.ok(Math.abs(requests - 200) <= 2, `${requests} requests in the window (${errorRate!.detail})`);
    assert.equal(errorRate!.value, 0);
  });

  it('sends nothing before the first step and nothing after stop(); a window with too few requests has no data', async () => {
    const clock = lateClock(0);
    const before = app.requests;
    const source = createLoadSource({ ...base(app.url), rate: 10, minRequests: 50, clock });
    for (let i = 0; i < 20; i++) await tick();
    assert.equal(app.requests, before, 'no request before startStep');
    const start = clock.now();
    source.startStep?.({ step: 1, weight: 10 });
    source.startStep?.({ step: 2, weight: 50 }); // a later step keeps the one load going
    while (clock.now() < start + 1000) await tick();
    const samples = await source.sample(windowOf(start, start + 1000));
    await source.stop?.();
    const sent = app.requests - before;
    assert.ok(sent >= 10 && sent <= 11, `${sent} requests in 1 s at 10 req/s`);
    for (let i = 0; i < 20; i++) await tick();
    assert.equal(app.requests - before, sent, 'no request after stop()');
    assert.deepEqual(
      samples.map((s) => [s.metric, s.value, s.unit, s.max, s.onNoData]),
      [
        ['error-rate', undefined, '%', 1, 'fail'],
        ['p95', undefined, 'ms', 300, 'fail'],
      ],
    );
    assert.match(samples[0]!.detail!, /^10 requests, fewer than the 50 needed$/);
  });
});

describe('createLoadSource: error-rate, judged by what max-error-rate explains', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ version: 'canary' });
  });
  afterAll(() => app?.close());

  /** The error-rate check of one window of 100 requests (100 req/s for 1 s) to an app erring at `fraction`. */
  async function errorRateOf(fraction: number, maxErrorRate: number) {
    app.setMode({ kind: 'erroring', fraction });
    const clock = lateClock(0);
    const source = createLoadSource({ ...base(app.url), rate: 100, maxErrorRate, minRequests: 10, clock });
    const start = clock.now();
    source.startStep?.({ step: 1, weight: 10 });
    while (clock.now() < start + 1100) await tick();
    const [errorRate] = await source.sample(windowOf(start, start + 1000));
    await source.stop?.();
    return judge(errorRate!);
  }

  it('passes a window of 100 requests with 1 error at max 0.2% (p=0.18), and fails one with 5 (p=2e-6)', async () => {
    const one = await errorRateOf(0.01, 0.2);
    assert.equal(one.value, 1);
    assert.equal(one.outcome, 'pass', describeCheck(one));
    assert.equal(describeCheck(one), 'error-rate 1% (1 of 100) within what 0.2% explains (p=0.18 ≥ 0.01)');
    assert.equal(one.detail, '100 requests, 1 error (500×1)');

    const five = await errorRateOf(0.05, 0.2);
    assert.equal(five.value, 5);
    assert.equal(five.outcome, 'fail', describeCheck(five));
    assert.equal(describeCheck(five), 'error-rate 5% (5 of 100) above 0.2% (p=0.0000021 < 0.01)');
  });

  it('still fails on any error with max 0, and passes a window without errors', async () => {
    const one = await errorRateOf(0.01, 0);
    assert.equal(one.outcome, 'fail');
    assert.equal(one.test?.pValue, 0);
    const none = await errorRateOf(0, 0);
    assert.equal(none.outcome, 'pass');
    assert.equal(describeCheck(none), 'error-rate 0% (0 of 100) within what 0% explains (p=1 ≥ 0.01)');
  });
});
