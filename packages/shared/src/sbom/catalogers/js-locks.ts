/**
 * pnpm-lock.yaml and yarn.lock, read as syft's `parse_pnpm_lock.go` and `parse_yarn_lock.go` read
 * them: pnpm lockfile v5/v6 (`/name/1.0.0`, `/name@1.0.0(peer@x)` keys, `dependencies` inline) and
 * v9 (`name@1.0.0` keys in `packages`, edges in `snapshots`), every document of a multi-document
 * stream; yarn v1 (the `# yarn lockfile v1` text format) and berry (YAML, `name@npm:range` keys).
 * One package per name@version; edges link a package to every package of each name it depends on.
 */
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { compareCodePoints } from '../../compare.ts';
import type { FileRecord } from '../filetree.ts';
import { linkByProvides, locationOf, makePackage, type Cataloger, type CatalogResult } from '../package.ts';
import type { Package } from '../types.ts';
import { npmPurl } from './npm.ts';

/** A lockfile entry before it becomes a Package. */
export interface LockedPackage {
  name: string;
  version: string;
  /** Names of the packages it depends on (versions are not needed to link them). */
  dependencies: string[];
  dev?: boolean;
}

type YamlMap = Record<string, unknown>;
const isMap = (v: unknown): v is YamlMap => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `/@babel/core@7.21.4(x@1)` (split on `@`) or `/@babel/core/7.21.4` (split on `/`) → name, version. */
export function parsePnpmKey(
  key: string,
  separator: '@' | '/',
): { name: string; version: string } | undefined {
  const bare = key.split('(')[0]!.replace(/^\//, '');
  const i = bare.lastIndexOf(separator);
  if (i <= 0) return undefined;
  return { name: bare.slice(0, i), version: bare.slice(i + 1) };
}

/** pnpm v5 writes peers after an underscore: `5.3.2_acorn@8.8.0` → `5.3.2` (registry versions only). */
function stripV5PeerSuffix(version: string): string {
  const i = version.indexOf('_');
  return i > 0 && /^[0-9]/.test(version) ? version.slice(0, i) : version;
}

function pnpmDocument(doc: YamlMap, version: number): LockedPackage[] {
  const out = new Map<string, LockedPackage>();
  const packages = isMap(doc.packages) ? doc.packages : {};
  if (version >= 9) {
    for (const [key, entry] of Object.entries(packages)) {
      const parsed = parsePnpmKey(key, '@');
      if (!parsed) continue;
      out.set(`${parsed.name}@${parsed.version}`, {
        ...parsed,
        dependencies: [],
        dev: isMap(entry) && String(entry.dev) === 'true',
      });
    }
    const snapshots = isMap(doc.snapshots) ? doc.snapshots : {};
    for (const [key, snap] of Object.entries(snapshots)) {
      const parsed = parsePnpmKey(key, '@');
      const p = parsed && out.get(`${parsed.name}@${parsed.version}`);
      if (p && isMap(snap) && isMap(snap.dependencies)) p.dependencies = Object.keys(snap.dependencies);
    }
  } else {
    const v5 = version < 6;
    const direct = isMap(doc.dependencies) ? doc.dependencies : {};
    for (const [name, info] of Object.entries(direct)) {
      let v =
        typeof info === 'string'
          ? info
          : isMap(info) && typeof info.version === 'string'
            ? info.version
            : undefined;
      if (v === undefined) continue;
      v = v.split('(')[0]!;
      if (v5) v = stripV5PeerSuffix(v);
      out.set(`${name}@${v}`, { name, version: v, dependencies: [] });
    }
    for (const [key, entry] of Object.entries(packages)) {
      const parsed = parsePnpmKey(key, v5 ? '/' : '@');
      if (!parsed) continue;
      const v = v5 ? stripV5PeerSuffix(parsed.version) : parsed.version;
      const deps = isMap(entry) && isMap(entry.dependencies) ? Object.keys(entry.dependencies) : [];
      out.set(`${parsed.name}@${v}`, {
        name: parsed.name,
        version: v,
        dependencies: deps,
        dev: isMap(entry) && String(entry.dev) === 'true',
      });
    }
  }
  return [...out.values()];
}

/**
 * The packages of a pnpm-lock.yaml: every document of the stream (pnpm ≥ 10 may put its own
 * config dependencies in a leading one), the last entry of a name@version winning.
 */
export function parsePnpmLock(text: string): LockedPackage[] {
  const all = new Map<string, LockedPackage>();
  let established: number | undefined;
  // failsafe: every scalar stays a string (versions such as 1.10 must not become numbers).
  for (const document of parseAllDocuments(text, { schema: 'failsafe' })) {
    if (document.errors.length > 0) {
      if (all.size === 0) throw new Error(document.errors[0]!.message);
      break;
    }
    const doc = document.toJS() as unknown;
    if (!isMap(doc)) continue;
    const declared = Number.parseFloat(String(doc.lockfileVersion ?? ''));
    const version = Number.isNaN(declared) ? established : declared;
    if (version === undefined) throw new Error('no lockfileVersion');
    established ??= version;
    for (const p of pnpmDocument(doc, version)) all.set(`${p.name}@${p.version}`, p);
  }
  return [...all.values()];
}

const ALIAS = /^"?(?:@\w[\w\-_.]*\/)?\w[\w\-_.]*@npm:((?:@\w[\w\-_.]*\/)?\w[\w\-_.]*)@/;
const NAME = /^"?((?:@\w[\w\-_.]*\/)?\w[\w\-_.]*)@/;
const REGISTRY_URL =
  /^resolved\s+"https:\/\/registry\.(?:yarnpkg\.com|npmjs\.org)\/(.+?)\/-\/(?:.+?)-(\d+\..+?)\.tgz/;

/** The package a yarn.lock key names; an alias (`x@npm:real@^1`) names the real package. */
export function yarnKeyName(key: string): string | undefined {
  return ALIAS.exec(key)?.[1] ?? NAME.exec(key)?.[1];
}

/** yarn v1's own text format, as syft reads it (a `resolved` registry URL overrides name and version). */
function parseYarnV1(text: string): LockedPackage[] {
  const out: LockedPackage[] = [];
  const seen = new Set<string>();
  let current: { name?: string; version: string; deps: string[] } = { version: '', deps: [] };
  const flush = () => {
    if (current.name && !seen.has(`${current.name}@${current.version}`)) {
      seen.add(`${current.name}@${current.version}`);
      out.push({ name: current.name, version: current.version, dependencies: current.deps });
    }
    current = { version: '', deps: [] };
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('#')) continue;
    if (line.length === 0) {
      if (current.name) flush();
      continue;
    }
    if (!line.startsWith(' ')) {
      current.name = yarnKeyName(line);
      continue;
    }
    const fields = line.trim().split(' ');
    const unquote = (s: string | undefined) => (s ?? '').replace(/^"|"$/g, '');
    if (line.startsWith('    ')) {
      current.deps.push(unquote(fields[0]));
    } else if (fields[0] === 'version') {
      current.version = unquote(fields[1]);
    } else if (fields[0] === 'resolved') {
      const m = REGISTRY_URL.exec(line.trim());
      if (m) {
        current.name = m[1]!;
        current.version = m[2]!;
      }
    }
  }
  flush();
  return out;
}

/** yarn berry's YAML lockfile: keys are comma-separated `name@npm:range` descriptors. */
function parseYarnBerry(text: string): LockedPackage[] {
  const doc = parseYaml(text, { uniqueKeys: false, schema: 'failsafe' }) as unknown;
  if (!isMap(doc)) throw new Error('not a YAML map');
  const out: LockedPackage[] = [];
  const seen = new Set<string>();
  for (const [key, entry] of Object.entries(doc)) {
    const name = yarnKeyName(key);
    if (!name || !isMap(entry)) continue;
    const version = entry.version === undefined ? '' : String(entry.version);
    if (seen.has(`${name}@${version}`)) continue;
    seen.add(`${name}@${version}`);
    out.push({
      name,
      version,
      dependencies: isMap(entry.dependencies) ? Object.keys(entry.dependencies) : [],
    });
  }
  return out;
}

/**
 * The packages of a yarn.lock, v1 or berry. With the project's package.json (`manifest`), packages
 * reachable only from devDependencies are marked dev, as syft marks them.
 */
export function parseYarnLock(text: string, manifest?: YamlMap): LockedPackage[] {
  const packages = text.includes('# yarn lockfile v1') ? parseYarnV1(text) : parseYarnBerry(text);
  if (!manifest) return packages;
  const byName = new Map(packages.map((p) => [p.name, p]));
  const reach = (roots: unknown) => {
    const seen = new Set<string>();
    const queue = isMap(roots) ? Object.keys(roots) : [];
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (seen.has(name)) continue;
      seen.add(name);
      for (const d of byName.get(name)?.dependencies ?? []) if (!seen.has(d)) queue.push(d);
    }
    return seen;
  };
  const prod = reach(manifest.dependencies);
  const dev = reach(manifest.devDependencies);
  return packages.map((p) => (dev.has(p.name) && !prod.has(p.name) ? { ...p, dev: true } : p));
}

/** Packages (dev ones left out, as syft's default) and their dependsOn edges, by name. */
export function lockedToInventory(locked: LockedPackage[], file: FileRecord, foundBy: string): CatalogResult {
  const packages: Package[] = [];
  const requires = new Map<string, string[]>();
  for (const l of locked) {
    if (l.dev) continue;
    const p = makePackage({
      name: l.name,
      version: l.version,
      type: 'npm',
      purl: npmPurl(l.name, l.version),
      locations: [locationOf(file)],
      foundBy,
    });
    packages.push(p);
    requires.set(p.id, l.dependencies);
  }
  packages.sort((a, b) => compareCodePoints(a.name, b.name) || compareCodePoints(a.version, b.version));
  return { packages, relationships: linkByProvides(packages, new Map(), requires) };
}

const inNodeModules = (path: string) => path.split('/').includes('node_modules');

function run(
  files: FileRecord[],
  glob: RegExp,
  what: string,
  foundBy: string,
  parse: (file: FileRecord, all: FileRecord[]) => LockedPackage[],
  warn: (message: string) => void,
): CatalogResult {
  const result: CatalogResult = { packages: [], relationships: [] };
  for (const file of files) {
    if (!glob.test(file.path) || inNodeModules(file.path)) continue;
    try {
      const r = lockedToInventory(parse(file, files), file, foundBy);
      result.packages.push(...r.packages);
      result.relationships.push(...r.relationships);
    } catch (err) {
      warn(`${file.path}: not a readable ${what} (${(err as Error).message}); skipped`);
    }
  }
  return result;
}

export const pnpmLockCataloger: Cataloger = {
  name: 'pnpm-lock-cataloger',
  globs: ['**/pnpm-lock.yaml'],
  catalog: (files, { logger }) =>
    run(
      files,
      /(^|\/)pnpm-lock\.yaml$/,
      'pnpm-lock.yaml',
      'javascript-lock-cataloger',
      (f) => parsePnpmLock(f.content.toString('utf8')),
      (m) => logger.warning(m),
    ),
};

export const yarnLockCataloger: Cataloger = {
  name: 'yarn-lock-cataloger',
  // The package.json beside a yarn.lock says which dependencies are dev-only.
  globs: ['**/yarn.lock', '**/package.json'],
  catalog: (files, { logger }) =>
    run(
      files,
      /(^|\/)yarn\.lock$/,
      'yarn.lock',
      'javascript-lock-cataloger',
      (f, all) => {
        const dir = f.path.slice(0, f.path.lastIndexOf('/'));
        const manifest = all.find((m) => m.path === `${dir}/package.json`);
        let parsed: YamlMap | undefined;
        try {
          parsed = manifest ? (JSON.parse(manifest.content.toString('utf8')) as YamlMap) : undefined;
        } catch {
          parsed = undefined;
        }
        return parseYarnLock(f.content.toString('utf8'), parsed);
      },
      (m) => logger.warning(m),
    ),
};
