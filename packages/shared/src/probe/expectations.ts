/**
 * What a response must be to pass: status, latency, body text and a value in a JSON document.
 */
import { ProbeError } from './errors.ts';
import { evaluateJsonPath, jsonValueMatches, type JsonPath } from './json-path.ts';
import { statusMatches, type StatusSet } from './status.ts';

export interface JsonExpectation {
  path: JsonPath;
  /** The expected value; without it the path only has to exist. */
  equals?: { value: unknown; text: string };
}

export interface ProbeExpectations {
  status: StatusSet;
  /** Every one of these must appear in the body. */
  bodyContains?: readonly string[];
  bodyRegex?: RegExp;
  json?: JsonExpectation;
  /** A complete response slower than this fails. */
  maxLatencyMs?: number;
}

/** What an attempt received. `body` is absent for HEAD. */
export interface ReceivedResponse {
  status: number;
  body?: string;
  /** The body was longer than the engine reads; assertions saw its start only. */
  truncated?: boolean;
  latencyMs: number;
}

/** A short, one-line quote of a body for messages. */
export function bodySnippet(body: string | undefined, max = 120): string {
  if (!body) return '(empty body)';
  const line = body.replace(/\s+/g, ' ').trim();
  return JSON.stringify(line.length > max ? `${line.slice(0, max)}…` : line);
}

/** The first expectation the response fails, or `undefined` when it passes them all. */
export function checkResponse(res: ReceivedResponse, expect: ProbeExpectations): ProbeError | undefined {
  if (!statusMatches(expect.status, res.status)) {
    return new ProbeError(
      'UNEXPECTED_STATUS',
      `status ${res.status} is not in ${expect.status.text}${res.body === undefined ? '' : `; body ${bodySnippet(res.body)}`}`,
    );
  }
  if (expect.maxLatencyMs !== undefined && res.latencyMs > expect.maxLatencyMs) {
    return new ProbeError(
      'TOO_SLOW',
      `answered in ${Math.round(res.latencyMs)} ms, over the limit of ${expect.maxLatencyMs} ms`,
    );
  }
  const body = res.body ?? '';
  const cut = res.truncated ? ' (only the first MiB was read)' : '';
  for (const needle of expect.bodyContains ?? []) {
    if (!body.includes(needle))
      return new ProbeError(
        'BODY_MISMATCH',
        `body does not contain ${JSON.stringify(needle)}${cut}: ${bodySnippet(body)}`,
      );
  }
  if (expect.bodyRegex && !statelessTest(expect.bodyRegex, body)) {
    return new ProbeError(
      'BODY_MISMATCH',
      `body does not match ${String(expect.bodyRegex)}${cut}: ${bodySnippet(body)}`,
    );
  }
  if (expect.json) return checkJson(body, expect.json, cut);
  return undefined;
}

function checkJson(body: string, expect: JsonExpectation, cut: string): ProbeError | undefined {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return new ProbeError('JSON_MISMATCH', `body is not JSON${cut}: ${bodySnippet(body)}`);
  }
  const found = evaluateJsonPath(document, expect.path);
  if (!found.found)
    return new ProbeError(
      'JSON_MISMATCH',
      `${expect.path.text} not found (no "${found.missing}"): ${bodySnippet(body)}`,
    );
  if (expect.equals && !jsonValueMatches(found.value, expect.equals.value, expect.equals.text)) {
    return new ProbeError(
      'JSON_MISMATCH',
      `${expect.path.text} is ${JSON.stringify(found.value) ?? 'undefined'}, expected ${JSON.stringify(expect.equals.value)}`,
    );
  }
  return undefined;
}

/** `re.test` without the `lastIndex` state that the `g` and `y` flags would carry between attempts. */
function statelessTest(re: RegExp, text: string): boolean {
  return re.global || re.sticky
    ? new RegExp(re.source, re.flags.replace(/[gy]/g, '')).test(text)
    : re.test(text);
}
