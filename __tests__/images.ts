/**
 * The suites' test images: built in memory by the harness's builder (`makeImage`, `makeIndex`,
 * `makeArtifact`, `tar`, `blob` from `@release-actions/shared/testing`: layers of random bytes,
 * given bytes, tar entries or a file map; gzip, zstd or none), and stored through any ImageStore
 * (a registry repository or an OCI layout) by `push`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LayoutStore, type Descriptor, type ImageStore } from '@release-actions/shared/oci';
import type { Manifest } from '@release-actions/shared/testing';

export {
  blob,
  compress,
  makeArtifact,
  makeImage,
  makeIndex,
  tar,
  type Blob,
  type Compression,
  type Image,
  type ImageOptions,
  type Layer,
  type LayerSpec,
  type Manifest,
  type TarEntry,
} from '@release-actions/shared/testing';

/**
 * Stores `image` in `store`: its blobs with one plain put each (no HEAD first, so suites that
 * count requests through a proxy count what they push), then, for an index, each of its images
 * (by digest), then its manifest, tagged `tag` when given.
 */
export async function push(store: ImageStore, image: Manifest, tag?: string): Promise<Descriptor> {
  for (const b of image.blobs) await store.putBlob(b.descriptor, b.bytes);
  for (const child of image.manifests) await push(store, child);
  return store.putManifest(image.bytes, image.descriptor.mediaType, tag);
}

/** All of a stream's bytes. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** A fresh OCI layout in a temporary directory, removed by `dispose`. */
export async function tempLayout(): Promise<{
  store: LayoutStore;
  dir: string;
  dispose: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'test-layout-'));
  const store = await LayoutStore.open(join(dir, 'layout'), { create: true });
  return { store, dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}
