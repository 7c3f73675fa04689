/**
 * The jest setup as a log reader sees it: the closing `N passed, N failed, N skipped` line, the
 * skip reasons, a test file that failed to run counted as a failure, and a failing test's cleanup.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { runJest, type JestRun } from './nested.ts';

describe('a jest run over a passing, a failing, a skipped test and a file that fails to load', () => {
  let dir: string;
  let run: JestRun;
  let log: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jest-reporter-'));
    const logFile = join(dir, 'log');
    run = await runJest(
      ['--runInBand', '--testMatch', '**/__tests__/jest/fixtures/{summary,broken}.fixture.ts'],
      {
        JEST_FIXTURE_LOG: logFile,
      },
    );
    log = await readFile(logFile, 'utf8');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('ends with one plain line counting the whole run, the file that did not load as a failure', () => {
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.at(-1), '2 passed, 2 failed, 1 skipped', run.stdout + run.stderr);
    assert.notEqual(run.code, 0);
  });

  it('names the skipped test with its reason, and the file that failed to run', () => {
    assert.ok(
      run.stdout.includes(
        'skipped: __tests__/jest/fixtures/summary.fixture.ts › fixture is skipped [skipped: the reason it is skipped]',
      ),
      run.stdout,
    );
    assert.ok(run.stdout.includes('failed to run: __tests__/jest/fixtures/broken.fixture.ts'), run.stdout);
    assert.match(run.stderr, /this test file fails while loading/);
  });

  it('runs the cleanup of a failing test, skips the skipped one and runs the one not skipped', () => {
    assert.deepEqual(log.trimEnd().split('\n').sort(), [
      'cleanup of the failing test ran',
      'passes ran',
      'the unskipped test ran',
    ]);
  });
});
