/**
 * actions/verify-image: verify every image (concurrently) against the trust inputs; with `scan`,
 * scan the packages of each image's SBOM attestation by the same trusted signer against OSV and
 * gate on them; set `verified`, `digest`, `image`, `signers`, `attestations`, `results`; write a
 * table per image to the job summary; fail unless every image passed. Fail-closed: an error of any
 * kind, including an unreachable registry or vulnerability source, is a failed verification.
 */
import { createRegistryClient, sameLogin, type ActionRun } from '@release-actions/action-kit';
import { concurrencyLimit, HttpClient } from '@release-actions/shared';
import { openImage, type RegistryClient } from '@release-actions/shared/oci';
import { verifyImage } from '@release-actions/shared/verify';
import type { Inputs, Target } from './context.ts';
import type { scanImage, SourceFor } from './scan.ts';
import {
  errorOf,
  gateError,
  passed,
  resultJson,
  signerJson,
  writeSummary,
  type ImageReport,
} from './report.ts';

/** The scanner and its source, loaded only when `scan` is true. */
interface Scanner {
  scanImage: typeof scanImage;
  source: SourceFor;
}

async function verifyOne(
  client: RegistryClient,
  inputs: Inputs,
  target: Target,
  scanner: Scanner | undefined,
  run: ActionRun,
): Promise<ImageReport> {
  const { logger } = run;
  const required = inputs.trust.requireAttestations;
  let result: ImageReport['result'];
  try {
    const { store, reference } = await openImage(client, target.ref, run.logger);
    const policy = {
      ...inputs.trust,
      ...(target.expectedDigest && { expectedDigest: target.expectedDigest }),
    };
    result = await verifyImage({ store, reference, policy, logger });
    logger.info(`✅ ${result.image}: signature verified`);
    if (!scanner) return { target, result, required };

    const { source } = scanner;
    const scan = await scanner.scanImage({ store, digest: result.digest, policy, source }, inputs, logger);
    const { gate } = scan;
    for (const message of gate.messages.slice(1)) logger.warning(`${result.image}: ${message}`);
    if (!gate.passed) {
      const error = gateError(gate);
      logger.warning(`${target.input}: ${error.code}: ${error.message}`);
      return { target, result, required, scan, error };
    }
    logger.info(`✅ ${result.image}: ${gate.messages[0]}`);
    return { target, result, required, scan };
  } catch (err) {
    const error = errorOf(err);
    logger.warning(`${target.input}: ${error.code}: ${error.message}`);
    return { target, ...(result && { result }), error, required };
  }
}

export async function main(inputs: Inputs, run: ActionRun): Promise<void> {
  const http = new HttpClient({ logger: run.logger });
  run.defer(() => http.close());
  const registries = inputs.targets.flatMap((t) => (t.ref.kind === 'registry' ? [t.ref.registry] : []));
  const client = createRegistryClient({
    credentials: sameLogin(registries, inputs.username, inputs.password),
    githubToken: inputs['github-token'],
    insecureRegistries: inputs['insecure-registries'],
    http,
    logger: run.logger,
  });
  // Opened once for every image (an OSV export is read once; with osv-db: download, the exports
  // each image's trusted SBOM needs, fetched after it verified); never when scan is false.
  const scanner: Scanner | undefined = inputs.scan
    ? await run.phase('Opening the vulnerability source', async () => {
        const { openSource, scanImage } = await import('./scan.ts');
        return { scanImage, source: await openSource(inputs, http, run.logger) };
      })
    : undefined;

  const limit = concurrencyLimit(4);
  const reports = await run.phase(
    `Verifying ${inputs.targets.length} image(s)${scanner ? ' and scanning their SBOMs' : ''}`,
    () => Promise.all(inputs.targets.map((t) => limit(() => verifyOne(client, inputs, t, scanner, run)))),
  );
  const verified = reports.every(passed);
  const signers = new Map<string, Record<string, string>>();
  for (const r of reports)
    for (const s of r.result?.signers ?? []) signers.set(JSON.stringify(signerJson(s)), signerJson(s));
  const attestations = [
    ...new Set(reports.flatMap((r) => r.result?.attestations.map((a) => a.predicateType) ?? [])),
  ];
  // Only what passed is deployable: an image that failed any check has an empty digest and image.
  run.output('verified', verified);
  run.output('digest', reports.map((r) => (passed(r) ? r.result!.digest : '')).join('\n'));
  run.output('image', reports.map((r) => (passed(r) ? r.result!.image : '')).join('\n'));
  run.output('signers', JSON.stringify([...signers.values()]));
  run.output('attestations', JSON.stringify(attestations));
  run.output('results', JSON.stringify(reports.map(resultJson)));
  await run.summary(() => writeSummary(reports, inputs));
  if (!verified) {
    const failed = reports.filter((r) => !passed(r));
    run.fail(
      `${failed.length} of ${reports.length} image(s) not verified: ${failed.map((r) => `${r.target.input} (${r.error?.code}${r.error?.code === 'GATE_FAILED' ? `: ${r.error.message}` : ''})`).join(', ')}`,
    );
  }
}
