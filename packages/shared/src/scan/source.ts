import type { OsvRecord } from './osv.ts';
import type { OsvPackageRef } from './types.ts';

/**
 * Where advisories come from: for each package, the OSV records that may affect it (the caller
 * evaluates them). Implemented by an OSV export directory ({@link OsvExport}) and the OSV API
 * ({@link OsvApiClient}).
 */
export interface VulnerabilitySource {
  /** A short description for logs and reports, e.g. `OSV export /data/osv (1234 records)`. */
  readonly description: string;
  /** For each package, in order, the candidate records. */
  lookup(packages: readonly OsvPackageRef[]): Promise<OsvRecord[][]>;
  /** Whether the source has already matched versions (the API does), so a record it returns affects the version even where this library has no ordering for the ecosystem. */
  readonly matchesVersions: boolean;
}
