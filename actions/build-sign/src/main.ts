/**
 * actions/build-sign: build (buildx or buildah) and push, or take an image already pushed; sign the
 * digest by key or keyless; attach SLSA provenance; set outputs and write a job summary. Every
 * hand-off is the digest: what was pushed is exactly what gets signed and reported.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistryClient, type ActionRun } from '@release-actions/action-kit';
import { HttpClient } from '@release-actions/shared';
import { BuildError, tagDigest } from '@release-actions/shared/build';
import { formatReference } from '@release-actions/shared/oci';
import { signImage } from '@release-actions/shared/sign';
import { build, explicitCredential } from './build.ts';
import { targetRegistry, type Inputs } from './context.ts';
import { outputsOf, signerText, writeSummary, type Report } from './report.ts';
import { setUpSigning } from './signer.ts';

export async function main(inputs: Inputs, run: ActionRun): Promise<void> {
  const { logger } = run;
  const http = new HttpClient({ logger });
  run.defer(() => http.close());
  const explicit = explicitCredential(inputs);
  const client = createRegistryClient({
    credentials: explicit ? [{ registry: targetRegistry(inputs), ...explicit }] : [],
    insecureRegistries: inputs['insecure-registries'],
    http,
    logger,
  });
  const ref = inputs.builder === 'none' ? inputs.image! : inputs.tags[0]!;
  const image = { registry: ref.registry, repository: ref.repository };
  const name = `${image.registry}/${image.repository}`;
  const store = client.repository(image);

  const signing = await run.phase('Checking the signing setup', async () => {
    const setup = await setUpSigning(inputs, http);
    logger.info(
      `signing: ${setup.describe}; format ${inputs['signature-format']}; provenance ${inputs.provenance}`,
    );
    return setup;
  });

  // A build that could not be pushed (or signed) afterwards is wasted: ask for push access first.
  await run.phase(`Checking push access to ${name}`, () => store.checkPush());

  const pushed = await run.phase(
    inputs.builder === 'none'
      ? `Resolving ${formatReference(inputs.image!)}`
      : `Building and pushing ${name} with ${inputs.builder}`,
    () => build(inputs, store, client.credentials, logger),
  );

  const tags = await run.phase(`Checking ${name}@${pushed.digest} in the registry`, async () => {
    if (!(await store.resolve(pushed.digest)))
      throw new BuildError('PUSH_FAILED', `${name}@${pushed.digest} is not in the registry after the push`);
    // buildah pushed the first tag; the others point at the same digest.
    const more = inputs.builder === 'buildah' ? inputs.tags.slice(1).map((t) => t.tag!) : [];
    await tagDigest(store, pushed.digest, more);
    const all = [...pushed.tags, ...more.map((t) => `${name}:${t}`)];
    for (const tag of all) logger.info(`${tag} → ${pushed.digest}`);
    return all;
  });

  const signed = await run.phase(
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
  logger.info(`signed by ${signerText(signed)}`);

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
  for (const [output, value] of Object.entries(outputsOf(report))) run.output(output, value);
  await run.summary(() => writeSummary(report));
}
