/**
 * Test images for the SBOM tests: real tar layers (made with tar-stream, so whiteouts, symlinks,
 * hard links and hostile names are written exactly as given), compressed with gzip, zstd or not
 * at all, stored through any ImageStore.
 */
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import {
  digestOf,
  LayoutStore,
  MediaType,
  type Descriptor,
  type ImageStore,
  type Platform,
} from '@release-actions/shared/oci';

export interface TarEntry {
  name: string;
  content?: string | Buffer;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  /** Permission bits of a file (default 0644). */
  mode?: number;
}

export type Compression = 'gzip' | 'zstd' | 'none';

export interface Blob {
  descriptor: Descriptor;
  bytes: Buffer;
}

export interface Image {
  descriptor: Descriptor;
  bytes: Buffer;
  blobs: Blob[];
  layers: Descriptor[];
}

export function blob(bytes: Buffer, mediaType: string): Blob {
  return { descriptor: { mediaType, digest: digestOf(bytes), size: bytes.length }, bytes };
}

/** A tar archive of `entries`, in order. */
export async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const type = e.type ?? 'file';
    if (type === 'file') pack.entry({ name: e.name, type, mode: e.mode ?? 0o644 }, e.content ?? '');
    else pack.entry({ name: e.name, type, linkname: e.linkname, mode: type === 'directory' ? 0o755 : 0o777 });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const LAYER_TYPE: Record<Compression, string> = {
  gzip: MediaType.OciLayerGzip,
  zstd: MediaType.OciLayerZstd,
  none: MediaType.OciLayer,
};

export function compress(archive: Buffer, compression: Compression): Buffer {
  if (compression === 'gzip') return gzipSync(archive);
  if (compression === 'zstd') return zstdCompressSync(archive);
  return archive;
}

/** An image of layers given as tar bytes (already compressed as `compression` says, or compressed here). */
export function imageOf(
  layers: Array<{ archive: Buffer; compression?: Compression; mediaType?: string; compressed?: Buffer }>,
  platform: Platform = { os: 'linux', architecture: 'amd64' },
): Image {
  const layerBlobs = layers.map((l) => {
    const compression = l.compression ?? 'gzip';
    return blob(l.compressed ?? compress(l.archive, compression), l.mediaType ?? LAYER_TYPE[compression]);
  });
  const config = blob(
    Buffer.from(
      JSON.stringify({
        ...platform,
        config: {},
        rootfs: { type: 'layers', diff_ids: layers.map((l) => digestOf(l.archive)) },
      }),
    ),
    MediaType.OciConfig,
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: config.descriptor,
        layers: layerBlobs.map((l) => l.descriptor),
      }),
    ),
    MediaType.OciManifest,
  );
  return { ...manifest, blobs: [config, ...layerBlobs], layers: layerBlobs.map((b) => b.descriptor) };
}

/** An image whose layers hold `layers[i]`, all compressed as `compression`. */
export async function makeImage(
  layers: TarEntry[][],
  compression: Compression = 'gzip',
  platform?: Platform,
): Promise<Image> {
  const archives = await Promise.all(layers.map((entries) => tarOf(entries)));
  return imageOf(
    archives.map((archive) => ({ archive, compression })),
    platform,
  );
}

export function indexOf(images: Array<{ image: Image; platform: Platform }>): Image {
  const index = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: images.map(({ image, platform }) => ({ ...image.descriptor, platform })),
      }),
    ),
    MediaType.OciIndex,
  );
  return {
    ...index,
    blobs: images.flatMap(({ image }) => [
      ...image.blobs,
      { descriptor: image.descriptor, bytes: image.bytes },
    ]),
    layers: [],
  };
}

export async function push(store: ImageStore, image: Image, tag?: string): Promise<Descriptor> {
  for (const b of image.blobs) {
    if (b.descriptor.mediaType === MediaType.OciManifest)
      await store.putManifest(b.bytes, b.descriptor.mediaType);
    else if (!(await store.hasBlob(b.descriptor.digest))) await store.putBlob(b.descriptor, b.bytes);
  }
  return store.putManifest(image.bytes, image.descriptor.mediaType, tag);
}

/** A fresh OCI layout in a temporary directory, removed by `dispose`. */
export async function tempLayout(): Promise<{
  store: LayoutStore;
  dir: string;
  dispose: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'sbom-test-'));
  const store = await LayoutStore.open(join(dir, 'layout'), { create: true });
  return { store, dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}
