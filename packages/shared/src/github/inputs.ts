import { statSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Parsers for action input values, shared by every action. They take the raw string and return a
 * typed value or throw a plain `Error` whose message says what would be valid; the action's
 * `context.ts` attaches the input's name (see {@link InputChecker}). Nothing here reads the
 * environment or talks to the runner.
 */

/**
 * A list input: one value per line; with `commas: true` (for values that cannot contain one) also
 * comma-separated. Values are trimmed; empty lines and lines starting with `#` are dropped.
 */
export function parseList(text: string, options: { commas?: boolean } = {}): string[] {
  const lines = text.split(/\r?\n/);
  const values = options.commas ? lines.flatMap((line) => line.split(',')) : lines;
  return values.map((v) => v.trim()).filter((v) => v !== '' && !v.startsWith('#'));
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * A duration in milliseconds from `500ms`, `10s`, `1.5s`, `5m`, `1h` or a sum such as `1m30s`.
 * `0` alone is zero. A bare number is refused, because whether it means seconds or milliseconds is
 * a guess.
 */
export function parseDuration(text: string): number {
  const value = text.trim();
  const hint = 'use a number with a unit, e.g. 500ms, 10s, 5m or 1m30s';
  if (value === '') throw new Error(`is empty: ${hint}`);
  if (value.startsWith('-')) throw new Error(`"${value}" is negative: ${hint}`);
  if (value === '0') return 0;
  if (/^\d+(\.\d+)?$/.test(value)) throw new Error(`"${value}" has no unit: ${hint}`);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let match = part.exec(value); match; match = part.exec(value)) {
    total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
    end = part.lastIndex;
  }
  if (end !== value.length || end === 0) throw new Error(`"${value}" is not a duration: ${hint}`);
  return Math.round(total);
}

/** Formats milliseconds the way {@link parseDuration} reads them: `250ms`, `1.5s`, `2m`, `1m30s`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(ms % 1_000 === 0 ? 0 : 1))}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}

/** An integer within bounds, from its decimal text (`3`, not `3.0`, `+3` or `three`). */
export function parseInteger(text: string, bounds: { min?: number; max?: number } = {}): number {
  const value = text.trim();
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = bounds;
  const range =
    max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`;
  if (!/^-?\d+$/.test(value)) throw new Error(`"${value}" is not a whole number: use ${range}`);
  const n = Number(value);
  if (n < min || n > max) throw new Error(`${value} is out of range: use ${range}`);
  return n;
}

/** `true` or `false` (any case), as the YAML 1.2 core schema and `core.getBooleanInput` read them. */
export function parseBoolean(text: string): boolean {
  const value = text.trim();
  if (/^(true|True|TRUE)$/.test(value)) return true;
  if (/^(false|False|FALSE)$/.test(value)) return false;
  throw new Error(`"${value}" is not a boolean: use true or false`);
}

/** Exactly one of `choices`, compared case-insensitively; returns the choice as spelled there. */
export function parseChoice<T extends string>(text: string, choices: readonly T[]): T {
  const value = text.trim();
  const found = choices.find((c) => c.toLowerCase() === value.toLowerCase());
  if (found === undefined) throw new Error(`"${value}" is not one of ${choices.join(', ')}`);
  return found;
}

/** An HTTP header field name: an RFC 9110 token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * `Name: value` lines into header pairs, in order. Values are trimmed and may be empty; a value
 * containing a control character is refused, as no HTTP client may send it. Error messages never
 * quote a value (it may be a secret).
 */
export function parseHeaderLines(text: string): Array<[name: string, value: string]> {
  const headers: Array<[string, string]> = [];
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    // A malformed line may hold a secret: never quote it.
    if (colon < 0) throw new Error(`line ${index + 1} has no ":": write one "Name: value" per line`);
    const name = line.slice(0, colon).trim();
    if (!HEADER_NAME.test(name)) {
      throw new Error(
        `line ${index + 1}: the part before ":" is not a header name (letters, digits and -): write one "Name: value" per line`,
      );
    }
    const value = line.slice(colon + 1).trim();
    if (hasControlCharacter(value))
      throw new Error(`the value of header ${name} contains a control character`);
    headers.push([name, value]);
  }
  return headers;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

const SENSITIVE_HEADER =
  /^(authorization|proxy-authorization|cookie|set-cookie)$|token|secret|api-?key|password|session/i;

/**
 * Whether a header's value should be masked in logs: `Authorization`, `Proxy-Authorization`,
 * `Cookie`, and any header whose name speaks of a token, secret, API key, password or session.
 */
export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER.test(name);
}

/**
 * The strings to mask for a secret header value: the whole value, and for `Scheme credentials`
 * values (`Bearer abc`, `Basic …`) the credentials alone, so neither leaks if logged apart.
 */
export function secretParts(value: string): string[] {
  const parts = [value];
  const space = value.indexOf(' ');
  if (space > 0) {
    const credentials = value.slice(space + 1).trim();
    if (credentials.length >= 4) parts.push(credentials);
  }
  return parts.filter((p) => p.length > 0);
}

/** An absolute `http://` or `https://` URL (a service's base URL), without trailing slashes. */
export function parseHttpUrl(text: string): string {
  const value = text.trim();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`"${value}" is not an absolute URL: write it as https://host[:port]`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`"${value}" uses ${url.protocol.slice(0, -1)}: use an http:// or https:// URL`);
  return value.replace(/\/+$/, '');
}

/** An existing directory, made absolute (relative paths are taken from the working directory: the workspace on a runner). */
export function parseDirectory(path: string): string {
  const full = resolve(path);
  let isDir: boolean;
  try {
    isDir = statSync(full).isDirectory();
  } catch {
    throw new Error(`"${path}" does not exist: give an existing directory (relative to the workspace)`);
  }
  if (!isDir) throw new Error(`"${path}" is not a directory`);
  return full;
}
