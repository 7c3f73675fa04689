/**
 * The probe engine against real HTTP servers on loopback: services that refuse connections while
 * starting, answer 503 a few times, reset connections, answer the wrong body, hang past the
 * timeout, redirect, or serve a JSON health document.
 */
import assert from 'node:assert/strict';
import { afterAll, describe, it } from '@jest/globals';
import type { Logger } from '@release-actions/shared';
import {
  createProbeClient,
  parseJsonPath,
  parseStatusSet,
  probe,
  probeAll,
  type ProbeOptions,
} from '@release-actions/shared/probe';
import { freePort, hang, sequence, startServer, type TestServer } from './servers.ts';

const servers: TestServer[] = [];
const client = createProbeClient({ connectTimeoutMs: 2_000 });
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await client.close();
});

async function serve(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const server = await startServer(...args);
  servers.push(server);
  return server;
}

/** Fast options: small waits, a short timeout. */
function options(overrides: Partial<ProbeOptions> = {}): ProbeOptions {
  return {
    method: 'GET',
    expect: { status: parseStatusSet('200-299') },
    timeoutMs: 2_000,
    maxAttempts: 3,
    consecutiveSuccesses: 1,
    retry: { intervalMs: 10, backoff: 'constant', maxIntervalMs: 10 },
    followRedirects: false,
    ...overrides,
  };
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, debug: () => undefined, info: (m) => lines.push(m), warning: (m) => lines.push(m) };
}

describe('probe: attempts', () => {
  it('max-attempts 1 sends exactly one request, even for a 503', async () => {
    const server = await serve(sequence([503]));
    const result = await probe(`${server.url}/h`, options({ maxAttempts: 1 }), { client });
    assert.equal(result.healthy, false);
    assert.equal(result.attempts, 1);
    assert.equal(server.requests.length, 1);
    assert.equal(result.status, 503);
    assert.equal(result.lastError?.code, 'UNEXPECTED_STATUS');
    assert.equal(result.stopReason, 'attempts-exhausted');
  });

  it('sends exactly max-attempts requests to a service that never recovers', async () => {
    const server = await serve(sequence([500]));
    const result = await probe(`${server.url}/h`, options({ maxAttempts: 4 }), { client });
    assert.equal(result.attempts, 4);
    assert.equal(server.requests.length, 4);
    assert.equal(result.history.length, 4);
  });

  it('retries 503 until the service answers 200, and stops there', async () => {
    const server = await serve(sequence([503, 503, 503, 200]));
    const logger = recordingLogger();
    const result = await probe(`${server.url}/h`, options({ maxAttempts: 10 }), { client, logger });
    assert.equal(result.healthy, true);
    assert.equal(result.attempts, 4);
    assert.equal(server.requests.length, 4);
    assert.equal(result.status, 200);
    assert.equal(result.lastError?.code, 'UNEXPECTED_STATUS', 'the last failure is kept');
    assert.deepEqual(
      result.history.map((a) => a.status),
      [503, 503, 503, 200],
    );
    assert.ok(result.latency && result.latency.count === 4 && result.latency.max >= result.latency.p50);
    // One log line per attempt, saying what happened and what comes next.
    assert.equal(logger.lines.length, 4);
    assert.match(
      logger.lines[0]!,
      /attempt 1\/10: 503 in \d+ ms, status 503 is not in 200-299; body "ok"; next attempt in 10 ms/,
    );
    assert.match(logger.lines[3]!, /attempt 4\/10: 200 in \d+ ms, passed; healthy$/);
  });

  it('retries 4xx while a service starts (404 until its routes are up)', async () => {
    const server = await serve(sequence([404, 404, 200]));
    const result = await probe(`${server.url}/h`, options({ maxAttempts: 5 }), { client });
    assert.equal(result.healthy, true);
    assert.equal(result.attempts, 3);
  });

  it('retries refused connections until the service starts listening', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/h`;
    const starting = probe(url, options({ maxAttempts: 500, deadlineMs: 20_000 }), { client });
    // The first attempt goes out at once and is refused; the service comes up a moment later.
    setTimeout(() => void serve(sequence([200]), { port }), 300);
    const result = await starting;
    assert.equal(result.healthy, true);
    assert.ok(result.attempts >= 2, `attempts: ${result.attempts}`);
    assert.equal(result.history[0]!.error?.code, 'CONNECTION_REFUSED');
    assert.equal(result.history.at(-1)!.status, 200);
  });

  it('retries a connection reset', async () => {
    const server = await serve((req, res, n) => {
      if (n === 1) req.socket.destroy();
      else res.end('ok');
    });
    const result = await probe(`${server.url}/h`, options(), { client });
    assert.equal(result.healthy, true);
    assert.equal(result.attempts, 2);
    assert.equal(result.history[0]!.error?.code, 'CONNECTION_RESET');
  });

  it('times out a service slower than the timeout, on every attempt', async () => {
    const server = await serve(hang);
    const result = await probe(`${server.url}/h`, options({ timeoutMs: 100, maxAttempts: 2 }), { client });
    assert.equal(result.healthy, false);
    assert.equal(result.attempts, 2);
    assert.equal(server.requests.length, 2);
    assert.deepEqual(
      result.history.map((a) => a.error?.code),
      ['TIMEOUT', 'TIMEOUT'],
    );
    assert.match(result.lastError!.message, /no complete response within 100 ms/);
  });
});

describe('probe: consecutive successes and deadline', () => {
  it('needs N passes in a row: a failure in between starts the count again', async () => {
    const server = await serve(sequence([200, 503, 200, 200, 200]));
    const result = await probe(`${server.url}/h`, options({ maxAttempts: 10, consecutiveSuccesses: 3 }), {
      client,
    });
    assert.equal(result.healthy, true);
    assert.equal(result.attempts, 5);
  });

  it('is unhealthy when the attempts run out before N passes in a row', async () => {
    const server = await serve(sequence([200, 503, 200, 200, 200]));
    const result = await probe(`${server.url}/h`, options({ maxAttempts: 4, consecutiveSuccesses: 3 }), {
      client,
    });
    assert.equal(result.healthy, false);
    assert.equal(result.attempts, 4);
    assert.equal(result.stopReason, 'attempts-exhausted');
  });

  it('stops retrying at the deadline, whatever max-attempts says', async () => {
    const server = await serve(sequence([503]));
    const result = await probe(
      `${server.url}/h`,
      options({
        maxAttempts: 10_000,
        deadlineMs: 300,
        retry: { intervalMs: 20, backoff: 'constant', maxIntervalMs: 20 },
      }),
      { client },
    );
    assert.equal(result.healthy, false);
    assert.equal(result.stopReason, 'deadline');
    assert.ok(result.attempts >= 2 && result.attempts < 10_000, `attempts: ${result.attempts}`);
    // Every attempt counted was sent, and no other; an attempt the deadline cut may or may not
    // have reached the server before it was stopped.
    const cut = result.history.at(-1)!.error?.code === 'DEADLINE_EXCEEDED';
    const sent = server.requests.length;
    assert.ok(
      cut ? sent === result.attempts || sent === result.attempts - 1 : sent === result.attempts,
      `attempts ${result.attempts}, requests received ${sent}, last cut by the deadline: ${cut}`,
    );
  });

  it('stops an attempt in flight at the deadline instead of waiting for its timeout', async () => {
    const server = await serve(hang);
    const result = await probe(`${server.url}/h`, options({ timeoutMs: 60_000, deadlineMs: 200 }), {
      client,
    });
    assert.equal(result.healthy, false);
    assert.equal(result.attempts, 1);
    assert.equal(result.lastError?.code, 'DEADLINE_EXCEEDED');
    assert.equal(result.stopReason, 'deadline');
    assert.ok(result.durationMs < 30_000, 'did not wait for the 60 s timeout');
  });

  it('does not start an attempt whose wait would end past the deadline', async () => {
    const server = await serve(sequence([503]));
    const result = await probe(
      `${server.url}/h`,
      options({
        maxAttempts: 5,
        deadlineMs: 5_000,
        retry: { intervalMs: 60_000, backoff: 'constant', maxIntervalMs: 0 },
      }),
      { client },
    );
    assert.equal(result.attempts, 1);
    assert.equal(result.stopReason, 'deadline');
  });

  it('stops at once when cancelled', async () => {
    const server = await serve(sequence([503]));
    const controller = new AbortController();
    const pending = probe(
      `${server.url}/h`,
      options({ maxAttempts: 100, retry: { intervalMs: 60_000, backoff: 'constant', maxIntervalMs: 0 } }),
      { client, signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 100);
    const result = await pending;
    assert.equal(result.healthy, false);
    assert.equal(result.stopReason, 'cancelled');
    assert.equal(result.attempts, 1);
  });

  it('waits longer after each attempt with exponential backoff, up to the cap', async () => {
    const server = await serve(sequence([503]));
    const logger = recordingLogger();
    await probe(
      `${server.url}/h`,
      options({ maxAttempts: 5, retry: { intervalMs: 10, backoff: 'exponential', maxIntervalMs: 40 } }),
      { client, logger, random: () => 1 },
    );
    const waits = logger.lines.flatMap((l) => /next attempt in (\d+) ms/.exec(l)?.[1] ?? []).map(Number);
    assert.deepEqual(waits, [10, 20, 40, 40]);
  });
});

describe('probe: assertions', () => {
  it('fails a wrong body on every attempt, quoting it', async () => {
    const server = await serve((_req, res) => res.end('{"status":"STARTING"}'));
    const result = await probe(
      `${server.url}/h`,
      options({ expect: { status: parseStatusSet('200'), bodyContains: ['"UP"'] } }),
      {
        client,
      },
    );
    assert.equal(result.healthy, false);
    assert.equal(result.attempts, 3);
    assert.equal(result.status, 200);
    assert.equal(result.lastError?.code, 'BODY_MISMATCH');
    assert.match(result.lastError!.message, /does not contain "\\"UP\\"".*STARTING/);
  });

  it('matches a body regex', async () => {
    const server = await serve((_req, res) => res.end('version=1.4.2\nready'));
    const pass = await probe(
      `${server.url}/h`,
      options({ expect: { status: parseStatusSet('2xx'), bodyRegex: /^ready$/m } }),
      {
        client,
      },
    );
    assert.equal(pass.healthy, true);
    const fail = await probe(
      `${server.url}/h`,
      options({ maxAttempts: 1, expect: { status: parseStatusSet('2xx'), bodyRegex: /version=2\./ } }),
      { client },
    );
    assert.equal(fail.lastError?.code, 'BODY_MISMATCH');
  });

  describe('a JSON health document', () => {
    const doc = { status: 'UP', checks: [{ name: 'db', status: 'DOWN' }], version: 3 };
    const json = (path: string, text?: string) =>
      options({
        maxAttempts: 2,
        expect: {
          status: parseStatusSet('200'),
          json: {
            path: parseJsonPath(path),
            ...(text === undefined ? {} : { equals: { value: JSON.parse(text), text } }),
          },
        },
      });
    let server: TestServer;

    it('passes when the value at the path is the one expected', async () => {
      server = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(doc));
      });
      assert.equal((await probe(`${server.url}/health`, json('$.status', '"UP"'), { client })).healthy, true);
      assert.equal((await probe(`${server.url}/health`, json('$.version', '3'), { client })).healthy, true);
      assert.equal((await probe(`${server.url}/health`, json('$.checks[0].name'), { client })).healthy, true);
    });

    it('fails when the value differs or the path is missing, saying which', async () => {
      const wrong = await probe(`${server.url}/health`, json('$.checks[0].status', '"UP"'), { client });
      assert.equal(wrong.healthy, false);
      assert.equal(wrong.attempts, 2);
      assert.equal(wrong.lastError?.code, 'JSON_MISMATCH');
      assert.match(wrong.lastError!.message, /\$\.checks\[0\]\.status is "DOWN", expected "UP"/);
      const missing = await probe(`${server.url}/health`, json('$.checks[1].status'), { client });
      assert.match(missing.lastError!.message, /not found \(no "\[1\]"\)/);
    });

    it('fails a body that is not JSON', async () => {
      const html = await serve((_req, res) => res.end('<html>ok</html>'));
      const result = await probe(`${html.url}/health`, json('$.status', '"UP"'), { client });
      assert.equal(result.lastError?.code, 'JSON_MISMATCH');
      assert.match(result.lastError!.message, /not JSON/);
    });
  });

  it('fails a response slower than max-latency-ms', async () => {
    const server = await serve((_req, res) => setTimeout(() => res.end('ok'), 150));
    const result = await probe(
      `${server.url}/h`,
      options({ maxAttempts: 2, expect: { status: parseStatusSet('200'), maxLatencyMs: 20 } }),
      { client },
    );
    assert.equal(result.healthy, false);
    assert.equal(result.attempts, 2);
    assert.equal(result.lastError?.code, 'TOO_SLOW');
    assert.match(result.lastError!.message, /over the limit of 20 ms/);
  });
});

describe('probe: requests', () => {
  it('sends the method, headers and body given', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    const result = await probe(
      `${server.url}/hook`,
      options({
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-probe': 'yes', 'User-Agent': 'my-probe/1' },
        body: '{"ping":1}',
      }),
      { client },
    );
    assert.equal(result.healthy, true);
    const [req] = server.requests;
    assert.equal(req!.method, 'POST');
    assert.equal(req!.url, '/hook');
    assert.equal(req!.body, '{"ping":1}');
    assert.equal(req!.headers['x-probe'], 'yes');
    assert.equal(req!.headers['user-agent'], 'my-probe/1', 'a User-Agent given replaces the default');
  });

  it('probes with HEAD', async () => {
    const server = await serve((_req, res) => res.end());
    const result = await probe(`${server.url}/h`, options({ method: 'HEAD' }), { client });
    assert.equal(result.healthy, true);
    assert.equal(server.requests[0]!.method, 'HEAD');
  });

  describe('redirects', () => {
    let server: TestServer;
    it('checks the 3xx itself unless follow-redirects is on', async () => {
      server = await serve((req, res) => {
        if (req.url === '/old') res.writeHead(302, { location: '/health' }).end();
        else res.end('ok');
      });
      const manual = await probe(`${server.url}/old`, options({ maxAttempts: 1 }), { client });
      assert.equal(manual.healthy, false);
      assert.equal(manual.status, 302);
      assert.equal(manual.lastError?.code, 'UNEXPECTED_STATUS');
      const expected302 = await probe(
        `${server.url}/old`,
        options({ expect: { status: parseStatusSet('302') } }),
        { client },
      );
      assert.equal(expected302.healthy, true);
    });

    it('follows to the final response when asked', async () => {
      const followed = await probe(`${server.url}/old`, options({ followRedirects: true }), { client });
      assert.equal(followed.healthy, true);
      assert.equal(followed.status, 200);
      assert.equal(followed.attempts, 1);
    });

    it('does not carry Authorization or Cookie to another origin', async () => {
      const other = await serve((_req, res) => res.end('ok'));
      const origin = await serve((_req, res) =>
        res.writeHead(307, { location: `${other.url}/landing` }).end(),
      );
      const result = await probe(
        `${origin.url}/`,
        options({
          followRedirects: true,
          headers: { authorization: 'Bearer abc', cookie: 'sid=1', 'x-keep': 'k' },
        }),
        { client },
      );
      assert.equal(result.healthy, true);
      assert.equal(origin.requests[0]!.headers.authorization, 'Bearer abc');
      const landed = other.requests[0]!.headers;
      assert.equal(landed.authorization, undefined);
      assert.equal(landed.cookie, undefined);
      assert.equal(landed['x-keep'], 'k');
    });
  });
});

describe('probeAll', () => {
  it('probes every URL at the same time', async () => {
    // Each server holds its answer until all five have been asked: a sequential prober would
    // time out on the first one.
    const count = 5;
    const waiting: Array<() => void> = [];
    const barrier = () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length === count) for (const release of waiting) release();
      });
    const group = await Promise.all(
      Array.from({ length: count }, () =>
        serve(async (_req, res) => {
          await barrier();
          res.end('ok');
        }),
      ),
    );
    const results = await probeAll(
      group.map((s) => `${s.url}/h`),
      options({ maxAttempts: 1, timeoutMs: 5_000 }),
      { client },
    );
    assert.deepEqual(
      results.map((r) => r.healthy),
      Array(count).fill(true),
    );
    assert.deepEqual(
      results.map((r) => r.url),
      group.map((s) => `${s.url}/h`),
    );
  });

  it('reports each URL on its own: one bad endpoint does not spoil the others', async () => {
    const good = await serve(sequence([200]));
    const bad = await serve(sequence([503]));
    const logger = recordingLogger();
    const results = await probeAll([`${good.url}/`, `${bad.url}/`], options({ maxAttempts: 2 }), {
      client,
      logger,
    });
    assert.deepEqual(
      results.map((r) => [r.healthy, r.attempts]),
      [
        [true, 1],
        [false, 2],
      ],
    );
    assert.equal(logger.lines.filter((l) => l.startsWith('[2/2]')).length, 2);
    assert.equal(logger.lines.filter((l) => l.startsWith('[1/2]')).length, 1);
  });
});
