/**
 * The router harnesses (startHaproxy, startNginx): what they start, and that nothing they start
 * outlives a test: stop(), a test process that exits without stopping them, and one killed with
 * SIGKILL (nginx's workers outlive their master unless the whole process group is killed).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';
import { it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  countAnswers,
  HarnessError,
  needsHaproxy,
  needsNginx,
  startHaproxy,
  startNamedServer,
  startNginx,
} from '@release-actions/shared/testing';
import { onTestFinished, skipIf } from '../jest-helpers.ts';

/** Running, and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

async function gone(pids: readonly number[]): Promise<boolean> {
  for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(50);
  return !pids.some(alive);
}

function runtimeApi(path: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = createConnection({ path }, () => conn.write(`${command}\n`));
    let text = '';
    conn.on('data', (c) => (text += c));
    conn.on('end', () => resolve(text));
    conn.on('error', reject);
  });
}

skipIf(needsHaproxy()).describe('startHaproxy', () => {
  it('fronts stable (weight 100) and canary (weight 0), with the runtime API and the exporter; stop() ends it and removes its directory', async () => {
    const stable = await startNamedServer('stable');
    onTestFinished(() => stable.stop());
    const canary = await startNamedServer('canary');
    onTestFinished(() => canary.stop());
    const haproxy = await startHaproxy({ backends: { stable: stable.port, canary: canary.address } });
    onTestFinished(() => haproxy.stop());

    assert.match(haproxy.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(readFileSync(haproxy.configFile, 'utf8'), /server canary 127\.0\.0\.1:\d+ weight 0\n/);
    assert.deepEqual([...(await countAnswers(haproxy.url, 20))], [['stable', 20]]);
    assert.equal(await runtimeApi(haproxy.socket, 'get weight app/canary'), '0 (initial 0)\n\n');
    const metrics = await fetch(haproxy.metricsUrl);
    assert.equal(metrics.status, 200);
    const text = await metrics.text();
    const responses = (server: string) =>
      Number(
        new RegExp(
          `^haproxy_server_http_responses_total\\{proxy="app",server="${server}",code="2xx"\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1],
      );
    // The harness's readiness probe went through the frontend too.
    assert.ok(responses('stable') >= 20, `stable answered ${responses('stable')}`);
    assert.equal(responses('canary'), 0);
    assert.match(text, /^haproxy_server_weight\{proxy="app",server="canary"\} 0$/m);

    await haproxy.stop();
    assert.ok(await gone([haproxy.pid]), `haproxy ${haproxy.pid} stopped`);
    assert.equal(existsSync(haproxy.dir), false);
    await haproxy.stop(); // twice is fine
  });

  it('a missing binary is SERVICE_MISSING naming the Debian package; needsHaproxy says the same for a skip', async () => {
    await assert.rejects(
      startHaproxy({ backends: { stable: 1, canary: 2 }, binary: 'no-such-haproxy' }),
      (err: unknown) => {
        assert.ok(err instanceof HarnessError);
        assert.equal(err.code, 'SERVICE_MISSING');
        assert.match(err.message, /apt-get install haproxy/);
        return true;
      },
    );
    assert.match(String(needsHaproxy({ binary: 'no-such-haproxy' })), /apt-get install haproxy/);
    assert.equal(needsHaproxy(), false);
  });
});

/**
 * A separate Node process starts nginx and never stops it, then ends the given way; resolves with
 * the master's and workers' pids and the directory once that process has ended.
 */
async function orphanNginx(end: 'exit' | 'SIGKILL'): Promise<{ pids: number[]; dir: string }> {
  const harness = new URL('../../packages/shared/src/testing/index.ts', import.meta.url).href;
  const script = [
    `const { startNginx } = await import(${JSON.stringify(harness)});`,
    `const nginx = await startNginx({ upstream: { stable: 1, canary: 2 } });`,
    `console.log(JSON.stringify({ pid: nginx.pid, dir: nginx.dir }));`,
    // Waits for the test to have read the workers, then ends: by itself (nothing left to do), or killed.
    `await new Promise((resolve) => process.stdin.once('data', resolve));`,
    `process.stdin.destroy();`,
    end === 'exit' ? `process.exitCode = 0;` : `setInterval(() => {}, 1000);`,
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before starting nginx`)));
  });
  const started = JSON.parse(first) as { pid: number; dir: string };
  // Read the workers while the child waits.
  let workers = children(started.pid);
  for (let i = 0; i < 40 && workers.length < 2; i++) {
    await sleep(25);
    workers = children(started.pid);
  }
  assert.equal(workers.length, 2, 'a master and two workers');
  child.stdin.write('go\n');
  if (end === 'SIGKILL') {
    await sleep(100);
    child.kill('SIGKILL');
  }
  await exited;
  return { pids: [started.pid, ...workers], dir: started.dir };
}

skipIf(needsNginx()).describe('startNginx', () => {
  it('runs a master and two workers proxying to the upstream file; stop() ends them all and removes its directory', async () => {
    const stable = await startNamedServer('stable');
    onTestFinished(() => stable.stop());
    const canary = await startNamedServer('canary');
    onTestFinished(() => canary.stop());
    const nginx = await startNginx({ upstream: { stable: stable.port, canary: canary.port } });
    onTestFinished(() => nginx.stop());

    assert.match(readFileSync(nginx.conf, 'utf8'), new RegExp(`include ${nginx.configFile};`));
    assert.match(
      readFileSync(nginx.configFile, 'utf8'),
      /^upstream app \{\n {4}server 127\.0\.0\.1:\d+ weight=100;\n {4}server 127\.0\.0\.1:\d+ down;\n\}\n$/,
    );
    assert.equal(Number(readFileSync(nginx.pidFile, 'utf8')), nginx.pid);
    assert.deepEqual([...(await countAnswers(nginx.url, 20))], [['stable', 20]]);
    const workers = children(nginx.pid);
    assert.equal(workers.length, 2);

    await nginx.stop();
    assert.ok(await gone([nginx.pid, ...workers]), 'master and workers stopped');
    assert.equal(existsSync(nginx.dir), false);
  });

  it('testCommand and reloadCommand are shell lines for this nginx', async () => {
    const nginx = await startNginx({ upstream: { stable: 1, canary: 2 } });
    onTestFinished(() => nginx.stop());
    const sh = (line: string) =>
      new Promise<number | null>((resolve) =>
        spawn('sh', ['-c', line], { stdio: 'ignore' }).on('exit', resolve),
      );
    assert.equal(await sh(nginx.testCommand), 0);
    const before = children(nginx.pid);
    assert.equal(await sh(nginx.reloadCommand), 0);
    let afterReload = children(nginx.pid);
    for (let i = 0; i < 100 && afterReload.some((p) => before.includes(p)); i++) {
      await sleep(20);
      afterReload = children(nginx.pid);
    }
    assert.ok(
      afterReload.length > 0 && afterReload.every((p) => !before.includes(p)),
      'the reload replaced the workers',
    );
  });

  it('master and workers are killed when the test process exits without stopping them', async () => {
    const { pids, dir } = await orphanNginx('exit');
    assert.ok(await gone(pids), `nginx ${pids.join(', ')} must not outlive the test process`);
    assert.equal(existsSync(dir), false);
  });

  it('master and workers are killed when the test process is SIGKILLed', async () => {
    const { pids, dir } = await orphanNginx('SIGKILL');
    // No hook runs on SIGKILL: the directory stays; remove it after the test, passed or not.
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    assert.ok(await gone(pids), `nginx ${pids.join(', ')} must not outlive the test process`);
  });
});
