/**
 * Benchmark of issue 13: how fast a bad canary is taken away from users, and whether a healthy one
 * is ever taken away, at the canary action's default settings, against Flagger's default schedule.
 *
 * The committed actions/canary bundle is run as the runner runs it (a Node 24 process, every input
 * of action.yml at its default unless set here), in front of a real HAProxy (Debian's 2.6: runtime
 * API weights) splitting users' traffic between two instrumented test apps, the canary images
 * key-signed on a loopback docker-registry.
 *
 * 1. Bad canary (every 20th request answers 500: 5 % errors), defaults: steps 10,50,100, 30s
 *    steps, 5s windows, failure-limit 0, built-in load 20 req/s on the canary, max-error-rate 0.2%,
 *    max-p95 300ms, min-requests 10. Meanwhile users send --user-rate req/s through HAProxy's
 *    frontend. Measured: the action's detected-after plus the time until stable had all traffic
 *    back (from its summary), the span during which HAProxy's counters show the canary answering
 *    users (polled every 100 ms), and the users' requests that failed (5xx: the stable app never
 *    fails, so every one came from the canary). Against Flagger's defaults, computed (no Flagger
 *    runs here; it needs Kubernetes): see FLAGGER below.
 * 2. Healthy canary, --healthy-runs times: how many were rolled back (the goal is none). A run at
 *    the defaults analyses 3 steps × 6 windows of 5 s (90 s); to stay within a few minutes each run
 *    here keeps steps 10,50,100 but analyses one 5 s window per step (step-duration 5s). Every
 *    window is decided exactly as at the defaults (the built-in load goes to the canary itself at
 *    20 req/s whatever its weight: 100 requests, errors within what 0.2 % explains, p95 ≤ 300 ms,
 *    ≥ 10 requests), so the per-window false-rollback rate carries over; the table also gives it
 *    per default run.
 *
 *   node bench/canary/index.ts [--runs 3] [--healthy-runs 20] [--user-rate 50]
 *
 * Everything stays on 127.0.0.1; every loop is bounded (runs, a cap on each traffic generator,
 * a timeout on every request and every action run).
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import { HaproxyTraffic } from '@release-actions/shared/canary';
import { parseDuration } from '@release-actions/shared/github';
import { RegistryClient } from '@release-actions/shared/oci';
import { createKeySigner, publicKeyToPem, signImage } from '@release-actions/shared/sign';
import { runAction, startHaproxy, startRegistry } from '@release-actions/shared/testing';
import { startApp } from '../../__tests__/canary/app.ts';
import { makeImage, push } from '../../__tests__/images.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'healthy-runs': { type: 'string', default: '20' },
    'user-rate': { type: 'string', default: '50' },
  },
});
const RUNS = Math.min(20, Math.max(1, Number(args.runs)));
const HEALTHY_RUNS = Math.min(100, Math.max(0, Number(args['healthy-runs'])));
const USER_RATE = Math.min(500, Math.max(1, Number(args['user-rate'])));
const ERROR_FRACTION = 0.05;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = resolve(ROOT, 'actions/canary/dist/index.js');

/**
 * Flagger's default schedule, from its scheduler (pkg/controller/scheduler.go, advanceCanary) and
 * API defaults (analysis interval 60s, threshold 1, metric interval 1m). Each tick of `interval`
 * does one of: route the first stepWeight to the canary (tick 0, its first traffic); run the metric
 * checks and, when one fails, add 1 to failedChecks (tick 1, 60 s later, over the last minute);
 * and, because a tick compares failedChecks with the threshold *before* it runs the checks, roll
 * back only at the next tick (tick 2). So a canary that fails from its first request is rolled back
 * (threshold + 1) × interval = 120 s after its first traffic. Flagger's docs give "interval ×
 * threshold" (60 s), the failing ticks alone: the table shows that too, as Flagger's best case.
 */
const FLAGGER = { intervalS: 60, threshold: 1, stepWeight: 10 };
const flaggerRollbackS = (FLAGGER.threshold + 1) * FLAGGER.intervalS;
const flaggerDocsS = FLAGGER.threshold * FLAGGER.intervalS;
/** Users' requests that fail under a schedule: rate × canary weight × error fraction × time. */
const failedFor = (seconds: number) => USER_RATE * (FLAGGER.stepWeight / 100) * ERROR_FRACTION * seconds;

/** Every input at its action.yml default, as the runner passes them (the token left empty). */
function actionDefaults(): Record<string, string> {
  const spec = parseYaml(readFileSync(resolve(ROOT, 'actions/canary/action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
  };
  const out: Record<string, string> = {};
  for (const [name, input] of Object.entries(spec.inputs))
    if (input.default !== undefined && !input.default.includes('${{')) out[name] = input.default;
  return out;
}

interface UserRequest {
  sentAt: number;
  status: number | 'error';
}

/**
 * Users: an open model of `rate` GET requests a second to `url` on average, arriving as a Poisson
 * process (independent users: exponential gaps, whatever the answers), keep-alive connections,
 * each request timed out after 5 s; it stops by itself after `capMs`. (Evenly spaced users would
 * lock step with the built-in load's own schedule and with the test app's evenly spread errors,
 * so that every 500 went to users or none did.)
 */
function startUsers(url: string, rate: number, capMs: number): { stop(): Promise<UserRequest[]> } {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const records: UserRequest[] = [];
  const inFlight = new Set<Promise<void>>();
  const start = Date.now();
  let next = start;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const send = (): void => {
    const record: UserRequest = { sentAt: Date.now(), status: 'error' };
    records.push(record);
    const done = new Promise<void>((resolve) => {
      const req = get(url, { agent, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => {
          record.status = res.statusCode ?? 'error';
          resolve();
        });
        res.on('error', () => resolve());
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve());
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  const tick = (): void => {
    if (stopped || Date.now() - start > capMs) return;
    while (next <= Date.now()) {
      send();
      next += (-Math.log(1 - Math.random()) * 1000) / rate;
    }
    timer = setTimeout(tick, next - Date.now());
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.all(inFlight);
      agent.destroy();
      return records;
    },
  };
}

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: 2000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

interface CanaryCounts {
  at: number;
  /** Responses the canary server gave through HAProxy, and of those the 5xx. */
  total: number;
  errors: number;
}

/** HAProxy's exporter: the canary server's response counters. */
async function canaryCounts(metricsUrl: string): Promise<CanaryCounts> {
  const text = await getText(metricsUrl);
  let total = 0;
  let errors = 0;
  for (const m of text.matchAll(
    /^haproxy_server_http_responses_total\{proxy="app",server="canary",code="(\w+)"\} (\d+)$/gm,
  )) {
    total += Number(m[2]);
    if (m[1] === '5xx') errors += Number(m[2]);
  }
  return { at: Date.now(), total, errors };
}

/** Polls the exporter every 100 ms until stopped (or after `capMs`). */
function startPolling(metricsUrl: string, capMs: number): { stop(): Promise<CanaryCounts[]> } {
  const samples: CanaryCounts[] = [];
  const start = Date.now();
  let stopped = false;
  const loop = (async () => {
    while (!stopped && Date.now() - start < capMs) {
      samples.push(await canaryCounts(metricsUrl));
      await sleep(100);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      samples.push(await canaryCounts(metricsUrl));
      return samples;
    },
  };
}

/** From the first to the last poll at which the canary's counter had moved on: how long users reached it. */
function canarySpanMs(samples: CanaryCounts[]): number {
  const base = samples[0]!.total;
  const first = samples.findIndex((s) => s.total > base);
  if (first < 0) return 0;
  const last = samples.findIndex((s) => s.total === samples.at(-1)!.total);
  // The counter first moved between polls first-1 and first, and last moved between last-1 and last.
  return samples[last]!.at - samples[first - 1]!.at;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 0)} s`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(header),
    `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}

const registry = await startRegistry();
const http = new HttpClient({ retry: immediateRetryPolicy(2) });
const stable = await startApp({ version: 'stable' });
const canaryApp = await startApp({ version: 'canary' });
const haproxy = await startHaproxy({ backends: { stable: stable.host, canary: canaryApp.host } });
const router = new HaproxyTraffic({ socket: haproxy.socket, backend: haproxy.backend });
try {
  const client = new RegistryClient({ http });
  const repo = { registry: registry.host, repository: 'bench/app' };
  const store = client.repository(repo);
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const release = async (tag: string, size: number) => {
    const { digest } = await push(store, makeImage({ layers: [size] }), tag);
    await signImage({ store, image: repo, digest, signer: createKeySigner(key), format: 'both' });
    return `${registry.host}/bench/app@${digest}`;
  };
  const previous = await release('v1', 1024);
  const candidate = await release('v2', 2048);
  const inputs = (more: Record<string, string> = {}) => ({
    ...actionDefaults(),
    image: candidate,
    key: publicKeyToPem(key.publicKey),
    traffic: 'haproxy',
    'haproxy-socket': haproxy.socket,
    'haproxy-backend': haproxy.backend,
    'load-url': canaryApp.url,
    'previous-image': previous,
    ...more,
  });

  console.log(
    `canary benchmark: the committed actions/canary bundle at its defaults, HAProxy ${haproxy.url}, ` +
      `users at ${USER_RATE} req/s through it, Node ${process.version}\n`,
  );

  // 1. A bad canary at the defaults.
  interface BadRun {
    detectedMs: number;
    restoredMs: number;
    spanMs: number;
    userRequests: number;
    userFailed: number;
    canaryUserRequests: number;
    canaryUserErrors: number;
    wallMs: number;
  }
  const bad: BadRun[] = [];
  for (let i = 1; i <= RUNS; i++) {
    await router.setWeight(0);
    canaryApp.setMode({ kind: 'erroring', fraction: ERROR_FRACTION });
    const users = startUsers(haproxy.url, USER_RATE, 150_000);
    const polling = startPolling(haproxy.metricsUrl, 150_000);
    await sleep(500);
    const started = performance.now();
    const run = await runAction(DIST, inputs(), { timeoutMs: 150_000 });
    const wallMs = performance.now() - started;
    await sleep(500);
    const records = await users.stop();
    const samples = await polling.stop();
    const restored = /stable had all traffic back (\S+) later/.exec(run.summary)?.[1];
    if (run.outputs.result !== 'rolled-back' || !run.outputs['detected-after'] || !restored)
      throw new Error(`bad run ${i}: not rolled back as expected\n${run.stdout}${run.stderr}`);
    bad.push({
      detectedMs: Number(run.outputs['detected-after']),
      restoredMs: parseDuration(restored),
      spanMs: canarySpanMs(samples),
      userRequests: records.length,
      userFailed: records.filter((r) => r.status === 'error' || r.status >= 500).length,
      canaryUserRequests: samples.at(-1)!.total - samples[0]!.total,
      canaryUserErrors: samples.at(-1)!.errors - samples[0]!.errors,
      wallMs,
    });
    console.error(
      `bad run ${i}/${RUNS}: ${run.outputs['failed-check']} after ${run.outputs['detected-after']} ms, ` +
        `restored ${restored} later; users: ${bad.at(-1)!.userFailed} failed of ${records.length}`,
    );
  }

  const ours = {
    timeMs: median(bad.map((r) => r.detectedMs + r.restoredMs)),
    worstMs: Math.max(...bad.map((r) => r.detectedMs + r.restoredMs)),
    detectedMs: median(bad.map((r) => r.detectedMs)),
    restoredMs: median(bad.map((r) => r.restoredMs)),
    spanMs: median(bad.map((r) => r.spanMs)),
    failed: mean(bad.map((r) => r.userFailed)),
    canaryRequests: mean(bad.map((r) => r.canaryUserRequests)),
    wallMs: median(bad.map((r) => r.wallMs)),
  };
  const flaggerFailed = failedFor(flaggerRollbackS);
  console.log(
    `1. Bad canary (${ERROR_FRACTION * 100} % of its answers 500), first traffic to stable at 100 %, ` +
      `users at ${USER_RATE} req/s; ours: median of ${RUNS} runs (failed requests: their mean)\n`,
  );
  console.log(
    table(
      [
        'schedule',
        'first traffic → stable 100 %',
        'detected after',
        'then stable 100 %',
        "users' failed requests (mean)",
        'users sent to the canary (mean)',
      ],
      [
        [
          'ours: actions/canary, defaults (10% step, 5s windows, failure-limit 0)',
          seconds(ours.timeMs),
          seconds(ours.detectedMs),
          `${Math.round(ours.restoredMs)} ms`,
          ours.failed.toFixed(1),
          ours.canaryRequests.toFixed(0),
        ],
        [
          `Flagger defaults (interval ${FLAGGER.intervalS}s, threshold ${FLAGGER.threshold}, stepWeight ${FLAGGER.stepWeight}%), computed`,
          seconds(flaggerRollbackS * 1000),
          seconds(flaggerRollbackS * 1000),
          '—',
          flaggerFailed.toFixed(1),
          (USER_RATE * (FLAGGER.stepWeight / 100) * flaggerRollbackS).toFixed(0),
        ],
        [
          `Flagger, its docs' "interval × threshold" (best case)`,
          seconds(flaggerDocsS * 1000),
          seconds(flaggerDocsS * 1000),
          '—',
          failedFor(flaggerDocsS).toFixed(1),
          (USER_RATE * (FLAGGER.stepWeight / 100) * flaggerDocsS).toFixed(0),
        ],
      ],
    ),
  );
  console.log('\nPer run (ours):\n');
  console.log(
    table(
      [
        'run',
        'detected after',
        'then stable 100 %',
        "users' first to last answer from the canary (HAProxy, 100 ms polls)",
        "users' 5xx / sent",
        "canary's 5xx to users (HAProxy)",
        'action process',
      ],
      bad.map((r, i) => [
        String(i + 1),
        `${r.detectedMs} ms`,
        `${r.restoredMs} ms`,
        seconds(r.spanMs),
        `${r.userFailed} / ${r.userRequests}`,
        `${r.canaryUserErrors} of ${r.canaryUserRequests}`,
        seconds(r.wallMs),
      ]),
    ),
  );
  const goal = ours.worstMs <= 10_000;
  console.log(`
Flagger ÷ ours, time to stable 100 %:   ${((flaggerRollbackS * 1000) / ours.timeMs).toFixed(1)}× (docs' best case: ${((flaggerDocsS * 1000) / ours.timeMs).toFixed(1)}×)
Flagger ÷ ours, users' failed requests: ${ours.failed === 0 ? `∞ (ours none in ${RUNS} runs; Flagger ${flaggerFailed.toFixed(1)})` : `${(flaggerFailed / ours.failed).toFixed(1)}×`} (the expected figure for ours: ${USER_RATE} × 10 % × ${ERROR_FRACTION * 100} % × ${seconds(ours.timeMs)} = ${failedFor(ours.timeMs / 1000).toFixed(1)})
Goal, back to stable within 10 s at the defaults (worst run ${seconds(ours.worstMs)}): ${goal ? 'met' : 'NOT met'}
(The action's process, start to exit with verification, the summary and the failed step: median ${seconds(ours.wallMs)}.)
`);

  // 2. A healthy canary, many times.
  const healthy: Array<{
    result: string;
    failedCheck: string;
    windows: number;
    p95: number;
    errorRate: number;
  }> = [];
  canaryApp.setMode({ kind: 'healthy' });
  for (let i = 1; i <= HEALTHY_RUNS; i++) {
    await router.setWeight(0);
    const run = await runAction(DIST, inputs({ 'step-duration': '5s' }), { timeoutMs: 120_000 });
    if (!run.outputs.result) throw new Error(`healthy run ${i} failed before any result\n${run.stdout}`);
    const analysis = JSON.parse(run.outputs.analysis ?? '{"windows":[]}') as {
      windows: Array<{ checks: Array<{ metric: string; value: number | null }> }>;
    };
    const values = (metric: string) =>
      analysis.windows.flatMap((w) => w.checks.filter((c) => c.metric === metric).map((c) => c.value ?? 0));
    healthy.push({
      result: run.outputs.result,
      failedCheck: run.outputs['failed-check'] ?? '',
      windows: analysis.windows.length,
      p95: Math.max(0, ...values('p95')),
      errorRate: Math.max(0, ...values('error-rate')),
    });
    console.error(
      `healthy run ${i}/${HEALTHY_RUNS}: ${run.outputs.result}${run.outputs['failed-check'] ? ` (${run.outputs['failed-check']})` : ''}`,
    );
  }
  if (HEALTHY_RUNS > 0) {
    const rolledBack = healthy.filter((r) => r.result !== 'promoted');
    const windows = healthy.reduce((n, r) => n + r.windows, 0);
    const perWindow = rolledBack.length / windows;
    // With no failure seen, the rule of three bounds the per-window rate at 3/n (95 %).
    const bound = rolledBack.length === 0 ? 3 / windows : undefined;
    const perDefaultRun = (p: number) => 1 - (1 - p) ** 18;
    console.log(
      `2. Healthy canary, ${HEALTHY_RUNS} runs: steps 10,50,100, one default 5 s window per step (step-duration 5s; ` +
        `load 20 req/s, max-error-rate 0.2%, max-p95 300ms, min-requests 10, failure-limit 0 as at the defaults)\n`,
    );
    console.log(
      table(
        [
          'runs',
          'windows judged',
          'rolled back',
          'false-rollback rate (runs)',
          'per window',
          'worst p95',
          'worst error rate',
        ],
        [
          [
            String(healthy.length),
            String(windows),
            `${rolledBack.length}${rolledBack.length ? ` (${rolledBack.map((r) => r.failedCheck).join(', ')})` : ''}`,
            `${((rolledBack.length / healthy.length) * 100).toFixed(1)} %`,
            `${(perWindow * 100).toFixed(2)} %`,
            `${Math.max(...healthy.map((r) => r.p95)).toFixed(1)} ms`,
            `${Math.max(...healthy.map((r) => r.errorRate))} %`,
          ],
        ],
      ),
    );
    console.log(`
A run at the defaults judges 18 such windows (3 steps × 30 s / 5 s): ${
      bound === undefined
        ? `at ${(perWindow * 100).toFixed(2)} % a window, ${(perDefaultRun(perWindow) * 100).toFixed(1)} % of default runs would roll back`
        : `none of ${windows} windows failed, so (rule of three, 95 %) a window fails less than ${(bound * 100).toFixed(1)} % of the time and a default run less than ${(perDefaultRun(bound) * 100).toFixed(0)} %`
    }.
Goal, no rollback of a healthy canary over ${HEALTHY_RUNS} runs: ${rolledBack.length === 0 ? 'met' : 'NOT met'}`);
  }
} finally {
  await haproxy.stop();
  await stable.close();
  await canaryApp.close();
  await http.close();
  await registry.stop();
}
