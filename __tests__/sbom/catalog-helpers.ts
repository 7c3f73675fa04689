/**
 * Helpers the cataloger tests share: run a cataloger over in-memory files, and name what it found.
 */
import type { Logger } from '@release-actions/shared';
import type { Cataloger, FileRecord, Package, Relationship } from '@release-actions/shared/sbom';

/**
 * Runs `cataloger` over `files` (root-relative path → content). The warnings it logs are returned
 * and also passed on to `logger`, when one is given.
 */
export function run(cataloger: Cataloger, files: Record<string, string | Buffer>, logger?: Logger) {
  const warnings: string[] = [];
  const recorder: Logger = {
    debug: (m) => logger?.debug(m),
    info: (m) => logger?.info(m),
    warning: (m) => {
      warnings.push(m);
      logger?.warning(m);
    },
  };
  const records: FileRecord[] = Object.entries(files).map(([path, content]) => ({
    path,
    content: Buffer.isBuffer(content) ? content : Buffer.from(content),
  }));
  return { ...cataloger.catalog(records, { logger: recorder }), warnings };
}

/** `name@version` of each package, sorted. */
export const ids = (packages: Package[]) => packages.map((p) => `${p.name}@${p.version}`).sort();

/** The purls, sorted. */
export const purls = (packages: Package[]) => packages.map((p) => p.purl).sort();

/** `from -> to` by name@version, sorted. */
export function edges(packages: Package[], relationships: Relationship[]): string[] {
  const name = new Map(packages.map((p) => [p.id, `${p.name}@${p.version}`]));
  return relationships.map((r) => `${name.get(r.from)} -> ${name.get(r.to)}`).sort();
}
