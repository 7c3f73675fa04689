/**
 * Installed Python distributions, as syft's `python-installed-package-cataloger` finds them:
 * `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` and single-file `*.egg-info` (any case of
 * DIST-INFO / EGG-INFO). License from `License-Expression`, else `License`, else the
 * `License ::` classifiers. Names are normalised (`Pygments` → `pygments`); a missing version is allowed.
 */
import { parseHeaders } from '../control.ts';
import type { FileRecord } from '../filetree.ts';
import { locationOf, makePackage, purl, type Cataloger } from '../package.ts';
import type { Package } from '../types.ts';

/** License strings from METADATA / PKG-INFO headers. */
export function pythonLicenses(headers: Map<string, string[]>): string[] {
  const expression = headers.get('license-expression')?.[0];
  if (expression) return [expression];
  const license = headers.get('license')?.[0];
  if (license && license !== 'UNKNOWN' && !license.includes('\n') && license.length <= 200) return [license];
  return (headers.get('classifier') ?? [])
    .filter((c) => c.startsWith('License ::'))
    .map((c) => c.split('::').pop()!.trim())
    .filter((c) => c && c !== 'OSI Approved');
}

/** A distribution name as syft (and PEP 503) normalises it: lowercase, runs of `-_.` as one `-`. */
export function normalizePythonName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

export const pythonCataloger: Cataloger = {
  name: 'python-installed-package-cataloger',
  globs: [
    '**/*.egg-info',
    '**/*dist-info/METADATA',
    '**/*egg-info/PKG-INFO',
    '**/*DIST-INFO/METADATA',
    '**/*EGG-INFO/PKG-INFO',
  ],
  catalog(files: FileRecord[]) {
    const packages: Package[] = [];
    for (const file of files) {
      const headers = parseHeaders(file.content.toString('utf8'));
      const raw = headers.get('name')?.[0];
      const version = headers.get('version')?.[0] ?? '';
      if (!raw) continue;
      const name = normalizePythonName(raw);
      packages.push(
        makePackage({
          name,
          version,
          type: 'python',
          purl: purl('pypi', undefined, name, version),
          licenses: pythonLicenses(headers),
          locations: [locationOf(file)],
          foundBy: this.name,
        }),
      );
    }
    return { packages, relationships: [] };
  },
};
