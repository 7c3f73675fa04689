/**
 * Metrics from Prometheus: each a PromQL query run once per window with the HTTP API's instant
 * query (`GET /api/v1/query?query=…&time=<window end>`), its value checked against `max`/`min`.
 *
 * The queries are templates: `{{ interval }}` becomes the window's length (`30s`, for range
 * selectors such as `rate(x[{{ interval }}])`), `{{ canary }}` the canary's digest, `{{ step }}` and
 * `{{ weight }}` the step's number and the canary's share in percent. A query must come down to one
 * number: a scalar, or a vector of exactly one series (aggregate with `sum(...)` or `max(...)`). An
 * empty vector or NaN (a ratio of two zero rates: no requests) is a window without data; `+Inf`
 * (histogram_quantile past the last bucket) is a value, and fails a `max`.
 */
import { errorMessage, redactUrl } from '../../errors.ts';
import { HttpClient } from '../../http.ts';
import { silentLogger, type Logger } from '../../logger.ts';
import { exponentialBackoff } from '../../retry.ts';
import { parse as parseYaml } from 'yaml';
import { CanaryError } from '../errors.ts';
import type { MetricSample, MetricSource, OnNoData, Window } from '../types.ts';

/** One metric the canary reads from Prometheus. */
export interface PrometheusMetric {
  /** How checks and `failed-check` name it: lower case letters, digits, `_`, `.`, `-`. */
  name: string;
  /** A PromQL template; see the module comment for its placeholders. */
  query: string;
  /** The check fails when the value is above `max` … */
  max?: number;
  /** … or below `min` (both may be given: a range). */
  min?: number;
  /** What a window without data counts as; default `fail`. */
  onNoData: OnNoData;
}

/** The placeholders a query may use, and what each becomes. */
export const QUERY_PLACEHOLDERS = ['interval', 'canary', 'step', 'weight'] as const;
export type QueryPlaceholder = (typeof QUERY_PLACEHOLDERS)[number];

const PLACEHOLDER = /\{\{\s*([^{}\s]*)\s*\}\}/g;
const NAME = /^[a-z0-9_.-]+$/;
const KEYS = new Set(['name', 'query', 'max', 'min', 'on-no-data']);
const ON_NO_DATA: readonly OnNoData[] = ['fail', 'pass', 'hold'];

const EXAMPLE = `- name: error-rate
  query: sum(rate(http_requests_total{version="canary",code=~"5.."}[{{ interval }}])) / sum(rate(http_requests_total{version="canary"}[{{ interval }}]))
  max: 0.01`;

/**
 * Reads the metrics a user wrote as a YAML list of `{ name, query, max?, min?, on-no-data? }`.
 * Throws a plain Error naming the entry at fault (`metrics[2] (p95): needs "max" or "min"`), for
 * the action's input checker to attach the input's name.
 */
export function parsePrometheusMetrics(yamlText: string): PrometheusMetric[] {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (err) {
    throw new Error(`is not valid YAML: ${errorMessage(err)}`, { cause: err });
  }
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc))
    throw new Error(
      `must be a YAML list of metrics, one "- name: … query: … max: …" entry each, e.g.\n${EXAMPLE}`,
    );
  const seen = new Set<string>();
  return doc.map((entry: unknown, i) => {
    let at = `metrics[${i}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
      throw new Error(`${at}: must be a mapping with name, query and max or min, e.g.\n${EXAMPLE}`);
    const fields = entry as Record<string, unknown>;
    const name = fields['name'];
    if (name === undefined) throw new Error(`${at}: needs "name"`);
    if (typeof name !== 'string' || !NAME.test(name))
      throw new Error(
        `${at}: name ${JSON.stringify(name)} may hold only lower case letters, digits, "_", "." and "-"`,
      );
    at = `${at} (${name})`;
    if (seen.has(name)) throw new Error(`${at}: the name is used twice: give each metric its own name`);
    seen.add(name);
    for (const key of Object.keys(fields))
      if (!KEYS.has(key))
        throw new Error(`${at}: unknown key "${key}": use name, query, max, min and on-no-data`);
    const query = fields['query'];
    if (query === undefined) throw new Error(`${at}: needs "query"`);
    if (typeof query !== 'string' || query.trim() === '')
      throw new Error(`${at}: "query" must be a PromQL expression`);
    for (const [, placeholder] of query.matchAll(PLACEHOLDER))
      if (!(QUERY_PLACEHOLDERS as readonly string[]).includes(placeholder!))
        throw new Error(
          `${at}: unknown placeholder {{ ${placeholder} }} in the query: use ${QUERY_PLACEHOLDERS.map((p) => `{{ ${p} }}`).join(', ')}`,
        );
    const bound = (key: 'max' | 'min'): number | undefined => {
      const value = fields[key];
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw new Error(
          `${at}: "${key}" must be a number in the query's own unit (0.05 for a ratio of 5%), not ${JSON.stringify(value)}`,
        );
      return value;
    };
    const max = bound('max');
    const min = bound('min');
    if (max === undefined && min === undefined)
      throw new Error(`${at}: needs "max" or "min" (or both): the value the check fails above or below`);
    if (max !== undefined && min !== undefined && min > max)
      throw new Error(`${at}: min ${min} is above max ${max}: no value could pass`);
    const onNoData = fields['on-no-data'] ?? 'fail';
    if (!ON_NO_DATA.includes(onNoData as OnNoData))
      throw new Error(`${at}: "on-no-data" must be fail, pass or hold, not ${JSON.stringify(onNoData)}`);
    return {
      name,
      query,
      ...(max !== undefined ? { max } : {}),
      ...(min !== undefined ? { min } : {}),
      onNoData: onNoData as OnNoData,
    };
  });
}

/** The values a query's placeholders stand for in one window. */
export interface QueryContext {
  interval: string;
  canary: string;
  step: number;
  weight: number;
}

/** The query with its placeholders filled in. Throws a plain Error on a placeholder it does not know. */
export function renderQuery(template: string, context: QueryContext): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    if (!(QUERY_PLACEHOLDERS as readonly string[]).includes(name))
      throw new Error(`unknown placeholder {{ ${name} }}`);
    return String(context[name as QueryPlaceholder]);
  });
}

/** The number a sample value string of Prometheus's API stands for: `NaN`, `+Inf`, `-Inf` included. */
export function parsePromValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  if (text.trim() === '' || Number.isNaN(n)) throw new Error(`"${text}" is not a number`);
  return n;
}

export interface PrometheusSourceOptions {
  /** Prometheus's base URL, e.g. `http://prometheus:9090` (a path prefix such as `/prometheus` is kept). */
  url: string;
  metrics: readonly PrometheusMetric[];
  /** The canary's digest (`sha256:…`), for `{{ canary }}`. */
  canary: string;
  /** Sent with every query, e.g. `{ authorization: 'Bearer …' }`. */
  headers?: Record<string, string>;
  /** Limit for one query, in milliseconds; default 10 s. */
  timeoutMs?: number;
  /** Default: a client of its own that retries a refused connection or a 5xx twice, briefly. */
  http?: HttpClient;
  logger?: Logger;
}

interface ApiAnswer {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

/**
 * A {@link MetricSource} of Prometheus queries. A query Prometheus refuses (bad PromQL: its
 * `errorType` and `error` are in the message), a Prometheus that cannot be reached, and a result that
 * is not one number are METRIC_ERROR, naming the metric and the query.
 */
export function createPrometheusSource(options: PrometheusSourceOptions): MetricSource {
  let base: URL;
  try {
    base = new URL(options.url);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('not http(s)');
  } catch (err) {
    throw new CanaryError(
      'INVALID_PLAN',
      `the Prometheus URL ${JSON.stringify(options.url)} is not an http(s) URL`,
      { cause: err, fix: 'Give the base URL Prometheus answers on, e.g. http://prometheus:9090.' },
    );
  }
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const endpoint = new URL('api/v1/query', base);
  const own = options.http === undefined;
  const http =
    options.http ??
    new HttpClient({
      retry: { attempts: 3, backoff: exponentialBackoff(200, 1000), maxDelayMs: 2000 },
      logger: options.logger,
      userAgent: 'release-actions-canary',
    });
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const shown = redactUrl(base).replace(/\/$/, '');

  async function query(metric: PrometheusMetric, window: Window): Promise<MetricSample> {
    const promql = renderQuery(metric.query, {
      interval: window.interval,
      canary: options.canary,
      step: window.step,
      weight: window.weight,
    });
    const url = new URL(endpoint);
    url.searchParams.set('query', promql);
    url.searchParams.set('time', (window.end / 1000).toFixed(3));
    const sample = (value: number | undefined): MetricSample => ({
      metric: metric.name,
      value,
      ...(metric.max !== undefined ? { max: metric.max } : {}),
      ...(metric.min !== undefined ? { min: metric.min } : {}),
      unit: '',
      onNoData: metric.onNoData,
      detail: promql,
    });
    const fail = (what: string, fix?: string, cause?: unknown): CanaryError =>
      new CanaryError('METRIC_ERROR', `metric "${metric.name}": ${what}; the query was: ${promql}`, {
        cause,
        fix:
          fix ??
          `Check what the query of "${metric.name}" returns in Prometheus's expression browser at ${shown}/graph.`,
      });

    let status: number;
    let text: string;
    try {
      const res = await http.request({
        method: 'GET',
        url,
        headers: { accept: 'application/json', ...options.headers },
        timeoutMs,
      });
      status = res.status;
      text = await res.body.text();
    } catch (err) {
      throw fail(
        `Prometheus at ${shown} could not be asked: ${errorMessage(err)}`,
        `Check that Prometheus answers at ${shown} from this runner (GET ${shown}/-/ready).`,
        err,
      );
    }
    let answer: ApiAnswer;
    try {
      answer = JSON.parse(text) as ApiAnswer;
    } catch (err) {
      throw fail(
        `${shown}/api/v1/query answered ${status} with no Prometheus API answer: ${text.slice(0, 200)}`,
        `Give the base URL of Prometheus (the one its web UI has, without /api/v1), not ${shown}.`,
        err,
      );
    }
    if (answer.status !== 'success') {
      const kind = typeof answer.errorType === 'string' ? `${answer.errorType}: ` : '';
      throw fail(
        `Prometheus refused the query (${status} ${kind}${typeof answer.error === 'string' ? answer.error : text.slice(0, 200)})`,
        `Fix the query of "${metric.name}"; try it in Prometheus's expression browser at ${shown}/graph.`,
      );
    }
    const { resultType, result } = answer.data ?? {};
    const valueOf = (pair: unknown): number => {
      const raw = Array.isArray(pair) ? pair[1] : undefined;
      if (typeof raw !== 'string') throw fail(`Prometheus sent a malformed sample ${JSON.stringify(pair)}`);
      try {
        return parsePromValue(raw);
      } catch (err) {
        throw fail(`Prometheus sent the value ${JSON.stringify(raw)}, not a number`, undefined, err);
      }
    };
    const checked = (value: number): MetricSample => sample(Number.isNaN(value) ? undefined : value);
    if (resultType === 'scalar') return checked(valueOf(result));
    if (resultType === 'vector' && Array.isArray(result)) {
      if (result.length === 0) return sample(undefined);
      if (result.length === 1) return checked(valueOf((result[0] as { value?: unknown }).value));
      const series = result
        .slice(0, 3)
        .map((r: { metric?: Record<string, string> }) => formatLabels(r.metric ?? {}))
        .join(', ');
      throw fail(
        `the query returned ${result.length} series (${series}${result.length > 3 ? ', …' : ''}), not one number`,
        `Aggregate the query of "${metric.name}" into one series, e.g. sum(...) or max(...) around it.`,
      );
    }
    throw fail(
      `the query returned a ${String(resultType)}, not one number`,
      resultType === 'matrix'
        ? `A range selector alone ([${window.interval}]) gives a range vector: wrap it in rate(...), increase(...) or an *_over_time function, and aggregate with sum(...).`
        : `Make the query of "${metric.name}" return a scalar or one series.`,
    );
  }

  return {
    description: `prometheus ${shown} (${options.metrics.map((m) => m.name).join(', ')})`,
    async sample(window) {
      const samples = await Promise.all(options.metrics.map((m) => query(m, window)));
      for (const s of samples) logger.debug(`${s.metric} = ${s.value ?? 'no data'} (${s.detail})`);
      return samples;
    },
    async stop() {
      if (own) await http.close();
    },
  };
}

function formatLabels(labels: Record<string, string>): string {
  const inner = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return `{${inner}}`;
}
