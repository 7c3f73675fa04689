/**
 * The glob dialect catalogers use to name the files they want, as syft writes them:
 * `**` (any number of directories, including none), `*` (within one path segment), `?`, and
 * `{a,b}` alternatives. Globs match root-relative paths without the leading `/`.
 */

function globToRegExpSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        if (glob[i + 2] === '/') {
          out += '(?:[^/]*/)*';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end === -1) {
        out += '\\{';
        continue;
      }
      out += `(?:${glob
        .slice(i + 1, end)
        .split(',')
        .map((alt) => globToRegExpSource(alt))
        .join('|')})`;
      i = end;
    } else {
      out += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
    }
  }
  return out;
}

/** A compiled glob: `test('/var/lib/dpkg/status')` (with or without the leading `/`). */
export function compileGlob(glob: string): RegExp {
  return new RegExp(`^${globToRegExpSource(glob.replace(/^\/+/, ''))}$`);
}

/** A matcher over several globs (one regular expression), for the hot path of a layer walk. */
export function globMatcher(globs: readonly string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  const re = new RegExp(`^(?:${globs.map((g) => globToRegExpSource(g.replace(/^\/+/, ''))).join('|')})$`);
  return (path) => re.test(path.startsWith('/') ? path.slice(1) : path);
}
