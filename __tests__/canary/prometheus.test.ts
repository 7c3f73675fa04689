/**
 * Prometheus metrics as users write them (the YAML list, each entry checked with a message naming
 * it), the query templates, and the request the source sends. What Prometheus answers is tested
 * against a real Prometheus in prometheus.itg.test.ts; the loopback stand-in here only records
 * requests and answers what a real Prometheus never does (a proxy's error page).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import {
  createPrometheusSource,
  parsePrometheusMetrics,
  parsePromValue,
  renderQuery,
  type Window,
} from '@release-actions/shared/canary';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import { canaryError } from './assert.ts';

const DIGEST = `sha256:${'c'.repeat(64)}`;

function window(over: Partial<Window> = {}): Window {
  return {
    step: 2,
    weight: 25,
    index: 1,
    sequence: 3,
    start: 1_700_000_000_000,
    end: 1_700_000_030_500,
    interval: '30s',
    ...over,
  };
}

describe('parsePrometheusMetrics', () => {
  it('reads a YAML list with defaults: on-no-data fail, max or min or both', () => {
    const metrics = parsePrometheusMetrics(`
- name: error-rate
  query: sum(rate(http_requests_total{code=~"5.."}[{{ interval }}]))
  max: 0.01
- name: throughput
  query: sum(rate(http_requests_total[{{interval}}]))
  min: 1
  on-no-data: hold
- name: cpu_ratio.v2
  query: avg(x)
  min: 0.1
  max: 0.9
  on-no-data: pass
`);
    assert.deepEqual(metrics, [
      {
        name: 'error-rate',
        query: 'sum(rate(http_requests_total{code=~"5.."}[{{ interval }}]))',
        max: 0.01,
        onNoData: 'fail',
      },
      { name: 'throughput', query: 'sum(rate(http_requests_total[{{interval}}]))', min: 1, onNoData: 'hold' },
      { name: 'cpu_ratio.v2', query: 'avg(x)', min: 0.1, max: 0.9, onNoData: 'pass' },
    ]);
    assert.deepEqual(parsePrometheusMetrics(''), []);
  });

  it('names the entry at fault and what would be valid', () => {
    const cases: Array<[string, RegExp]> = [
      [
        '- {name: a, query: x, max: 1}\n- {name: b, query: y, max: 1}\n- {name: c, max: 1}',
        /^metrics\[2\] \(c\): needs "query"$/,
      ],
      ['- {query: x, max: 1}', /^metrics\[0\]: needs "name"$/],
      ['- {name: a, query: x}', /^metrics\[0\] \(a\): needs "max" or "min"/],
      [
        '- {name: a, query: x, max: 1}\n- {name: a, query: y, max: 2}',
        /^metrics\[1\] \(a\): the name is used twice/,
      ],
      ['- {name: Error Rate, query: x, max: 1}', /^metrics\[0\]: name "Error Rate" may hold only lower case/],
      [
        '- {name: a, query: x, max: 1, on_no_data: pass}',
        /^metrics\[0\] \(a\): unknown key "on_no_data": use name, query, max, min and on-no-data$/,
      ],
      ['- {name: a, query: x, max: 5%}', /^metrics\[0\] \(a\): "max" must be a number .* not "5%"$/],
      ['- {name: a, query: x, min: 2, max: 1}', /^metrics\[0\] \(a\): min 2 is above max 1/],
      [
        '- {name: a, query: x, max: 1, on-no-data: skip}',
        /^metrics\[0\] \(a\): "on-no-data" must be fail, pass or hold, not "skip"$/,
      ],
      [
        '- {name: a, query: "rate(x[{{ intervall }}])", max: 1}',
        /^metrics\[0\] \(a\): unknown placeholder \{\{ intervall \}\} in the query: use \{\{ interval \}\}, \{\{ canary \}\}, \{\{ step \}\}, \{\{ weight \}\}$/,
      ],
      ['- {name: a, query: "  ", max: 1}', /^metrics\[0\] \(a\): "query" must be a PromQL expression$/],
      ['name: a\nquery: x', /^must be a YAML list of metrics/],
      ['- just a string', /^metrics\[0\]: must be a mapping/],
      ['- {name: a, query: [', /^is not valid YAML: /],
    ];
    for (const [text, message] of cases) assert.throws(() => parsePrometheusMetrics(text), { message }, text);
  });
});

describe('query templates', () => {
  it('fill interval, canary, step and weight, with or without spaces inside the braces', () => {
    assert.equal(
      renderQuery('rate(x{version="{{ canary }}",w="{{weight}}",s="{{  step }}"}[{{ interval }}])', {
        interval: '30s',
        canary: DIGEST,
        step: 2,
        weight: 25,
      }),
      `rate(x{version="${DIGEST}",w="25",s="2"}[30s])`,
    );
    assert.throws(
      () => renderQuery('{{ nope }}', { interval: '1s', canary: '', step: 1, weight: 1 }),
      /nope/,
    );
  });

  it('reads the values Prometheus writes, NaN and infinities included', () => {
    assert.equal(parsePromValue('0.25'), 0.25);
    assert.equal(parsePromValue('1e-3'), 0.001);
    assert.equal(parsePromValue('+Inf'), Infinity);
    assert.equal(parsePromValue('-Inf'), -Infinity);
    assert.ok(Number.isNaN(parsePromValue('NaN')));
    assert.throws(() => parsePromValue('abc'), /not a number/);
    assert.throws(() => parsePromValue(''), /not a number/);
  });
});

describe('createPrometheusSource: the request it sends', () => {
  const seen: Array<{ url: string; headers: IncomingMessage['headers'] }> = [];
  let answer: { status: number; type: string; body: string };
  let base: string;
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(answer.status, { 'content-type': answer.type });
    res.end(answer.body);
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('asks /api/v1/query under the base path, at the window end, with the templates filled in and the headers given', async () => {
    answer = {
      status: 200,
      type: 'application/json',
      body: JSON.stringify({
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: {}, value: [1, '0.5'] }] },
      }),
    };
    seen.length = 0;
    const source = createPrometheusSource({
      url: `${base}/prometheus`,
      canary: DIGEST,
      headers: { authorization: 'Bearer t0ken' },
      metrics: parsePrometheusMetrics(
        '- {name: ratio, query: "sum(rate(x{version=\\"{{ canary }}\\"}[{{ interval }}])) * {{ weight }} / {{ step }}", max: 1}',
      ),
    });
    const [sample] = await source.sample(window());
    await source.stop?.();
    const sent = `sum(rate(x{version="${DIGEST}"}[30s])) * 25 / 2`;
    assert.deepEqual(sample, {
      metric: 'ratio',
      value: 0.5,
      max: 1,
      unit: '',
      onNoData: 'fail',
      detail: sent,
    });
    assert.equal(seen.length, 1);
    const url = new URL(seen[0]!.url, base);
    assert.equal(url.pathname, '/prometheus/api/v1/query');
    assert.equal(url.searchParams.get('query'), sent);
    assert.equal(url.searchParams.get('time'), '1700000030.500');
    assert.equal(seen[0]!.headers.authorization, 'Bearer t0ken');
  });

  it('an answer that is not Prometheus (a proxy error page) is METRIC_ERROR naming the metric and the status', async () => {
    answer = { status: 502, type: 'text/html', body: '<html>Bad Gateway</html>' };
    const source = createPrometheusSource({
      url: base,
      canary: DIGEST,
      http: new HttpClient({ retry: immediateRetryPolicy(2) }),
      metrics: parsePrometheusMetrics('- {name: p95, query: "x", max: 1}'),
    });
    await assert.rejects(
      source.sample(window()),
      canaryError(
        'METRIC_ERROR',
        /metric "p95": .*\/api\/v1\/query answered 502 with no Prometheus API answer: <html>Bad Gateway/,
      ),
    );
  });

  it('refuses a URL that is not http(s) before sending anything', () => {
    assert.throws(
      () => createPrometheusSource({ url: 'prometheus:9090', canary: DIGEST, metrics: [] }),
      canaryError('INVALID_PLAN', /Prometheus URL "prometheus:9090" is not an http\(s\) URL/),
    );
  });
});
