/**
 * With builder none: the image to sign, resolved once to its digest, in a registry or in an OCI
 * image layout. An untagged `oci-layout:<dir>` takes the layout's only image, or fails listing its
 * tags; it never guesses `latest`.
 */
import type { Logger } from '@release-actions/shared';
import { resolveImage } from '@release-actions/shared/build';
import {
  formatReference,
  LayoutStore,
  resolveLayoutImage,
  type ImageReference,
  type ImageStore,
} from '@release-actions/shared/oci';
import type { Pushed } from './build.ts';

export async function resolveSubject(
  image: ImageReference,
  store: ImageStore,
  logger: Logger,
): Promise<Pushed> {
  if (image.kind === 'oci-layout' && image.tag === undefined && image.digest === undefined) {
    if (!(store instanceof LayoutStore)) throw new TypeError(`${formatReference(image)} needs a LayoutStore`);
    const only = await resolveLayoutImage(store);
    const digest = only.descriptor.digest;
    logger.info(
      `${formatReference(image)} names no tag: the layout's only image is ${digest}${only.tags.length > 0 ? ` (tagged ${only.tags.join(', ')})` : ''}: signing that digest`,
    );
    return { digest, tags: [], resolvedFrom: undefined };
  }
  const resolved = await resolveImage(store, image);
  if (resolved.resolvedFrom)
    logger.info(`${formatReference(image)} resolves to ${resolved.digest}: signing that digest`);
  return { digest: resolved.digest, tags: [], resolvedFrom: resolved.resolvedFrom };
}
