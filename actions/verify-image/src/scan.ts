/**
 * The deploy-time vulnerability gate of one verified image: the packages of its SBOM attestation(s)
 * by the trusted signer, scanned against OSV today and gated. main.ts loads this module only when
 * `scan` is true, so a plain verification starts without the scanner.
 */
import type { HttpClient, Logger } from '@release-actions/shared';
import type { ImageStore } from '@release-actions/shared/oci';
import {
  evaluateGate,
  openVulnerabilitySource,
  scanPackages,
  summarize,
  type VulnerabilitySource,
} from '@release-actions/shared/scan';
import { sbomText, verifySbomAttestations, type VerifyPolicy } from '@release-actions/shared/verify';
import type { Inputs } from './context.ts';
import type { ImageScan } from './report.ts';

/**
 * Scans the image at `digest` (already verified under `policy`): throws the VerifyError of a
 * missing or unusable SBOM attestation (ATTESTATION_MISSING, …) and the ScanError of an unusable
 * vulnerability source; a failed gate is in the result (`gate.passed`).
 */
export async function scanImage(
  options: { store: ImageStore; digest: string; policy: VerifyPolicy; source: VulnerabilitySource },
  inputs: Inputs,
  logger: Logger,
): Promise<ImageScan> {
  const { store, digest, policy, source } = options;
  const sboms = await verifySbomAttestations({ store, digest, policy });
  for (const s of sboms.sboms) logger.info(`SBOM verified: ${sbomText(s)}`);
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

/** The source chosen by osv-db / osv-url, opened once for every image. */
export async function openSource(
  inputs: Inputs,
  http: HttpClient,
  logger: Logger,
): Promise<VulnerabilitySource> {
  const source = await openVulnerabilitySource(inputs, { http, logger });
  logger.info(`vulnerability source: ${source.description}`);
  return source;
}
