/**
 * actions/verify-image: verify every image (concurrently) against the trust inputs; set
 * `verified`, `digest`, `image`, `signers`, `attestations`, `results`; write a table per image to
 * the job summary; fail unless every image passed. Fail-closed: an error of any kind, including an
 * unreachable registry, is a failed verification.
 */
import { createRegistryClient, sameLogin, type ActionRun } from '@release-actions/action-kit';
import { concurrencyLimit, errorMessage } from '@release-actions/shared';
import type { RegistryClient } from '@release-actions/shared/oci';
import { verifyImage, VerifyError } from '@release-actions/shared/verify';
import type { Inputs } from './context.ts';
import { resultJson, signerJson, writeSummary, type ImageReport } from './report.ts';

async function verifyOne(
  client: RegistryClient,
  inputs: Inputs,
  target: Inputs['targets'][number],
  { logger }: ActionRun,
): Promise<ImageReport> {
  const required = inputs.trust.requireAttestations;
  try {
    const result = await verifyImage({
      store: client.repository(target.ref),
      reference: target.ref.digest ?? target.ref.tag ?? 'latest',
      policy: { ...inputs.trust, ...(target.expectedDigest && { expectedDigest: target.expectedDigest }) },
      logger,
    });
    logger.info(`✅ ${result.image}: verified`);
    return { target, result, required };
  } catch (err) {
    const error =
      err instanceof VerifyError
        ? { code: err.code, message: err.message, ...(err.digest && { digest: err.digest }) }
        : { code: 'ERROR', message: errorMessage(err) };
    logger.warning(`${target.input}: ${error.code}: ${error.message}`);
    return { target, error, required };
  }
}

export async function main(inputs: Inputs, run: ActionRun): Promise<void> {
  const client = createRegistryClient({
    credentials: sameLogin(
      inputs.targets.map((t) => t.ref.registry),
      inputs.username,
      inputs.password,
    ),
    githubToken: inputs['github-token'],
    insecureRegistries: inputs['insecure-registries'],
    logger: run.logger,
  });
  run.defer(() => client.http.close());

  const limit = concurrencyLimit(4);
  const reports = await run.phase(`Verifying ${inputs.targets.length} image(s)`, () =>
    Promise.all(inputs.targets.map((t) => limit(() => verifyOne(client, inputs, t, run)))),
  );
  const verified = reports.every((r) => r.result);
  const signers = new Map<string, Record<string, string>>();
  for (const r of reports)
    for (const s of r.result?.signers ?? []) signers.set(JSON.stringify(signerJson(s)), signerJson(s));
  const attestations = [
    ...new Set(reports.flatMap((r) => r.result?.attestations.map((a) => a.predicateType) ?? [])),
  ];
  run.output('verified', verified);
  run.output('digest', reports.map((r) => r.result?.digest ?? '').join('\n'));
  run.output('image', reports.map((r) => r.result?.image ?? '').join('\n'));
  run.output('signers', JSON.stringify([...signers.values()]));
  run.output('attestations', JSON.stringify(attestations));
  run.output('results', JSON.stringify(reports.map(resultJson)));
  await run.summary(() => writeSummary(reports));
  if (!verified) {
    const failed = reports.filter((r) => !r.result);
    run.fail(
      `${failed.length} of ${reports.length} image(s) not verified: ${failed.map((r) => `${r.target.input} (${r.error?.code})`).join(', ')}`,
    );
  }
}
