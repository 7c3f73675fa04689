/**
 * Parsers for the `Key: value` paragraph formats package databases use: Debian control files
 * (dpkg status) and RFC 822-style headers (Python METADATA / PKG-INFO).
 */

/** Paragraphs separated by blank lines; keys as written, continuation lines joined with `\n`. Repeated keys keep the first value. */
export function parseControlParagraphs(text: string): Array<Map<string, string>> {
  const out: Array<Map<string, string>> = [];
  let current = new Map<string, string>();
  let key: string | undefined;
  for (const line of text.split('\n')) {
    const trimmedEnd = line.replace(/\r$/, '');
    if (trimmedEnd.trim() === '') {
      if (current.size > 0) out.push(current);
      current = new Map();
      key = undefined;
      continue;
    }
    if (/^[ \t]/.test(trimmedEnd)) {
      if (key !== undefined) current.set(key, `${current.get(key)}\n${trimmedEnd.trim()}`);
      continue;
    }
    const colon = trimmedEnd.indexOf(':');
    if (colon <= 0) {
      key = undefined;
      continue;
    }
    key = trimmedEnd.slice(0, colon).trim();
    if (current.has(key)) {
      key = undefined;
      continue;
    }
    current.set(key, trimmedEnd.slice(colon + 1).trim());
  }
  if (current.size > 0) out.push(current);
  return out;
}

/**
 * The header section of an RFC 822-style document (up to the first blank line), with repeated
 * keys (e.g. `Classifier`) kept as lists.
 */
export function parseHeaders(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let last: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') break;
    if (/^[ \t]/.test(line)) {
      if (last) last[last.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    last = out.get(key) ?? [];
    last.push(line.slice(colon + 1).trim());
    out.set(key, last);
  }
  return out;
}
