/**
 * JSON exactly as Go's encoding/json writes it, for documents whose bytes matter (signed payloads,
 * manifests a cosign client rewrites): map keys sorted by their UTF-8 bytes, `<`, `>`, `&`,
 * U+2028 and U+2029 escaped as `\u003c`-style sequences, invalid UTF-16 replaced by U+FFFD.
 *
 * Objects are written in their own key order (Go writes struct fields in declaration order); a
 * {@link GoMap} (or `sortKeys`) sorts them, as Go does for `map[string]…`.
 */

/** Marks an object whose keys Go holds in a map, so they are written sorted. */
export class GoMap {
  readonly entries: Record<string, unknown>;
  constructor(entries: Record<string, unknown>) {
    this.entries = entries;
  }
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function goString(value: string): string {
  // JSON.stringify already escapes '"', '\\' and control characters as Go does (\b \f \n \r \t, else \u00xx).
  return JSON.stringify(value.replace(LONE_SURROGATE, '\uFFFD'))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Serialises like Go's `json.Marshal`. `sortKeys` sorts every plain object's keys (all maps);
 * without it only {@link GoMap}s are sorted. `undefined` members are skipped (`omitempty`).
 */
export function goJson(value: unknown, options: { sortKeys?: boolean } = {}): string {
  const write = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'string') return goString(v);
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new TypeError('JSON cannot hold NaN or Infinity');
      return JSON.stringify(v);
    }
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (Array.isArray(v)) return `[${v.map(write).join(',')}]`;
    if (v instanceof GoMap) return object(v.entries, true);
    if (typeof v === 'object') return object(v as Record<string, unknown>, options.sortKeys ?? false);
    throw new TypeError(`cannot serialise a ${typeof v}`);
  };
  const object = (o: Record<string, unknown>, sort: boolean): string => {
    const keys = Object.keys(o).filter((k) => o[k] !== undefined);
    if (sort) keys.sort(compareUtf8);
    return `{${keys.map((k) => `${goString(k)}:${write(o[k])}`).join(',')}}`;
  };
  return write(value);
}
