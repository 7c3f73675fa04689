import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, it } from '@jest/globals';
import {
  formatDuration,
  type InputError,
  isSensitiveHeader,
  parseBoolean,
  parseDuration,
  parseHeaderLines,
  parseInteger,
  parseList,
} from '@release-actions/shared/github';
import { getInputs } from '../../actions/health-check/src/context.ts';
import { captureStdout, inputProblems, setInputs } from '../inputs.ts';

const problems = (inputs: Record<string, string>) => inputProblems(getInputs, inputs);

afterEach(() => setInputs({}));

describe('shared input parsers', () => {
  it('parseList: one per line, commas when asked, blanks and comments dropped', () => {
    assert.deepEqual(parseList(' a \n\n# note\nb,c\r\n'), ['a', 'b,c']);
    assert.deepEqual(parseList('a, b\nc', { commas: true }), ['a', 'b', 'c']);
  });

  it('parseDuration: units, decimals and sums', () => {
    const cases: Array<[string, number]> = [
      ['500ms', 500],
      ['10s', 10_000],
      ['1.5s', 1_500],
      ['5m', 300_000],
      ['1h', 3_600_000],
      ['1m30s', 90_000],
      ['0', 0],
      ['0s', 0],
    ];
    for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
  });

  it('parseDuration: refuses negative, bare, unknown units and garbage, saying what is valid', () => {
    for (const bad of ['-5s', '10', '5 s', '5x', 's', 'ten seconds', '', '1.s'])
      assert.throws(() => parseDuration(bad), /e\.g\. 500ms, 10s, 5m/, bad);
  });

  it('formatDuration reads back', () => {
    for (const ms of [250, 1_000, 1_500, 60_000, 90_000]) assert.equal(parseDuration(formatDuration(ms)), ms);
  });

  it('parseInteger and parseBoolean', () => {
    assert.equal(parseInteger('3', { min: 1 }), 3);
    assert.throws(() => parseInteger('0', { min: 1 }), /out of range/);
    assert.throws(() => parseInteger('3.0'), /not a whole number/);
    assert.throws(() => parseInteger('three'), /not a whole number/);
    assert.equal(parseBoolean('TRUE'), true);
    assert.equal(parseBoolean('false'), false);
    assert.throws(() => parseBoolean('yes'), /use true or false/);
  });

  it('parseHeaderLines never quotes a malformed line (it may hold a secret)', () => {
    assert.deepEqual(parseHeaderLines('Accept: a/b\nX-Empty:\n'), [
      ['Accept', 'a/b'],
      ['X-Empty', ''],
    ]);
    assert.throws(
      () => parseHeaderLines('Authorization Bearer s3cret'),
      (err: Error) => /line 1 has no ":"/.test(err.message) && !err.message.includes('s3cret'),
    );
    assert.throws(
      () => parseHeaderLines('Authorization Bearer s3cret: x'),
      (err: Error) => /not a header name/.test(err.message) && !err.message.includes('s3cret'),
    );
  });

  it('isSensitiveHeader', () => {
    for (const name of [
      'Authorization',
      'cookie',
      'Proxy-Authorization',
      'X-Api-Key',
      'X-Auth-Token',
      'X-Session-Id',
    ])
      assert.ok(isSensitiveHeader(name), name);
    for (const name of ['Accept', 'Content-Type', 'X-Request-Id']) assert.ok(!isSensitiveHeader(name), name);
  });
});

describe('health-check getInputs', () => {
  it('applies the documented defaults', () => {
    setInputs({ url: 'http://127.0.0.1:8080/health' });
    const inputs = getInputs();
    assert.deepEqual(inputs.url, ['http://127.0.0.1:8080/health']);
    assert.equal(inputs.method, 'GET');
    assert.equal(inputs['expected-status'].text, '200-299');
    assert.equal(inputs.timeout, 10_000);
    assert.equal(inputs['max-attempts'], 3);
    assert.equal(inputs['retry-interval'], 5_000);
    assert.equal(inputs.backoff, 'constant');
    assert.equal(inputs['max-retry-interval'], 30_000);
    assert.equal(inputs.deadline, undefined);
    assert.equal(inputs['consecutive-successes'], 1);
    assert.equal(inputs['follow-redirects'], false);
    assert.equal(inputs['fail-on-unhealthy'], true);
    assert.deepEqual(inputs['ca-cert'], []);
    assert.equal(inputs.body, undefined);
  });

  it('reads every input', async () => {
    setInputs({
      url: 'https://a.example/health\n\nhttp://127.0.0.1:1/ready\n',
      method: 'post',
      headers: 'Content-Type: application/json\nX-Trace: 1\nx-trace: 2',
      body: '{"probe":true}',
      'expected-status': '200-299,304',
      'body-contains': 'UP\nready',
      'body-regex': '/^\\{.*\\}$/s',
      'json-path': '$.status',
      'json-equals': 'UP',
      'max-latency-ms': '250',
      timeout: '2s',
      'max-attempts': '10',
      'retry-interval': '500ms',
      backoff: 'exponential',
      'max-retry-interval': '8s',
      deadline: '1m30s',
      'consecutive-successes': '3',
      'follow-redirects': 'true',
      'fail-on-unhealthy': 'false',
    });
    const inputs = (await captureStdout(() => getInputs())).result;
    assert.equal(inputs.url.length, 2);
    assert.equal(inputs.method, 'POST');
    assert.deepEqual(inputs.headers, { 'Content-Type': 'application/json', 'X-Trace': '1, 2' });
    assert.equal(inputs.body, '{"probe":true}');
    assert.equal(inputs['expected-status'].text, '200-299,304');
    assert.deepEqual(inputs['body-contains'], ['UP', 'ready']);
    assert.equal(inputs['body-regex']?.flags, 's');
    assert.equal(inputs['json-path']?.text, '$.status');
    assert.deepEqual(inputs['json-equals'], { value: 'UP', text: 'UP' });
    assert.equal(inputs['max-latency-ms'], 250);
    assert.equal(inputs.timeout, 2_000);
    assert.equal(inputs['max-attempts'], 10);
    assert.equal(inputs['retry-interval'], 500);
    assert.equal(inputs.backoff, 'exponential');
    assert.equal(inputs['max-retry-interval'], 8_000);
    assert.equal(inputs.deadline, 90_000);
    assert.equal(inputs['consecutive-successes'], 3);
    assert.equal(inputs['follow-redirects'], true);
    assert.equal(inputs['fail-on-unhealthy'], false);
  });

  it('masks Authorization and Cookie values (and the bare credentials) the moment it reads them', async () => {
    setInputs({
      url: 'https://user:p%40ss@example.com/h',
      headers: 'Authorization: Bearer tok-123456\nCookie: sid=abcdef\nAccept: text/plain',
    });
    const { result, output } = await captureStdout(() => getInputs());
    const masked = [...output.matchAll(/^::add-mask::(.*)$/gm)].map((m) => m[1]);
    assert.deepEqual(masked.sort(), ['Bearer tok-123456', 'p@ss', 'sid=abcdef', 'tok-123456'].sort());
    assert.equal(result.headers.Authorization, 'Bearer tok-123456');
  });

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['url', { url: '' }, /is required/],
    ['url', { url: 'not a url' }, /"not a url" is not an absolute URL/],
    ['url', { url: 'ftp://example.com/x' }, /only http:\/\/ and https:\/\//],
    ['url', { url: 'http://a.example/\nhttp://a.example/' }, /listed twice/],
    ['method', { method: 'BREW' }, /"BREW" is not one of GET, HEAD, POST/],
    ['expected-status', { 'expected-status': '200-' }, /e\.g\. 200-299,304/],
    ['expected-status', { 'expected-status': '299-200' }, /start is above its end/],
    ['timeout', { timeout: '-1s' }, /negative/],
    ['timeout', { timeout: 'ten' }, /not a duration/],
    ['timeout', { timeout: '10' }, /has no unit/],
    ['timeout', { timeout: '0s' }, /more than zero/],
    ['retry-interval', { 'retry-interval': '-5s' }, /negative/],
    ['deadline', { deadline: 'soon' }, /not a duration/],
    ['max-attempts', { 'max-attempts': '0' }, /at least 1|from 1/],
    ['max-attempts', { 'max-attempts': 'three' }, /not a whole number/],
    ['max-latency-ms', { 'max-latency-ms': '-5' }, /out of range/],
    ['consecutive-successes', { 'consecutive-successes': '4', 'max-attempts': '3' }, /raise max-attempts/],
    ['backoff', { backoff: 'linear' }, /constant, exponential/],
    ['json-equals', { 'json-equals': 'UP' }, /needs json-path/],
    ['json-path', { 'json-path': '$..status' }, /no wildcards/],
    ['body-regex', { 'body-regex': '(' }, /not a valid regular expression/],
    ['body', { body: 'x' }, /GET request cannot carry a body/],
    ['body-contains', { method: 'HEAD', 'body-contains': 'ok' }, /HEAD response has no body/],
    ['headers', { headers: 'no colon here' }, /line 1 has no ":"/],
    ['follow-redirects', { 'follow-redirects': 'yes' }, /use true or false/],
    ['fail-on-unhealthy', { 'fail-on-unhealthy': '1' }, /use true or false/],
    [
      'ca-cert',
      { 'ca-cert': '/nonexistent/ca.pem' },
      /cannot read the file "\/nonexistent\/ca.pem" \(ENOENT\)/,
    ],
    [
      'max-retry-interval',
      { backoff: 'exponential', 'retry-interval': '10s', 'max-retry-interval': '1s' },
      /at least retry-interval/,
    ],
  ];
  for (const [input, given, message] of bad) {
    it(`rejects ${input}=${JSON.stringify(Object.values(given).join(' | ')).slice(0, 50)} naming the input`, () => {
      const found = problems({ url: 'http://127.0.0.1:1/h', ...given });
      const problem = found.find((p) => p.input === input);
      assert.ok(problem, `no problem reported for ${input}: ${JSON.stringify(found)}`);
      assert.match(problem.message, message);
    });
  }

  it('reports every bad input at once, each by name', () => {
    setInputs({ url: 'nope', method: 'BREW', timeout: '-1s', 'expected-status': 'abc' });
    assert.throws(
      () => getInputs(),
      (err: InputError) =>
        err.problems.map((p) => p.input).join() === 'url,method,expected-status,timeout' &&
        /4 inputs are invalid/.test(err.message) &&
        /input "timeout": "-1s" is negative/.test(err.message),
    );
  });

  const dir = mkdtempSync(join(tmpdir(), 'health-check-inputs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a ca-cert file without a certificate', () => {
    const file = join(dir, 'not-a-cert.pem');
    writeFileSync(file, 'hello');
    assert.match(
      problems({ url: 'https://a.example/', 'ca-cert': file })[0]!.message,
      /holds no PEM certificate/,
    );
    const damaged = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    assert.match(
      problems({ url: 'https://a.example/', 'ca-cert': damaged })[0]!.message,
      /does not parse as X\.509/,
    );
  });
});
