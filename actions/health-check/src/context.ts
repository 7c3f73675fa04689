/**
 * The action's inputs, keyed by their action.yml names, read and validated all at once before any
 * request. Secret header values are masked the moment they are parsed.
 */
import { readFileSync } from 'node:fs';
import * as core from '@actions/core';
import {
  InputChecker,
  isSensitiveHeader,
  parseBoolean,
  parseChoice,
  parseDuration,
  parseHeaderLines,
  parseInteger,
  parseList,
  secretParts,
} from '@release-actions/shared/github';
import {
  parseCaBundle,
  parseExpectedJson,
  parseJsonPath,
  parseStatusSet,
  PROBE_METHODS,
  type JsonPath,
  type ProbeMethod,
  type StatusSet,
} from '@release-actions/shared/probe';

export interface Inputs {
  url: string[];
  method: ProbeMethod;
  headers: Record<string, string>;
  body: string | undefined;
  'expected-status': StatusSet;
  'body-contains': string[];
  'body-regex': RegExp | undefined;
  'json-path': JsonPath | undefined;
  'json-equals': { value: unknown; text: string } | undefined;
  'max-latency-ms': number | undefined;
  /** Milliseconds, like every duration below. */
  timeout: number;
  'max-attempts': number;
  'retry-interval': number;
  backoff: 'constant' | 'exponential';
  'max-retry-interval': number;
  deadline: number | undefined;
  'consecutive-successes': number;
  'follow-redirects': boolean;
  /** Extra trusted CA certificates, PEM. */
  'ca-cert': string[];
  'fail-on-unhealthy': boolean;
}

/** The header values that were masked, so reports can scrub them from anything a server echoed. */
export function secretHeaderValues(headers: Record<string, string>): string[] {
  return Object.entries(headers).flatMap(([name, value]) =>
    isSensitiveHeader(name) ? secretParts(value) : [],
  );
}

export function getInputs(): Inputs {
  const check = new InputChecker();
  const raw = (name: string) => core.getInput(name);
  const optional = <T>(name: string, parse: (text: string) => T): T | undefined =>
    raw(name) === '' ? undefined : check.field(name, () => parse(raw(name)), undefined);
  const required = <T>(name: string, fallback: string, parse: (text: string) => T, empty: T): T =>
    check.field(name, () => parse(raw(name) === '' ? fallback : raw(name)), empty);

  const headers = check.field('headers', () => parseHeaders(raw('headers')), {});
  for (const secret of secretHeaderValues(headers)) core.setSecret(secret);

  const inputs: Inputs = {
    url: check.field('url', () => parseUrls(raw('url')), []),
    method: required('method', 'GET', (t) => parseChoice(t.toUpperCase(), PROBE_METHODS), 'GET'),
    headers,
    body: core.getInput('body', { trimWhitespace: false }) || undefined,
    'expected-status': required('expected-status', '200-299', parseStatusSet, parseStatusSet('200-299')),
    'body-contains': parseList(core.getInput('body-contains', { trimWhitespace: false })),
    'body-regex': optional('body-regex', parseRegex),
    'json-path': optional('json-path', parseJsonPath),
    'json-equals':
      raw('json-equals') === ''
        ? undefined
        : { value: parseExpectedJson(raw('json-equals')), text: raw('json-equals') },
    'max-latency-ms': optional('max-latency-ms', (t) => parseInteger(t, { min: 1 })),
    timeout: required('timeout', '10s', positiveDuration, 10_000),
    'max-attempts': required('max-attempts', '3', (t) => parseInteger(t, { min: 1, max: 10_000 }), 1),
    'retry-interval': required('retry-interval', '5s', parseDuration, 0),
    backoff: required(
      'backoff',
      'constant',
      (t) => parseChoice(t, ['constant', 'exponential'] as const),
      'constant',
    ),
    'max-retry-interval': required('max-retry-interval', '30s', parseDuration, 30_000),
    deadline: optional('deadline', positiveDuration),
    'consecutive-successes': required('consecutive-successes', '1', (t) => parseInteger(t, { min: 1 }), 1),
    'follow-redirects': required('follow-redirects', 'false', parseBoolean, false),
    'ca-cert': raw('ca-cert') === '' ? [] : check.field('ca-cert', () => readCaCert(raw('ca-cert')), []),
    'fail-on-unhealthy': required('fail-on-unhealthy', 'true', parseBoolean, true),
  };

  // Rules across inputs, each reported against the input to change.
  if (inputs['json-equals'] && !raw('json-path'))
    check.add('json-equals', 'needs json-path: set json-path to the value to compare, e.g. $.status');
  if (
    !check.has('consecutive-successes') &&
    !check.has('max-attempts') &&
    inputs['consecutive-successes'] > inputs['max-attempts']
  )
    check.add(
      'consecutive-successes',
      `${inputs['consecutive-successes']} passes in a row can never happen within max-attempts ${inputs['max-attempts']}: raise max-attempts or lower consecutive-successes`,
    );
  if (inputs.body !== undefined && (inputs.method === 'GET' || inputs.method === 'HEAD'))
    check.add('body', `a ${inputs.method} request cannot carry a body: set method to POST, PUT or PATCH`);
  const bodyChecks = ['body-contains', 'body-regex', 'json-path'].filter((name) => raw(name) !== '');
  if (inputs.method === 'HEAD' && bodyChecks.length > 0)
    check.add(bodyChecks[0]!, 'a HEAD response has no body to check: use method GET');
  if (inputs.backoff === 'exponential' && inputs['max-retry-interval'] < inputs['retry-interval'])
    check.add(
      'max-retry-interval',
      'is below retry-interval: it caps the exponential backoff, so make it at least retry-interval',
    );
  check.throwIfAny();
  return inputs;
}

function parseUrls(text: string): string[] {
  const urls = parseList(text);
  if (urls.length === 0)
    throw new Error('is required: give one or more http:// or https:// URLs, one per line');
  const seen = new Set<string>();
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`"${url}" is not an absolute URL: write it as http://host[:port]/path or https://…`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new Error(
        `"${url}" uses ${parsed.protocol.slice(0, -1)}: only http:// and https:// URLs can be probed`,
      );
    if (parsed.password) core.setSecret(decodeURIComponent(parsed.password));
    if (seen.has(parsed.href)) throw new Error(`"${url}" is listed twice: list each URL once`);
    seen.add(parsed.href);
  }
  return urls;
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of parseHeaderLines(text)) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
    headers[key] =
      key in headers ? `${headers[key]}${key.toLowerCase() === 'cookie' ? '; ' : ', '}${value}` : value;
  }
  return headers;
}

/** `pattern` or `/pattern/flags`. */
function parseRegex(text: string): RegExp {
  const literal = /^\/(.+)\/([dgimsuvy]*)$/s.exec(text);
  try {
    return literal ? new RegExp(literal[1]!, literal[2]) : new RegExp(text);
  } catch (err) {
    throw new Error(
      `is not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
}

function positiveDuration(text: string): number {
  const ms = parseDuration(text);
  if (ms <= 0) throw new Error(`"${text}" must be more than zero, e.g. 10s`);
  return ms;
}

/** PEM text, or the path of a file holding it. */
function readCaCert(value: string): string[] {
  if (value.includes('-----BEGIN')) return parseCaBundle(value);
  let pem: string;
  try {
    pem = readFileSync(value, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    throw new Error(`cannot read the file "${value}" (${code}): give PEM text or the path of a PEM file`, {
      cause: err,
    });
  }
  return parseCaBundle(pem);
}
