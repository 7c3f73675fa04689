/**
 * The nginx adapter against a real nginx 1.22 (a master and two workers) on loopback, in front of
 * two named servers: the file it writes is checked, reloaded and in effect for the next
 * connection when setWeight resolves, and a refused file changes nothing.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { get } from 'node:http';
import { afterAll, beforeAll, it } from '@jest/globals';
import { CanaryError, NginxTraffic, type NginxTrafficOptions } from '@release-actions/shared/canary';
import {
  countAnswers,
  needsNginx,
  startNamedServer,
  startNginx,
  type NamedServer,
  type TestNginx,
} from '@release-actions/shared/testing';
import { skipIf } from '../jest-helpers.ts';

const REQUESTS = 200;

function answer(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
}

skipIf(needsNginx()).describe('NginxTraffic against nginx', () => {
  let stable: NamedServer;
  let canary: NamedServer;
  let nginx: TestNginx;

  afterAll(async () => {
    await nginx?.stop();
    await stable?.stop();
    await canary?.stop();
  });
  beforeAll(async () => {
    stable = await startNamedServer('stable');
    canary = await startNamedServer('canary');
    nginx = await startNginx({ upstream: { stable: stable.port, canary: canary.port } });
  });
  function traffic(overrides: Partial<NginxTrafficOptions> = {}): NginxTraffic {
    return new NginxTraffic({
      configFile: nginx.configFile,
      upstream: nginx.upstream,
      stableServer: stable.address,
      canaryServer: canary.address,
      testCommand: nginx.testCommand,
      reloadCommand: nginx.reloadCommand,
      pidFile: nginx.pidFile,
      ...overrides,
    });
  }

  it('starts with all traffic on stable: the canary is down in the test upstream', async () => {
    assert.equal(await traffic().current(), 0);
    assert.deepEqual([...(await countAnswers(nginx.url, 50))], [['stable', 50]]);
  });

  it('0, 10, 50, 100 %: with the pid file, the next connections after setWeight split as set; current() agrees', async () => {
    const adapter = traffic();
    for (const weight of [10, 50, 100, 0]) {
      const started = performance.now();
      await adapter.setWeight(weight);
      const took = performance.now() - started;
      const counts = await countAnswers(nginx.url, REQUESTS);
      const toCanary = counts.get('canary') ?? 0;
      assert.equal(
        toCanary + (counts.get('stable') ?? 0),
        REQUESTS,
        `only the two servers answered: ${[...counts]}`,
      );
      if (weight === 0) assert.equal(toCanary, 0, 'no request reaches the canary after setWeight(0)');
      else if (weight === 100) assert.equal(toCanary, REQUESTS);
      else
        assert.ok(
          Math.abs((toCanary * 100) / REQUESTS - weight) <= 5,
          `${toCanary}/${REQUESTS} at ${weight}%`,
        );
      assert.equal(await adapter.current(), weight);
      console.log(
        `nginx setWeight(${weight}) took ${took.toFixed(0)} ms (write, nginx -t, reload, new workers); then ${toCanary}/${REQUESTS} to the canary`,
      );
    }
    assert.match(await readFile(nginx.configFile, 'utf8'), new RegExp(`server ${canary.address} down;`));
  });

  it('without the pid file, old workers keep serving the old weights briefly after the reload command returns; the default settle time (1 s) covers it', async () => {
    await traffic().setWeight(100);
    const adapter = traffic({ pidFile: undefined, settleMs: 0 });
    const returned = performance.now();
    await adapter.setWeight(0);
    const reloadReturned = performance.now() - returned;
    let lastCanary: number | undefined;
    let canaryAnswers = 0;
    const start = performance.now();
    while (performance.now() - start < 1500) {
      if ((await answer(nginx.url)) === 'canary') {
        canaryAnswers++;
        lastCanary = performance.now() - start;
      }
    }
    console.log(
      `nginx -t + reload returned after ${reloadReturned.toFixed(0)} ms; then ${canaryAnswers} requests still reached the canary, the last ${lastCanary === undefined ? '(none)' : `${lastCanary.toFixed(0)} ms`} after setWeight resolved`,
    );
    assert.ok(
      lastCanary === undefined || lastCanary < 1000,
      `the canary still answered ${lastCanary} ms after the reload`,
    );
  });

  it("a canary address nginx cannot parse: TRAFFIC_ERROR with nginx's message, the file restored, traffic unchanged", async () => {
    const good = traffic();
    await good.setWeight(10);
    const before = await readFile(nginx.configFile, 'utf8');
    const bad = traffic({ canaryServer: '127.0.0.1:notaport' });
    await assert.rejects(bad.setWeight(50), (err: unknown) => {
      assert.ok(err instanceof CanaryError);
      assert.equal(err.code, 'TRAFFIC_ERROR');
      assert.match(
        err.message,
        /^nginx refused the upstream for canary 50%: nginx-test-command exited with code 1: /,
      );
      assert.match(err.message, /invalid port in upstream "127\.0\.0\.1:notaport"/);
      assert.match(err.message, /is back as it was$/);
      return true;
    });
    assert.equal(await readFile(nginx.configFile, 'utf8'), before);
    assert.equal(await good.current(), 10);
    const toCanary = (await countAnswers(nginx.url, REQUESTS)).get('canary') ?? 0;
    assert.ok(Math.abs((toCanary * 100) / REQUESTS - 10) <= 5, `${toCanary}/${REQUESTS}, still at 10%`);
    await good.setWeight(0);
  });

  it('a file the master refuses at reload (no check, and a reload by signal, which does not parse the file): TRAFFIC_ERROR once its old workers stay, the file restored', async () => {
    const good = traffic();
    await good.setWeight(10);
    const before = await readFile(nginx.configFile, 'utf8');
    const unchecked = traffic({
      canaryServer: '127.0.0.1:notaport',
      testCommand: 'true',
      reloadCommand: `kill -HUP "$(cat '${nginx.pidFile}')"`,
      reloadTimeoutMs: 1500,
    });
    await assert.rejects(unchecked.setWeight(50), {
      code: 'TRAFFIC_ERROR',
      message:
        /^nginx did not take up the upstream for canary 50%: master \d+ kept its old workers for 1500 ms/,
    });
    assert.equal(await readFile(nginx.configFile, 'utf8'), before);
    assert.match(nginx.logTail(20), /invalid port in upstream "127\.0\.0\.1:notaport"/);
    const toCanary = (await countAnswers(nginx.url, REQUESTS)).get('canary') ?? 0;
    assert.ok(Math.abs((toCanary * 100) / REQUESTS - 10) <= 5, `${toCanary}/${REQUESTS}, still at 10%`);
    await good.setWeight(0);
  });
});
