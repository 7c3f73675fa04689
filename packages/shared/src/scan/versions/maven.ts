/**
 * Maven version ordering as OSV evaluates `Maven` ranges: the POM reference's "Version Order
 * Specification" with the details of Maven's `ComparableVersion`, as osv.dev
 * (`osv/ecosystems/maven.py`) and osv-scalibr (`semantic/version-maven.go`) implement it.
 *
 * A version is split into tokens at `.` and `-` and where digits meet non-digits (such a split
 * counts as `-`); each token keeps the separator before it. Tokens are case-insensitive, empty
 * ones are `0`, `cr` is `rc`, `ga`, `final` and `release` are empty, and `a`, `b`, `m` directly
 * followed by digits are `alpha`, `beta`, `milestone`; numbers lose leading zeros. Trailing
 * "null" tokens (`0`, empty) are trimmed from the end, and again before each hyphen from the end
 * to the start. Versions compare token by token, the shorter one padded with null tokens of the
 * other's separator (`.0`, or `-` and empty); numbers compare numerically and after qualifiers,
 * qualifiers in the order alpha < beta < milestone < rc < snapshot < "" < sp < anything else
 * (lexically), and between separators `.qualifier` < `-qualifier` < `-number` < `.number`.
 *
 * Where the two OSV implementations differ, osv-scalibr's is followed: a `.sp` is compared with
 * an empty padding value (so 1 < 1.sp, as in Maven), not with `.0`. Like both, and unlike Maven's
 * `ComparableVersion`, `1.foo` sorts before `1-foo` (Maven has them equal), and qualifiers
 * followed by dotted numbers (`1.xyz.1`) compare token by token rather than as Maven's sub-lists.
 */

interface Token {
  /** '' for the first token, else '.' or '-'. */
  sep: string;
  value: string;
  /** A padding token. */
  pad?: boolean;
}

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const isNumber = (v: string): boolean => /^\d+$/.test(v);
const isNull = (t: Token): boolean =>
  t.value === '0' || t.value === '' || t.value === 'final' || t.value === 'ga';

/** Splits at every place where a digit meets a non-digit. */
function runs(part: string): string[] {
  return part.match(/\d+|\D+/g) ?? [''];
}

function tokenize(version: string): Token[] {
  const tokens: Token[] = [];
  const parts = version.split(/([.-])/);
  for (let i = 0; i < parts.length; i += 2) {
    const pieces = runs(parts[i]!);
    pieces.forEach((piece, j) => {
      let value = piece.toLowerCase() || '0';
      if (value === 'cr') value = 'rc';
      if (value === 'ga' || value === 'final' || value === 'release') value = '';
      if (j < pieces.length - 1) {
        if (value === 'a') value = 'alpha';
        else if (value === 'b') value = 'beta';
        else if (value === 'm') value = 'milestone';
      }
      if (isNumber(value)) value = value.replace(/^0+(?=\d)/, '');
      tokens.push({ sep: j > 0 ? '-' : i === 0 ? '' : parts[i - 1]!, value });
    });
  }
  // Trim null tokens from the end, then from before each hyphen, going towards the start.
  let i = tokens.length - 1;
  while (i > 0) {
    if (isNull(tokens[i]!)) {
      tokens.splice(i, 1);
      i--;
      continue;
    }
    while (i >= 0 && tokens[i]!.sep !== '-') i--;
    i--;
  }
  return tokens;
}

/** The null token that pads the shorter version where the other has `other`. */
function padFor(other: Token): Token {
  // `sp` is the one qualifier above an empty value, so it is padded with one.
  if (other.sep === '.') return { sep: '.', value: other.value === 'sp' ? '' : '0', pad: true };
  return { sep: '-', value: '', pad: true };
}

/** Rank of a token's kind when the separators differ. */
function kindRank(t: Token): number {
  const number = isNumber(t.value);
  if (t.sep === '-') return number ? 2 : 1;
  return number ? 3 : 0;
}

function qualifierRank(value: string): number {
  const i = QUALIFIERS.indexOf(value);
  return i < 0 ? QUALIFIERS.length : i;
}

function compareTokens(a: Token, b: Token): number {
  if (a.sep !== b.sep) return Math.sign(kindRank(a) - kindRank(b));
  const an = isNumber(a.value);
  const bn = isNumber(b.value);
  if (an && bn) {
    const x = BigInt(a.value);
    const y = BigInt(b.value);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  // Numbers sort after qualifiers, unless they are padding.
  if (an && !a.pad) return 1;
  if (bn && !b.pad) return -1;
  const ra = qualifierRank(a.value);
  const rb = qualifierRank(b.value);
  if (ra === QUALIFIERS.length && rb === QUALIFIERS.length)
    return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  return Math.sign(ra - rb);
}

/** Compares two Maven versions; every string is a Maven version, so this never throws. */
export function compareMaven(a: string, b: string): number {
  const x = tokenize(a);
  const y = tokenize(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const left = x[i] ?? padFor(y[i]!);
    const right = y[i] ?? padFor(x[i]!);
    if (left.sep === right.sep && left.value === right.value) continue;
    const c = compareTokens(left, right);
    if (c !== 0) return c;
  }
  return 0;
}
