/**
 * String order that is the same on every machine: by Unicode code point, as Go's and Rust's string
 * comparisons (and UTF-8 byte order) are. `localeCompare` and `Intl.Collator` depend on the
 * runner's locale and ICU data, so documents sorted with them differ between runners.
 */

/**
 * Compares two strings by code point: negative when `a` sorts first, positive when `b` does, 0 when
 * equal. UTF-16 code units give the same order except that surrogate pairs (code points above
 * U+FFFF) must sort after U+E000–U+FFFF, which is corrected here.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A code unit's place in code point order: surrogates (U+D800–U+DFFF) moved above U+FFFF's units. */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
