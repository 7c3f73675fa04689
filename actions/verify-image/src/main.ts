/**
 * actions/verify-image: verify every image (concurrently) against the trust inputs; set
 * `verified`, `digest`, `image`, `signers`, `attestations`, `results`; write a table per image to
 * the job summary; fail unless every image passed. Fail-closed: an error of any kind, including an
 * unreachable registry, is a failed verification.
 */
import * as core from '@actions/core';
import { concurrencyLimit, errorMessage, type Logger } from '@release-actions/shared';
import { CredentialResolver, RegistryClient } from '@release-actions/shared/oci';
import { verifyImage, VerifyError } from '@release-actions/shared/verify';
import { getInputs, type Inputs } from './context.ts';
import { resultJson, signerJson, writeSummary, type ImageReport } from './report.ts';

const logger: Logger = { debug: core.debug, info: core.info, warning: core.warning };

function registryClient(inputs: Inputs): RegistryClient {
  const hosts = [...new Set(inputs.targets.map((t) => t.ref.registry))];
  const explicit = inputs.username
    ? hosts.map((registry) => ({ registry, username: inputs.username, password: inputs.password }))
    : [];
  const env = { ...process.env, ...(inputs['github-token'] && { GITHUB_TOKEN: inputs['github-token'] }) };
  return new RegistryClient({
    credentials: new CredentialResolver({ explicit, env, logger }),
    insecureRegistries: inputs['insecure-registries'],
    logger,
  });
}

async function verifyOne(
  client: RegistryClient,
  inputs: Inputs,
  target: Inputs['targets'][number],
): Promise<ImageReport> {
  const required = inputs.trust.requireAttestations;
  try {
    const result = await verifyImage({
      store: client.repository(target.ref),
      reference: target.ref.digest ?? target.ref.tag ?? 'latest',
      policy: { ...inputs.trust, ...(target.expectedDigest && { expectedDigest: target.expectedDigest }) },
      logger,
    });
    core.info(`✅ ${result.image}: verified`);
    return { target, result, required };
  } catch (err) {
    const error =
      err instanceof VerifyError
        ? { code: err.code, message: err.message, ...(err.digest && { digest: err.digest }) }
        : { code: 'ERROR', message: errorMessage(err) };
    core.error(`${target.input}: ${error.code}: ${error.message}`);
    return { target, error, required };
  }
}

export async function run(): Promise<void> {
  let inputs: Inputs;
  try {
    inputs = getInputs();
  } catch (err) {
    core.setOutput('verified', 'false');
    core.setFailed(errorMessage(err));
    return;
  }
  const client = registryClient(inputs);
  try {
    const limit = concurrencyLimit(4);
    const reports = await core.group(`Verifying ${inputs.targets.length} image(s)`, () =>
      Promise.all(inputs.targets.map((t) => limit(() => verifyOne(client, inputs, t)))),
    );
    const verified = reports.every((r) => r.result);
    const signers = new Map<string, Record<string, string>>();
    for (const r of reports)
      for (const s of r.result?.signers ?? []) signers.set(JSON.stringify(signerJson(s)), signerJson(s));
    const attestations = [
      ...new Set(reports.flatMap((r) => r.result?.attestations.map((a) => a.predicateType) ?? [])),
    ];
    setOutput('verified', String(verified));
    setOutput('digest', reports.map((r) => r.result?.digest ?? '').join('\n'));
    setOutput('image', reports.map((r) => r.result?.image ?? '').join('\n'));
    setOutput('signers', JSON.stringify([...signers.values()]));
    setOutput('attestations', JSON.stringify(attestations));
    setOutput('results', JSON.stringify(reports.map(resultJson)));
    await writeSummary(reports).catch((err) => core.warning(`job summary not written: ${errorMessage(err)}`));
    if (!verified) {
      const failed = reports.filter((r) => !r.result);
      core.setFailed(
        `${failed.length} of ${reports.length} image(s) not verified: ${failed.map((r) => `${r.target.input} (${r.error?.code})`).join(', ')}`,
      );
    }
  } catch (err) {
    core.setOutput('verified', 'false');
    core.setFailed(errorMessage(err));
  } finally {
    await client.http.close().catch(() => undefined);
  }
}

function setOutput(name: string, value: string): void {
  core.setOutput(name, value);
  core.info(`output ${name}: ${value.includes('\n') ? value.replaceAll('\n', ', ') : value}`);
}
