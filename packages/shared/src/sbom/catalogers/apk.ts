/**
 * Alpine (and Wolfi/Chainguard) packages from the apk database `lib/apk/db/installed`, as syft's
 * `apk-db-cataloger` reads it: one-letter fields (`P` name, `V` version, `A` arch, `L` license,
 * `o` origin, `D` depends, `p` provides), entries separated by blank lines; dependencies linked
 * through what each package provides.
 */
import type { FileRecord } from '../filetree.ts';
import {
  distroQualifiers,
  linkByProvides,
  locationOf,
  makePackage,
  purl,
  type Cataloger,
  type CatalogContext,
} from '../package.ts';
import type { Package } from '../types.ts';

interface ApkEntry {
  fields: Map<string, string>;
}

/** Entries of an apk installed database (the first value of each one-letter key). */
export function parseApkDb(text: string): ApkEntry[] {
  const out: ApkEntry[] = [];
  let fields = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') {
      if (fields.size > 0) out.push({ fields });
      fields = new Map();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon !== 1) continue;
    const key = line[0]!;
    if (!fields.has(key)) fields.set(key, line.slice(2));
  }
  if (fields.size > 0) out.push({ fields });
  return out.filter((e) => e.fields.get('P'));
}

/**
 * The licenses of an `L:` field: kept whole when it reads as one SPDX expression (a single id, or
 * ids joined by AND/OR/WITH), otherwise split on spaces as syft does (`MIT BSD GPL2+`).
 */
export function splitLicenseField(value: string | undefined): string[] {
  const v = (value ?? '').trim();
  if (!v) return [];
  if (/\s(AND|OR|WITH)\s/.test(v) || !/\s/.test(v)) return [v];
  return v.split(/\s+/);
}

/** Dependency names without version constraints; `!conflicts` dropped. */
function names(value: string | undefined): string[] {
  return (value ?? '')
    .split(/\s+/)
    .filter((s) => s && !s.startsWith('!'))
    .map((s) => s.split(/[<>=~]/)[0]!);
}

export const apkCataloger: Cataloger = {
  name: 'apk-db-cataloger',
  globs: ['**/lib/apk/db/installed'],
  catalog(files: FileRecord[], { distro }: CatalogContext) {
    const packages: Package[] = [];
    const provides = new Map<string, string[]>();
    const requires = new Map<string, string[]>();
    for (const file of files) {
      for (const { fields } of parseApkDb(file.content.toString('utf8'))) {
        const name = fields.get('P')!;
        const version = fields.get('V') ?? '';
        const arch = fields.get('A');
        const origin = fields.get('o');
        const p = makePackage({
          name,
          version,
          type: 'apk',
          purl: distro
            ? purl(
                'apk',
                distro.id.toLowerCase(),
                name,
                version,
                distroQualifiers({ arch, upstream: origin && origin !== name ? origin : undefined }, distro),
              )
            : undefined,
          licenses: splitLicenseField(fields.get('L')),
          locations: [locationOf(file)],
          foundBy: this.name,
          metadata: { ...(arch && { architecture: arch }), ...(origin && { origin }) },
        });
        packages.push(p);
        provides.set(p.id, [name, ...names(fields.get('p'))]);
        requires.set(p.id, names(fields.get('D')));
      }
    }
    return { packages, relationships: linkByProvides(packages, provides, requires) };
  },
};
