/**
 * A small, strict subset of JSONPath for health documents: `$.status`, `$.checks[0].status`,
 * `$['key.with.dots']`, `status` (the leading `$` and dot are optional). No wildcards, filters or
 * recursion: a health check names one value.
 */
import { ProbeError } from './errors.ts';

/** A parsed path: object keys and array indexes, in order. `text` is how the user wrote it. */
export interface JsonPath {
  readonly segments: ReadonlyArray<string | number>;
  readonly text: string;
}

const HINT = "use a path such as $.status, $.checks[0].status or $['odd.key']";

export function parseJsonPath(text: string): JsonPath {
  const path = text.trim();
  const invalid = (problem: string) =>
    new ProbeError('INVALID_JSON_PATH', `"${path}" ${problem}: ${HINT} (no wildcards or filters)`);
  if (path === '') throw invalid('is empty');
  let rest = path.startsWith('$') ? path.slice(1) : path;
  if (!path.startsWith('$') && !rest.startsWith('.') && !rest.startsWith('[')) rest = `.${rest}`;
  const segments: Array<string | number> = [];
  while (rest !== '') {
    let m: RegExpExecArray | null;
    if ((m = /^\.([A-Za-z_$][\w$-]*)/.exec(rest))) segments.push(m[1]!);
    else if ((m = /^\[(\d+)\]/.exec(rest))) segments.push(Number(m[1]));
    else if ((m = /^\['((?:[^'\\]|\\.)*)'\]/.exec(rest)) || (m = /^\["((?:[^"\\]|\\.)*)"\]/.exec(rest)))
      segments.push(m[1]!.replace(/\\(.)/g, '$1'));
    else if (/^(\.\.|\.\*|\[\*\]|\[\?)/.test(rest)) throw invalid('uses a wildcard, filter or recursion');
    else throw invalid(`cannot be read at "${rest.slice(0, 20)}"`);
    rest = rest.slice(m[0].length);
  }
  return { segments, text: path };
}

/** The value at `path`, or `{ found: false }` with the part of the path that exists. */
export function evaluateJsonPath(
  document: unknown,
  path: JsonPath,
): { found: true; value: unknown } | { found: false; missing: string } {
  let value: unknown = document;
  for (const segment of path.segments) {
    if (
      typeof segment === 'number'
        ? Array.isArray(value) && segment < value.length
        : isObjectWith(value, segment)
    ) {
      value = (value as Record<string | number, unknown>)[segment];
    } else {
      return { found: false, missing: typeof segment === 'number' ? `[${segment}]` : segment };
    }
  }
  return { found: true, value };
}

function isObjectWith(value: unknown, key: string): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, key);
}

/**
 * The expected value of `json-equals`: JSON when it parses (`true`, `42`, `"UP"`, `{"ok":true}`),
 * otherwise the text itself as a string (`UP`).
 */
export function parseExpectedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Whether the value found matches the expected one: deep equality of JSON values, or, when the
 * value found is a string, equality with the expected text as written (so `json-equals: 200`
 * matches both `200` and `"200"`).
 */
export function jsonValueMatches(actual: unknown, expected: unknown, expectedText: string): boolean {
  if (typeof actual === 'string' && actual === expectedText.trim()) return true;
  return deepEqual(actual, expected);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
