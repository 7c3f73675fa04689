/**
 * actions/build-sign: build (buildx or buildah) and push, assemble an image from a base and files
 * (into a registry or an OCI image layout), or take an image already pushed (or in a layout); sign
 * the digest, and each platform manifest of an index, by key or keyless;
 * attach SLSA provenance; set outputs and write a job summary. Every hand-off is the digest: what
 * was pushed is exactly what gets signed and reported.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistryClient, type ActionRun } from '@release-actions/action-kit';
import { HttpClient, type Logger } from '@release-actions/shared';
import { assembleMaterials, BuildError, tagDigest } from '@release-actions/shared/build';
import {
  formatReference,
  LayoutStore,
  type ImageStore,
  type RegistryClient,
  type RegistryReference,
} from '@release-actions/shared/oci';
import { signImage } from '@release-actions/shared/sign';
import { build, explicitCredential } from './build.ts';
import { credentialRegistry, targetLayout, type Inputs } from './context.ts';
import { outputsOf, signerText, writeSummary, type Report } from './report.ts';
import { setUpSigning } from './signer.ts';

export async function main(inputs: Inputs, run: ActionRun): Promise<void> {
  const { logger } = run;
  const http = new HttpClient({ logger });
  run.defer(() => http.close());
  const layout = targetLayout(inputs);
  /** Whether this run made the target layout's directory ('missing') or filled an empty one. */
  let createdLayout: 'missing' | 'empty' | undefined;
  // A client even for a layout: assemble may read its base image from a registry.
  const client = registryClient(inputs, http, logger);
  const registry = layout ? undefined : registryTarget(inputs, client);
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
    : await run.phase(`Opening ${name}`, async () => {
        // assemble writes the image into the layout, creating it when missing (and removing
        // what it created again when the build fails: a refused base leaves no empty layout).
        if (inputs.builder === 'assemble') createdLayout = await absentOrEmpty(layout!.path);
        return LayoutStore.open(layout!.path, { create: inputs.builder === 'assemble' });
      });

  const pushed = await run.phase(
    inputs.builder === 'none'
      ? `Resolving ${formatReference(inputs.image!)}`
      : inputs.builder === 'assemble'
        ? `Assembling ${name} on ${inputs['base-image'] ? formatReference(inputs['base-image']) : 'scratch'}`
        : `Building and pushing ${name} with ${inputs.builder}`,
    async () => {
      try {
        return await build(inputs, store, client, logger);
      } catch (err) {
        if (createdLayout) await emptyDirectory(layout!.path, createdLayout);
        throw err;
      }
    },
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
        ...(context && {
          provenance: {
            context,
            // assemble's base image and files, by digest, as the build's materials.
            ...(pushed.assembled && { resolvedDependencies: assembleMaterials(pushed.assembled.result) }),
          },
        }),
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
    ...(pushed.assembled && { assembled: pushed.assembled }),
    signed,
    bundlePath,
  };
  for (const [output, value] of Object.entries(outputsOf(report))) run.output(output, value);
  await run.summary(() => writeSummary(report));
}

/** The registry client, with the inputs' login for the target registry (assemble into a layout: the base's). */
function registryClient(inputs: Inputs, http: HttpClient, logger: Logger): RegistryClient {
  const explicit = explicitCredential(inputs);
  return createRegistryClient({
    credentials: explicit ? [{ registry: credentialRegistry(inputs)!, ...explicit }] : [],
    insecureRegistries: inputs['insecure-registries'],
    http,
    logger,
  });
}

/** The registry side: the client and the image's repository. */
function registryTarget(inputs: Inputs, client: RegistryClient) {
  const ref = (inputs.builder === 'none' ? inputs.image : inputs.tags[0]) as RegistryReference;
  const image = { registry: ref.registry, repository: ref.repository };
  return { client, image, store: client.repository(image) };
}

/** 'missing' when `dir` does not exist, 'empty' when it has no entries, else undefined. */
async function absentOrEmpty(dir: string): Promise<'missing' | 'empty' | undefined> {
  try {
    return (await readdir(dir)).length === 0 ? 'empty' : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
}

/** Puts a layout directory this run created back as it was: removed, or emptied. */
async function emptyDirectory(dir: string, was: 'missing' | 'empty'): Promise<void> {
  if (was === 'missing') return rm(dir, { recursive: true, force: true });
  for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true });
}
