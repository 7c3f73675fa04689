/**
 * Test images built in memory: random layers, a real-looking config, an image manifest, and
 * multi-platform indexes, pushed through any ImageStore.
 */
import { randomBytes } from 'node:crypto';
import {
  digestOf,
  MediaType,
  type Descriptor,
  type ImageStore,
  type Platform,
} from '@release-actions/shared/oci';

export interface TestImage {
  manifest: Buffer;
  descriptor: Descriptor;
  config: { descriptor: Descriptor; bytes: Buffer };
  layers: Array<{ descriptor: Descriptor; bytes: Buffer }>;
}

export function blob(bytes: Buffer, mediaType: string): { descriptor: Descriptor; bytes: Buffer } {
  return { descriptor: { mediaType, digest: digestOf(bytes), size: bytes.length }, bytes };
}

export function makeImage(
  layerSizes: number[],
  platform: Platform = { architecture: 'amd64', os: 'linux' },
): TestImage {
  const layers = layerSizes.map((size) => blob(randomBytes(size), MediaType.OciLayer));
  const config = blob(
    Buffer.from(
      JSON.stringify({
        ...platform,
        config: {},
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.descriptor.digest) },
      }),
    ),
    MediaType.OciConfig,
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: config.descriptor,
      layers: layers.map((l) => l.descriptor),
    }),
  );
  return {
    manifest,
    descriptor: { mediaType: MediaType.OciManifest, digest: digestOf(manifest), size: manifest.length },
    config,
    layers,
  };
}

export async function pushImage(store: ImageStore, image: TestImage, tag?: string): Promise<Descriptor> {
  for (const b of [image.config, ...image.layers]) await store.putBlob(b.descriptor, b.bytes);
  return store.putManifest(image.manifest, MediaType.OciManifest, tag);
}

export function makeIndex(images: Array<{ image: TestImage; platform: Platform }>): {
  bytes: Buffer;
  descriptor: Descriptor;
} {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: images.map(({ image, platform }) => ({ ...image.descriptor, platform })),
    }),
  );
  return {
    bytes,
    descriptor: { mediaType: MediaType.OciIndex, digest: digestOf(bytes), size: bytes.length },
  };
}

/** An OCI 1.1 artifact manifest about `subject` (what a signature bundle or an SBOM referrer looks like). */
export function makeArtifact(subject: Descriptor, artifactType: string, content: Buffer) {
  const layer = blob(content, 'application/json');
  const empty = blob(Buffer.from('{}'), MediaType.OciEmpty);
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType,
      config: empty.descriptor,
      layers: [layer.descriptor],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
    }),
  );
  return {
    bytes,
    blobs: [empty, layer],
    descriptor: { mediaType: MediaType.OciManifest, digest: digestOf(bytes), size: bytes.length },
  };
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
