/**
 * The committed bundle, run as the Actions runner runs it (`INPUT_*`, `GITHUB_OUTPUT`,
 * `GITHUB_STEP_SUMMARY`), against real servers on loopback. Asserts what a workflow sees: exit
 * code, outputs, summary rows, log lines.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { sequence, startServer, type TestServer } from '../probe/servers.ts';
import type { ResultJson as Result } from '../../actions/health-check/src/report.ts';
import { DIST, runAction } from './runner.ts';

const fast = { 'retry-interval': '10ms', timeout: '5s' };

describe('actions/health-check dist/index.js', () => {
  const servers: TestServer[] = [];
  const serve = async (...args: Parameters<typeof startServer>) => {
    const s = await startServer(...args);
    servers.push(s);
    return s;
  };
  beforeAll(() => assert.ok(existsSync(DIST), `${DIST} is missing: run npm run build`));
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  it('passes when every URL is healthy, with outputs and one summary row per URL', async () => {
    const flaky = await serve(sequence([503, 200], '{"status":"UP"}'));
    const steady = await serve(sequence([200], '{"status":"UP"}'));
    const run = await runAction({
      ...fast,
      url: `${flaky.url}/health\n${steady.url}/health`,
      'max-attempts': '3',
      'json-path': '$.status',
      'json-equals': 'UP',
    });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.healthy, 'true');
    assert.equal(run.outputs['failed-urls'], '');
    const results = JSON.parse(run.outputs.results!) as Result[];
    assert.deepEqual(
      results.map((r) => [r.url, r.healthy, r.attempts, r.status, r.stopReason]),
      [
        [`${flaky.url}/health`, true, 2, 200, 'healthy'],
        [`${steady.url}/health`, true, 1, 200, 'healthy'],
      ],
    );
    assert.equal(results[0]!.lastError?.code, 'UNEXPECTED_STATUS');
    assert.equal(results[1]!.lastError, null);
    assert.ok(
      results.every(
        (r) => r.latencyMs && r.latencyMs.p50 <= r.latencyMs.p95 && r.latencyMs.p95 <= r.latencyMs.max,
      ),
    );
    assert.equal(flaky.requests.length, 2);
    assert.equal(steady.requests.length, 1);

    // The summary: a heading, then one row per URL (plus the header row).
    assert.match(run.summary, /<h2>✅ Health check: 2 of 2 healthy<\/h2>/);
    const rows = [...run.summary.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => m[1]!);
    assert.equal(rows.length, 3);
    assert.match(
      rows[0]!,
      /<th>URL<\/th><th>Healthy<\/th><th>Attempts<\/th><th>Status<\/th><th>p95 latency<\/th><th>Last error<\/th>/,
    );
    assert.match(
      rows[1]!,
      new RegExp(
        `<td><code>${flaky.url}/health</code></td><td>✅ yes</td><td>2</td><td>200</td><td>\\d+ ms</td><td>recovered from <code>UNEXPECTED_STATUS</code>`,
      ),
    );
    assert.match(rows[2]!, /<td>✅ yes<\/td><td>1<\/td><td>200<\/td><td>\d+ ms<\/td><td>—<\/td>/);

    // One log line per attempt.
    assert.match(
      run.stdout,
      /\[1\/2\] .*: attempt 1\/3: 503 in \d+ ms, status 503 is not in 200-299.*next attempt in 10 ms/,
    );
    assert.match(run.stdout, /\[1\/2\] .*: attempt 2\/3: 200 in \d+ ms, passed; healthy/);
  });

  it('fails the step when a URL stays unhealthy, naming it', async () => {
    const good = await serve(sequence([200]));
    const down = await serve(sequence([503], 'maintenance'));
    const run = await runAction({ ...fast, url: `${good.url}/\n${down.url}/`, 'max-attempts': '4' });
    assert.equal(run.exitCode, 1);
    assert.equal(run.outputs.healthy, 'false');
    assert.equal(run.outputs['failed-urls'], `${down.url}/`);
    const results = JSON.parse(run.outputs.results!) as Result[];
    assert.equal(results[1]!.attempts, 4);
    assert.equal(down.requests.length, 4);
    assert.equal(results[1]!.status, 503);
    assert.equal(results[1]!.stopReason, 'attempts-exhausted');
    assert.match(results[1]!.lastError!.message, /status 503 is not in 200-299; body "maintenance"/);
    assert.match(run.stdout, new RegExp(`::error::1 of 2 URL\\(s\\) unhealthy: ${down.url}/`));
    assert.match(run.summary, /❌ Health check: 1 of 2 unhealthy/);
    assert.match(run.summary, /<td>❌ no<\/td><td>4<\/td><td>503<\/td>/);
  });

  it('max-attempts 1 sends exactly one request', async () => {
    const down = await serve(sequence([503]));
    const run = await runAction({ ...fast, url: down.url, 'max-attempts': '1' });
    assert.equal(run.exitCode, 1);
    assert.equal(down.requests.length, 1);
    assert.equal((JSON.parse(run.outputs.results!) as Result[])[0]!.attempts, 1);
  });

  it('with fail-on-unhealthy false, passes and reports through outputs only', async () => {
    const down = await serve(sequence([500]));
    const run = await runAction({
      ...fast,
      url: down.url,
      'max-attempts': '2',
      'fail-on-unhealthy': 'false',
    });
    assert.equal(run.exitCode, 0);
    assert.equal(run.outputs.healthy, 'false');
    assert.equal(run.outputs['failed-urls'], down.url);
    assert.match(run.stdout, /::warning::1 of 1 URL\(s\) unhealthy.*fail-on-unhealthy is false/);
  });

  it('rejects bad inputs before any request, naming each input', async () => {
    const server = await serve(sequence([200]));
    const run = await runAction({
      url: `${server.url}/`,
      method: 'FETCH',
      'expected-status': '200-2xx',
      timeout: '-3s',
      'json-equals': 'UP',
    });
    assert.equal(run.exitCode, 1);
    assert.equal(server.requests.length, 0, 'no request before validation');
    // A later step reading `healthy` sees a definite answer, and the summary says why.
    assert.deepEqual(run.outputs, { healthy: 'false' });
    for (const input of ['method', 'expected-status', 'timeout', 'json-equals']) {
      assert.match(run.stdout, new RegExp(`input "${input}"`), input);
      assert.match(run.summary, new RegExp(`input &quot;${input}&quot;`), input);
    }
    assert.match(run.stdout, /::error::4 inputs are invalid/);
    assert.match(run.summary, /## ❌ health-check failed[\s\S]*Nothing was attempted/);
  });

  it('masks secret headers and keeps them out of outputs and summary, even when a server echoes them', async () => {
    const token = 'Bearer s3cr3t-t0ken-value';
    const cookie = 'session=c00kie-value';
    const echo = await serve((req, res) => {
      res.writeHead(500);
      res.end(`you sent ${req.headers.authorization} and ${req.headers.cookie}`);
    });
    const run = await runAction({
      ...fast,
      url: echo.url,
      'max-attempts': '1',
      headers: `Authorization: ${token}\nCookie: ${cookie}\nX-Request-Id: probe-1`,
    });
    assert.equal(run.exitCode, 1);
    assert.equal(echo.requests[0]!.headers.authorization, token, 'the header was sent');
    assert.equal(echo.requests[0]!.headers.cookie, cookie);
    const masks = [...run.stdout.matchAll(/^::add-mask::(.*)$/gm)].map((m) => m[1]);
    assert.ok(
      masks.includes(token) && masks.includes('s3cr3t-t0ken-value') && masks.includes(cookie),
      masks.join(),
    );
    const logWithoutMasks = run.stdout.replace(/^::add-mask::.*$/gm, '');
    for (const secret of ['s3cr3t-t0ken-value', 'c00kie-value']) {
      assert.ok(!logWithoutMasks.includes(secret), `${secret} in the log`);
      assert.ok(!JSON.stringify(run.outputs).includes(secret), `${secret} in the outputs`);
      assert.ok(!run.summary.includes(secret), `${secret} in the summary`);
    }
    assert.match(run.outputs.results!, /you sent \*\*\* and \*\*\*/);
  });
});
