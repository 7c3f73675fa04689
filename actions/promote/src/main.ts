/**
 * actions/promote: verify the source digest, then move it into the target environment with the
 * shared promotion (signatures, attestations and referrers along, history kept, tags last); set
 * the outputs and write the summary. Source and target may each be a registry repository or an
 * OCI image layout (`oci-layout:<dir>`): layout → registry, registry → layout, layout → layout.
 */
import { createRegistryClient, type ActionRun } from '@release-actions/action-kit';
import {
  formatReference,
  LayoutStore,
  openImage,
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
  const { store: source, reference } = await openImage(client, inputs.source, logger);
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
