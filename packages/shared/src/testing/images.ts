/**
 * Test images built in memory: layers of random bytes, of given bytes, or tar archives of given
 * entries (compressed with gzip, zstd or not at all), a matching config, image manifests, indexes
 * and OCI 1.1 artifacts. Nothing here talks to a registry or uses the project's OCI code (only its
 * types), so the harness and the tests of that code can build their data with it alike:
 * `pushTestImage` pushes these images with plain HTTP, the suites' `push` through an ImageStore.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import type { Descriptor, Platform } from '../oci/types.ts';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** The empty config of an artifact: `{}`. */
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
/** Uncompressed layers: the diff_id is the layer's own digest. */
export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';

/** `size` random bytes. */
export function randomBlob(size: number): Buffer {
  return randomBytes(size);
}

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Bytes and the descriptor that names them. */
export interface Blob {
  descriptor: Descriptor;
  bytes: Buffer;
}

export function blob(bytes: Uint8Array, mediaType: string): Blob {
  const data = Buffer.from(bytes);
  return { descriptor: { mediaType, digest: sha256(data), size: data.length }, bytes: data };
}

/** One entry of a tar layer, written exactly as given (whiteouts, links and hostile names too). */
export interface TarEntry {
  name: string;
  content?: string | Uint8Array;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  /** Permission bits (default 0644 for a file, 0755 for a directory, 0777 for a link). */
  mode?: number;
}

/** Regular files by path. */
export type FileMap = Record<string, string | Uint8Array>;

const TYPEFLAG = { file: '0', link: '1', symlink: '2', directory: '5' } as const;
const MODE = { file: 0o644, link: 0o777, symlink: 0o777, directory: 0o755 } as const;

function tarHeader(name: string, typeflag: string, size: number, mode: number, mtime: number, linkname = '') {
  const octal = (value: number, digits: number) => `${value.toString(8).padStart(digits, '0')}\0`;
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write(octal(mode & 0o7777, 7), 100);
  header.write(octal(0, 7), 108);
  header.write(octal(0, 7), 116);
  header.write(octal(size, 11), 124);
  header.write(octal(mtime, 11), 136);
  header.write(typeflag, 156);
  header.write(linkname, 157, 100);
  header.write('ustar\0', 257);
  header.write('00', 263);
  header.write(' '.repeat(8), 148);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

/** A pax record `"<length> <key>=<value>\n"`, whose length counts itself. */
function paxRecord(key: string, value: string): string {
  const rest = Buffer.byteLength(` ${key}=${value}\n`);
  let length = rest + 1;
  while (String(length).length + rest !== length) length = String(length).length + rest;
  return `${length} ${key}=${value}\n`;
}

const padding = (size: number) => Buffer.alloc((512 - (size % 512)) % 512);
/** A name that fits a ustar field as it is: ASCII, at most 100 bytes. */
const fits = (name: string) => name.length <= 100 && /^[\x20-\x7e]*$/.test(name);

/**
 * A tar archive of `entries` in order (a file map: regular files; each entry under 8 GiB). Names and link targets that do
 * not fit a ustar header (longer than 100 bytes, or not ASCII) go in a pax header. Entries carry
 * the time of the call, as tar-stream writes them, so two images built a second apart differ.
 */
export function tar(entries: TarEntry[] | FileMap): Buffer {
  const list = Array.isArray(entries)
    ? entries
    : Object.entries(entries).map(([name, content]): TarEntry => ({ name, content }));
  const mtime = Math.floor(Date.now() / 1000);
  const parts: Buffer[] = [];
  for (const entry of list) {
    const type = entry.type ?? 'file';
    const data = type === 'file' ? Buffer.from(entry.content ?? '') : Buffer.alloc(0);
    const mode = entry.mode ?? MODE[type];
    const linkname = entry.linkname ?? '';
    const pax =
      (fits(entry.name) ? '' : paxRecord('path', entry.name)) +
      (fits(linkname) ? '' : paxRecord('linkpath', linkname));
    if (pax) {
      const records = Buffer.from(pax);
      parts.push(tarHeader('PaxHeader', 'x', records.length, mode, mtime), records, padding(records.length));
    }
    parts.push(
      tarHeader(
        fits(entry.name) ? entry.name : 'PaxHeader',
        TYPEFLAG[type],
        data.length,
        mode,
        mtime,
        fits(linkname) ? linkname : '',
      ),
      data,
      padding(data.length),
    );
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export type Compression = 'gzip' | 'zstd' | 'none';

const LAYER_MEDIA_TYPE: Record<Compression, string> = {
  gzip: OCI_LAYER_GZIP,
  zstd: OCI_LAYER_ZSTD,
  none: OCI_LAYER_TAR,
};

export function compress(archive: Uint8Array, compression: Compression): Buffer {
  if (compression === 'gzip') return gzipSync(archive);
  if (compression === 'zstd') return zstdCompressSync(archive);
  return Buffer.from(archive);
}

/**
 * One layer, by what it unpacks to: `size` random bytes, these `bytes` (an archive made elsewhere,
 * or no archive at all), a tar archive of `entries`, or of regular `files`.
 */
export type LayerSpec = (
  { size: number } | { bytes: Uint8Array } | { entries: TarEntry[] } | { files: FileMap }
) & {
  /** Default: the image's; for an image without one, gzip for entries and files, none for sizes and bytes. */
  compression?: Compression;
  /** The blob as stored, instead of the content compressed here (a gzip bomb, a broken layer). */
  compressed?: Uint8Array;
  /** The media type the manifest names, instead of the one `compression` says (a lying manifest). */
  mediaType?: string;
};

/** A layer spec, or the short forms: `size` random bytes, these bytes, these tar entries. */
export type Layer = number | Uint8Array | TarEntry[] | LayerSpec;

export interface ImageOptions {
  /** Default one layer of 1024 random bytes. */
  layers?: Layer[];
  /** How every layer is compressed unless it says otherwise (see {@link LayerSpec}). */
  compression?: Compression;
  /** Default linux/amd64. */
  platform?: Platform;
  /** Fields set over the default config (`{ config: { Cmd: […] } }`, another `history`). */
  config?: Record<string, unknown>;
}

/** What a push stores: the blobs, then the child manifests (an index's images), then the manifest. */
export interface Manifest {
  descriptor: Descriptor;
  /** The manifest's bytes, exactly as pushed. */
  bytes: Buffer;
  blobs: Blob[];
  manifests: Manifest[];
  /** An image's platform: what an index lists it with unless told otherwise. */
  platform?: Platform;
}

export interface Image extends Manifest {
  config: Blob;
  layers: Blob[];
}

function layerOf(layer: Layer, compression: Compression | undefined): { diffId: string; blob: Blob } {
  const spec: LayerSpec =
    typeof layer === 'number'
      ? { size: layer }
      : Array.isArray(layer)
        ? { entries: layer }
        : ArrayBuffer.isView(layer)
          ? { bytes: layer as Uint8Array }
          : layer;
  const archive =
    'size' in spec
      ? randomBlob(spec.size)
      : 'bytes' in spec
        ? Buffer.from(spec.bytes)
        : tar('entries' in spec ? spec.entries : spec.files);
  const how = spec.compression ?? compression ?? ('size' in spec || 'bytes' in spec ? 'none' : 'gzip');
  return {
    diffId: sha256(archive),
    blob: blob(spec.compressed ?? compress(archive, how), spec.mediaType ?? LAYER_MEDIA_TYPE[how]),
  };
}

function manifestBlob(json: object, mediaType: string): Blob {
  return blob(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, ...json })), mediaType);
}

/** An OCI image: its layers, a config whose diff_ids match them, and its manifest. */
export function makeImage(options: ImageOptions = {}): Image {
  const platform = options.platform ?? { architecture: 'amd64', os: 'linux' };
  const made = (options.layers ?? [1024]).map((layer) => layerOf(layer, options.compression));
  const layers = made.map((l) => l.blob);
  const config = blob(
    Buffer.from(
      JSON.stringify({
        created: '1970-01-01T00:00:00Z',
        ...platform,
        config: {},
        rootfs: { type: 'layers', diff_ids: made.map((l) => l.diffId) },
        history: layers.map((_, i) => ({
          created: '1970-01-01T00:00:00Z',
          created_by: `test layer ${i + 1}`,
        })),
        ...options.config,
      }),
    ),
    OCI_CONFIG,
  );
  const manifest = manifestBlob(
    { config: config.descriptor, layers: layers.map((l) => l.descriptor) },
    OCI_MANIFEST,
  );
  return { ...manifest, blobs: [config, ...layers], manifests: [], platform, config, layers };
}

/** An OCI index of `images`, each listed with its `platform` (default: the image's own). */
export function makeIndex(images: Array<{ image: Manifest; platform?: Platform }>): Manifest {
  const index = manifestBlob(
    {
      manifests: images.map(({ image, platform = image.platform }) => ({
        ...image.descriptor,
        ...(platform && { platform }),
      })),
    },
    OCI_INDEX,
  );
  return { ...index, blobs: [], manifests: images.map(({ image }) => image) };
}

export interface ArtifactOptions {
  /** With it, the config is empty (as a sigstore bundle is stored); without, `configMediaType` says what it is. */
  artifactType?: string;
  /** Default the empty config's. */
  configMediaType?: string;
  /** The one layer's bytes (`application/json`); default `{"about":"<subject digest>"}`. */
  content?: Uint8Array;
  annotations?: Record<string, string>;
}

/** An OCI 1.1 artifact about `subject`: a config, one layer, and the subject. */
export function makeArtifact(subject: Descriptor, options: ArtifactOptions = {}): Image {
  const config = blob(Buffer.from('{}'), options.configMediaType ?? OCI_EMPTY);
  const layer = blob(
    options.content ?? Buffer.from(JSON.stringify({ about: subject.digest })),
    'application/json',
  );
  const manifest = manifestBlob(
    {
      ...(options.artifactType !== undefined && { artifactType: options.artifactType }),
      config: config.descriptor,
      layers: [layer.descriptor],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      ...(options.annotations && { annotations: options.annotations }),
    },
    OCI_MANIFEST,
  );
  return { ...manifest, blobs: [config, layer], manifests: [], config, layers: [layer] };
}
