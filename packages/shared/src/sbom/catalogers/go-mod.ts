/**
 * Go modules a `go.mod` declares, as syft's go-module-file-cataloger lists them without the Go
 * toolchain (`parse_go_mod.go` with `UsePackagesLib: false`, the go.mod grammar of
 * `golang.org/x/mod/modfile`):
 *
 * - every `require`d module at its version;
 * - each `replace` then applies: to a module path, the replacement is the package (the required
 *   one leaves); to a local directory (`./`, `../`, `/`), the original path stays, at no version;
 * - each `exclude`d path is left out;
 * - the `h1:` digest of each module comes from the `go.sum` beside it (`<path> <version> h1:…`).
 *
 * Directives are recognised by name; a file with a directive go.mod does not have is refused,
 * as modfile refuses it, and the cataloger skips it with a warning.
 */
import { posix } from 'node:path';
import type { FileRecord } from '../filetree.ts';
import { locationOf, makePackage, type Cataloger } from '../package.ts';
import type { Package } from '../types.ts';
import { goPurl } from './go-binary.ts';

/** The directives of `golang.org/x/mod/modfile` (go.mod reference, "go.mod files"). */
const DIRECTIVES = new Set([
  'module',
  'go',
  'toolchain',
  'godebug',
  'require',
  'exclude',
  'replace',
  'retract',
  'tool',
  'ignore',
]);

interface ModuleVersion {
  path: string;
  version: string;
}

export interface GoModFile {
  require: ModuleVersion[];
  /** `old [version] => new [version]`. */
  replace: Array<{ old: ModuleVersion; new: ModuleVersion }>;
  exclude: ModuleVersion[];
}

/** A go.mod token: a bare word or a Go string ("…" or `…`). */
function tokens(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|`([^`]*)`|(\S+)/g)) {
    if (m[3]?.startsWith('//')) break;
    out.push(m[1] !== undefined ? (JSON.parse(`"${m[1]}"`) as string) : (m[2] ?? m[3]!));
  }
  return out;
}

/** Parses go.mod; throws naming the line of an unknown directive or an unclosed block. */
export function parseGoModFile(text: string): GoModFile {
  const mod: GoModFile = { require: [], replace: [], exclude: [] };
  let block: string | undefined;
  const lines = text.split(/\r?\n/);
  const entry = (directive: string, args: string[], line: number) => {
    if (!DIRECTIVES.has(directive)) throw new Error(`line ${line}: unknown directive: ${directive}`);
    if (directive === 'require' || directive === 'exclude') {
      if (args.length < 2) throw new Error(`line ${line}: ${directive} needs a module path and a version`);
      mod[directive].push({ path: args[0]!, version: args[1]! });
    } else if (directive === 'replace') {
      const arrow = args.indexOf('=>');
      const before = args.slice(0, arrow);
      const after = args.slice(arrow + 1);
      if (arrow < 1 || before.length > 2 || after.length < 1 || after.length > 2)
        throw new Error(`line ${line}: replace must be: old [version] => new [version]`);
      mod.replace.push({
        old: { path: before[0]!, version: before[1] ?? '' },
        new: { path: after[0]!, version: after[1] ?? '' },
      });
    }
  };
  lines.forEach((raw, i) => {
    const words = tokens(raw);
    if (words.length === 0) return;
    if (block !== undefined) {
      if (words[0] === ')') block = undefined;
      else entry(block, words, i + 1);
    } else if (words[1] === '(' && words.length === 2) {
      if (!DIRECTIVES.has(words[0]!)) throw new Error(`line ${i + 1}: unknown directive: ${words[0]}`);
      block = words[0];
    } else {
      entry(words[0]!, words.slice(1), i + 1);
    }
  });
  if (block !== undefined) throw new Error(`${block} ( … is not closed`);
  return mod;
}

/** `<path> <version>` → `h1:` digest, from go.sum (the `/go.mod` lines key `<version>/go.mod`). */
export function parseGoSum(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [path, version, hash] = line.trim().split(' ');
    if (path && version && hash) out.set(`${path} ${version}`, hash);
  }
  return out;
}

const isLocalPath = (path: string) => path.startsWith('.') || path.startsWith('/');

/** The modules of one go.mod (syft's createGoModPackages, applyReplaceDirectives, applyExcludeDirectives). */
export function goModPackages(file: FileRecord, goSum?: FileRecord): Package[] {
  const mod = parseGoModFile(file.content.toString('utf8'));
  const digests = goSum ? parseGoSum(goSum.content.toString('utf8')) : new Map<string, string>();
  const modules = new Map<string, ModuleVersion>();
  for (const r of mod.require) modules.set(r.path, r);
  for (const { old, new: replacement } of mod.replace) {
    if (isLocalPath(replacement.path)) {
      modules.set(old.path, { path: old.path, version: replacement.version });
    } else {
      modules.delete(old.path);
      modules.set(replacement.path, replacement);
    }
  }
  for (const e of mod.exclude) modules.delete(e.path);
  return [...modules.values()].map(({ path, version }) => {
    const h1 = digests.get(`${path} ${version}`);
    return makePackage({
      name: path,
      version,
      type: 'go-module',
      purl: goPurl(path, version),
      locations: [locationOf(file)],
      foundBy: 'go-module-file-cataloger',
      ...(h1 && { metadata: { h1Digest: h1 } }),
    });
  });
}

export const goModCataloger: Cataloger = {
  name: 'go-module-file-cataloger',
  globs: ['**/go.mod', '**/go.sum'],
  catalog(files, { logger }) {
    const sums = new Map(
      files.filter((f) => f.path.endsWith('/go.sum')).map((f) => [posix.dirname(f.path), f]),
    );
    const packages: Package[] = [];
    for (const file of files) {
      if (!file.path.endsWith('/go.mod')) continue;
      try {
        packages.push(...goModPackages(file, sums.get(posix.dirname(file.path))));
      } catch (err) {
        logger.warning(`${file.path}: not a readable go.mod (${(err as Error).message}); skipped`);
      }
    }
    return { packages, relationships: [] };
  },
};
