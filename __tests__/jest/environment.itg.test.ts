/**
 * Under jest, a test file's `process` is a copy that never exits: the harnesses' last-resort
 * cleanup (packages/shared/src/testing/process.ts) runs only because scripts/jest/environment.ts
 * makes it emit 'exit' when the test file ends, as node:test's process per test file did.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from '@jest/globals';
import { onTestFinished } from '../jest-helpers.ts';
import { runJest } from './nested.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a registry that a jest test file forgot to stop', () => {
  it('is killed and its directory removed when that test file ends', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jest-env-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const out = join(dir, 'started.json');
    const run = await runJest(
      [
        '--runInBand',
        '--reporters=default',
        '--testMatch',
        '**/__tests__/jest/fixtures/forgotten-registry.fixture.ts',
      ],
      { JEST_FIXTURE_OUT: out },
    );
    assert.equal(run.code, 0, run.stderr);
    const started = JSON.parse(await readFile(out, 'utf8')) as { pid: number; dir: string };
    onTestFinished(() => rm(started.dir, { recursive: true, force: true }));
    for (let i = 0; i < 100 && alive(started.pid); i++) await sleep(50);
    assert.equal(alive(started.pid), false, `registry ${started.pid} outlived its test file`);
    assert.equal(existsSync(started.dir), false, `${started.dir} is left behind`);
  });
});
