/**
 * RPM version ordering: `rpmvercmp` from rpm's `rpmio/rpmvercmp.cc` on each of epoch, version and
 * release (`[epoch:]version[-release]`, a missing epoch being 0). Segments are maximal runs of
 * digits or of letters; separators are skipped; `~` sorts before anything (even the end), `^`
 * after the end of the other string but before any further segment; numeric segments beat alpha
 * ones and compare by value (leading zeros dropped).
 */

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));

/** `rpmvercmp(a, b)`: 1 if `a` is newer, -1 if `b` is, 0 if the same. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isDigit(a[i]) && !isAlpha(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isDigit(b[j]) && !isAlpha(b[j]) && b[j] !== '~' && b[j] !== '^') j++;

    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;

    const numeric = isDigit(a[i]);
    const inSegment = numeric ? isDigit : isAlpha;
    let ie = i;
    let je = j;
    while (ie < a.length && inSegment(a[ie])) ie++;
    while (je < b.length && inSegment(b[je])) je++;
    // Segments of different kinds: the numeric one is newer.
    if (je === j) return numeric ? 1 : -1;

    let one = a.slice(i, ie);
    let two = b.slice(j, je);
    if (numeric) {
      one = one.replace(/^0+/, '');
      two = two.replace(/^0+/, '');
      if (one.length !== two.length) return one.length > two.length ? 1 : -1;
    }
    if (one !== two) return one < two ? -1 : 1;
    i = ie;
    j = je;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

interface Evr {
  epoch: string;
  version: string;
  /** Absent when the string has no `-`: an absent release sorts before any release. */
  release: string | undefined;
}

/** Splits `[epoch:]version[-release]` (the release after the last `-`). */
export function parseEvr(text: string): Evr {
  let rest = text.trim();
  let epoch = '0';
  const colon = rest.indexOf(':');
  if (colon >= 0 && /^\d*$/.test(rest.slice(0, colon))) {
    epoch = rest.slice(0, colon) || '0';
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  return dash >= 0
    ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) }
    : { epoch, version: rest, release: undefined };
}

/** `compare_values` of rpm's `rpmio/rpmver.cc`: an absent value sorts before a present one. */
function compareValues(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return rpmvercmp(a, b);
}

/** Compares two RPM `[epoch:]version[-release]` strings as `rpmverCmp` does (a missing epoch is 0). */
export function compareRpm(a: string, b: string): number {
  const ea = parseEvr(a);
  const eb = parseEvr(b);
  return (
    rpmvercmp(ea.epoch, eb.epoch) ||
    rpmvercmp(ea.version, eb.version) ||
    compareValues(ea.release, eb.release)
  );
}
