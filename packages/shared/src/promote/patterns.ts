/**
 * Tag patterns as users write them in policies and inputs: `*` matches any run of characters,
 * `?` one character, everything else itself (`v*`, `release-*`, `prod`).
 */
export function tagPattern(pattern: string): RegExp {
  const source = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/** The first of `patterns` that `tag` matches, if any. */
export function matchingPattern(tag: string, patterns: readonly string[]): string | undefined {
  return patterns.find((p) => tagPattern(p).test(tag));
}
