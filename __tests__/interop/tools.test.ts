/**
 * How the interop suites treat a missing reference tool: skipped, saying how to build it, on a
 * machine without it; never skipped when `CI` is set, where running it fails naming the tool and
 * the command that builds it.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { locate, missingMessage, skipReason, tool } from './tools.ts';

describe('reference tools: skip or fail', () => {
  it('skips a missing tool outside CI, saying how to build it', () => {
    const reason = skipReason('cosign', undefined, {});
    assert.ok(reason);
    assert.match(reason, /cosign is not built: run npm run tools/);
    assert.match(skipReason('shellcheck', undefined, {}) || '', /apt-get install shellcheck/);
  });

  it('never skips in CI: the missing tool makes its tests fail, naming it and the fix', async () => {
    assert.equal(skipReason('syft', undefined, { CI: 'true' }), false);
    assert.match(missingMessage('syft'), /syft is missing from .*: npm run tools .*builds it/);
    const crane = tool('crane', { path: undefined, env: { CI: 'true' } });
    assert.equal(crane.skip, false);
    await assert.rejects(crane.run(['version']), /crane is missing from .*npm run tools/);
    const outside = tool('crane', { path: undefined, env: {} });
    assert.match(outside.skip || '', /crane is not built/);
  });

  it('runs a tool: exit code and output, a non-zero exit as a result, ok() rejecting it', async () => {
    const sh = tool('shellcheck', { path: '/bin/sh', env: {} });
    const run = await sh.run(['-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual(run, { code: 3, stdout: 'out\n', stderr: 'err\n' });
    await assert.rejects(sh.ok(['-c', 'exit 4']), /exited 4/);
    assert.equal((await sh.ok(['-c', 'echo fine'])).stdout, 'fine\n');
  });

  it('a tool that is there is neither skipped nor missing', () => {
    assert.equal(skipReason('actionlint', '/somewhere/actionlint', {}), false);
    assert.equal(skipReason('actionlint', '/somewhere/actionlint', { CI: 'true' }), false);
  });

  it('finds built tools in the tools directory only, shellcheck on PATH', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tools-test-'));
    try {
      await writeFile(join(dir, 'syft'), '#!/bin/sh\n');
      await writeFile(join(dir, 'crane'), 'not executable');
      await chmod(join(dir, 'syft'), 0o755);
      await writeFile(join(dir, 'shellcheck'), '#!/bin/sh\n');
      await chmod(join(dir, 'shellcheck'), 0o755);
      assert.equal(locate('syft', {}, dir), join(dir, 'syft'));
      assert.equal(locate('crane', {}, dir), undefined, 'a file without the executable bit is no tool');
      assert.equal(locate('cosign', {}, dir), undefined);
      assert.equal(locate('shellcheck', { PATH: `/nowhere:${dir}` }, '/nowhere'), join(dir, 'shellcheck'));
      assert.equal(locate('shellcheck', { PATH: '/nowhere' }, dir), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
