/**
 * Rust crates of a `Cargo.lock`, as syft's rust-cargo-lock-cataloger lists them
 * (`parse_cargo_lock.go`): every `[[package]]` (the workspace's own crates, which have no
 * `source`, included), `pkg:cargo/<name>@<version>`, and the edges its `dependencies` name.
 * Cargo writes a dependency as `name` when that is unambiguous, else `name version`, else
 * `name version (source)`; each crate therefore provides all three forms (a git source without its
 * `#commit`), as syft's dependency specification does.
 */
import { parse as parseToml } from 'smol-toml';
import type { FileRecord } from '../filetree.ts';
import { linkByProvides, locationOf, makePackage, purl, type Cataloger } from '../package.ts';
import type { Package, Relationship } from '../types.ts';

interface CargoLockEntry {
  name?: unknown;
  version?: unknown;
  source?: unknown;
  checksum?: unknown;
  dependencies?: unknown;
}

/** The crates of one Cargo.lock and their dependency edges; throws when it is not TOML. */
export function cargoLockPackages(file: FileRecord): { packages: Package[]; relationships: Relationship[] } {
  const doc = parseToml(file.content.toString('utf8')) as { package?: CargoLockEntry[] };
  const packages: Package[] = [];
  const provides = new Map<string, string[]>();
  const requires = new Map<string, string[]>();
  for (const entry of Array.isArray(doc.package) ? doc.package : []) {
    const { name, version, source, checksum, dependencies } = entry;
    if (typeof name !== 'string' || typeof version !== 'string') continue;
    const p = makePackage({
      name,
      version,
      type: 'rust-crate',
      purl: purl('cargo', undefined, name, version),
      locations: [locationOf(file)],
      foundBy: 'rust-cargo-lock-cataloger',
      metadata: {
        ...(typeof source === 'string' && { source }),
        ...(typeof checksum === 'string' && { checksum }),
      },
    });
    packages.push(p);
    const forms = [name, `${name} ${version}`];
    if (typeof source === 'string') {
      const src = source.startsWith('git') && source.includes('#') ? source.split('#')[0]! : source;
      forms.push(`${name} ${version} (${src})`);
    }
    provides.set(p.id, forms);
    requires.set(
      p.id,
      Array.isArray(dependencies) ? dependencies.filter((d): d is string => typeof d === 'string') : [],
    );
  }
  return { packages, relationships: linkByProvides(packages, provides, requires) };
}

export const cargoLockCataloger: Cataloger = {
  name: 'rust-cargo-lock-cataloger',
  globs: ['**/Cargo.lock'],
  catalog(files, { logger }) {
    const packages: Package[] = [];
    const relationships: Relationship[] = [];
    for (const file of files) {
      try {
        const r = cargoLockPackages(file);
        packages.push(...r.packages);
        relationships.push(...r.relationships);
      } catch (err) {
        logger.warning(`${file.path}: not a readable Cargo.lock (${(err as Error).message}); skipped`);
      }
    }
    return { packages, relationships };
  },
};
