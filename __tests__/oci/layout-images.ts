/**
 * Small but real images for the layout tests: tar layers (plain and gzip) with matching diff_ids,
 * an OCI config, image manifests, indexes and OCI 1.1 artifacts.
 */
import { gzipSync } from 'node:zlib';
import {
  digestOf,
  MediaType,
  type Descriptor,
  type ImageStore,
  type Platform,
} from '@release-actions/shared/oci';

export interface Blob {
  descriptor: Descriptor;
  bytes: Buffer;
}

export interface Image {
  bytes: Buffer;
  descriptor: Descriptor;
  blobs: Blob[];
}

export function blob(bytes: Buffer, mediaType: string): Blob {
  return { descriptor: { mediaType, digest: digestOf(bytes), size: bytes.length }, bytes };
}

/** A ustar archive of regular files. */
export function tar(files: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const header = Buffer.alloc(512);
    const field = (value: string, offset: number, length: number) =>
      header.write(value.slice(0, length), offset, length, 'ascii');
    field(name, 0, 100);
    field('0000644\0', 100, 8);
    field('0000000\0', 108, 8);
    field('0000000\0', 116, 8);
    field(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 12);
    field(`${'0'.repeat(11)}\0`, 136, 12);
    field('        ', 148, 8);
    field('0', 156, 1);
    field('ustar\0', 257, 6);
    field('00', 263, 2);
    let sum = 0;
    for (const byte of header) sum += byte;
    field(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
    parts.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** An image whose layers hold `layers[i]` (gzip-compressed from the second layer on, to mix both kinds). */
export function makeImage(
  layers: Array<Record<string, string>>,
  platform: Platform = { architecture: 'amd64', os: 'linux' },
): Image {
  const layerBlobs = layers.map((files, i) => {
    const archive = tar(files);
    return {
      diffId: digestOf(archive),
      blob: i === 0 ? blob(archive, MediaType.OciLayer) : blob(gzipSync(archive), MediaType.OciLayerGzip),
    };
  });
  const config = blob(
    Buffer.from(
      JSON.stringify({
        ...platform,
        config: { Cmd: ['/bin/true'] },
        rootfs: { type: 'layers', diff_ids: layerBlobs.map((l) => l.diffId) },
        history: layerBlobs.map(() => ({ created_by: 'layout test' })),
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
        layers: layerBlobs.map((l) => l.blob.descriptor),
      }),
    ),
    MediaType.OciManifest,
  );
  return { ...manifest, blobs: [config, ...layerBlobs.map((l) => l.blob)] };
}

export function makeIndex(images: Array<{ image: Image; platform: Platform }>): Image {
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
  return { ...index, blobs: [] };
}

/**
 * An OCI 1.1 artifact about `subject`: with `artifactType`, an empty config (as a sigstore bundle
 * is stored); without, the config's media type says what it is (as cosign's older artifacts do).
 */
export function makeArtifact(
  subject: Descriptor,
  options: { artifactType?: string; configMediaType?: string; annotations?: Record<string, string> },
): Image {
  const config = blob(Buffer.from('{}'), options.configMediaType ?? MediaType.OciEmpty);
  const layer = blob(Buffer.from(JSON.stringify({ about: subject.digest })), 'application/json');
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        ...(options.artifactType !== undefined && { artifactType: options.artifactType }),
        config: config.descriptor,
        layers: [layer.descriptor],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
        ...(options.annotations && { annotations: options.annotations }),
      }),
    ),
    MediaType.OciManifest,
  );
  return { ...manifest, blobs: [config, layer] };
}

/** Stores the image's blobs, then its manifest (with `tag` when given). */
export async function push(store: ImageStore, image: Image, tag?: string): Promise<Descriptor> {
  for (const b of image.blobs) await store.putBlob(b.descriptor, b.bytes);
  return store.putManifest(image.bytes, image.descriptor.mediaType, tag);
}
