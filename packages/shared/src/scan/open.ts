/** The vulnerability source the gate inputs choose (see inputs.ts). */
import type { HttpClient } from '../http.ts';
import type { Logger } from '../logger.ts';
import { OsvApiClient } from './api.ts';
import { OsvExport } from './export.ts';
import { OSV_DB_DOWNLOAD, type ScanInputs } from './inputs.ts';
import type { VulnerabilitySource } from './source.ts';

/**
 * The source the inputs choose: the OSV export in `osv-db` (read once, here), else the OSV API at
 * `osv-url` through `http`. An unreadable export is ScanError VULN_SOURCE_UNAVAILABLE naming osv-db.
 * `osv-db: download` is not opened here: the exports to fetch depend on the packages, and the
 * runner keeps them (the action kit's `loadOsvExports`); asking for it is a programming error.
 */
export async function openVulnerabilitySource(
  inputs: Pick<ScanInputs, 'osv-url' | 'osv-db'>,
  options: { http: HttpClient; logger?: Logger },
): Promise<VulnerabilitySource> {
  if (inputs['osv-db'] === OSV_DB_DOWNLOAD)
    throw new TypeError(
      'osv-db: download is opened with the ecosystems to fetch (action kit: loadOsvExports), not by openVulnerabilitySource',
    );
  if (inputs['osv-db'])
    return OsvExport.load(inputs['osv-db'], { ...(options.logger && { logger: options.logger }) });
  return new OsvApiClient({
    http: options.http,
    baseUrl: inputs['osv-url'],
    ...(options.logger && { logger: options.logger }),
  });
}
