/**
 * Alpine version ordering, as apk-tools' `src/version.c` does it. A version is
 * `digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}`, read as a sequence of typed tokens; two
 * versions compare token by token while both have tokens of the same type. Suffixes order
 * `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`. A digit token with a
 * leading zero compares as a string (as Gentoo does). When one version runs out of matching
 * tokens first, the other is newer unless its next token is a pre-release suffix.
 */

// Token types, in the order apk-tools declares them: the order matters in the final comparison.
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;
const INVALID = 8;

/** Suffix ranks; `NONE` (no suffix) sits between the pre-release and post-release ones. */
const SUFFIXES: Record<string, number> = {
  alpha: 1,
  beta: 2,
  pre: 3,
  rc: 4,
  cvs: 6,
  svn: 7,
  git: 8,
  hg: 9,
  p: 10,
};
const SUFFIX_NONE = 5;

interface Token {
  type: number;
  /** The token's text (digits, letter, suffix name or hash). */
  value: string;
  suffix: number;
}

class Tokenizer {
  private pos = 0;
  readonly text: string;
  token: Token = { type: INITIAL_DIGIT, value: '', suffix: 0 };

  constructor(text: string) {
    this.text = text;
    this.digits(INITIAL_DIGIT);
  }

  private digits(type: number): void {
    const start = this.pos;
    while (this.pos < this.text.length && isDigit(this.text[this.pos]!)) this.pos++;
    const value = this.text.slice(start, this.pos);
    this.token = { type: value === '' ? INVALID : type, value, suffix: 0 };
  }

  private span(accept: (c: string) => boolean): string {
    const start = this.pos;
    while (this.pos < this.text.length && accept(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private invalid(): void {
    this.token = { type: INVALID, value: '', suffix: 0 };
  }

  next(): void {
    const prev = this.token.type;
    const c = this.text[this.pos];
    if (c === undefined) {
      this.token = { type: END, value: '', suffix: 0 };
      return;
    }
    if (c >= 'a' && c <= 'z') {
      if (prev > DIGIT) return this.invalid();
      this.pos++;
      this.token = { type: LETTER, value: c, suffix: 0 };
    } else if (c === '.' || isDigit(c)) {
      if (c === '.') {
        if (prev > DIGIT) return this.invalid();
        this.pos++;
      }
      if (prev === INITIAL_DIGIT || prev === DIGIT) this.digits(DIGIT);
      else if (prev === SUFFIX) this.digits(SUFFIX_NO);
      else this.invalid();
    } else if (c === '_') {
      if (prev > SUFFIX_NO) return this.invalid();
      this.pos++;
      const name = this.span((ch) => ch >= 'a' && ch <= 'z');
      const suffix = SUFFIXES[name];
      if (suffix === undefined) return this.invalid();
      this.token = { type: SUFFIX, value: name, suffix };
    } else if (c === '~') {
      if (prev >= COMMIT_HASH) return this.invalid();
      this.pos++;
      const hash = this.span((ch) => isDigit(ch) || (ch >= 'a' && ch <= 'f'));
      if (hash === '') return this.invalid();
      this.token = { type: COMMIT_HASH, value: hash, suffix: 0 };
    } else if (c === '-') {
      if (prev >= REVISION_NO || this.text[this.pos + 1] !== 'r') return this.invalid();
      this.pos += 2;
      this.digits(REVISION_NO);
    } else {
      this.invalid();
    }
  }
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';

/** memcmp over the shorter length, then the shorter first (apk's `apk_blob_sort`). */
function blobSort(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

function compareNumbers(a: string, b: string): number {
  const x = BigInt(a || '0');
  const y = BigInt(b || '0');
  return x === y ? 0 : x < y ? -1 : 1;
}

function tokenCompare(a: Token, b: Token): number {
  switch (a.type) {
    case DIGIT:
      // A leading zero on either side: compare as strings, like Gentoo.
      if (a.value.startsWith('0') || b.value.startsWith('0')) return blobSort(a.value, b.value);
      return compareNumbers(a.value, b.value);
    case INITIAL_DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      return compareNumbers(a.value, b.value);
    case LETTER:
      return blobSort(a.value, b.value);
    case SUFFIX:
      return Math.sign(a.suffix - b.suffix);
    default:
      return blobSort(a.value, b.value);
  }
}

/** Whether apk-tools would accept `version` as valid (`apk_version_validate`). */
export function isValidApkVersion(version: string): boolean {
  const t = new Tokenizer(version);
  while (t.token.type < END) t.next();
  return t.token.type === END;
}

/** Compares two Alpine package versions: negative, zero or positive. Invalid versions still compare, as apk does. */
export function compareApk(a: string, b: string): number {
  const ta = new Tokenizer(a);
  const tb = new Tokenizer(b);
  while (ta.token.type === tb.token.type && ta.token.type < END) {
    const r = tokenCompare(ta.token, tb.token);
    if (r !== 0) return r;
    ta.next();
    tb.next();
  }
  const x = ta.token;
  const y = tb.token;
  if (x.type === y.type) return 0;
  if (x.type === SUFFIX && x.suffix < SUFFIX_NONE) return -1;
  if (y.type === SUFFIX && y.suffix < SUFFIX_NONE) return 1;
  if (x.type > y.type) return -1;
  if (y.type > x.type) return 1;
  return 0;
}
