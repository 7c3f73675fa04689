/**
 * The HAProxy adapter against a real HAProxy 2.6 on loopback, in front of two named servers:
 * the split the runtime API sets is the split requests see, at once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { CanaryError, HaproxyTraffic, parseHaproxySocket } from '@release-actions/shared/canary';
import {
  countAnswers,
  needsHaproxy,
  startHaproxy,
  startNamedServer,
  type NamedServer,
  type TestHaproxy,
} from '@release-actions/shared/testing';
import { onTestFinished, skipIf } from '../jest-helpers.ts';

const REQUESTS = 200;

describe('parseHaproxySocket', () => {
  it('takes a socket path or tcp://host:port, and refuses anything else saying what would do', () => {
    assert.deepEqual(parseHaproxySocket('/run/haproxy/admin.sock'), { path: '/run/haproxy/admin.sock' });
    assert.deepEqual(parseHaproxySocket('unix:///run/haproxy/admin.sock'), {
      path: '/run/haproxy/admin.sock',
    });
    assert.deepEqual(parseHaproxySocket('tcp://127.0.0.1:9999'), { host: '127.0.0.1', port: 9999 });
    assert.deepEqual(parseHaproxySocket('tcp://[::1]:9999'), { host: '::1', port: 9999 });
    for (const bad of ['', 'http://127.0.0.1:9999', 'tcp://127.0.0.1', 'tcp://127.0.0.1:9999/x'])
      assert.throws(() => parseHaproxySocket(bad), /stats socket/);
    assert.throws(() => new HaproxyTraffic({ socket: 'tcp://h', backend: 'app' }), {
      code: 'TRAFFIC_ERROR',
      message: /^haproxy-socket "tcp:\/\/h" is not tcp:\/\/host:port/,
    });
    assert.throws(() => new HaproxyTraffic({ socket: '/s', backend: 'app; shutdown frontend web' }), {
      code: 'TRAFFIC_ERROR',
      message: /haproxy-backend "app; shutdown frontend web" is not an HAProxy name/,
    });
  });
});

skipIf(needsHaproxy()).describe('HaproxyTraffic against HAProxy', () => {
  let stable: NamedServer;
  let canary: NamedServer;
  let haproxy: TestHaproxy;
  let tcp: TestHaproxy;

  // Registered first, so everything started stops even when before() fails half-way.
  afterAll(async () => {
    await haproxy?.stop();
    await tcp?.stop();
    await stable?.stop();
    await canary?.stop();
  });
  beforeAll(async () => {
    stable = await startNamedServer('stable');
    canary = await startNamedServer('canary');
    haproxy = await startHaproxy({ backends: { stable: stable.port, canary: canary.port } });
    tcp = await startHaproxy({ backends: { stable: stable.port, canary: canary.port }, api: 'tcp' });
  });
  function traffic(on: TestHaproxy = haproxy, overrides: { canaryServer?: string; backend?: string } = {}) {
    return new HaproxyTraffic({
      socket: on.socket,
      backend: overrides.backend ?? on.backend,
      canaryServer: overrides.canaryServer ?? on.canaryServer,
      stableServer: on.stableServer,
    });
  }

  it('starts with all traffic on stable: the test backend has the canary at weight 0', async () => {
    assert.equal(await traffic().current(), 0);
    const counts = await countAnswers(haproxy.url, 50);
    assert.deepEqual([...counts], [['stable', 50]]);
  });

  for (const api of ['unix', 'tcp'] as const)
    it(`0, 10, 50, 100 %: the requests split as set, at once, and current() agrees (runtime API over ${api})`, async () => {
      const on = api === 'tcp' ? tcp : haproxy;
      const adapter = traffic(on);
      assert.match(
        adapter.description,
        new RegExp(
          `^haproxy app/canary \\(stable app/stable\\) at ${api === 'tcp' ? 'tcp://127\\.0\\.0\\.1:\\d+' : '/.*api\\.sock'}$`,
        ),
      );
      for (const weight of [10, 50, 100, 0]) {
        const started = performance.now();
        await adapter.setWeight(weight);
        const took = performance.now() - started;
        // The very next requests see the new weights: no settle time.
        const counts = await countAnswers(on.url, REQUESTS);
        const toCanary = counts.get('canary') ?? 0;
        assert.equal(
          toCanary + (counts.get('stable') ?? 0),
          REQUESTS,
          `only the two servers answered: ${[...counts]}`,
        );
        if (weight === 0) assert.equal(toCanary, 0);
        else if (weight === 100) assert.equal(toCanary, REQUESTS);
        else
          assert.ok(
            Math.abs((toCanary * 100) / REQUESTS - weight) <= 5,
            `${toCanary}/${REQUESTS} at ${weight}%`,
          );
        assert.equal(await adapter.current(), weight);
        console.log(
          `haproxy (${api}) setWeight(${weight}) took ${took.toFixed(1)} ms; then ${toCanary}/${REQUESTS} to the canary`,
        );
      }
    });

  it('an unknown server is TRAFFIC_ERROR naming it and its input, and changes nothing', async () => {
    const good = traffic();
    await good.setWeight(10);
    const wrong = traffic(haproxy, { canaryServer: 'canary-v2' });
    await assert.rejects(wrong.setWeight(50), (err: unknown) => {
      assert.ok(err instanceof CanaryError);
      assert.equal(err.code, 'TRAFFIC_ERROR');
      assert.match(
        err.message,
        /^backend "app" has no server "canary-v2" \(haproxy-canary-server\): "get weight app\/canary-v2" answered "No such server\."$/,
      );
      assert.match(err.fix ?? '', /show servers state app/);
      return true;
    });
    await assert.rejects(wrong.current(), { code: 'TRAFFIC_ERROR', message: /no server "canary-v2"/ });
    await assert.rejects(traffic(haproxy, { backend: 'web-app' }).setWeight(50), {
      code: 'TRAFFIC_ERROR',
      message: /^HAProxy has no backend "web-app" \(haproxy-backend\)/,
    });
    assert.equal(await good.current(), 10, 'the stable weight was not touched');
    const toCanary = (await countAnswers(haproxy.url, 100)).get('canary') ?? 0;
    assert.ok(toCanary >= 8 && toCanary <= 12, `${toCanary}/100 to the canary, still at 10%`);
    await good.setWeight(0);
  });

  it('a socket nobody listens on is TRAFFIC_ERROR naming haproxy-socket, with the stats socket line to add', async () => {
    const adapter = new HaproxyTraffic({ socket: `${haproxy.dir}/nothing.sock`, backend: 'app' });
    await assert.rejects(adapter.setWeight(10), (err: unknown) => {
      assert.ok(err instanceof CanaryError);
      assert.equal(err.code, 'TRAFFIC_ERROR');
      assert.match(
        err.message,
        /^cannot reach HAProxy's runtime API at .*nothing\.sock \(haproxy-socket\) for "get weight app\/canary": .*ENOENT/,
      );
      assert.match(err.fix ?? '', /stats socket <path> level admin/);
      return true;
    });
  });

  it('a backend with a static balance algorithm: TRAFFIC_ERROR saying so, with the algorithms that work', async () => {
    const fixed = await startHaproxy({
      backends: { stable: stable.port, canary: canary.port },
      balance: 'static-rr',
    });
    onTestFinished(() => fixed.stop());
    const adapter = traffic(fixed);
    await assert.rejects(adapter.setWeight(10), (err: unknown) => {
      assert.ok(err instanceof CanaryError);
      assert.equal(err.code, 'TRAFFIC_ERROR');
      assert.match(
        err.message,
        /^backend "app" balances with a static algorithm, whose weights cannot change at run time: "set weight app\/stable 90" answered "Backend is using a static LB algorithm/,
      );
      assert.match(err.fix ?? '', /roundrobin/);
      return true;
    });
  });

  it("the exporter counts each server's responses, as a Prometheus query of the canary would", async () => {
    const adapter = traffic();
    await adapter.setWeight(50);
    await countAnswers(haproxy.url, 40);
    await adapter.setWeight(0);
    const metrics = await (await fetch(haproxy.metricsUrl)).text();
    const count = (server: string) =>
      Number(
        new RegExp(
          `^haproxy_server_http_responses_total\\{proxy="app",server="${server}",code="2xx"\\} (\\d+)$`,
          'm',
        ).exec(metrics)?.[1],
      );
    assert.ok(count('canary') >= 20, `canary 2xx ${count('canary')}`);
    assert.ok(count('stable') >= 20, `stable 2xx ${count('stable')}`);
  });
});

describe('HaproxyTraffic command order (a recording stand-in for the runtime API)', () => {
  it('sets the side that loses weight first, so the canary never has more than the larger of its old and new shares in between', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ra-haproxy-order-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    // Answers as HAProxy 2.6 does: one command per connection, `set weight` answers an empty line.
    const weights = new Map([
      ['app/stable', 100],
      ['app/canary', 0],
    ]);
    const sets: string[] = [];
    const api = createServer((conn) => {
      conn.once('data', (data) => {
        const [verb, , target, value] = data.toString().trim().split(' ');
        if (verb === 'get') conn.end(`${weights.get(target!)} (initial 0)\n\n`);
        else {
          sets.push(`${target} ${value}`);
          weights.set(target!, Number(value));
          conn.end('\n');
        }
      });
    });
    const socket = join(dir, 'api.sock');
    await new Promise<void>((resolve) => api.listen(socket, resolve));
    onTestFinished(() => new Promise<void>((resolve) => api.close(() => resolve())));
    const adapter = new HaproxyTraffic({ socket, backend: 'app' });
    await adapter.setWeight(10);
    await adapter.setWeight(50);
    await adapter.setWeight(0);
    assert.deepEqual(sets, [
      'app/stable 90', // up: stable loses weight, set first
      'app/canary 10',
      'app/stable 50',
      'app/canary 50',
      'app/canary 0', // down: the canary loses weight, set first
      'app/stable 100',
    ]);
    assert.equal(await adapter.current(), 0);
  });
});
