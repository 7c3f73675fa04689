/**
 * The layer walker: reads each layer of an image once, as a stream (gzip, zstd or plain tar),
 * applies whiteouts and opaque directories, and keeps only the newest version of the files the
 * catalogers asked for, each no larger than `maxFileSize`. Nothing is written to disk; entries
 * whose names climb out of the root are ignored, and symlinks resolve inside the root.
 *
 * Entries an `EntryScan` selects are not kept whole: their bytes are searched as they stream by
 * for the scan's magic at aligned offsets, and only a bounded window from the first match on is
 * kept, as a file like any other (so later layers' whiteouts still delete it). A window the scan
 * says is not enough (`reread`) has its file read whole in a second pass over its layer.
 */
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Transform } from 'node:stream';
import tar from 'tar-stream';
import { errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import {
  isIndex,
  MediaType,
  OciError,
  type Descriptor,
  type ImageManifest,
  type ImageStore,
  type Platform,
} from '../oci/index.ts';
import { byteLimit, decompressorFor } from './decompress.ts';
import { SbomError } from './errors.ts';
import { FileTree, type FileRecord } from './filetree.ts';
import { globMatcher } from './glob.ts';
import { entryPath } from './paths.ts';

/** Files larger than this are not read into memory unless `maxFileSize` says otherwise (rpmdb.sqlite can reach tens of MB). */
export const DEFAULT_MAX_FILE_SIZE = 128 * 1024 * 1024;
/** A layer that decompresses to more than this is refused as a likely decompression bomb. */
export const DEFAULT_MAX_LAYER_SIZE = 32 * 1024 * 1024 * 1024;

export interface WalkOptions {
  /** Platform to pick from an index, `os/arch[/variant]`; default `linux/amd64`. */
  platform?: string;
  /** Largest wanted file read into memory, in bytes; larger ones are skipped with a warning. */
  maxFileSize?: number;
  /** Largest decompressed layer, in bytes; beyond it the walk fails with LAYER_TOO_LARGE. */
  maxLayerSize?: number;
  logger?: Logger;
}

/** The image manifest a reference resolves to on the chosen platform. */
export interface ResolvedImage {
  /** The image manifest's own descriptor (not the index's). */
  descriptor: Descriptor;
  manifest: ImageManifest;
  /** `os/arch[/variant]` from the image config. */
  platform: string;
}

export interface LayerStats {
  digest: string;
  compression: string;
  entries: number;
  /** Decompressed tar bytes read. */
  bytes: number;
  /** Entries searched by an `EntryScan`. */
  scanned: number;
  /** Bytes this layer's files put in memory: wanted files whole, scanned ones their windows. */
  kept: number;
}

/**
 * A streaming matcher a cataloger declares for files it wants to search rather than keep: regular
 * files under `globs` (with an executable bit when `executable`) are searched for `magic` at file
 * offsets that are multiples of `align`, the magic possibly spanning chunks; at most `window`
 * bytes from the first match on are kept, as the file's content with `FileRecord.offset` set to
 * where the match was. A file with no match is kept nowhere.
 */
export interface EntryScan {
  globs: readonly string[];
  executable?: boolean;
  magic: Buffer;
  align: number;
  window: number;
  /**
   * True for a window that cannot be cataloged on its own (what it needs lies before the match):
   * once all layers are walked, the files still holding such a window are read whole (up to
   * `maxFileSize`) in a second pass over the layer that holds them. Meant for rare cases only.
   */
  reread?: (window: Buffer) => boolean;
}

/**
 * Searches an entry's chunks for `scan.magic` at aligned offsets, keeping the last
 * `magic.length - 1` bytes seen so a match across a chunk boundary is found, then up to
 * `scan.window` bytes from the match. Memory: the carry plus the window, whatever the file's size.
 */
export class MagicScanner {
  readonly #scan: EntryScan;
  #pos = 0;
  #carry: Buffer = Buffer.alloc(0);
  #window: Buffer[] | undefined;
  #windowLength = 0;
  #offset: number | undefined;

  constructor(scan: EntryScan) {
    this.#scan = scan;
  }

  push(chunk: Buffer): void {
    const { magic, align } = this.#scan;
    const start = this.#pos;
    this.#pos += chunk.length;
    if (this.#window) {
      this.#keep(chunk);
      return;
    }
    let found = -1;
    const carry = this.#carry;
    if (carry.length > 0) {
      // Matches that start in the carry and end in this chunk.
      const joined = Buffer.concat([carry, chunk.subarray(0, magic.length - 1)]);
      const joinedStart = start - carry.length;
      for (let i = joined.indexOf(magic); i >= 0 && i < carry.length; i = joined.indexOf(magic, i + 1))
        if ((joinedStart + i) % align === 0) {
          found = joinedStart + i;
          this.#window = [];
          this.#keep(carry.subarray(i));
          this.#keep(chunk);
          break;
        }
    }
    if (found < 0)
      for (let i = chunk.indexOf(magic); i >= 0; i = chunk.indexOf(magic, i + 1))
        if ((start + i) % align === 0) {
          found = start + i;
          this.#window = [];
          this.#keep(chunk.subarray(i));
          break;
        }
    if (found >= 0) {
      this.#offset = found;
      this.#carry = Buffer.alloc(0);
      return;
    }
    const keep = magic.length - 1;
    this.#carry =
      chunk.length >= keep
        ? Buffer.from(chunk.subarray(chunk.length - keep))
        : Buffer.from(Buffer.concat([carry, chunk]).subarray(-keep));
  }

  /** The window from the first aligned match, or undefined when there was none. */
  result(): { content: Buffer; offset: number } | undefined {
    if (!this.#window || this.#offset === undefined) return undefined;
    return { content: Buffer.concat(this.#window, this.#windowLength), offset: this.#offset };
  }

  #keep(bytes: Buffer): void {
    const room = this.#scan.window - this.#windowLength;
    if (room <= 0 || bytes.length === 0) return;
    // A copy: a view would hold the whole chunk it came from.
    const piece = Buffer.from(bytes.subarray(0, room));
    this.#window!.push(piece);
    this.#windowLength += piece.length;
  }
}

interface ScanRule {
  scan: EntryScan;
  matches: (path: string) => boolean;
}

async function scanEntry(entry: AsyncIterable<unknown>, scan: EntryScan) {
  const scanner = new MagicScanner(scan);
  for await (const chunk of entry) scanner.push(chunk as Buffer);
  return scanner.result();
}

export interface ImageFiles {
  image: ResolvedImage;
  files: Map<string, FileRecord>;
  layers: LayerStats[];
}

const LAYER_MEDIA_TYPE =
  /(^application\/vnd\.oci\.image\.layer\.|^application\/vnd\.docker\.image\.rootfs\.)/;
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Parses `linux/amd64`, `linux/arm64/v8`. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) {
    throw new SbomError(
      'INVALID_OPTIONS',
      `platform "${text}" is not valid: write os/arch[/variant], e.g. linux/amd64`,
    );
  }
  return { os, architecture, ...(variant ? { variant } : {}) };
}

function formatPlatform(p: Partial<Platform>): string {
  return [p.os ?? 'unknown', p.architecture ?? 'unknown', p.variant].filter(Boolean).join('/');
}

function platformMatches(want: Platform, have: Platform | undefined): boolean {
  if (!have || have.os !== want.os || have.architecture !== want.architecture) return false;
  if (!want.variant) return true;
  const norm = (v: string | undefined) =>
    have.architecture === 'arm64' && (v === undefined || v === 'v8') ? 'v8' : v;
  return norm(want.variant) === norm(have.variant);
}

async function readJsonBlob(store: ImageStore, descriptor: Descriptor): Promise<unknown> {
  if (descriptor.size > MAX_CONFIG_BYTES) {
    throw new SbomError(
      'NOT_AN_IMAGE',
      `config ${descriptor.digest} is ${descriptor.size} bytes, more than an image config can be`,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of await store.getBlob(descriptor)) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Resolves `reference` (tag or digest) to one image manifest, picking `platform` (default
 * `linux/amd64`) from an index. Throws NO_MATCHING_PLATFORM naming the platforms there are, or
 * NOT_AN_IMAGE for artifacts.
 */
export async function resolveImage(
  store: ImageStore,
  reference: string,
  platform = 'linux/amd64',
): Promise<ResolvedImage> {
  let data = await store.getManifest(reference);
  if (isIndex(data.manifest)) {
    const want = parsePlatform(platform);
    const match = data.manifest.manifests.find((d) => platformMatches(want, d.platform));
    if (!match) {
      const have = data.manifest.manifests.filter((d) => d.platform).map((d) => formatPlatform(d.platform!));
      throw new SbomError(
        'NO_MATCHING_PLATFORM',
        `${store.name}:${reference} has no image for ${platform}; it has ${have.join(', ') || 'no platforms'}: pass one of them as the platform`,
      );
    }
    data = await store.getManifest(match.digest);
    if (isIndex(data.manifest))
      throw new SbomError('NOT_AN_IMAGE', `${match.digest} is a nested index, not an image`);
  }
  const manifest = data.manifest as ImageManifest;
  const configType = manifest.config.mediaType;
  if (configType !== MediaType.OciConfig && configType !== MediaType.DockerConfig) {
    throw new SbomError(
      'NOT_AN_IMAGE',
      `${store.name}:${reference} is an artifact (config ${configType}), not a container image: name the image itself`,
    );
  }
  const config = (await readJsonBlob(store, manifest.config)) as Partial<Platform>;
  return { descriptor: data.descriptor, manifest, platform: formatPlatform(config) };
}

/** Lets an entry's data flow past unread (tar-stream moves on once it has gone by). */
function drain(entry: { resume(): unknown }): void {
  entry.resume();
}

async function readEntry(entry: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Applies one layer (as its blob stream) to `tree`, reading the entries `wanted` selects. Every
 * entry is accounted for (shadowing what lower layers had at its path); nothing else is kept.
 */
export async function walkLayer(
  blob: NodeJS.ReadableStream,
  layer: Descriptor,
  tree: FileTree,
  wanted: (path: string) => boolean,
  options: WalkOptions = {},
  scans: readonly EntryScan[] = [],
): Promise<LayerStats> {
  const rules: ScanRule[] = scans.map((scan) => ({ scan, matches: globMatcher(scan.globs) }));
  const logger = options.logger ?? silentLogger;
  const maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const what = `layer ${layer.digest}`;
  const source = blob as Readable;
  const { compression, decompressor } = await decompressorFor(source, layer.mediaType, what, logger);
  let bytes = 0;
  const counter: Transform = byteLimit(options.maxLayerSize ?? DEFAULT_MAX_LAYER_SIZE, what);
  const extract = tar.extract();
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = decompressor
    ? [source, decompressor, counter, extract]
    : [source, counter, extract];
  const piped = (pipeline as (...streams: unknown[]) => Promise<void>)(...stages);
  piped.catch(() => {});
  const stats: LayerStats = {
    digest: layer.digest,
    compression,
    entries: 0,
    bytes: 0,
    scanned: 0,
    kept: 0,
  };
  tree.beginLayer(layer.digest);
  let failure: unknown;
  try {
    for await (const entry of extract) {
      stats.entries++;
      const header = entry.header;
      bytes += header.size ?? 0;
      const path = entryPath(header.name);
      if (path === undefined) {
        if (posix.normalize(header.name).startsWith('..'))
          logger.warning(
            `${what}: ignored ${JSON.stringify(header.name)}, which points outside the image root`,
          );
        drain(entry);
        continue;
      }
      const base = posix.basename(path);
      if (base.startsWith('.wh.')) {
        const dir = posix.dirname(path);
        if (base === '.wh..wh..opq') tree.opaque(dir);
        else tree.whiteout(posix.join(dir, base.slice(4)));
        drain(entry);
        continue;
      }
      tree.shadow(path, header.type === 'directory');
      const regular = header.type === 'file' || header.type === 'contiguous-file';
      if (!wanted(path)) {
        const rule =
          regular &&
          rules.find((r) => (!r.scan.executable || ((header.mode ?? 0) & 0o111) !== 0) && r.matches(path));
        if (!rule) {
          drain(entry);
          continue;
        }
        stats.scanned++;
        const found = await scanEntry(entry, rule.scan);
        if (found) {
          tree.addFile(path, found.content, found.offset);
          stats.kept += found.content.length;
        }
        continue;
      }
      if (regular) {
        const size = header.size ?? 0;
        if (size > maxFileSize) {
          logger.warning(
            `${what}: skipped ${path} (${size} bytes, more than the ${maxFileSize}-byte limit for files read into memory)`,
          );
          drain(entry);
          continue;
        }
        const content = await readEntry(entry);
        tree.addFile(path, content);
        stats.kept += content.length;
      } else if (header.type === 'symlink' && header.linkname) {
        tree.addSymlink(path, header.linkname);
        drain(entry);
      } else if (header.type === 'link' && header.linkname) {
        const target = entryPath(header.linkname);
        if (!target || !tree.addHardlink(path, target))
          logger.debug(`${what}: hard link ${path} → ${header.linkname} has no target in the image; ignored`);
        drain(entry);
      } else {
        drain(entry);
      }
    }
  } catch (err) {
    failure = err;
  }
  try {
    await piped;
  } catch (err) {
    // The stream's own failure (a limit, a digest mismatch) says more than the iterator's "premature close".
    if (failure === undefined || err instanceof SbomError || err instanceof OciError) failure = err;
  }
  if (failure !== undefined) {
    if (failure instanceof SbomError || failure instanceof OciError) throw failure;
    throw new SbomError(
      'LAYER_INVALID',
      `${what} (${layer.mediaType}) is not a readable tar archive: ${errorMessage(failure)}`,
      { cause: failure },
    );
  }
  tree.endLayer();
  stats.bytes = bytes;
  return stats;
}

/**
 * Resolves `reference` in `store` and walks all its layers in order, returning the wanted files of
 * the final filesystem. Layers whose media type is not a layer's (foreign or artifact blobs) are skipped.
 */
export async function walkImage(
  store: ImageStore,
  reference: string,
  wanted: (path: string) => boolean,
  options: WalkOptions = {},
  scans: readonly EntryScan[] = [],
): Promise<ImageFiles> {
  const logger = options.logger ?? silentLogger;
  const image = await resolveImage(store, reference, options.platform);
  const tree = new FileTree();
  const layers: LayerStats[] = [];
  for (const layer of image.manifest.layers) {
    if (!LAYER_MEDIA_TYPE.test(layer.mediaType) || /foreign/.test(layer.mediaType)) {
      logger.warning(
        `skipped layer ${layer.digest}: media type ${layer.mediaType} is not a filesystem layer we can read`,
      );
      continue;
    }
    layers.push(await walkLayer(await store.getBlob(layer), layer, tree, wanted, options, scans));
  }
  const files = tree.files();
  await rereadWindows(store, image.manifest.layers, files, layers, options, scans);
  return { image, files, layers };
}

/**
 * The second pass of `EntryScan.reread`: each layer holding a window its scan cannot catalog is
 * walked again for exactly those paths, which replace their windows in `files` when read whole.
 */
async function rereadWindows(
  store: ImageStore,
  manifestLayers: readonly Descriptor[],
  files: Map<string, FileRecord>,
  layers: LayerStats[],
  options: WalkOptions,
  scans: readonly EntryScan[],
): Promise<void> {
  const rules = scans.filter((s) => s.reread).map((scan) => ({ scan, matches: globMatcher(scan.globs) }));
  if (rules.length === 0) return;
  const byLayer = new Map<string, Set<string>>();
  for (const file of files.values()) {
    if (file.offset === undefined || !file.layer) continue;
    if (!rules.some((r) => r.matches(file.path) && r.scan.reread!(file.content))) continue;
    byLayer.set(file.layer, (byLayer.get(file.layer) ?? new Set()).add(file.path));
  }
  const logger = options.logger ?? silentLogger;
  for (const [digest, paths] of byLayer) {
    const layer = manifestLayers.find((l) => l.digest === digest)!;
    logger.info(
      `reading layer ${digest} again for ${[...paths].join(', ')}, which its first pass could not catalog`,
    );
    const tree = new FileTree();
    const wantedAgain = (path: string) => paths.has(path);
    const again = await walkLayer(await store.getBlob(layer), layer, tree, wantedAgain, options);
    const stats = layers.find((l) => l.digest === digest);
    if (stats) stats.kept += again.kept;
    for (const [path, whole] of tree.files()) files.set(path, whole);
  }
}
