/**
 * Installed Node.js packages: every `node_modules/<name>/package.json` and
 * `node_modules/@scope/<name>/package.json` (any depth, so nested and global installs such as
 * `/usr/lib/node_modules` count), as `npm ls --all` would list them. Other package.json files
 * (a package's own test fixtures, `lib/package.json` markers) are not packages and are skipped;
 * so are manifests without a name or a version.
 */
import type { FileRecord } from '../filetree.ts';
import { locationOf, makePackage, purl, type Cataloger } from '../package.ts';
import type { Package } from '../types.ts';

const PACKAGE_DIR = /(^|\/)node_modules\/(@[^/]+\/)?[^/@.][^/]*\/package\.json$/;

/** License strings of a package.json: `license` (string or `{type}`) or the legacy `licenses` array. */
export function npmLicenses(doc: Record<string, unknown>): string[] {
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string')
      out.push((v as { type: string }).type);
  };
  add(doc.license);
  if (Array.isArray(doc.licenses)) doc.licenses.forEach(add);
  else add(doc.licenses);
  return out;
}

/** `pkg:npm/%40scope/name@1.0.0` for a (possibly scoped) package name. */
export function npmPurl(name: string, version: string): string | undefined {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  return slash > 0
    ? purl('npm', name.slice(0, slash), name.slice(slash + 1), version)
    : purl('npm', undefined, name, version);
}

export const npmCataloger: Cataloger = {
  name: 'javascript-package-cataloger',
  globs: ['**/node_modules/**/package.json'],
  catalog(files: FileRecord[], { logger }) {
    const packages: Package[] = [];
    for (const file of files) {
      if (!PACKAGE_DIR.test(file.path)) continue;
      let doc: Record<string, unknown>;
      try {
        doc = JSON.parse(file.content.toString('utf8')) as Record<string, unknown>;
      } catch {
        logger.debug(`${file.path}: not valid JSON; skipped`);
        continue;
      }
      if (
        !doc ||
        typeof doc.name !== 'string' ||
        typeof doc.version !== 'string' ||
        !doc.name ||
        !doc.version
      )
        continue;
      packages.push(
        makePackage({
          name: doc.name,
          version: doc.version,
          type: 'npm',
          purl: npmPurl(doc.name, doc.version),
          licenses: npmLicenses(doc),
          locations: [locationOf(file)],
          foundBy: this.name,
        }),
      );
    }
    return { packages, relationships: [] };
  },
};
