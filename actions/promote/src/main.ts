/**
 * actions/promote: verify the source digest, then move it into the target environment with the
 * shared promotion (signatures, attestations and referrers along, history kept, tags last); set
 * the outputs and write the summary. Source and target may each be a registry repository or an
 * OCI image layout (`oci-layout:<dir>`): layout → registry, registry → layout, layout → layout.
 */
import { createRegistryClient, type ActionRun } from '@release-actions/action-kit';
import type { Logger } from '@release-actions/shared';
import {
  formatReference,
  LayoutStore,
  resolveLayoutImage,
  type ImageReference,
  type ImageStore,
  type RegistryClient,
} from '@release-actions/shared/oci';
import { promote } from '@release-actions/shared/promote';
import { signerText, verifyImage } from '@release-actions/shared/verify';
import type { Inputs, TargetReference } from './context.ts';
import { writeSummary } from './report.ts';

export async function main(inputs: Inputs, run: ActionRun): Promise<void> {
  const { logger } = run;
  const client = createRegistryClient({
    credentials: inputs.logins,
    githubToken: inputs['github-token'],
    insecureRegistries: inputs['insecure-registries'],
    logger,
  });
  run.defer(() => client.http.close());
  const dryRun = inputs['dry-run'];
  // The source first: an untagged layout holding several images fails here, before the target is touched.
  const { store: source, reference } = await openSource(client, inputs.source, logger);
  const target = await openTarget(client, inputs.target, dryRun);

  let verification = 'skipped (verify: false)';
  const result = await run.phase(
    `${dryRun ? 'Planning' : 'Promoting'} ${formatReference(inputs.source)} → ${target.name}`,
    () =>
      promote({
        source,
        sourceReference: reference,
        target,
        environmentTags: inputs.environments ? [inputs.environments.to.tag] : [],
        tags: inputs.tags,
        allowedTags: inputs.environments?.allowedTags,
        protectedTags: inputs['protected-tags'],
        noClobber: inputs['no-clobber'],
        keep: inputs.keep,
        platforms: inputs.platforms,
        dryRun,
        logger,
        allowUnverified: !inputs.verify,
        ...(inputs.verify && {
          verify: async (digest: string) => {
            const verdict = await verifyImage({ store: source, digest, policy: inputs.trust!, logger });
            verification = `verified: ${verdict.signers.map(signerText).join(', ')}`;
            return verdict;
          },
        }),
      }),
  );
  run.output('digest', result.digest);
  run.output('image', `${target.name}@${result.digest}`);
  run.output('previous-digest', result.previousDigest ?? '');
  run.output('tags', result.tags.map((t) => t.tag).join('\n'));
  // A dry run copies and mounts nothing; what it would do is in the summary.
  run.output('bytes-copied', result.dryRun ? 0 : result.copy.bytesCopied);
  run.output('blobs-mounted', result.dryRun ? 0 : result.copy.blobsMounted);
  await run.summary(() => writeSummary(inputs, result, verification));
  if (result.dryRun) logger.info(`dry run: nothing was changed in ${target.name}`);
}

/** The source's store and the tag or digest to promote; an untagged layout names its only image, never `latest`. */
async function openSource(
  client: RegistryClient,
  ref: ImageReference,
  logger: Logger,
): Promise<{ store: ImageStore; reference: string }> {
  if (ref.kind === 'registry')
    return { store: client.repository(ref), reference: ref.digest ?? ref.tag ?? 'latest' };
  const store = await LayoutStore.open(ref.path);
  const named = ref.digest ?? ref.tag;
  if (named) return { store, reference: named };
  const only = await resolveLayoutImage(store);
  logger.info(
    `${formatReference(ref)} names no tag: the layout's only image is ${only.descriptor.digest}${only.tags.length > 0 ? ` (tagged ${only.tags.join(', ')})` : ''}`,
  );
  return { store, reference: only.descriptor.digest };
}

/**
 * The target's store. A layout is created when missing, as `skopeo copy … oci:<dir>` does; a dry
 * run creates nothing, so it needs the layout to exist.
 */
function openTarget(
  client: RegistryClient,
  ref: TargetReference,
  dryRun: boolean,
): Promise<ImageStore> | ImageStore {
  if (ref.kind === 'registry') return client.repository(ref);
  return LayoutStore.open(ref.path, { create: !dryRun });
}
