import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import {
  checkResponse,
  classifyError,
  displayUrl,
  evaluateJsonPath,
  parseExpectedJson,
  parseJsonPath,
  parseStatusSet,
  percentile,
  ProbeError,
  statusMatches,
  summarizeLatencies,
  validateProbeOptions,
  type ProbeOptions,
} from '@release-actions/shared/probe';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProbeError, `expected ProbeError, got ${String(err)}`);
    return err.code;
  }
  assert.fail('expected an error');
}

describe('parseStatusSet', () => {
  it('reads codes, ranges and classes, in any order', () => {
    const set = parseStatusSet('304, 200-299\n404');
    assert.equal(set.text, '200-299,304,404');
    for (const s of [200, 250, 299, 304, 404]) assert.ok(statusMatches(set, s), String(s));
    for (const s of [199, 300, 301, 403, 500]) assert.ok(!statusMatches(set, s), String(s));
    assert.equal(parseStatusSet('2xx,5XX').text, '200-299,500-599');
  });

  for (const bad of ['', '20', '200-', 'abc', '299-200', '600', '099', '200-299-300', '6xx', '200;304'])
    it(`rejects ${JSON.stringify(bad)} with INVALID_STATUS_SPEC`, () => {
      assert.equal(
        codeOf(() => parseStatusSet(bad)),
        'INVALID_STATUS_SPEC',
      );
    });

  it('says what is wrong and what would be valid', () => {
    assert.throws(() => parseStatusSet('299-200'), /start is above its end.*e\.g\. 200-299,304/);
  });
});

describe('JSON paths', () => {
  const doc = { status: 'UP', checks: [{ name: 'db', status: 'DOWN' }], 'a.b': { ok: true }, n: null };

  const cases: Array<[string, unknown]> = [
    ['$.status', 'UP'],
    ['status', 'UP'],
    ['.status', 'UP'],
    ['$.checks[0].status', 'DOWN'],
    ["$['a.b'].ok", true],
    ['$["a.b"]', { ok: true }],
    ['$.n', null],
    ['$', doc],
  ];
  for (const [path, value] of cases)
    it(`reads ${path}`, () => {
      assert.deepEqual(evaluateJsonPath(doc, parseJsonPath(path)), { found: true, value });
    });

  it('reports the missing segment', () => {
    assert.deepEqual(evaluateJsonPath(doc, parseJsonPath('$.checks[3].status')), {
      found: false,
      missing: '[3]',
    });
    assert.deepEqual(evaluateJsonPath(doc, parseJsonPath('$.status.x')), { found: false, missing: 'x' });
  });

  for (const bad of ['', '$..status', '$.checks[*]', '$.checks[?(@.ok)]', '$.a b', '$[x]'])
    it(`rejects ${JSON.stringify(bad)} with INVALID_JSON_PATH`, () => {
      assert.equal(
        codeOf(() => parseJsonPath(bad)),
        'INVALID_JSON_PATH',
      );
    });

  it('reads json-equals as JSON when it parses, else as text', () => {
    assert.equal(parseExpectedJson('true'), true);
    assert.equal(parseExpectedJson('42'), 42);
    assert.equal(parseExpectedJson('"UP"'), 'UP');
    assert.equal(parseExpectedJson('UP'), 'UP');
    assert.deepEqual(parseExpectedJson('{"ok":true}'), { ok: true });
  });
});

describe('checkResponse', () => {
  const status = parseStatusSet('200-299');
  const check = (body: string, expect: object, res: object = {}) =>
    checkResponse({ status: 200, body, latencyMs: 5, ...res }, { status, ...expect })?.code;

  it('passes a response that meets every expectation', () => {
    assert.equal(
      check('{"status":"UP"}', {
        bodyContains: ['UP', 'status'],
        bodyRegex: /"status":\s*"UP"/,
        json: { path: parseJsonPath('$.status'), equals: { value: 'UP', text: 'UP' } },
        maxLatencyMs: 10,
      }),
      undefined,
    );
  });

  it('names the first expectation failed', () => {
    assert.equal(check('x', {}, { status: 503 }), 'UNEXPECTED_STATUS');
    assert.equal(check('x', { maxLatencyMs: 4 }), 'TOO_SLOW');
    assert.equal(check('starting', { bodyContains: ['ready'] }), 'BODY_MISMATCH');
    assert.equal(check('starting', { bodyRegex: /^ready$/ }), 'BODY_MISMATCH');
    assert.equal(check('<html>', { json: { path: parseJsonPath('$.status') } }), 'JSON_MISMATCH');
    assert.equal(check('{}', { json: { path: parseJsonPath('$.status') } }), 'JSON_MISMATCH');
    assert.equal(
      check('{"status":"DOWN"}', {
        json: { path: parseJsonPath('status'), equals: { value: 'UP', text: 'UP' } },
      }),
      'JSON_MISMATCH',
    );
  });

  it('matches json-equals by value, and a string value by its text', () => {
    const json = (text: string) => ({
      json: { path: parseJsonPath('$.v'), equals: { value: parseExpectedJson(text), text } },
    });
    assert.equal(check('{"v":200}', json('200')), undefined);
    assert.equal(check('{"v":"200"}', json('200')), undefined);
    assert.equal(check('{"v":true}', json('true')), undefined);
    assert.equal(check('{"v":"true"}', json('true')), undefined);
    assert.equal(check('{"v":{"a":[1,2]}}', json('{"a":[1,2]}')), undefined);
    assert.equal(check('{"v":{"a":[1,2]}}', json('{"a":[2,1]}')), 'JSON_MISMATCH');
    assert.equal(check('{"v":1}', json('true')), 'JSON_MISMATCH');
  });

  it('gives the same answer every time with a global regex', () => {
    const expect = { bodyRegex: /ok/g };
    assert.equal(check('ok', expect), undefined);
    assert.equal(check('ok', expect), undefined);
  });

  it('quotes the status, the range and the start of the body', () => {
    const err = checkResponse({ status: 503, body: 'upstream\nnot ready', latencyMs: 1 }, { status });
    assert.match(err!.message, /status 503 is not in 200-299; body "upstream not ready"/);
  });
});

describe('latency statistics', () => {
  it('uses nearest-rank percentiles', () => {
    const sample = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(sample, 50), 50);
    assert.equal(percentile(sample, 95), 95);
    assert.equal(percentile([7], 95), 7);
    assert.deepEqual(summarizeLatencies([30, 10, 20]), {
      count: 3,
      p50: 20,
      p95: 30,
      p99: 30,
      max: 30,
      mean: 20,
    });
    assert.equal(summarizeLatencies([]), undefined);
  });
});

describe('classifyError', () => {
  const ctx = { deadline: false, cancelled: false, timedOut: false, timeoutMs: 1000, deadlineMs: undefined };
  const err = (code: string, message = code) => Object.assign(new Error(message), { code });

  it('maps socket and undici errors to failure codes, retryable', () => {
    const cases: Array<[unknown, string]> = [
      [err('ECONNREFUSED'), 'CONNECTION_REFUSED'],
      [new Error('fetch failed', { cause: err('ECONNRESET') }), 'CONNECTION_RESET'],
      [err('UND_ERR_SOCKET'), 'CONNECTION_RESET'],
      [err('UND_ERR_HEADERS_TIMEOUT'), 'TIMEOUT'],
      [err('ENOTFOUND'), 'DNS_ERROR'],
      [err('EWHATEVER'), 'NETWORK_ERROR'],
    ];
    for (const [e, code] of cases) {
      const c = classifyError(e, ctx);
      assert.equal(c.error.code, code);
      assert.equal(c.retryable, true);
    }
  });

  it('does not retry an untrusted certificate, and says how to fix it', () => {
    const c = classifyError(
      err('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
      ctx,
    );
    assert.equal(c.error.code, 'TLS_ERROR');
    assert.equal(c.retryable, false);
    assert.match(c.error.message, /add that CA/);
  });

  it('tells a deadline and a cancellation from a timeout', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    assert.equal(classifyError(abort, ctx).error.code, 'TIMEOUT');
    assert.equal(
      classifyError(abort, { ...ctx, deadline: true, deadlineMs: 50 }).error.code,
      'DEADLINE_EXCEEDED',
    );
    assert.equal(classifyError(abort, { ...ctx, cancelled: true }).error.code, 'CANCELLED');
    assert.equal(classifyError(new Error('x'), { ...ctx, timedOut: true }).error.code, 'TIMEOUT');
  });
});

describe('validateProbeOptions', () => {
  const base: ProbeOptions = {
    method: 'GET',
    expect: { status: parseStatusSet('200') },
    timeoutMs: 1000,
    maxAttempts: 3,
    consecutiveSuccesses: 1,
    retry: { intervalMs: 0, backoff: 'constant', maxIntervalMs: 0 },
    followRedirects: false,
  };
  it('accepts sound options and refuses impossible ones', () => {
    validateProbeOptions(base);
    for (const bad of [
      { maxAttempts: 0 },
      { maxAttempts: 1.5 },
      { consecutiveSuccesses: 4 },
      { timeoutMs: 0 },
      { deadlineMs: -1 },
      { body: 'x' },
      { method: 'BREW' },
    ])
      assert.equal(
        codeOf(() => validateProbeOptions({ ...base, ...bad } as ProbeOptions)),
        'INVALID_PROBE_OPTIONS',
        JSON.stringify(bad),
      );
  });
});

describe('displayUrl', () => {
  it('shows a URL as given unless it carries credentials or tokens', () => {
    assert.equal(displayUrl('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
    assert.equal(displayUrl('https://user:pw@example.com/h'), 'https://example.com/h');
    assert.equal(
      displayUrl('https://example.com/h?token=abc&x=1'),
      'https://example.com/h?token=REDACTED&x=1',
    );
  });
});
