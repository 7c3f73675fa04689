/**
 * actions/promote: verify the source digest, then move it into the target environment with the
 * shared promotion (signatures, attestations and referrers along, history kept, tags last); set
 * the outputs and write the summary.
 */
import * as core from '@actions/core';
import { errorMessage, type Logger } from '@release-actions/shared';
import { CredentialResolver, formatReference, RegistryClient } from '@release-actions/shared/oci';
import { promote } from '@release-actions/shared/promote';
import { verifyImage } from '@release-actions/shared/verify';
import { getInputs, type Inputs } from './context.ts';
import { writeSummary } from './report.ts';

const logger: Logger = { debug: core.debug, info: core.info, warning: core.warning };

function registryClient(inputs: Inputs): RegistryClient {
  const hosts = [...new Set([inputs.source.registry, inputs.target.registry])];
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

export async function run(): Promise<void> {
  let inputs: Inputs;
  try {
    inputs = getInputs();
  } catch (err) {
    core.setFailed(errorMessage(err));
    return;
  }
  const client = registryClient(inputs);
  try {
    const source = client.repository(inputs.source);
    const target = client.repository(inputs.target);
    let verification = 'skipped (verify: false)';
    const result = await core.group(
      `${inputs['dry-run'] ? 'Planning' : 'Promoting'} ${formatReference(inputs.source)} → ${target.name}`,
      () =>
        promote({
          source,
          sourceReference: inputs.source.digest ?? inputs.source.tag ?? 'latest',
          target,
          environmentTags: inputs.environments ? [inputs.environments.to.tag] : [],
          tags: inputs.tags,
          protectedTags: inputs['protected-tags'],
          noClobber: inputs['no-clobber'],
          keep: inputs.keep,
          platforms: inputs.platforms,
          dryRun: inputs['dry-run'],
          logger,
          allowUnverified: !inputs.verify,
          ...(inputs.verify && {
            verify: async (digest: string) => {
              const verdict = await verifyImage({ store: source, digest, policy: inputs.trust!, logger });
              const signers = verdict.signers.map((s) =>
                s.kind === 'key' ? `key ${s.fingerprint}` : `${s.subject} (${s.issuer})`,
              );
              verification = `verified: ${signers.join(', ')}`;
              return verdict;
            },
          }),
        }),
    );
    const image = `${target.name}@${result.digest}`;
    setOutput('digest', result.digest);
    setOutput('image', image);
    setOutput('previous-digest', result.previousDigest ?? '');
    setOutput('tags', result.tags.map((t) => t.tag).join('\n'));
    setOutput('bytes-copied', String(result.copy.bytesCopied));
    setOutput('blobs-mounted', String(result.copy.blobsMounted));
    await writeSummary(inputs, result, verification).catch((err) =>
      core.warning(`job summary not written: ${errorMessage(err)}`),
    );
    if (result.dryRun) core.notice(`dry run: nothing was changed in ${target.name}`);
  } catch (err) {
    core.setFailed(errorMessage(err));
  } finally {
    await client.http.close().catch(() => undefined);
  }
}

function setOutput(name: string, value: string): void {
  core.setOutput(name, value);
  core.info(`output ${name}: ${value.replaceAll('\n', ', ')}`);
}
