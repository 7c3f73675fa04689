/**
 * One contract, two implementations: the shared `spawnExec` and the kit's `runnerExec` (over
 * `@actions/exec`) both keep the `ExecFn` contract of packages/shared/src/build/exec.ts, running
 * real programs: a non-zero exit is a result with stdout and stderr kept apart, stdin gets the
 * input and is closed (also with none), the environment is merged over the process's own, a
 * missing program rejects with ENOENT (TOOL_NOT_FOUND through `runChecked`), and each shows the
 * command line, then the output, in its log. runnerExec runs in a process of its own
 * (exec-child.ts), as in an action, so its log is that process's stdout.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { BuildError, runChecked, spawnExec, type ExecFn } from '@release-actions/shared/build';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'exec-child.ts');
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'exec-contract-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Subject {
  exec: ExecFn;
  /** Everything logged so far. */
  log: () => string;
}

function viaSpawnExec(): Subject {
  const lines: string[] = [];
  const exec = spawnExec({
    logger: { debug: () => {}, info: (m) => lines.push(m), warning: (m) => lines.push(m) },
  });
  return { exec, log: () => lines.join('\n') };
}

/** runnerExec in a child Node process: its stdout up to the last `@@` line is the job log. */
function viaRunnerExec(options: { silent?: boolean } = {}, times = 1): Subject {
  let log = '';
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const exec: ExecFn = (request) =>
    new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [CHILD, JSON.stringify(request), JSON.stringify(options), String(times)],
        { env, timeout: 30_000 },
        (err, stdout, stderr) => {
          const at = stdout.lastIndexOf('\n@@');
          if (at < 0) return reject(err ?? new Error(`exec-child said nothing:\n${stdout}\n${stderr}`));
          log += stdout.slice(0, at);
          const [, kind, json] = /^\n@@(result|error) (.*)\n$/s.exec(stdout.slice(at))!;
          const value = JSON.parse(json!);
          if (kind === 'result') resolve(value);
          else reject(Object.assign(new Error(value.message), { code: value.code }));
        },
      );
    });
  return { exec, log: () => log };
}

const SCRIPT = 'echo out; echo err >&2; exit 3';

for (const [name, make, commandLine] of [
  ['spawnExec', viaSpawnExec, /^sh -c 'echo out; echo err >&2; exit 3'$/m],
  // @actions/exec's own echo: `[command]`, the program as found on PATH, the arguments as they are.
  ['runnerExec', () => viaRunnerExec(), /^\[command\]\/\S*\/sh -c echo out; echo err >&2; exit 3$/m],
] as const) {
  describe(`${name} keeps the ExecFn contract`, () => {
    it('resolves a non-zero exit with stdout and stderr apart, and logs the command line, then the output', async () => {
      const { exec, log } = make();
      const result = await exec({ command: 'sh', args: ['-c', SCRIPT] });
      assert.deepEqual(result, { exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
      const text = log();
      assert.match(text, commandLine, text);
      const at = text.search(commandLine);
      const after = text.slice(at).split('\n');
      assert.ok(
        after.includes('out') && after.includes('err'),
        `output not streamed after the command:\n${text}`,
      );
    });

    it('writes the input to stdin and closes it; the input is never in the log', async () => {
      const { exec, log } = make();
      const secret = 's3cret-pw-8c1f';
      // The expected value comes in the environment: nothing secret is on the command line.
      const checked = await exec({
        command: 'sh',
        args: ['-c', 'read -r pw; test "$pw" = "$EXPECTED_PW" && echo matched'],
        env: { EXPECTED_PW: secret },
        input: `${secret}\n`,
      });
      assert.deepEqual(checked, { exitCode: 0, stdout: 'matched\n', stderr: '' });
      // With no input stdin is closed all the same: cat ends instead of waiting for the runner forever.
      const cat = await exec({ command: 'cat', args: [] });
      assert.deepEqual(cat, { exitCode: 0, stdout: '', stderr: '' });
      assert.ok(!log().includes(secret), 'the input is in the log');
    });

    it('merges env over the process environment and runs in cwd', async () => {
      const { exec } = make();
      const result = await exec({
        command: 'sh',
        args: ['-c', 'echo "$EXEC_CONTRACT_EXTRA|$HOME"; pwd'],
        env: { EXEC_CONTRACT_EXTRA: 'extra' },
        cwd: dir,
      });
      assert.equal(result.exitCode, 0);
      assert.equal(result.stdout, `extra|${process.env.HOME ?? ''}\n${dir}\n`);
    });

    it('rejects a missing program with ENOENT, which runChecked reports as TOOL_NOT_FOUND', async () => {
      const { exec } = make();
      await assert.rejects(exec({ command: 'no-such-tool-3f9a', args: ['--version'] }), { code: 'ENOENT' });
      await assert.rejects(
        runChecked(exec, { command: 'no-such-tool-3f9a', args: [] }, 'BUILD_FAILED', 'build', 'install it'),
        (err: unknown) =>
          err instanceof BuildError &&
          err.code === 'TOOL_NOT_FOUND' &&
          /no-such-tool-3f9a is not installed/.test(err.message),
      );
    });

    it('reports a program ended by a signal with a non-zero exit, and runChecked quotes its last lines', async () => {
      const { exec } = make();
      const killed = await exec({ command: 'sh', args: ['-c', 'echo dying >&2; kill -KILL $$'] });
      assert.notEqual(killed.exitCode, 0);
      await assert.rejects(
        runChecked(exec, { command: 'sh', args: ['-c', SCRIPT] }, 'BUILD_FAILED', 'the build failed', 'x'),
        (err: unknown) =>
          err instanceof BuildError &&
          err.code === 'BUILD_FAILED' &&
          /the build failed: sh exited with code 3:\nerr$/.test(err.message),
      );
    });
  });
}

describe('runnerExec silent', () => {
  it('captures the output and logs neither the command line nor the output', async () => {
    const { exec, log } = viaRunnerExec({ silent: true });
    const result = await exec({ command: 'sh', args: ['-c', SCRIPT] });
    assert.deepEqual(result, { exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    assert.equal(log().trim(), '');
  });
});

describe('runnerExec and a program that exits without reading its input', () => {
  it('resolves with its exit code instead of ending the action on EPIPE (200 runs of a program that exits at once)', async () => {
    // @actions/exec writes stdin with no error listener: unguarded, about one run in five died here.
    const { exec } = viaRunnerExec({ silent: true }, 200);
    const result = await exec({ command: 'sh', args: ['-c', 'exit 4'], input: 'password\n' });
    assert.deepEqual(result, { exitCode: 4, stdout: '', stderr: '' });
  });
});
