/**
 * Declared dependencies of a source tree, from lockfiles (syft's "declared" catalogers):
 * package-lock.json (v1–v3, dependency edges resolved as Node resolves modules),
 * pnpm-lock.yaml and yarn.lock (catalogers/js-locks.ts), requirements*.txt (pinned `==`/`===`
 * lines only), poetry.lock and uv.lock (catalogers/python-locks.ts), go.mod with go.sum
 * (catalogers/go-mod.ts), and Cargo.lock (catalogers/cargo.ts).
 */
import { posix } from 'node:path';
import type { FileRecord } from './filetree.ts';
import { cargoLockCataloger } from './catalogers/cargo.ts';
import { goModCataloger } from './catalogers/go-mod.ts';
import { pnpmLockCataloger, yarnLockCataloger } from './catalogers/js-locks.ts';
import { npmLicenses, npmPurl } from './catalogers/npm.ts';
import { poetryLockCataloger, uvLockCataloger } from './catalogers/python-locks.ts';
import { normalizePythonName } from './catalogers/python.ts';
import { locationOf, makePackage, purl, type Cataloger, type CatalogContext } from './package.ts';
import type { Package, Relationship } from './types.ts';

interface LockEntry {
  name?: string;
  version?: string;
  dev?: boolean;
  link?: boolean;
  license?: unknown;
  dependencies?: Record<string, unknown>;
  optionalDependencies?: Record<string, unknown>;
  peerDependencies?: Record<string, unknown>;
}

interface LockV1Entry {
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, LockV1Entry>;
  requires?: Record<string, string>;
}

/** The package name a `node_modules/...` key names (`node_modules/a/node_modules/@s/b` → `@s/b`). */
function nameFromLockPath(key: string): string {
  const i = key.lastIndexOf('node_modules/');
  return i === -1 ? posix.basename(key) : key.slice(i + 'node_modules/'.length);
}

/** Where Node would find `dep` when required from the package at `from` (a lock key). */
function resolveFrom(from: string, dep: string, keys: Set<string>): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${dep}` : `node_modules/${dep}`;
    if (keys.has(candidate)) return candidate;
    if (!base) return undefined;
    const i = base.lastIndexOf('/node_modules/');
    base = i === -1 ? '' : base.slice(0, i);
  }
}

export function parsePackageLock(
  file: FileRecord,
  options: { includeDev?: boolean; foundBy?: string } = {},
): { packages: Package[]; relationships: Relationship[] } {
  const lock = JSON.parse(file.content.toString('utf8')) as {
    lockfileVersion?: number;
    packages?: Record<string, LockEntry>;
    dependencies?: Record<string, LockV1Entry>;
  };
  const foundBy = options.foundBy ?? 'javascript-lock-cataloger';
  const packages: Package[] = [];
  const relationships: Relationship[] = [];
  const make = (name: string, version: string, license: unknown) =>
    makePackage({
      name,
      version,
      type: 'npm',
      purl: npmPurl(name, version),
      licenses: npmLicenses({ license }),
      locations: [locationOf(file)],
      foundBy,
    });
  if ((lock.lockfileVersion ?? 1) >= 2 && lock.packages) {
    const byKey = new Map<string, Package>();
    const keys = new Set(Object.keys(lock.packages));
    for (const [key, entry] of Object.entries(lock.packages)) {
      if (entry.link || (!options.includeDev && entry.dev)) continue;
      const name = entry.name ?? (key === '' ? undefined : nameFromLockPath(key));
      if (!name || !entry.version) continue;
      const p = make(name, entry.version, entry.license);
      packages.push(p);
      byKey.set(key, p);
    }
    for (const [key, p] of byKey) {
      const entry = lock.packages[key]!;
      const deps = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
      for (const dep of Object.keys(deps)) {
        const target = resolveFrom(key, dep, keys);
        const to = target !== undefined ? byKey.get(target) : undefined;
        if (to) relationships.push({ from: p.id, to: to.id, type: 'dependsOn' });
      }
    }
  } else if (lock.dependencies) {
    const visit = (deps: Record<string, LockV1Entry>) => {
      for (const [name, entry] of Object.entries(deps)) {
        if (entry.version && (options.includeDev || !entry.dev)) {
          // v1 aliases read `npm:<real>@<version>`
          const alias = /^npm:(.+)@([^@]+)$/.exec(entry.version);
          packages.push(alias ? make(alias[1]!, alias[2]!, undefined) : make(name, entry.version, undefined));
        }
        if (entry.dependencies) visit(entry.dependencies);
      }
    };
    visit(lock.dependencies);
  }
  return { packages, relationships };
}

/**
 * Pinned requirements (`==`, `===`) of a pip requirements file, as syft's python-package-cataloger
 * reads them by default: lines continued with `\` joined, comments, environment markers, pip
 * options (`--hash=…`) and a URL after the version dropped, extras ignored, names normalised as
 * PEP 503; ranges, wildcards and option lines (`-r`, `-e`) are no package.
 */
export function parseRequirements(file: FileRecord): Package[] {
  const out: Package[] = [];
  for (const raw of file.content
    .toString('utf8')
    .replace(/\\\r?\n/g, ' ')
    .split('\n')) {
    const line = raw
      .replace(/(^|\s)#.*$/, '')
      .split(';')[0]!
      .replace(/\s--\S.*$/, '')
      .replace(/\s@\s*\S+$/, '')
      .trim();
    if (!line || line.startsWith('-')) continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([^\s,]+)$/.exec(line);
    if (!m || m[2]!.includes('*')) continue;
    const name = normalizePythonName(m[1]!);
    out.push(
      makePackage({
        name,
        version: m[2]!,
        type: 'python',
        purl: purl('pypi', undefined, name, m[2]!),
        locations: [locationOf(file)],
        foundBy: 'python-package-cataloger',
      }),
    );
  }
  return out;
}

/** Lockfile catalogers for a source directory. A lockfile inside `node_modules` is never read. */
export const SOURCE_CATALOGERS: readonly Cataloger[] = [
  {
    name: 'javascript-lock-cataloger',
    globs: ['**/package-lock.json'],
    catalog(files: FileRecord[], { logger }: CatalogContext) {
      const packages: Package[] = [];
      const relationships: Relationship[] = [];
      for (const file of files) {
        try {
          const r = parsePackageLock(file);
          packages.push(...r.packages);
          relationships.push(...r.relationships);
        } catch (err) {
          logger.warning(
            `${file.path}: not a readable package-lock.json (${(err as Error).message}); skipped`,
          );
        }
      }
      return { packages, relationships };
    },
  },
  pnpmLockCataloger,
  yarnLockCataloger,
  {
    name: 'python-package-cataloger',
    globs: ['**/*requirements*.txt'],
    catalog: (files) => ({ packages: files.flatMap(parseRequirements), relationships: [] }),
  },
  poetryLockCataloger,
  uvLockCataloger,
  goModCataloger,
  cargoLockCataloger,
];
