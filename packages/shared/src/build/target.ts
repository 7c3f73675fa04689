/**
 * `builder: none` and tagging: the image someone else built, resolved once to a digest, and
 * further tags pointed at a pushed digest through the registry client.
 */
import type { ImageStore } from '../oci/store.ts';
import { BuildError } from './errors.ts';

export interface ResolvedImage {
  digest: string;
  /** The tag it was resolved from, when it was given by tag. */
  resolvedFrom: string | undefined;
  mediaType: string;
}

/**
 * Resolves an image given by digest (checked to exist) or by tag (resolved once; the digest is what
 * gets signed and reported). IMAGE_NOT_FOUND when it is not there.
 */
export async function resolveImage(
  store: ImageStore,
  reference: { tag?: string; digest?: string },
): Promise<ResolvedImage> {
  const ref = reference.digest ?? reference.tag ?? 'latest';
  const descriptor = await store.resolve(ref);
  if (!descriptor)
    throw new BuildError(
      'IMAGE_NOT_FOUND',
      `${store.name}${reference.digest ? '@' : ':'}${ref} is not in the registry: push it first, or check the name`,
    );
  return {
    digest: descriptor.digest,
    resolvedFrom: reference.digest ? undefined : ref,
    mediaType: descriptor.mediaType,
  };
}

/** Points each tag at `digest` (the same manifest bytes), returning the tags set. */
export async function tagDigest(
  store: ImageStore,
  digest: string,
  tags: readonly string[],
): Promise<string[]> {
  if (tags.length === 0) return [];
  const manifest = await store.getManifest(digest);
  for (const tag of tags) await store.putManifest(manifest.bytes, manifest.descriptor.mediaType, tag);
  return [...tags];
}
