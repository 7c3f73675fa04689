/**
 * OCI and Docker v2 data: media types, descriptors, manifests and indexes (pure data, no I/O).
 */
import type { Readable } from 'node:stream';
import { OciError } from './errors.ts';

export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  /** Schema 1 manifests are read only far enough to refuse them clearly. */
  DockerManifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  DockerManifestV1: 'application/vnd.docker.distribution.manifest.v1+json',
} as const;

export const INDEX_MEDIA_TYPES: readonly string[] = [MediaType.OciIndex, MediaType.DockerManifestList];
export const IMAGE_MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.OciManifest,
  MediaType.DockerManifest,
];
/** Sent in `Accept` on every manifest request, so no registry converts or refuses what we ask for. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [...IMAGE_MANIFEST_MEDIA_TYPES, ...INDEX_MEDIA_TYPES];

/** The empty JSON blob `{}` used as config by artifacts (OCI 1.1). */
export const EMPTY_JSON = Buffer.from('{}');
export const EMPTY_JSON_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

/** Registries refuse larger manifests (distribution's limit is 4 MiB); so do we, before reading more. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: Platform;
  urls?: string[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export type Manifest = ImageManifest | ImageIndex;

export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_MEDIA_TYPES.includes(mediaType);
}

export function isIndex(manifest: Manifest): manifest is ImageIndex {
  return Array.isArray((manifest as ImageIndex).manifests);
}

/** A manifest as stored: its exact bytes (which its digest covers) and what they say. */
export interface ManifestData {
  descriptor: Descriptor;
  bytes: Buffer;
  manifest: Manifest;
}

/**
 * Parses manifest bytes and works out their media type (from the document, else from what the
 * server said), refusing schema 1 and anything that is not a manifest or an index.
 */
export function parseManifest(
  bytes: Buffer,
  declaredMediaType?: string,
): { manifest: Manifest; mediaType: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new OciError('MANIFEST_INVALID', 'manifest is not valid JSON', { cause: err });
  }
  if (!doc || typeof doc !== 'object')
    throw new OciError('MANIFEST_INVALID', 'manifest is not a JSON object');
  const m = doc as Omit<Partial<ImageManifest & ImageIndex>, 'schemaVersion'> & { schemaVersion?: number };
  if (m.schemaVersion === 1) {
    throw new OciError(
      'UNSUPPORTED',
      'Docker schema 1 manifests are not supported: push the image again with a current client',
    );
  }
  const mediaType =
    m.mediaType ??
    (declaredMediaType && MANIFEST_MEDIA_TYPES.includes(declaredMediaType)
      ? declaredMediaType
      : Array.isArray(m.manifests)
        ? MediaType.OciIndex
        : MediaType.OciManifest);
  if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    throw new OciError('UNSUPPORTED', `unsupported manifest media type ${mediaType}`);
  }
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(m.manifests)) throw new OciError('MANIFEST_INVALID', 'index has no "manifests" array');
  } else if (!m.config || !Array.isArray(m.layers)) {
    throw new OciError('MANIFEST_INVALID', 'image manifest needs "config" and "layers"');
  }
  return { manifest: m as Manifest, mediaType };
}

/** The descriptors a manifest refers to, children first: config and layers, or the index's manifests. */
export function childrenOf(manifest: Manifest): Descriptor[] {
  return isIndex(manifest) ? manifest.manifests : [manifest.config, ...manifest.layers];
}

/** A readable blob with what it claims to be. */
export interface BlobStream {
  descriptor: Descriptor;
  stream: Readable;
}
