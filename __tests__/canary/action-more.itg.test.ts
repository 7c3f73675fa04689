/**
 * More of the committed actions/canary bundle, run as the runner runs it, against real services on
 * loopback (action.itg.test.ts covers HAProxy with the built-in load):
 *
 * - nginx traffic (weighted upstream file, nginx -t, reload, the master's pid file): a healthy
 *   canary reaches 100 %, an erroring one is rolled back, and users' requests through nginx then
 *   land where the action says;
 * - Prometheus metrics (a real Prometheus scraping the two instrumented apps and HAProxy's
 *   exporter every 250 ms): p95 from the app's histogram, the 5xx ratio from HAProxy's per-server
 *   counters, each failing under its own name, and a query without data under each on-no-data;
 * - the baseline comparison (compare: mann-whitney against the stable app);
 * - traffic: command, whose set-weight-command sees every weight the action sets, also when the
 *   runner cancels the job (SIGINT) in the middle of a step.
 *
 * Each suite is skipped, saying what to install, when its service is missing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { HaproxyTraffic, NginxTraffic } from '@release-actions/shared/canary';
import { createKeySigner, publicKeyToPem, signImage } from '@release-actions/shared/sign';
import {
  needsHaproxy,
  needsNginx,
  needsPrometheus,
  startHaproxy,
  startNginx,
  startPrometheus,
  type TestHaproxy,
  type TestNginx,
  type TestPrometheus,
} from '@release-actions/shared/testing';
import { distOf, parseOutputFile, runAction, type ActionRun } from '../action-runner.ts';
import { makeImage, push } from '../images.ts';
import { startApp, type TestApp } from './app.ts';
import { skipIf } from '../jest-helpers.ts';
import { useRegistry } from '../registry-fixture.ts';

const DIST = distOf('canary');

interface AnalysisCheck {
  metric: string;
  value: number | null;
  outcome: 'pass' | 'fail' | 'no-data';
  detail?: string;
}
interface Analysis {
  result: string;
  failedCheck: string | null;
  windows: Array<{ step: number; weight: number; window: number; checks: AnalysisCheck[] }>;
}
const analysisOf = (run: ActionRun): Analysis => JSON.parse(run.outputs.analysis!) as Analysis;
const details = (run: ActionRun) => `${run.stdout}${run.stderr}`;

/** Requests answered by each app while `fn` runs (the apps count every request but /metrics). */
async function answeredDuring(apps: TestApp[], fn: () => Promise<unknown>): Promise<number[]> {
  const before = apps.map((a) => a.requests);
  await fn();
  return apps.map((a, i) => a.requests - before[i]!);
}

/** `count` GETs through a router, one after another, each on a new connection; their statuses. */
async function through(url: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++)
    statuses.push(
      await new Promise<number>((resolve, reject) => {
        const req = get(url, { agent: false, timeout: 5000 }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
        req.on('error', reject);
      }),
    );
  return statuses;
}

/**
 * Users: `rate` GETs a second through a router, evenly spaced, keep-alive, each timed out after
 * 5 s, until stopped (or after `capMs` by itself).
 */
function startUsers(url: string, rate: number, capMs = 60_000): { stop(): Promise<number> } {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  const timer = setInterval(() => {
    sent++;
    const done = new Promise<void>((resolve) => {
      const req = get(url, { agent, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => resolve());
        res.on('error', () => resolve());
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve());
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  }, 1000 / rate);
  const cap = setTimeout(() => clearInterval(timer), capMs);
  return {
    async stop() {
      clearInterval(timer);
      clearTimeout(cap);
      await Promise.all(inFlight);
      agent.destroy();
      return sent;
    },
  };
}

const reg = useRegistry();
const trusted = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const images = { v1: '', v2: '' };

beforeAll(async () => {
  const store = reg.repo('acme/app');
  for (const [tag, size] of [
    ['v1', 301],
    ['v2', 302],
  ] as const) {
    const { digest } = await push(store, makeImage({ layers: [size] }), tag);
    await signImage({
      store,
      image: { registry: reg.registry.host, repository: 'acme/app' },
      digest,
      signer: createKeySigner(trusted),
      format: 'both',
    });
    images[tag] = `${reg.registry.host}/acme/app@${digest}`;
  }
});

/** The inputs every run shares: the signed canary by digest, short steps. */
const common = (more: Record<string, string>) => ({
  image: images.v2,
  key: publicKeyToPem(trusted.publicKey),
  'previous-image': images.v1,
  steps: '50,100',
  'step-duration': '1s',
  interval: '500ms',
  ...more,
});

skipIf(needsNginx()).describe('actions/canary dist/index.js with nginx', () => {
  let nginx: TestNginx;
  let stable: TestApp;
  let canaryApp: TestApp;
  const router = () =>
    new NginxTraffic({
      configFile: nginx.configFile,
      upstream: nginx.upstream,
      canaryServer: canaryApp.host,
      stableServer: stable.host,
      testCommand: nginx.testCommand,
      reloadCommand: nginx.reloadCommand,
      pidFile: nginx.pidFile,
    });

  beforeAll(async () => {
    stable = await startApp({ version: 'stable' });
    canaryApp = await startApp({ version: 'canary' });
    nginx = await startNginx({ upstream: { stable: stable.host, canary: canaryApp.host } });
  });
  afterAll(async () => {
    await nginx?.stop();
    await stable?.close();
    await canaryApp?.close();
  });
  beforeEach(async () => {
    await router().setWeight(0);
    canaryApp.setMode({ kind: 'healthy' });
  });

  const inputs = (more: Record<string, string> = {}) =>
    common({
      traffic: 'nginx',
      'nginx-config': nginx.configFile,
      'nginx-upstream': nginx.upstream,
      'nginx-canary-server': canaryApp.host,
      'nginx-stable-server': stable.host,
      'nginx-test-command': nginx.testCommand,
      'nginx-reload-command': nginx.reloadCommand,
      'nginx-pid-file': nginx.pidFile,
      'load-url': canaryApp.url,
      'load-rate': '40',
      'min-requests': '5',
      ...more,
    });

  it('a healthy canary goes through 50% to 100%: then every request through nginx reaches it', async () => {
    const run = await runAction(DIST, inputs());
    assert.equal(run.exitCode, 0, details(run));
    assert.equal(run.outputs.result, 'promoted');
    assert.equal(run.outputs.weight, '100');
    assert.deepEqual(
      analysisOf(run).windows.map((w) => w.weight),
      [50, 50, 100, 100],
    );
    assert.match(readFileSync(nginx.configFile, 'utf8'), new RegExp(`server ${stable.host} down;`));
    const [toStable, toCanary] = await answeredDuring([stable, canaryApp], async () =>
      assert.deepEqual(await through(nginx.url, 20), Array(20).fill(200)),
    );
    assert.deepEqual({ toStable, toCanary }, { toStable: 0, toCanary: 20 });
  });

  it('an erroring canary is rolled back: nginx reloaded with the canary down, every request then on stable', async () => {
    canaryApp.setMode({ kind: 'erroring', fraction: 0.2 });
    const run = await runAction(DIST, inputs());
    assert.equal(run.exitCode, 1, details(run));
    assert.equal(run.outputs.result, 'rolled-back');
    assert.equal(run.outputs['failed-check'], 'error-rate');
    assert.equal(run.outputs.weight, '0');
    assert.equal(analysisOf(run).windows[0]!.step, 1, 'decided in the first step');
    assert.match(readFileSync(nginx.configFile, 'utf8'), new RegExp(`server ${canaryApp.host} down;`));
    assert.equal(await router().current(), 0);
    const [toStable, toCanary] = await answeredDuring([stable, canaryApp], async () =>
      assert.deepEqual(await through(nginx.url, 20), Array(20).fill(200)),
    );
    assert.deepEqual({ toStable, toCanary }, { toStable: 20, toCanary: 0 });
    assert.match(run.summary, /⏪ Canary rolled back/);
  });
});

skipIf(needsPrometheus() || needsHaproxy()).describe(
  'actions/canary dist/index.js with Prometheus metrics',
  () => {
    let prom: TestPrometheus;
    let haproxy: TestHaproxy;
    let stable: TestApp;
    let canaryApp: TestApp;
    const router = () => new HaproxyTraffic({ socket: haproxy.socket, backend: haproxy.backend });

    const P95 = `- name: canary-p95
  query: 'histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket{version="canary"}[{{ interval }}])) by (le))'
  max: 0.25`;
    const ERROR_RATIO = `- name: haproxy-5xx-ratio
  query: 'sum(rate(haproxy_server_http_responses_total{proxy="app",server="canary",code="5xx"}[{{ interval }}])) / sum(rate(haproxy_server_http_responses_total{proxy="app",server="canary"}[{{ interval }}]))'
  max: 0.05`;
    const nothing = (onNoData: string) => `- name: no-such-series
  query: 'sum(rate(http_requests_total{version="no-such-version"}[{{ interval }}]))'
  max: 1
  on-no-data: ${onNoData}`;

    beforeAll(async () => {
      stable = await startApp({ version: 'stable' });
      canaryApp = await startApp({ version: 'canary' });
      haproxy = await startHaproxy({ backends: { stable: stable.host, canary: canaryApp.host } });
      prom = await startPrometheus({
        scrapeTargets: [stable.host, canaryApp.host, new URL(haproxy.metricsUrl).host],
        scrapeInterval: '250ms',
      });
      await prom.waitForTargets({ scrapes: 2 });
    });
    afterAll(async () => {
      await prom?.stop();
      await haproxy?.stop();
      await stable?.close();
      await canaryApp?.close();
    });
    beforeEach(async () => {
      await router().setWeight(0);
      canaryApp.setMode({ kind: 'healthy' });
    });

    const inputs = (metrics: string, more: Record<string, string> = {}) =>
      common({
        traffic: 'haproxy',
        'haproxy-socket': haproxy.socket,
        'haproxy-backend': haproxy.backend,
        'prometheus-url': prom.url,
        metrics,
        'step-duration': '2s',
        interval: '1s',
        ...more,
      });

    /** The run, with users sending 40 requests a second through HAProxy meanwhile. */
    async function withUsers(run: () => Promise<ActionRun>): Promise<ActionRun> {
      const users = startUsers(haproxy.url, 40);
      try {
        return await run();
      } finally {
        await users.stop();
      }
    }

    it('a healthy canary passes both metrics at every window and is promoted', async () => {
      const run = await withUsers(() => runAction(DIST, inputs(`${P95}\n${ERROR_RATIO}`)));
      assert.equal(run.exitCode, 0, details(run));
      assert.equal(run.outputs.result, 'promoted');
      const windows = analysisOf(run).windows;
      assert.equal(windows.length, 4);
      for (const w of windows) {
        assert.deepEqual(
          w.checks.map((c) => [c.metric, c.outcome]),
          [
            ['canary-p95', 'pass'],
            ['haproxy-5xx-ratio', 'pass'],
          ],
          JSON.stringify(w),
        );
        assert.ok(w.checks[0]!.value! > 0 && w.checks[0]!.value! <= 0.25, 'a p95 from the histogram');
        assert.equal(w.checks[1]!.value, 0, 'HAProxy counted no 5xx from the canary');
      }
      assert.match(run.summary, /canary-p95/);
    });

    it("a slow canary fails the histogram's p95: failed-check is the Prometheus metric's name", async () => {
      canaryApp.setMode({ kind: 'slow', delayMs: 400 });
      const run = await withUsers(() => runAction(DIST, inputs(`${P95}\n${ERROR_RATIO}`)));
      assert.equal(run.exitCode, 1, details(run));
      assert.equal(run.outputs.result, 'rolled-back');
      assert.equal(run.outputs['failed-check'], 'canary-p95');
      const failed = analysisOf(run)
        .windows.flatMap((w) => w.checks)
        .find((c) => c.outcome === 'fail')!;
      assert.equal(failed.metric, 'canary-p95');
      assert.ok(failed.value! > 0.3, `p95 ${failed.value} s is the slow canary's, above 0.25`);
      assert.equal(await router().current(), 0);
    });

    it("an erroring canary fails the 5xx ratio read from HAProxy's exporter", async () => {
      canaryApp.setMode({ kind: 'erroring', fraction: 0.2 });
      const run = await withUsers(() => runAction(DIST, inputs(`${P95}\n${ERROR_RATIO}`)));
      assert.equal(run.exitCode, 1, details(run));
      assert.equal(run.outputs['failed-check'], 'haproxy-5xx-ratio');
      const failed = analysisOf(run)
        .windows.flatMap((w) => w.checks)
        .find((c) => c.outcome === 'fail')!;
      assert.ok(failed.value! > 0.1 && failed.value! < 0.3, `ratio ${failed.value} is about 0.2`);
      assert.equal(await router().current(), 0);
    });

    it('no data, on-no-data fail: rolled back at the first window, naming the metric', async () => {
      const run = await runAction(DIST, inputs(nothing('fail')));
      assert.equal(run.exitCode, 1, details(run));
      assert.equal(run.outputs.result, 'rolled-back');
      assert.equal(run.outputs['failed-check'], 'no-such-series');
      const windows = analysisOf(run).windows;
      assert.equal(windows.length, 1);
      assert.deepEqual(
        windows[0]!.checks.map((c) => [c.value, c.outcome]),
        [[null, 'fail']],
      );
      assert.match(run.stdout, /::error::canary rolled back: no-such-series: no data/);
      assert.equal(await router().current(), 0);
    });

    it('no data, on-no-data pass: ignored, the canary is promoted', async () => {
      const run = await runAction(DIST, inputs(nothing('pass')));
      assert.equal(run.exitCode, 0, details(run));
      assert.equal(run.outputs.result, 'promoted');
      const windows = analysisOf(run).windows;
      assert.equal(windows.length, 4);
      assert.ok(windows.every((w) => w.checks[0]!.outcome === 'no-data'));
      assert.equal(await router().current(), 100);
    });

    it("no data, on-no-data hold: held through the step, rolled back at step 1's end", async () => {
      const run = await runAction(DIST, inputs(nothing('hold')));
      assert.equal(run.exitCode, 1, details(run));
      assert.equal(run.outputs.result, 'rolled-back');
      assert.equal(run.outputs['failed-check'], 'no-such-series');
      const windows = analysisOf(run).windows;
      assert.deepEqual(
        windows.map((w) => [w.step, w.window, w.checks[0]!.outcome]),
        [
          [1, 1, 'no-data'],
          [1, 2, 'fail'],
        ],
      );
      assert.match(windows[1]!.checks[0]!.detail!, /^no data by the end of step 1/);
      assert.equal(await router().current(), 0);
    });
  },
);

skipIf(needsHaproxy()).describe('actions/canary dist/index.js with compare: mann-whitney', () => {
  let haproxy: TestHaproxy;
  let stable: TestApp;
  let canaryApp: TestApp;
  const router = () => new HaproxyTraffic({ socket: haproxy.socket, backend: haproxy.backend });

  beforeAll(async () => {
    stable = await startApp({ version: 'stable' });
    canaryApp = await startApp({ version: 'canary' });
    haproxy = await startHaproxy({ backends: { stable: stable.host, canary: canaryApp.host } });
  });
  afterAll(async () => {
    await haproxy?.stop();
    await stable?.close();
    await canaryApp?.close();
  });
  beforeEach(async () => {
    await router().setWeight(0);
    canaryApp.setMode({ kind: 'healthy' });
  });

  const inputs = () =>
    common({
      traffic: 'haproxy',
      'haproxy-socket': haproxy.socket,
      'haproxy-backend': haproxy.backend,
      'load-url': canaryApp.url,
      'load-rate': '40',
      'min-requests': '5',
      compare: 'mann-whitney',
      'baseline-url': stable.url,
      'step-duration': '1s',
      interval: '1s',
    });

  it('a canary 80 ms slower than stable (within max-p95) fails latency-vs-baseline', async () => {
    canaryApp.setMode({ kind: 'slow', delayMs: 80 });
    const before = stable.requests;
    const run = await runAction(DIST, inputs());
    assert.equal(run.exitCode, 1, details(run));
    assert.equal(run.outputs.result, 'rolled-back');
    assert.equal(run.outputs['failed-check'], 'latency-vs-baseline');
    const checks = analysisOf(run).windows[0]!.checks;
    assert.deepEqual(
      checks.map((c) => [c.metric, c.outcome]),
      [
        ['error-rate', 'pass'],
        ['p95', 'pass'],
        ['latency-vs-baseline', 'fail'],
      ],
    );
    assert.ok(stable.requests - before >= 20, 'the baseline got the same load');
    assert.equal(await router().current(), 0);
  });

  it('a healthy canary against a healthy stable is promoted', async () => {
    const run = await runAction(DIST, inputs());
    assert.equal(run.exitCode, 0, details(run));
    assert.equal(run.outputs.result, 'promoted');
    const windows = analysisOf(run).windows;
    assert.equal(windows.length, 2);
    for (const w of windows)
      assert.equal(w.checks.find((c) => c.metric === 'latency-vs-baseline')!.outcome, 'pass');
  });
});

describe('actions/canary dist/index.js with traffic: command', () => {
  let stable: TestApp;
  let canaryApp: TestApp;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'canary-command-'));
    stable = await startApp({ version: 'stable' });
    canaryApp = await startApp({ version: 'canary' });
  });
  afterAll(async () => {
    await stable?.close();
    await canaryApp?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const inputs = (file: string) =>
    common({
      traffic: 'command',
      'set-weight-command': `echo "$CANARY_WEIGHT $STABLE_WEIGHT" >> '${file}'`,
      'load-url': canaryApp.url,
      'load-rate': '40',
      'min-requests': '5',
    });

  it('a healthy canary: set-weight-command is run with each step weight, CANARY_WEIGHT and STABLE_WEIGHT', async () => {
    canaryApp.setMode({ kind: 'healthy' });
    const file = join(work, 'promoted.txt');
    const run = await runAction(DIST, inputs(file));
    assert.equal(run.exitCode, 0, details(run));
    assert.equal(run.outputs.result, 'promoted');
    assert.equal(readFileSync(file, 'utf8'), '50 50\n100 0\n');
  });

  it('an erroring canary: set-weight-command is run with the first step weight, then with 0 on rollback', async () => {
    canaryApp.setMode({ kind: 'erroring', fraction: 0.2 });
    const file = join(work, 'rolled-back.txt');
    const run = await runAction(DIST, inputs(file));
    assert.equal(run.exitCode, 1, details(run));
    assert.equal(run.outputs.result, 'rolled-back');
    assert.equal(readFileSync(file, 'utf8'), '50 50\n0 100\n');
  });

  it('a job cancelled by the runner (SIGINT) in the middle of a step: set-weight-command is run with 0', async () => {
    canaryApp.setMode({ kind: 'healthy' });
    const file = join(work, 'cancelled.txt');
    const dir = mkdtempSync(join(work, 'runner-'));
    const outputFile = join(dir, 'output');
    writeFileSync(outputFile, '');
    writeFileSync(join(dir, 'summary.md'), '');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      RUNNER_TEMP: dir,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    };
    for (const [name, value] of Object.entries({ ...inputs(file), 'step-duration': '20s', interval: '1s' }))
      env[`INPUT_${name.toUpperCase()}`] = value;
    // As the runner starts it; it is killed outright if it has not exited 20 s after the SIGINT.
    const child = spawn(process.execPath, [DIST], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 100 && !(existsSync(file) && readFileSync(file, 'utf8') === '50 50\n'); i++)
        await sleep(100);
      assert.equal(readFileSync(file, 'utf8'), '50 50\n', log);
      await sleep(1500);
      child.kill('SIGINT');
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(kill);
      assert.equal(code, 1, log);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    assert.equal(readFileSync(file, 'utf8'), '50 50\n0 100\n', 'stable 100% before the process ended');
    const outputs = parseOutputFile(readFileSync(outputFile, 'utf8'));
    assert.equal(outputs.result, 'rolled-back');
    assert.equal(JSON.parse(outputs.analysis!).reason, 'the job was cancelled');
    assert.match(log, /::error::canary rolled back: the job was cancelled/);
  });
});
