/**
 * The deploy-time vulnerability gate of one verified image: the packages of its SBOM attestation(s)
 * by the trusted signer, scanned against OSV today and gated. main.ts loads this module only when
 * `scan` is true, so a plain verification starts without the scanner.
 *
 * The vulnerability source is opened once for every image (`openSource`). With `osv-db: download`
 * the exports needed are those of the ecosystems in each image's trusted SBOM, known only once its
 * attestation verified, so each image asks for its own, after that, and an image whose download
 * fails fails alone (fail closed: it is not verified). The downloads go one at a time: the tool
 * cache then dedupes them (a later image finds what an earlier one kept, as a later job does),
 * while two at once would both miss it and rewrite the same tool-cache directory under each other.
 * Images with the same ecosystems share one loaded export.
 */
import { loadOsvExports } from '@release-actions/action-kit/osv';
import { concurrencyLimit, redactUrl, type HttpClient, type Logger } from '@release-actions/shared';
import type { ImageStore } from '@release-actions/shared/oci';
import {
  evaluateGate,
  openVulnerabilitySource,
  OSV_DB_DOWNLOAD,
  osvEcosystems,
  scanPackages,
  summarize,
  type ScanPackage,
  type VulnerabilitySource,
} from '@release-actions/shared/scan';
import { sbomText, verifySbomAttestations, type VerifyPolicy } from '@release-actions/shared/verify';
import type { Inputs } from './context.ts';
import type { ImageScan } from './report.ts';

/** The vulnerability source for an image's packages (see the module comment). */
export type SourceFor = (packages: readonly ScanPackage[]) => Promise<VulnerabilitySource>;

/**
 * Scans the image at `digest` (already verified under `policy`): throws the VerifyError of a
 * missing or unusable SBOM attestation (ATTESTATION_MISSING, …) and the ScanError of an unusable
 * vulnerability source (VULN_SOURCE_UNAVAILABLE, e.g. a refused download); a failed gate is in the
 * result (`gate.passed`).
 */
export async function scanImage(
  options: { store: ImageStore; digest: string; policy: VerifyPolicy; source: SourceFor },
  inputs: Inputs,
  logger: Logger,
): Promise<ImageScan> {
  const { store, digest, policy } = options;
  const sboms = await verifySbomAttestations({ store, digest, policy });
  for (const s of sboms.sboms) logger.info(`SBOM verified: ${sbomText(s)}`);
  const source = await options.source(sboms.packages);
  const result = await scanPackages(sboms.packages, { source, logger });
  const gate = evaluateGate(result.findings, {
    failOn: inputs['fail-on-severity'],
    ignoreUnfixed: inputs['ignore-unfixed'],
    ...(inputs.allowlist && { allowlist: inputs.allowlist }),
  });
  const { total, bySeverity } = summarize(result.findings);
  return {
    sboms: sboms.sboms,
    packages: sboms.packages.length,
    result,
    gate,
    counts: { total, ...bySeverity },
  };
}

/**
 * The source chosen by osv-db / osv-url, opened once for every image: the OSV API or the export
 * directory itself, or with `osv-db: download` the exports of the ecosystems of the packages asked
 * about, from the tool cache or `osv-export-url` (see the module comment).
 */
export async function openSource(
  inputs: Pick<Inputs, 'osv-db' | 'osv-url' | 'osv-export-url'>,
  http: HttpClient,
  logger: Logger,
): Promise<SourceFor> {
  if (inputs['osv-db'] !== OSV_DB_DOWNLOAD) {
    const source = await openVulnerabilitySource(inputs, { http, logger });
    logger.info(`vulnerability source: ${source.description}`);
    return async () => source;
  }
  const exportUrl = inputs['osv-export-url'];
  logger.info(
    `vulnerability source: OSV's exports from ${redactUrl(exportUrl)}, of the ecosystems in each image's trusted SBOM`,
  );
  const now = new Date();
  const oneAtATime = concurrencyLimit(1);
  const opened = new Map<string, Promise<VulnerabilitySource>>();
  return (packages) => {
    const ecosystems = osvEcosystems(packages);
    const key = ecosystems.join('\n');
    let source = opened.get(key);
    if (!source) {
      source = oneAtATime(
        async () => (await loadOsvExports(ecosystems, { exportUrl, http, logger, now })).source,
      );
      opened.set(key, source);
    }
    return source;
  };
}
