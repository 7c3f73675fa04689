import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { spawnExec, type ExecFn, type ExecRequest } from '@release-actions/shared/build';
import { CanaryError, CommandTraffic } from '@release-actions/shared/canary';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ra-traffic-command-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** spawnExec, recording each request it runs. */
function recording(): { exec: ExecFn; requests: ExecRequest[] } {
  const requests: ExecRequest[] = [];
  const real = spawnExec();
  return {
    requests,
    exec: (request) => {
      requests.push(request);
      return real(request);
    },
  };
}

describe('CommandTraffic (set-weight-command)', () => {
  it('runs the line with sh -c, CANARY_WEIGHT and STABLE_WEIGHT in its environment, at each weight', async () => {
    const out = join(dir, 'weights.txt');
    const { exec, requests } = recording();
    const traffic = new CommandTraffic({
      command: `echo "canary=$CANARY_WEIGHT stable=$STABLE_WEIGHT image=$CANARY_IMAGE" >> '${out}'`,
      env: { CANARY_IMAGE: 'reg.example/app@sha256:abc' },
      exec,
    });
    assert.equal(await traffic.current(), undefined);
    for (const weight of [0, 10, 50, 100]) {
      await traffic.setWeight(weight);
      assert.equal(await traffic.current(), weight);
    }
    assert.deepEqual((await readFile(out, 'utf8')).trim().split('\n'), [
      'canary=0 stable=100 image=reg.example/app@sha256:abc',
      'canary=10 stable=90 image=reg.example/app@sha256:abc',
      'canary=50 stable=50 image=reg.example/app@sha256:abc',
      'canary=100 stable=0 image=reg.example/app@sha256:abc',
    ]);
    assert.equal(requests.length, 4);
    assert.equal(requests[0]!.command, 'sh');
    assert.deepEqual(requests[0]!.args.slice(0, 1), ['-c']);
    assert.equal(traffic.description, 'set-weight-command');
  });

  it('a non-zero exit is COMMAND_FAILED with the tail of its stderr, and the weight is unknown after it', async () => {
    const traffic = new CommandTraffic({
      command:
        'if [ "$CANARY_WEIGHT" -gt 20 ]; then echo "error: weight $CANARY_WEIGHT refused" >&2; exit 3; fi',
    });
    await traffic.setWeight(10);
    assert.equal(await traffic.current(), 10);
    await assert.rejects(traffic.setWeight(50), (err: unknown) => {
      assert.ok(err instanceof CanaryError);
      assert.equal(err.code, 'COMMAND_FAILED');
      assert.match(
        err.message,
        /^setting the canary to 50%: set-weight-command exited with code 3: error: weight 50 refused$/,
      );
      return true;
    });
    assert.equal(await traffic.current(), undefined);
  });

  it('the message carries the last lines the command wrote to stderr, not the first', async () => {
    const traffic = new CommandTraffic({
      command:
        'for i in $(seq 1 30); do echo "progress $i" >&2; done; echo "error: rollout app not found" >&2; exit 3',
    });
    await assert.rejects(traffic.setWeight(10), (err: unknown) => {
      assert.ok(err instanceof CanaryError);
      assert.equal(err.code, 'COMMAND_FAILED');
      assert.match(err.message, /exited with code 3/);
      assert.match(err.message, /error: rollout app not found$/);
      assert.match(err.message, /progress 30/);
      assert.doesNotMatch(err.message, /progress 1\n/);
      assert.match(err.fix ?? '', /CANARY_WEIGHT/);
      return true;
    });
  });

  it('a command that cannot start (sh missing from the exec) is COMMAND_FAILED too', async () => {
    const traffic = new CommandTraffic({
      command: 'true',
      exec: () => Promise.reject(Object.assign(new Error('spawn sh ENOENT'), { code: 'ENOENT' })),
    });
    await assert.rejects(traffic.setWeight(10), {
      code: 'COMMAND_FAILED',
      message: /could not run: spawn sh ENOENT/,
    });
  });

  it('refuses an empty command and weights that are not whole percentages from 0 to 100', async () => {
    assert.throws(() => new CommandTraffic({ command: '  ' }), {
      code: 'TRAFFIC_ERROR',
      message: /set-weight-command is empty/,
    });
    const traffic = new CommandTraffic({ command: 'true' });
    for (const weight of [-1, 101, 12.5, Number.NaN])
      await assert.rejects(traffic.setWeight(weight), { code: 'TRAFFIC_ERROR' });
    assert.equal(await traffic.current(), undefined);
  });
});
