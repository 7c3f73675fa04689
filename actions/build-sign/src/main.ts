/**
 * actions/build-sign: build (buildx or buildah) and push, or take an image already pushed (or in an
 * OCI image layout); sign the digest, and each platform manifest of an index, by key or keyless;
 * attach SLSA provenance; set outputs and write a job summary. Every hand-off is the digest: what
 * was pushed is exactly what gets signed and reported.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistryClient, type ActionRun } from '@release-actions/action-kit';
import { HttpClient, type Logger } from '@release-actions/shared';
import { BuildError, tagDigest } from '@release-actions/shared/build';
import {
  formatReference,
  LayoutStore,
  type ImageStore,
  type RegistryReference,
} from '@release-actions/shared/oci';
import { signImage } from '@release-actions/shared/sign';
import { build, explicitCredential } from './build.ts';
import { targetRegistry, type Inputs } from './context.ts';
import { outputsOf, signerText, writeSummary, type Report } from './report.ts';
import { setUpSigning } from './signer.ts';

export async function main(inputs: Inputs, run: ActionRun): Promise<void> {
  const { logger } = run;
  const http = new HttpClient({ logger });
  run.defer(() => http.close());
  const layout = inputs.image?.kind === 'oci-layout' ? inputs.image : undefined;
  const registry = layout ? undefined : registryTarget(inputs, http, logger);
  const name = layout
    ? `oci-layout:${layout.path}`
    : `${registry!.image.registry}/${registry!.image.repository}`;

  const signing = await run.phase('Checking the signing setup', async () => {
    const setup = await setUpSigning(inputs, http);
    logger.info(
      `signing: ${setup.describe}; format ${inputs['signature-format']}; provenance ${inputs.provenance}`,
    );
    return setup;
  });

  // A build that could not be pushed (or signed) afterwards is wasted: ask for push access first.
  // A layout is a directory the step writes into: there is no push access to ask for.
  const store: ImageStore = registry
    ? await run.phase(`Checking push access to ${name}`, async () => {
        await registry.store.checkPush();
        return registry.store;
      })
    : await run.phase(`Opening ${name}`, () => LayoutStore.open(layout!.path));

  const pushed = await run.phase(
    inputs.builder === 'none'
      ? `Resolving ${formatReference(inputs.image!)}`
      : `Building and pushing ${name} with ${inputs.builder}`,
    () => build(inputs, store, registry?.client.credentials, logger),
  );

  const where = layout ? 'the layout' : 'the registry';
  const tags = await run.phase(`Checking ${name}@${pushed.digest} in ${where}`, async () => {
    if (!(await store.resolve(pushed.digest)))
      throw new BuildError('PUSH_FAILED', `${name}@${pushed.digest} is not in ${where} after the push`);
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
        ...(registry && { image: registry.image }),
        digest: pushed.digest,
        signer: signing.signer,
        format: inputs['signature-format'],
        ...(Object.keys(inputs.annotations).length > 0 && { annotations: inputs.annotations }),
        ...(context && { provenance: { context } }),
        // An index's platform manifests are signed too (cosign sign --recursive): promoting one
        // platform promotes its manifest, which must verify by itself.
        recursive: true,
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

/** The registry side: the client (with the inputs' login for the target registry) and the image's repository. */
function registryTarget(inputs: Inputs, http: HttpClient, logger: Logger) {
  const explicit = explicitCredential(inputs);
  const client = createRegistryClient({
    credentials: explicit ? [{ registry: targetRegistry(inputs)!, ...explicit }] : [],
    insecureRegistries: inputs['insecure-registries'],
    http,
    logger,
  });
  const ref = (inputs.builder === 'none' ? inputs.image : inputs.tags[0]) as RegistryReference;
  const image = { registry: ref.registry, repository: ref.repository };
  return { client, image, store: client.repository(image) };
}
