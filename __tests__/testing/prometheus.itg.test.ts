/**
 * The Prometheus harness: a real Prometheus on a loopback port of its own, scraping what it is
 * given, gone with its directory once stopped; and the messages when it cannot start.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, it } from '@jest/globals';
import { HarnessError, needsPrometheus, startPrometheus } from '@release-actions/shared/testing';
import { startApp } from '../canary/app.ts';
import { withCode } from '../codes.ts';
import { onTestFinished, skipIf } from '../jest-helpers.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

skipIf(needsPrometheus()).describe('startPrometheus', () => {
  it('scrapes its targets every second on a loopback port, and stops: process gone, directory removed', async () => {
    const app = await startApp({ version: 'stable' });
    onTestFinished(() => app.close());
    const prom = await startPrometheus({ scrapeTargets: [app.host] });
    onTestFinished(() => prom.stop());
    assert.match(prom.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(readFileSync(prom.configFile, 'utf8'), /scrape_interval: "1s"/);
    assert.equal((await fetch(`${prom.url}/-/ready`)).status, 200);
    await prom.waitForTargets({ scrapes: 2, timeoutMs: 30_000 });
    const res = await fetch(
      `${prom.url}/api/v1/query?query=${encodeURIComponent(`up{instance="${app.host}"}`)}`,
    );
    const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
    assert.equal(body.data.result[0]?.value[1], '1');

    await prom.stop();
    assert.equal(alive(prom.pid), false, 'the Prometheus process is gone');
    assert.equal(existsSync(prom.dir), false, 'the temporary directory is removed');
    await prom.stop(); // a second stop is harmless
  });

  it('a Prometheus that cannot start fails with its log tail, and leaves nothing behind', async () => {
    let message = '';
    await assert.rejects(
      startPrometheus({ scrapeTargets: ['127.0.0.1:1'], scrapeInterval: 'banana' }),
      (err: Error) => {
        withCode(HarnessError, 'SERVICE_START')(err);
        message = err.message;
        return true;
      },
    );
    assert.match(
      message,
      /prometheus exited \(code \d+\) before it was ready; config .*prometheus\.yml; log tail:\n[\s\S]*banana/,
    );
    const dir = dirname(/config (\S+prometheus\.yml)/.exec(message)![1]!);
    assert.equal(existsSync(dir), false, `${dir} is removed`);
  });

  it('waitForTargets says which target is not up', async () => {
    const prom = await startPrometheus({ scrapeTargets: ['127.0.0.1:1'] });
    onTestFinished(() => prom.stop());
    await assert.rejects(
      prom.waitForTargets({ timeoutMs: 8000 }),
      (err: Error) =>
        withCode(HarnessError, 'SERVICE_START')(err) && /127\.0\.0\.1:1\/metrics down/.test(err.message),
    );
  });
});

describe('startPrometheus without Prometheus', () => {
  it('says how to install it', async () => {
    await assert.rejects(
      startPrometheus({ scrapeTargets: [], binary: 'no-such-prometheus' }),
      (err: Error) =>
        withCode(HarnessError, 'SERVICE_MISSING')(err) && /apt-get install prometheus/.test(err.message),
    );
    assert.match(String(needsPrometheus({ binary: 'no-such-prometheus' }, {})), /apt-get install prometheus/);
    assert.equal(needsPrometheus({ binary: 'no-such-prometheus' }, { CI: 'true' }), false);
  });
});
