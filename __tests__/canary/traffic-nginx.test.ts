/**
 * The nginx adapter without nginx: the file it writes and reads back, and what it does when the
 * check or the reload fails (real shell lines stand in for nginx -t and nginx -s reload). The
 * adapter against a real nginx is in traffic-nginx.itg.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import {
  CanaryError,
  NginxTraffic,
  canaryShare,
  parseUpstream,
  renderUpstream,
  type NginxTrafficOptions,
} from '@release-actions/shared/canary';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ra-traffic-nginx-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let n = 0;
function adapter(overrides: Partial<NginxTrafficOptions> = {}): NginxTraffic & { file: string } {
  const file = join(dir, `upstream-${++n}.conf`);
  const traffic = new NginxTraffic({
    configFile: file,
    upstream: 'app',
    stableServer: '127.0.0.1:8081',
    canaryServer: '127.0.0.1:8082',
    testCommand: 'true',
    reloadCommand: 'true',
    settleMs: 0,
    ...overrides,
  });
  return Object.assign(traffic, { file: overrides.configFile ?? file });
}

describe('nginx upstream file', () => {
  it('writes weight=p and weight=100-p, a 0 as down (nginx refuses weight=0)', () => {
    const text = (canary: number) =>
      renderUpstream({
        upstream: 'app',
        stableServer: '127.0.0.1:8081',
        canaryServer: '127.0.0.1:8082',
        canary,
      });
    assert.match(
      text(10),
      /upstream app \{\n {4}server 127\.0\.0\.1:8081 weight=90;\n {4}server 127\.0\.0\.1:8082 weight=10;\n\}\n$/,
    );
    assert.match(text(0), /server 127\.0\.0\.1:8081 weight=100;\n {4}server 127\.0\.0\.1:8082 down;/);
    assert.match(text(100), /server 127\.0\.0\.1:8081 down;\n {4}server 127\.0\.0\.1:8082 weight=100;/);
    for (const canary of [0, 1, 10, 50, 99, 100]) {
      assert.doesNotMatch(text(canary), /weight=0/);
      const servers = parseUpstream(text(canary), 'app');
      assert.equal(canaryShare(servers!, '127.0.0.1:8082', '127.0.0.1:8081'), canary);
    }
  });

  it('reads an upstream a person wrote: comments, default weight 1, other directives and upstreams', () => {
    const text = [
      'upstream other { server 10.0.0.9:80 weight=5; }',
      '# upstream app { server 127.0.0.1:8082 weight=99; }',
      'upstream app {',
      '    least_conn;',
      '    server 127.0.0.1:8081 weight=3 max_fails=2; # stable',
      '    server 127.0.0.1:8082;',
      '    keepalive 16;',
      '}',
    ].join('\n');
    const servers = parseUpstream(text, 'app');
    assert.deepEqual(servers, [
      { address: '127.0.0.1:8081', weight: 3, down: false },
      { address: '127.0.0.1:8082', weight: 1, down: false },
    ]);
    assert.equal(canaryShare(servers!, '127.0.0.1:8082', '127.0.0.1:8081'), 25);
    assert.equal(parseUpstream(text, 'missing'), undefined);
    assert.equal(canaryShare(servers!, '127.0.0.1:9999', '127.0.0.1:8081'), undefined);
  });
});

describe('NginxTraffic without nginx', () => {
  it('writes the file, runs the check then the reload, and current() reads the file back', async () => {
    const log = join(dir, 'calls.log');
    const traffic = adapter({
      testCommand: `echo test >> '${log}'`,
      reloadCommand: `echo reload >> '${log}'`,
    });
    assert.equal(await traffic.current(), undefined, 'no file yet');
    await traffic.setWeight(10);
    assert.equal(await traffic.current(), 10);
    assert.match(await readFile(traffic.file, 'utf8'), /weight=90;[^]*weight=10;/);
    await traffic.setWeight(0);
    assert.equal(await traffic.current(), 0);
    assert.deepEqual((await readFile(log, 'utf8')).trim().split('\n'), ['test', 'reload', 'test', 'reload']);
    assert.match(
      traffic.description,
      /^nginx upstream app in .*upstream-\d+\.conf \(canary 127\.0\.0\.1:8082, stable 127\.0\.0\.1:8081\)$/,
    );
  });

  it('a failed check puts the previous file back (same text, same mode), skips the reload and says what nginx said', async () => {
    const reloads = join(dir, 'reloads.log');
    const file = join(dir, 'checked.conf');
    const checked = adapter({
      configFile: file,
      testCommand: `if grep -q 'weight=50;' '${file}'; then echo 'nginx: [emerg] host not found in upstream "bad" in ${file}:5' >&2; echo 'nginx: configuration file test failed' >&2; exit 1; fi`,
      reloadCommand: `echo reload >> '${reloads}'`,
    });
    const previous =
      '# hand-written\nupstream app { server 127.0.0.1:8081 weight=7; server 127.0.0.1:8082 weight=3; }\n';
    await writeFile(checked.file, previous);
    await chmod(checked.file, 0o640);
    assert.equal(await checked.current(), 30, 'the hand-written weights');
    await checked.setWeight(10);
    const atTen = await readFile(checked.file, 'utf8');
    assert.equal((await stat(checked.file)).mode & 0o777, 0o640, 'mode kept across the rename');
    await assert.rejects(checked.setWeight(50), (err: unknown) => {
      assert.ok(err instanceof CanaryError);
      assert.equal(err.code, 'TRAFFIC_ERROR');
      assert.match(
        err.message,
        /^nginx refused the upstream for canary 50%: nginx-test-command exited with code 1: /,
      );
      assert.match(err.message, /host not found in upstream "bad"/);
      assert.match(err.message, /is back as it was$/);
      assert.match(err.fix ?? '', /nginx -t -c/);
      return true;
    });
    assert.equal(await readFile(checked.file, 'utf8'), atTen, 'the previous file is back');
    assert.equal(await checked.current(), 10);
    assert.equal(
      (await readFile(reloads, 'utf8')).trim().split('\n').length,
      1,
      'no reload after the failed check',
    );
    assert.deepEqual(
      [...(await readdir(dir))].filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file left',
    );
  });

  it('a failed check of a file that was not there leaves no file', async () => {
    const traffic = adapter({ testCommand: 'echo "nginx: [emerg] unexpected end of file" >&2; exit 1' });
    await assert.rejects(traffic.setWeight(10), {
      code: 'TRAFFIC_ERROR',
      message: /unexpected end of file[^]*\(absent\)$/,
    });
    await assert.rejects(stat(traffic.file), { code: 'ENOENT' });
    assert.equal(await traffic.current(), undefined);
  });

  it('a failed reload puts the previous file back too', async () => {
    const traffic = adapter();
    await traffic.setWeight(10);
    const failing = adapter({
      configFile: traffic.file,
      reloadCommand: 'echo "nginx: [error] invalid PID number \\"\\" in \\"/run/nginx.pid\\"" >&2; exit 1',
    });
    await assert.rejects(failing.setWeight(50), {
      code: 'TRAFFIC_ERROR',
      message:
        /^nginx did not reload for canary 50%: nginx-reload-command exited with code 1: nginx: \[error\] invalid PID number/,
    });
    assert.equal(await failing.current(), 10);
  });

  it('refuses names and addresses that cannot be written into an upstream, before writing anything', () => {
    const base = {
      configFile: join(dir, 'never.conf'),
      stableServer: '127.0.0.1:8081',
      canaryServer: '127.0.0.1:8082',
    };
    const refused = [
      [
        { canaryServer: '127.0.0.1:8082; } server evil {' },
        /nginx-canary-server "127\.0\.0\.1:8082; \} server evil \{" cannot be written/,
      ],
      [{ stableServer: '' }, /nginx-stable-server is empty/],
      [{ upstream: 'my app' }, /nginx-upstream "my app" is not an upstream name/],
      [{ canaryServer: '127.0.0.1:8081' }, /both 127\.0\.0\.1:8081/],
      [{ configFile: '' }, /nginx-config is empty/],
    ] as const;
    for (const [patch, message] of refused)
      assert.throws(() => new NginxTraffic({ ...base, ...patch }), { code: 'TRAFFIC_ERROR', message });
    // unix: sockets and host names are left to nginx -t.
    assert.ok(
      new NginxTraffic({
        ...base,
        canaryServer: 'unix:/run/canary.sock',
        stableServer: 'stable.internal:80',
      }),
    );
  });

  it('a file it cannot write or read is TRAFFIC_ERROR naming nginx-config, and nothing is run', async () => {
    const calls = join(dir, 'never-run.log');
    const missingDir = adapter({
      configFile: join(dir, 'no-such-dir', 'upstream.conf'),
      testCommand: `echo test >> '${calls}'`,
    });
    await assert.rejects(missingDir.setWeight(10), {
      code: 'TRAFFIC_ERROR',
      message: /^cannot write nginx-config .*no-such-dir\/upstream\.conf: ENOENT/,
    });
    const aDirectory = adapter({ configFile: dir, testCommand: `echo test >> '${calls}'` });
    await assert.rejects(aDirectory.setWeight(10), {
      code: 'TRAFFIC_ERROR',
      message: /^cannot read nginx-config .*: EISDIR/,
    });
    await assert.rejects(aDirectory.current(), {
      code: 'TRAFFIC_ERROR',
      message: /^cannot read nginx-config/,
    });
    await assert.rejects(stat(calls), { code: 'ENOENT' });
  });

  it('with pidFile, names a pid file that does not exist before touching the file', async () => {
    const traffic = adapter({ pidFile: join(dir, 'no-such.pid') });
    await assert.rejects(traffic.setWeight(10), {
      code: 'TRAFFIC_ERROR',
      message: /pid file .*no-such\.pid does not exist/,
    });
    await assert.rejects(stat(traffic.file), { code: 'ENOENT' });
  });
});
