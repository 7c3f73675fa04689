/**
 * Debian packages from the dpkg database, as syft's `dpkg-db-cataloger` reads it: the `status`
 * file and distroless `status.d/*` files, entries removed but not purged (`deinstall`) left out;
 * licenses from machine-readable `/usr/share/doc/<package>/copyright` files; `Depends` and
 * `Pre-Depends` linked through `Provides`.
 */
import { parseControlParagraphs } from '../control.ts';
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
import type { Distro, Package } from '../types.ts';

const COPYRIGHT = /\/usr\/share\/doc\/([^/]+)\/copyright$/;
const FORMAT_HEADER = /^Format:\s*https?:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\//;

/**
 * License names a machine-readable copyright file declares (`License:` stanzas and
 * `/usr/share/common-licenses/<name>` references), sorted; none for a free-form file.
 */
export function parseCopyright(text: string): string[] {
  const found = new Set<string>();
  let verified = false;
  for (const line of text.split('\n')) {
    if (!verified) {
      if (line.trim() === '') continue;
      if (!FORMAT_HEADER.test(line)) return [];
      verified = true;
    }
    for (const re of [/^License: (\S*)/, /\/usr\/share\/common-licenses\/([0-9A-Za-z_.-]+)/]) {
      const value = re.exec(line)?.[1]?.trim().replace(/\.$/, '');
      if (value && value.toLowerCase() !== 'none') found.add(value);
    }
  }
  return [...found].sort();
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A package name without version constraint or architecture qualifier (`libc6:any (>= 2.36)` → `libc6`). */
function bareName(spec: string): string {
  return spec.split(/[[(<>=\s]/)[0]!.replace(/:[a-z0-9-]+$/, '');
}

function debPurl(
  fields: Map<string, string>,
  name: string,
  version: string,
  distro?: Distro,
): string | undefined {
  if (!distro || (distro.id !== 'debian' && !distro.idLike.includes('debian'))) return undefined;
  const source = /^(\S+)(?: \((.*)\))?/.exec(fields.get('Source') ?? '');
  const upstream = source ? (source[2] ? `${source[1]}@${source[2]}` : source[1]) : undefined;
  return purl(
    'deb',
    distro.id,
    name,
    version,
    distroQualifiers({ arch: fields.get('Architecture'), upstream }, distro),
  );
}

export const dpkgCataloger: Cataloger = {
  name: 'dpkg-db-cataloger',
  globs: ['**/lib/dpkg/status', '**/lib/dpkg/status.d/*', '**/usr/share/doc/*/copyright'],
  catalog(files: FileRecord[], { distro }: CatalogContext) {
    const copyrights = new Map<string, FileRecord>();
    for (const f of files) {
      const m = COPYRIGHT.exec(f.path);
      if (m) copyrights.set(m[1]!, f);
    }
    const packages: Package[] = [];
    const provides = new Map<string, string[]>();
    const requires = new Map<string, string[]>();
    for (const file of files) {
      if (COPYRIGHT.test(file.path)) continue;
      for (const fields of parseControlParagraphs(file.content.toString('utf8'))) {
        const name = fields.get('Package');
        const version = fields.get('Version') ?? '';
        if (!name || (fields.get('Status') ?? '').includes('deinstall')) continue;
        const copyright = copyrights.get(name);
        const licenses = copyright ? parseCopyright(copyright.content.toString('utf8')) : [];
        const arch = fields.get('Architecture');
        const p = makePackage({
          name,
          version,
          type: 'deb',
          purl: debPurl(fields, name, version, distro),
          licenses,
          locations: [locationOf(file), ...(copyright ? [locationOf(copyright)] : [])],
          foundBy: this.name,
          metadata: {
            ...(arch && { architecture: arch }),
            ...(fields.get('Source') && { source: fields.get('Source')! }),
          },
        });
        packages.push(p);
        provides.set(p.id, [name, ...splitList(fields.get('Provides')).map(bareName)]);
        requires.set(
          p.id,
          [...splitList(fields.get('Depends')), ...splitList(fields.get('Pre-Depends'))].flatMap((alt) =>
            alt.split('|').map((s) => bareName(s.trim())),
          ),
        );
      }
    }
    return { packages, relationships: linkByProvides(packages, provides, requires) };
  },
};
