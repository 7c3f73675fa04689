/**
 * The committed actions/canary bundle, run as the runner runs it, against real services on
 * loopback: a docker-registry holding key-signed releases, HAProxy splitting traffic between a
 * stable and a canary app (instrumented test apps that can be healthy, erroring or slow), and
 * stand-ins for what cannot run here: an incoming webhook and GitHub's issues API.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, it } from '@jest/globals';
import { HaproxyTraffic } from '@release-actions/shared/canary';
import { createKeySigner, publicKeyToPem, signImage } from '@release-actions/shared/sign';
import { needsHaproxy, startHaproxy, type TestHaproxy } from '@release-actions/shared/testing';
import { distOf, runAction } from '../action-runner.ts';
import { makeImage, push } from '../images.ts';
import { startApp, type TestApp } from './app.ts';
import { skipIf } from '../jest-helpers.ts';
import { useRegistry } from '../registry-fixture.ts';

const DIST = distOf('canary');
const TOKEN = 'ghs_canaryTestToken0123456789';

/** A loopback server that records what is posted to it and answers as `answer` says. */
async function recorder(answer: (path: string) => [number, unknown]): Promise<{
  url: string;
  posts: Array<{ path: string; auth: string | undefined; body: Record<string, unknown> }>;
  server: Server;
}> {
  const posts: Array<{ path: string; auth: string | undefined; body: Record<string, unknown> }> = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      posts.push({
        path: req.url ?? '',
        auth: req.headers.authorization,
        body: text ? JSON.parse(text) : {},
      });
      const [status, body] = answer(req.url ?? '');
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts, server };
}

skipIf(needsHaproxy()).describe('actions/canary dist/index.js', () => {
  const reg = useRegistry();
  let haproxy: TestHaproxy;
  let stable: TestApp;
  let canaryApp: TestApp;
  let webhook: Awaited<ReturnType<typeof recorder>>;
  let githubApi: Awaited<ReturnType<typeof recorder>>;
  let work: string;
  const trusted = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const images: Record<'v1' | 'v2' | 'unsigned' | 'foreign', string> = {
    v1: '',
    v2: '',
    unsigned: '',
    foreign: '',
  };

  async function release(tag: string, key?: typeof trusted): Promise<string> {
    const store = reg.repo('acme/app');
    const { digest } = await push(store, makeImage({ layers: [300 + tag.length] }), tag);
    if (key)
      await signImage({
        store,
        image: { registry: reg.registry.host, repository: 'acme/app' },
        digest,
        signer: createKeySigner(key),
        format: 'both',
      });
    return `${reg.registry.host}/acme/app@${digest}`;
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'canary-action-'));
    images.v1 = await release('v1', trusted);
    images.v2 = await release('v2', trusted);
    images.unsigned = await release('v3');
    images.foreign = await release('v4', stranger);
    stable = await startApp({ version: 'stable' });
    canaryApp = await startApp({ version: 'canary' });
    haproxy = await startHaproxy({ backends: { stable: stable.host, canary: canaryApp.host } });
    webhook = await recorder(() => [200, { ok: true }]);
    githubApi = await recorder((path) =>
      path.endsWith('/issues')
        ? [201, { number: 17, html_url: 'https://github.com/acme/app/issues/17' }]
        : [404, {}],
    );
  });
  afterAll(async () => {
    await haproxy?.stop();
    await stable?.close();
    await canaryApp?.close();
    webhook?.server.close();
    githubApi?.server.close();
    rmSync(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    // Every run starts from stable 100%, as a deploy would.
    await router().setWeight(0);
    canaryApp.setMode({ kind: 'healthy' });
    webhook.posts.length = 0;
    githubApi.posts.length = 0;
  });

  const router = () =>
    new HaproxyTraffic({
      socket: haproxy.socket,
      backend: haproxy.backend,
      canaryServer: 'canary',
      stableServer: 'stable',
    });

  const inputs = (more: Record<string, string> = {}) => ({
    image: images.v2,
    key: publicKeyToPem(trusted.publicKey),
    steps: '25,100',
    'step-duration': '1s',
    interval: '500ms',
    traffic: 'haproxy',
    'haproxy-socket': haproxy.socket,
    'haproxy-backend': haproxy.backend,
    'load-url': canaryApp.url,
    'load-rate': '40',
    'min-requests': '5',
    'previous-image': images.v1,
    'rollback-command': `echo "$PREVIOUS_IMAGE" > ${join(work, 'redeployed')}`,
    'smoke-url': stable.url,
    'webhook-url': `${webhook.url}/hooks/T000/B000/secretpart`,
    'issue-on-failure': 'true',
    'github-token': TOKEN,
    ...more,
  });
  const env = () => ({
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_API_URL: githubApi.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
  });
  const logOf = (run: { stdout: string; stderr: string }) =>
    (run.stdout + run.stderr)
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');

  it('a healthy canary goes through every step to 100% and promote-command runs', async () => {
    const marker = join(work, 'promoted');
    const run = await runAction(DIST, inputs({ 'promote-command': `echo "$CANARY_IMAGE" > ${marker}` }), {
      env: env(),
    });
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(run.outputs.result, 'promoted');
    assert.equal(run.outputs.weight, '100');
    assert.equal(run.outputs['failed-check'], '');
    assert.equal(await router().current(), 100);
    assert.equal(readFileSync(marker, 'utf8').trim(), images.v2);
    const analysis = JSON.parse(run.outputs.analysis!);
    assert.equal(analysis.windows.length, 4);
    assert.ok(
      analysis.windows.every((w: { checks: Array<{ outcome: string }> }) =>
        w.checks.every((c) => c.outcome === 'pass'),
      ),
    );
    assert.match(run.summary, /✅ Canary promoted to 100%/);
    assert.match(run.summary, /```mermaid\nxychart-beta/);
    assert.equal(githubApi.posts.length, 0, 'no issue for a promoted canary');
    assert.equal(webhook.posts.length, 1);
    assert.match(String(webhook.posts[0]!.body.text), /canary promoted to 100%/);
  });

  it('an erroring canary is rolled back in the first step: stable 100%, the previous image verified and redeployed, people told', async () => {
    canaryApp.setMode({ kind: 'erroring', fraction: 0.2 });
    rmSync(join(work, 'redeployed'), { force: true });
    const run = await runAction(DIST, inputs(), { env: env() });
    assert.equal(run.exitCode, 1, 'fail-on-rollback fails the deploy job');
    assert.equal(run.outputs.result, 'rolled-back');
    assert.equal(run.outputs.weight, '0');
    assert.equal(run.outputs['failed-check'], 'error-rate');
    assert.equal(run.outputs['rolled-back-to'], images.v1);
    assert.ok(Number(run.outputs['detected-after']) > 0);
    assert.equal(await router().current(), 0);
    assert.equal(readFileSync(join(work, 'redeployed'), 'utf8').trim(), images.v1);
    const analysis = JSON.parse(run.outputs.analysis!);
    assert.equal(analysis.windows[0].step, 1, 'decided in the first step');
    assert.match(run.stdout, /::error::canary rolled back: error-rate/);
    assert.match(run.summary, /⏪ Canary rolled back/);
    assert.match(run.summary, /verified and redeployed/);
    assert.match(run.summary, /Smoke test<\/th><td>✅/);

    assert.equal(webhook.posts.length, 1);
    assert.equal(webhook.posts[0]!.path, '/hooks/T000/B000/secretpart');
    const text = String(webhook.posts[0]!.body.text);
    assert.match(text, /acme\/app: canary rolled back/);
    assert.match(text, new RegExp(`Rolled back to: ${images.v1.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(text, /Run: https:\/\/github\.com\/acme\/app\/actions\/runs\/4242/);

    assert.equal(githubApi.posts.length, 1);
    const issue = githubApi.posts[0]!;
    assert.equal(issue.path, '/repos/acme/app/issues');
    assert.equal(issue.auth, `token ${TOKEN}`);
    assert.match(String(issue.body.title), /^Canary rolled back: sha256:[0-9a-f]{12} \(error-rate\)$/);
    assert.deepEqual(issue.body.labels, ['canary', 'rollback']);
    assert.match(String(issue.body.body), /error-rate/);
    assert.match(run.summary, /#17/);

    for (const secret of [TOKEN, 'secretpart']) {
      assert.ok(!logOf(run).includes(secret), `${secret} in the log`);
      assert.ok(!run.summary.includes(secret) && !JSON.stringify(run.outputs).includes(secret));
    }
  });

  it('a canary erring at 0.5% (1 request in 200) is promoted at max-error-rate 0.2%: 1 error in a window of 100 is what 0.2% explains', async () => {
    canaryApp.setMode({ kind: 'erroring', fraction: 0.005 });
    const run = await runAction(
      DIST,
      inputs({ steps: '100', 'step-duration': '7500ms', interval: '2500ms', 'issue-on-failure': 'false' }),
      { env: env() },
    );
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(run.outputs.result, 'promoted');
    assert.equal(await router().current(), 100);
    const analysis = JSON.parse(run.outputs.analysis!);
    type Check = {
      metric: string;
      value: number;
      max: number;
      outcome: string;
      events: number;
      trials: number;
      pValue: number;
      alpha: number;
    };
    const errorChecks: Check[] = analysis.windows.map((w: { checks: Check[] }) =>
      w.checks.find((c) => c.metric === 'error-rate'),
    );
    assert.equal(errorChecks.length, 3);
    const erring = errorChecks.filter((c) => c.events > 0);
    assert.ok(erring.length >= 1, `a window saw the error: ${JSON.stringify(errorChecks)}`);
    for (const c of erring) {
      // Its observed rate is above max, and it passes: the test's p-value is what decides.
      assert.equal(c.events, 1);
      assert.ok(c.trials >= 90 && c.trials <= 110, `${c.trials} requests in a window`);
      assert.ok(c.value > c.max);
      assert.equal(c.outcome, 'pass');
      assert.ok(c.pValue > 0.15 && c.pValue < 0.21, `p ${c.pValue}`);
      assert.equal(c.alpha, 0.01);
    }
    assert.match(
      run.stdout,
      // One error in 90–110 requests: 0.91% to 1.11%.
      /✓ error-rate (?:0\.9\d*|1(?:\.\d+)?)% \(1 of \d+\) within what 0\.2% explains \(p=0\.1\d ≥ 0\.01\)/,
    );
    assert.match(run.summary, /within what 0\.2% explains \(p ≥ 0\.01\)/);
    assert.doesNotMatch(run.summary, /❌|≤ 0\.2%/);
  });

  it('a slow canary fails p95', async () => {
    canaryApp.setMode({ kind: 'slow', delayMs: 120 });
    const run = await runAction(DIST, inputs({ 'max-p95': '60ms', 'issue-on-failure': 'false' }), {
      env: env(),
    });
    assert.equal(run.exitCode, 1);
    assert.equal(run.outputs['failed-check'], 'p95');
    assert.equal(await router().current(), 0);
  });

  it('an unsigned canary gets no traffic and no load', async () => {
    // Requests of an earlier run still in flight (a slow canary) settle first.
    await new Promise((done) => setTimeout(done, 500));
    const before = canaryApp.requests;
    for (const image of [images.unsigned, images.foreign]) {
      const run = await runAction(DIST, inputs({ image }), { env: env() });
      assert.equal(run.exitCode, 1);
      assert.match(run.stdout, /::error::(NO_SIGNATURE|UNTRUSTED_KEY)/);
      assert.equal(run.outputs.result, 'failed');
      assert.match(run.summary, /## ❌ canary failed[\s\S]*\| ❌ \| Verifying the canary/);
    }
    assert.equal(canaryApp.requests, before, 'no load was sent');
    assert.equal(await router().current(), 0, 'no weight was changed');
    assert.equal(webhook.posts.length, 0);
  });

  it('a previous image that does not verify: traffic goes back to stable, but it is not redeployed, and the error says why', async () => {
    canaryApp.setMode({ kind: 'erroring', fraction: 0.2 });
    rmSync(join(work, 'redeployed'), { force: true });
    const run = await runAction(
      DIST,
      inputs({ 'previous-image': images.unsigned, 'fail-on-rollback': 'false', 'issue-on-failure': 'false' }),
      {
        env: env(),
      },
    );
    assert.equal(run.exitCode, 1, 'a refused redeploy fails the step even with fail-on-rollback false');
    assert.equal(run.outputs.result, 'rolled-back');
    assert.equal(run.outputs['rolled-back-to'], '');
    assert.equal(await router().current(), 0);
    assert.equal(existsSync(join(work, 'redeployed')), false, 'rollback-command did not run');
    assert.match(run.stdout, /::error::.*was not redeployed because it does not verify \(NO_SIGNATURE\)/);
    assert.match(run.summary, /refused: .* does not verify/);
    assert.match(String(webhook.posts[0]!.body.text), /Not redeployed: .* did not verify/);
  });

  it('break-glass: refused without a reason; with one, straight to 100% and the reason everywhere', async () => {
    const refused = await runAction(DIST, inputs({ skip: 'true' }), { env: env() });
    assert.equal(refused.exitCode, 1);
    assert.match(refused.stdout, /input "skip-reason": is required with skip: true/);
    assert.equal(await router().current(), 0);

    const before = canaryApp.requests;
    const run = await runAction(
      DIST,
      inputs({ skip: 'true', 'skip-reason': 'INC-4711: hotfix for the outage' }),
      { env: env() },
    );
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(run.outputs.result, 'skipped');
    assert.equal(run.outputs['skip-reason'], 'INC-4711: hotfix for the outage');
    assert.equal(await router().current(), 100);
    assert.equal(canaryApp.requests, before, 'no analysis load');
    assert.match(run.summary, /break-glass[\s\S]*INC-4711: hotfix for the outage/);
    assert.match(
      String(webhook.posts.at(-1)!.body.text),
      /Break-glass reason: INC-4711: hotfix for the outage/,
    );
  });

  it('bad input changes nothing and sends nothing', async () => {
    const before = canaryApp.requests;
    const run = await runAction(DIST, inputs({ steps: '10,abc' }), { env: env() });
    assert.equal(run.exitCode, 1);
    assert.match(run.stdout, /input "steps": "abc" is not a whole percentage/);
    assert.equal(canaryApp.requests, before);
    assert.equal(webhook.posts.length + githubApi.posts.length, 0);
    assert.equal(await router().current(), 0);
    assert.match(run.summary, /Nothing was attempted/);
  });
});
