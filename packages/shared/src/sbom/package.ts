/**
 * Building blocks every cataloger shares: the cataloger contract, package construction with a
 * stable id, and purls formed with packageurl-js and syft's distro qualifiers.
 */
import { createHash } from 'node:crypto';
import { PackageURL } from 'packageurl-js';
import type { Logger } from '../logger.ts';
import type { FileRecord } from './filetree.ts';
import type { EntryScan } from './layers.ts';
import type { Distro, Location, Package, PackageType, Relationship } from './types.ts';

export interface CatalogContext {
  /** The distribution, when os-release said it (catalogers use it for purl qualifiers). */
  distro?: Distro;
  logger: Logger;
}

export interface CatalogResult {
  packages: Package[];
  relationships: Relationship[];
}

/**
 * A cataloger names the files it wants (syft's globs, root-relative) and turns them into packages.
 * It never reads anything else, so the layer walker can read every layer exactly once.
 */
export interface Cataloger {
  name: string;
  globs: readonly string[];
  /**
   * In images, the files under `globs` are not kept whole but scanned as they stream by: only a
   * bounded window from the scan's match on reaches `catalog` (with `FileRecord.offset` set).
   * Directories are read whole, as without it.
   */
  scan?: EntryScan;
  catalog(files: FileRecord[], context: CatalogContext): CatalogResult;
}

export function locationOf(file: FileRecord): Location {
  return file.layer ? { path: file.path, layer: file.layer } : { path: file.path };
}

/** A package with an id derived from what it is and where it was found (stable across runs). */
export function makePackage(init: Omit<Package, 'id' | 'licenses'> & { licenses?: string[] }): Package {
  const first = init.locations[0];
  const id = createHash('sha256')
    .update([init.type, init.name, init.version, first?.path ?? '', first?.layer ?? ''].join('\0'))
    .digest('hex')
    .slice(0, 16);
  const licenses = [...new Set((init.licenses ?? []).map((l) => l.trim()).filter(Boolean))];
  return { ...init, id: `${init.type}:${init.name}@${init.version}#${id}`, licenses };
}

/**
 * Qualifiers as syft's `PURLQualifiers` writes them: the given ones (empty values dropped) and
 * `distro=<ID>-<VERSION_ID>` (or `-<BUILD_ID>` when there is no VERSION_ID).
 */
export function distroQualifiers(
  qualifiers: Record<string, string | undefined>,
  distro?: Distro,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(qualifiers)) if (v) out[k] = v;
  if (distro) {
    const parts = [distro.id, distro.versionId ?? distro.buildId].filter(Boolean);
    if (parts.length > 0) out.distro = parts.join('-');
  }
  return out;
}

/** A purl string, or `undefined` when packageurl-js refuses the parts. */
export function purl(
  type: string,
  namespace: string | undefined,
  name: string,
  version: string | undefined,
  qualifiers?: Record<string, string>,
): string | undefined {
  try {
    const q = qualifiers && Object.keys(qualifiers).length > 0 ? qualifiers : undefined;
    return new PackageURL(type, namespace || undefined, name, version || undefined, q, undefined).toString();
  } catch {
    return undefined;
  }
}

/** Relationships from "requires" to "provides" names, as syft's dependency resolver links them. */
export function linkByProvides(
  packages: Package[],
  provides: Map<string, string[]>,
  requires: Map<string, string[]>,
): Relationship[] {
  const byName = new Map<string, Package[]>();
  for (const p of packages) {
    for (const name of provides.get(p.id) ?? [p.name]) {
      const list = byName.get(name) ?? [];
      list.push(p);
      byName.set(name, list);
    }
  }
  const out: Relationship[] = [];
  const seen = new Set<string>();
  for (const p of packages) {
    for (const req of requires.get(p.id) ?? []) {
      for (const dep of byName.get(req) ?? []) {
        const key = `${p.id}\0${dep.id}`;
        if (dep.id === p.id || seen.has(key)) continue;
        seen.add(key);
        out.push({ from: p.id, to: dep.id, type: 'dependsOn' });
      }
    }
  }
  return out;
}

export type { PackageType };
