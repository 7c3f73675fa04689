/**
 * actions/build-sign: build (buildx or buildah) and push, or take an image already pushed; sign the
 * digest by key or keyless; attach SLSA provenance; set outputs and write a job summary. Every
 * hand-off is the digest: what was pushed is exactly what gets signed and reported.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { errorMessage, HttpClient, type Logger } from '@release-actions/shared';
import { tagDigest } from '@release-actions/shared/build';
import { CredentialResolver, RegistryClient, formatReference } from '@release-actions/shared/oci';
import { signImage } from '@release-actions/shared/sign';
import { build, explicitCredential } from './build.ts';
import { getInputs, targetRegistry, type Inputs } from './context.ts';
import { setOutputs, signerText, writeSummary, type Report } from './report.ts';
import { setUpSigning } from './signer.ts';

const logger: Logger = {
  debug: (m) => core.debug(m),
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
};

export async function run(): Promise<void> {
  let inputs: Inputs;
  try {
    inputs = getInputs();
  } catch (err) {
    core.setFailed(errorMessage(err));
    return;
  }
  const http = new HttpClient({ logger });
  const registry = targetRegistry(inputs);
  const explicit = explicitCredential(inputs);
  const resolver = new CredentialResolver({
    explicit: explicit ? [{ registry, ...explicit }] : [],
    logger,
  });
  const client = new RegistryClient({
    http,
    credentials: resolver,
    insecureRegistries: inputs['insecure-registries'],
    logger,
  });
  const ref = inputs.builder === 'none' ? inputs.image! : inputs.tags[0]!;
  const image = { registry: ref.registry, repository: ref.repository };
  const name = `${image.registry}/${image.repository}`;
  const store = client.repository(image);
  try {
    const signing = await core.group('Checking the signing setup', async () => {
      const setup = await setUpSigning(inputs, http);
      core.info(
        `signing: ${setup.describe}; format ${inputs['signature-format']}; provenance ${inputs.provenance}`,
      );
      return setup;
    });

    const pushed = await core.group(
      inputs.builder === 'none'
        ? `Resolving ${formatReference(inputs.image!)}`
        : `Building and pushing ${name} with ${inputs.builder}`,
      () => build(inputs, store, resolver, logger),
    );

    const tags = await core.group(`Checking ${name}@${pushed.digest} in the registry`, async () => {
      if (!(await store.resolve(pushed.digest)))
        throw new Error(`${name}@${pushed.digest} is not in the registry after the push`);
      // buildah pushed the first tag; the others point at the same digest.
      const more = inputs.builder === 'buildah' ? inputs.tags.slice(1).map((t) => t.tag!) : [];
      await tagDigest(store, pushed.digest, more);
      const all = [...pushed.tags, ...more.map((t) => `${name}:${t}`)];
      for (const tag of all) core.info(`${tag} → ${pushed.digest}`);
      return all;
    });

    const signed = await core.group(
      `Signing ${name}@${pushed.digest}${inputs.provenance ? ' and attaching SLSA provenance' : ''}`,
      async () => {
        const context = signing.provenanceContext && (await signing.provenanceContext());
        return signImage({
          store,
          image,
          digest: pushed.digest,
          signer: signing.signer,
          format: inputs['signature-format'],
          ...(Object.keys(inputs.annotations).length > 0 && { annotations: inputs.annotations }),
          ...(context && { provenance: { context } }),
          logger,
        });
      },
    );
    core.info(`signed by ${signerText(signed)}`);

    let bundlePath: string | undefined;
    if (signed.signature.bundle) {
      bundlePath = join(
        process.env.RUNNER_TEMP || tmpdir(),
        `build-sign-${pushed.digest.slice(7, 19)}.sigstore.json`,
      );
      await writeFile(bundlePath, signed.signature.bundle.json);
    }
    const report: Report = {
      builder: inputs.builder,
      name,
      digest: pushed.digest,
      tags,
      resolvedFrom: pushed.resolvedFrom,
      signed,
      bundlePath,
    };
    await core.group('Outputs', async () => setOutputs(report));
    await core.group('Job summary', () =>
      writeSummary(report).catch((err) => core.warning(`job summary not written: ${errorMessage(err)}`)),
    );
  } catch (err) {
    core.setFailed(errorMessage(err));
  } finally {
    await http.close().catch(() => undefined);
  }
}
