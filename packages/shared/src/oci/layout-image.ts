/**
 * What an untagged `oci-layout:<dir>` names: the layout's only image. A layout has no `latest`
 * convention (buildah, skopeo and crane all write tags of the user's choosing, or none), so an
 * untagged reference never guesses one: it takes the one image the layout holds, or fails listing
 * the images there are, by tag, for the user to name one.
 *
 * Not images: cosign's `sha256-<hex>.sig`/`.att`/`.sbom` tags and the `sha256-<hex>` referrers
 * fallback tag, and untagged referrers (manifests with a `subject`: signature bundles,
 * attestations), which `index.json` lists so they can be found.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { silentLogger, type Logger } from '../logger.ts';
import { OciError } from './errors.ts';
import { ANNOTATION_REF_NAME, LayoutStore } from './layout.ts';
import { formatReference, type ImageReference } from './reference.ts';
import type { RegistryClient } from './registry.ts';
import type { ImageStore } from './store.ts';
import type { Descriptor } from './types.ts';

/** The image an untagged layout reference resolved to. */
export interface LayoutImage {
  descriptor: Descriptor;
  /** Its tags in the layout, sorted; empty for an untagged entry. */
  tags: string[];
}

/** cosign's artifact tags and the referrers fallback tag: `sha256-<hex>[.sig|.att|.sbom]`. */
const ARTIFACT_TAG = /^sha(?:256|512)-[0-9a-f]{32,128}(?:\.(?:sig|att|sbom))?$/;

/**
 * The layout's only image (see the module comment). Throws MANIFEST_UNKNOWN when the layout holds
 * none, and INVALID_REFERENCE naming each image by its tags (or digest) when it holds several.
 */
export async function resolveLayoutImage(store: LayoutStore): Promise<LayoutImage> {
  const entries = await indexEntries(store);
  const images = new Map<string, LayoutImage>();
  for (const entry of entries) {
    const tag = entry.annotations?.[ANNOTATION_REF_NAME];
    if (tag !== undefined && ARTIFACT_TAG.test(tag)) continue;
    const known = images.get(entry.digest);
    if (known) {
      if (tag !== undefined && !known.tags.includes(tag)) known.tags.push(tag);
      continue;
    }
    if (tag === undefined && (await isReferrer(store, entry))) continue;
    images.set(entry.digest, {
      descriptor: { mediaType: entry.mediaType, digest: entry.digest, size: entry.size },
      tags: tag === undefined ? [] : [tag],
    });
  }
  const found = [...images.values()];
  for (const image of found) image.tags.sort();
  if (found.length === 1) return found[0]!;
  if (found.length === 0)
    throw new OciError(
      'MANIFEST_UNKNOWN',
      `${store.name} holds no image: write one into it first (buildah push, skopeo copy to oci:<dir>:<tag>)`,
    );
  const listed = found.map((i) =>
    i.tags.length > 0 ? `${i.tags.join(', ')} (${i.descriptor.digest})` : `untagged ${i.descriptor.digest}`,
  );
  const example = found.find((i) => i.tags.length > 0);
  throw new OciError(
    'INVALID_REFERENCE',
    `${store.name} names no tag or digest, and the layout holds ${found.length} images: ${listed.join('; ')}. Name one, e.g. ${
      example ? `${store.name}:${example.tags[0]}` : `${store.name}@${found[0]!.descriptor.digest}`
    }`,
  );
}

/** The entries of the layout's `index.json` (LayoutStore.open has checked its shape). */
async function indexEntries(store: LayoutStore): Promise<Descriptor[]> {
  const file = path.join(store.path, 'index.json');
  let doc: { manifests?: unknown };
  try {
    doc = JSON.parse(await readFile(file, 'utf8')) as { manifests?: unknown };
  } catch (err) {
    throw new OciError(
      'LAYOUT_ERROR',
      `${store.path} has no readable index.json: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (!Array.isArray(doc?.manifests))
    throw new OciError('LAYOUT_ERROR', `${store.path} has an index.json without a "manifests" list`);
  return doc.manifests as Descriptor[];
}

async function isReferrer(store: LayoutStore, entry: Descriptor): Promise<boolean> {
  const { manifest } = await store.getManifest(entry.digest);
  return manifest.subject !== undefined;
}

/** The store an image reference lives in, and the tag or digest to read there. */
export interface OpenedImage {
  store: ImageStore;
  reference: string;
}

/**
 * Opens what `ref` names: a repository of `client`'s registries, or an OCI layout. A registry
 * reference without tag or digest reads `latest`, as docker does; an untagged layout takes its only
 * image (see the module comment) and logs which it took.
 */
export async function openImage(
  client: RegistryClient,
  ref: ImageReference,
  logger: Logger = silentLogger,
): Promise<OpenedImage> {
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
