/**
 * poetry.lock and uv.lock (TOML, parsed with smol-toml), read as syft's `parse_poetry_lock.go` and
 * `parse_uv_lock.go` read them: every `[[package]]` with its name normalised as PEP 503, purl
 * `pkg:pypi/<name>@<version>`. Edges follow syft's dependency specifiers: a package depends on its
 * dependencies except those only for an extra (`markers` with `extra ==`), and on what its own
 * extras list (poetry `[package.extras]`, uv `optional-dependencies`).
 */
import { parse as parseToml } from 'smol-toml';
import type { FileRecord } from '../filetree.ts';
import {
  linkByProvides,
  locationOf,
  makePackage,
  purl,
  type Cataloger,
  type CatalogResult,
} from '../package.ts';
import type { Package } from '../types.ts';
import { normalizePythonName } from './python.ts';

type TomlMap = Record<string, unknown>;
const isMap = (v: unknown): v is TomlMap => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** A lockfile package before it becomes a Package: normalised names of what it depends on. */
export interface LockedPythonPackage {
  name: string;
  version: string;
  dependencies: string[];
}

/** The name in a requirement string (`requests[socks] (>=2.0) ; python_version < "3"` → `requests`). */
function requirementName(spec: string): string {
  return normalizePythonName(spec.split(/[[(<!=>~;\s]/)[0]!.trim());
}

const forExtra = (markers: unknown) => typeof markers === 'string' && markers.includes('extra ==');

/** poetry.lock: `[package.dependencies]` values are a version string, a table, or an array of tables. */
export function parsePoetryLock(text: string): LockedPythonPackage[] {
  const doc = parseToml(text);
  return list(doc.package)
    .filter(isMap)
    .flatMap((p) => {
      if (typeof p.name !== 'string' || typeof p.version !== 'string') return [];
      const deps = new Set<string>();
      for (const [name, value] of Object.entries(isMap(p.dependencies) ? p.dependencies : {})) {
        const entries = list(value);
        if (entries.some((e) => !(isMap(e) && forExtra(e.markers)))) deps.add(normalizePythonName(name));
      }
      for (const specs of Object.values(isMap(p.extras) ? p.extras : {}))
        for (const spec of list(specs)) if (typeof spec === 'string') deps.add(requirementName(spec));
      return [{ name: normalizePythonName(p.name), version: p.version, dependencies: [...deps] }];
    });
}

/** uv.lock (version 1): `dependencies` and `optional-dependencies.<extra>` are arrays of `{ name, … }`. */
export function parseUvLock(text: string): LockedPythonPackage[] {
  const doc = parseToml(text);
  if (typeof doc.version === 'number' && doc.version > 1)
    throw new Error(`uv.lock version ${doc.version} is not one we read`);
  return list(doc.package)
    .filter(isMap)
    .flatMap((p) => {
      if (typeof p.name !== 'string') return [];
      const deps = new Set<string>();
      for (const d of list(p.dependencies))
        if (isMap(d) && typeof d.name === 'string' && !forExtra(d.marker))
          deps.add(normalizePythonName(d.name));
      for (const group of Object.values(isMap(p['optional-dependencies']) ? p['optional-dependencies'] : {}))
        for (const d of list(group))
          if (isMap(d) && typeof d.name === 'string') deps.add(normalizePythonName(d.name));
      return [
        {
          name: normalizePythonName(p.name),
          version: typeof p.version === 'string' ? p.version : '',
          dependencies: [...deps],
        },
      ];
    });
}

function toInventory(locked: LockedPythonPackage[], file: FileRecord, foundBy: string): CatalogResult {
  const packages: Package[] = [];
  const requires = new Map<string, string[]>();
  for (const l of locked) {
    const p = makePackage({
      name: l.name,
      version: l.version,
      type: 'python',
      purl: purl('pypi', undefined, l.name, l.version),
      locations: [locationOf(file)],
      foundBy,
    });
    packages.push(p);
    requires.set(p.id, l.dependencies);
  }
  return { packages, relationships: linkByProvides(packages, new Map(), requires) };
}

function cataloger(name: string, file: string, parse: (text: string) => LockedPythonPackage[]): Cataloger {
  return {
    name,
    globs: [`**/${file}`],
    catalog(files, { logger }) {
      const result: CatalogResult = { packages: [], relationships: [] };
      for (const f of files) {
        try {
          // syft reports every Python lockfile's packages as found by its python-package-cataloger.
          const r = toInventory(parse(f.content.toString('utf8')), f, 'python-package-cataloger');
          result.packages.push(...r.packages);
          result.relationships.push(...r.relationships);
        } catch (err) {
          logger.warning(`${f.path}: not a readable ${file} (${(err as Error).message}); skipped`);
        }
      }
      return result;
    },
  };
}

export const poetryLockCataloger = cataloger('python-poetry-lock-cataloger', 'poetry.lock', parsePoetryLock);
export const uvLockCataloger = cataloger('python-uv-lock-cataloger', 'uv.lock', parseUvLock);
