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
  resolved?: string;
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

/** A lock entry's `license`: a string, or (as syft reads it too) an array of them. */
function lockLicenses(license: unknown): string[] {
  return Array.isArray(license)
    ? license.flatMap((l) => npmLicenses({ license: l }))
    : npmLicenses({ license });
}

/** `true` when a path has a `node_modules` directory in it (syft's pathContainsNodeModulesDirectory). */
function inNodeModules(path: string): boolean {
  return path.split('/').slice(0, -1).includes('node_modules');
}

/**
 * The packages of a package-lock.json, as syft's javascript-lock-cataloger reads it.
 * - v2/v3: every `packages` entry, the root project (`""`) included when it has a name; the name
 *   is the entry's own (an alias names the real package) or the last `node_modules/` segment of
 *   its key; `link` entries are the workspace packages they point to, not packages of their own.
 *   Edges go from an entry to what its `dependencies`, `optionalDependencies` and
 *   `peerDependencies` name, found as Node resolves modules (following links).
 * - v1: the `dependencies` tree at every depth, aliases (`npm:<real>@<version>`) naming the real
 *   package; no edges (a v1 entry's `requires` is not what syft links).
 * Dev entries (`dev: true`) are left out unless `includeDev`, in v1 with everything below them.
 * A name@version locked at several paths is one package.
 */
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
  const packages = new Map<string, Package>();
  const relationships: Relationship[] = [];
  const make = (name: string, version: string, license: unknown): Package => {
    const p = makePackage({
      name,
      version,
      type: 'npm',
      purl: npmPurl(name, version),
      licenses: lockLicenses(license),
      locations: [locationOf(file)],
      foundBy,
    });
    const known = packages.get(p.id);
    if (known) return known;
    packages.set(p.id, p);
    return p;
  };
  if ((lock.lockfileVersion ?? 1) >= 2 && lock.packages) {
    const entries = lock.packages;
    const byKey = new Map<string, Package>();
    const keys = new Set(Object.keys(entries));
    for (const [key, entry] of Object.entries(entries)) {
      if (!entry || entry.link || (!options.includeDev && entry.dev)) continue;
      const name = entry.name ?? (key === '' ? undefined : nameFromLockPath(key));
      if (!name) continue;
      byKey.set(key, make(name, entry.version ?? '', entry.license));
    }
    const seen = new Set<string>();
    for (const [key, p] of byKey) {
      const entry = entries[key]!;
      const deps = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
      for (const dep of Object.keys(deps)) {
        const found = resolveFrom(key, dep, keys);
        const link = found !== undefined ? entries[found] : undefined;
        const target = link?.link ? link.resolved : found;
        const to = target !== undefined ? byKey.get(target) : undefined;
        if (!to || to.id === p.id || seen.has(`${p.id}\0${to.id}`)) continue;
        seen.add(`${p.id}\0${to.id}`);
        relationships.push({ from: p.id, to: to.id, type: 'dependsOn' });
      }
    }
  } else if (lock.dependencies) {
    const visit = (deps: Record<string, LockV1Entry>) => {
      for (const [name, entry] of Object.entries(deps)) {
        // a dev entry is left out with everything locked below it
        if (!entry || (!options.includeDev && entry.dev)) continue;
        const version = entry.version ?? '';
        // v1 aliases read `npm:<real>@<version>`
        const alias = /^npm:(.+)@([^@]*)$/.exec(version);
        if (alias) make(alias[1]!, alias[2]!, undefined);
        else make(name, version, undefined);
        if (entry.dependencies) visit(entry.dependencies);
      }
    };
    visit(lock.dependencies);
  }
  return { packages: [...packages.values()], relationships };
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
        // a lockfile inside node_modules belongs to an installed package, not to the project
        if (inNodeModules(file.path)) continue;
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
