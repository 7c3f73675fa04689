/**
 * `WWW-Authenticate` parsing (RFC 7235 §4.1, §2.1):
 *
 *     WWW-Authenticate = 1#challenge
 *     challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *     auth-param       = token BWS "=" BWS ( token / quoted-string )
 *
 * One header value may hold several challenges, and `fetch` joins repeated headers with ", ", so
 * the parser splits the value at commas outside quoted strings and decides, element by element,
 * whether it starts a new challenge (`scheme …`) or continues the previous one (`name=value`).
 * Parsing is lenient, as go-containerregistry's and distribution's are: a malformed element is
 * skipped, never fatal, because the caller decides what a missing `realm` means.
 */

/** One challenge: `Bearer realm="…",service="…",scope="…"`. */
export interface Challenge {
  /** The auth-scheme, lowercased: `bearer`, `basic`, … */
  scheme: string;
  /** The auth-params by lowercased name, values unquoted and unescaped. */
  params: Record<string, string>;
  /** The token68 form (`Negotiate YIIG…`), when the challenge carries one instead of params. */
  token68?: string;
}

// RFC 7230 §3.2.6 tchar, and RFC 7235 §2.1 token68.
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;
const TOKEN68_RE = /^[A-Za-z0-9\-._~+/]+=*$/;
const OWS_RE = /^[ \t]*/;

/** Parses a `WWW-Authenticate` header value into its challenges, in order. */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let current: Challenge | undefined;
  for (const element of splitList(header)) {
    const scheme = TOKEN_RE.exec(element)?.[0];
    if (!scheme) continue;
    const afterToken = element.slice(scheme.length);
    const rest = afterToken.replace(OWS_RE, '');
    if (rest.startsWith('=')) {
      // `name=value` continues the challenge before it.
      if (current) addParam(current, scheme, rest.slice(1));
      continue;
    }
    if (rest !== '' && rest.length === afterToken.length) continue; // junk glued to the scheme
    current = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(current);
    if (rest === '') continue;
    if (TOKEN68_RE.test(rest)) {
      current.token68 = rest;
      continue;
    }
    const name = TOKEN_RE.exec(rest)?.[0];
    const afterName = name ? rest.slice(name.length).replace(OWS_RE, '') : '';
    if (name && afterName.startsWith('=')) addParam(current, name, afterName.slice(1));
  }
  return challenges;
}

/** The scopes a challenge names (`scope` is space-delimited, RFC 6750 §3), e.g. `repository:a/b:pull,push`. */
export function challengeScopes(challenge: Challenge): string[] {
  return (challenge.params.scope ?? '').split(' ').filter((s) => s !== '');
}

/** Whether the registry refused a token because it lacks a scope (RFC 6750 §3.1 `error="insufficient_scope"`). */
export function isInsufficientScope(challenge: Challenge): boolean {
  return challenge.params.error === 'insufficient_scope';
}

/** Sets `name` from `raw` (what follows `=`), unless the value is malformed. */
function addParam(challenge: Challenge, name: string, raw: string): void {
  const value = parseValue(raw.replace(OWS_RE, ''));
  const key = name.toLowerCase();
  if (value !== undefined && key !== '__proto__') challenge.params[key] = value;
}

/**
 * A quoted-string (backslash escapes any character) with nothing but white space after it, or a
 * bare value. Bare values are taken whole up to the element's end rather than cut at the first
 * non-token character, so a registry that writes `realm=https://…` unquoted still works.
 */
function parseValue(text: string): string | undefined {
  if (!text.startsWith('"')) {
    const bare = text.trim();
    return bare === '' || bare.startsWith('=') || bare.includes('"') ? undefined : bare;
  }
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
      if (i < text.length) value += text[i];
    } else if (c === '"') {
      return text.slice(i + 1).trim() === '' ? value : undefined;
    } else {
      value += c;
    }
  }
  return undefined; // unterminated
}

/** Splits a list at commas outside quoted strings, dropping empty elements (RFC 7230 §7). */
function splitList(header: string): string[] {
  const elements: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      elements.push(header.slice(start, i));
      start = i + 1;
    }
  }
  elements.push(header.slice(start));
  return elements.map((e) => e.trim()).filter((e) => e !== '');
}
