/**
 * Path handling for archive entries and symlinks, confined to the image root: nothing can name a
 * file outside it, whatever `..` segments, absolute names or symlink targets a layer carries.
 */
import { posix } from 'node:path';

/**
 * The root-relative form of a tar entry name (`/var/lib/dpkg/status`), or `undefined` when the
 * name climbs above the root (`../etc/passwd`, `a/../../x`). A leading `/` or `./` is dropped, so an
 * absolute name lands inside the root, as container runtimes treat it.
 */
export function entryPath(name: string): string | undefined {
  const segments: string[] = [];
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (segments.length === 0) return undefined;
      segments.pop();
    } else {
      segments.push(seg);
    }
  }
  return segments.length === 0 ? undefined : `/${segments.join('/')}`;
}

/**
 * Where a symlink at `linkPath` points, resolved inside the root: an absolute target is taken
 * from the root, and `..` never climbs above it (as in a chroot). Returns a root-relative path.
 */
export function symlinkTarget(linkPath: string, target: string): string {
  const base = target.startsWith('/') ? '/' : posix.dirname(linkPath);
  const segments: string[] = [];
  for (const seg of `${base}/${target}`.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  return `/${segments.join('/')}`;
}

/** The parent directories of a root-relative path, nearest last (`/a/b/c` → `/a`, `/a/b`). */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  let i = path.indexOf('/', 1);
  while (i !== -1) {
    out.push(path.slice(0, i));
    i = path.indexOf('/', i + 1);
  }
  return out;
}
