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
  formatPlatform,
  isIndex,
  MediaType,
  nameWithReference,
  OciError,
  parsePlatform,
  platformMatches,
  platformNotFound,
  readBlob,
  selectPlatform,
  type Descriptor,
  type ImageIndex,
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
  /**
   * Platform, `os/arch[/variant]`: the one picked from an index (default `linux/amd64`), and the
   * one a single-platform image must be for (unchecked when not given).
   */
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
/** Image configs are small JSON documents; a larger "config" is refused unread (BLOB_TOO_LARGE). */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
/** The platform picked from an index when none is asked for. */
const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/**
 * Resolves `reference` (tag or digest) to one image manifest. From an index it picks `platform`
 * (default `linux/amd64`); a single-platform image asked for a `platform` must be for it (its
 * config says so), as `docker pull --platform` requires. Throws INVALID_PLATFORM (OciError) for a
 * platform that is not `os/arch[/variant]`, NO_MATCHING_PLATFORM naming the platforms there are,
 * or NOT_AN_IMAGE for artifacts.
 */
export async function resolveImage(
  store: ImageStore,
  reference: string,
  platform?: string,
): Promise<ResolvedImage> {
  const wanted = platform === undefined ? undefined : parsePlatform(platform);
  const where = nameWithReference(store.name, reference);
  let data = await store.getManifest(reference);
  if (isIndex(data.manifest)) {
    const match = pickPlatform(data.manifest, wanted ?? DEFAULT_PLATFORM, where);
    data = await store.getManifest(match.digest);
    if (isIndex(data.manifest))
      throw new SbomError('NOT_AN_IMAGE', `${match.digest} is a nested index, not an image`);
  }
  const manifest = data.manifest as ImageManifest;
  const configType = manifest.config.mediaType;
  if (configType !== MediaType.OciConfig && configType !== MediaType.DockerConfig) {
    throw new SbomError(
      'NOT_AN_IMAGE',
      `${where} is an artifact (config ${configType}), not a container image: name the image itself`,
    );
  }
  const config = await readConfig(store, manifest.config);
  if (wanted && (config.os || config.architecture) && !platformMatches(config, wanted)) {
    throw asNoMatchingPlatform(platformNotFound(where, [wanted], formatPlatform(config)));
  }
  return { descriptor: data.descriptor, manifest, platform: formatPlatform(config) };
}

/** The index entry for `wanted` (oci's `selectPlatform`), or NO_MATCHING_PLATFORM listing the platforms the index has. */
function pickPlatform(index: ImageIndex, wanted: Platform, where: string): Descriptor {
  try {
    return selectPlatform(index, wanted, where);
  } catch (err) {
    throw asNoMatchingPlatform(err);
  }
}

/** oci's PLATFORM_NOT_FOUND as the SBOM's documented NO_MATCHING_PLATFORM (same message, the OciError as cause). */
function asNoMatchingPlatform(err: unknown): unknown {
  return err instanceof OciError && err.code === 'PLATFORM_NOT_FOUND'
    ? new SbomError('NO_MATCHING_PLATFORM', err.message, { cause: err })
    : err;
}

/** The platform fields of an image config (the rest is not needed here). */
async function readConfig(store: ImageStore, descriptor: Descriptor): Promise<Partial<Platform>> {
  const bytes = await readBlob(store, descriptor, { maxBytes: MAX_CONFIG_BYTES, what: 'image config' });
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new SbomError('NOT_AN_IMAGE', `image config ${descriptor.digest} in ${store.name} is not JSON`, {
      cause: err,
    });
  }
  const config = (doc ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof config[key] === 'string' ? (config[key] as string) : undefined);
  const os = text('os');
  const architecture = text('architecture');
  const variant = text('variant');
  return {
    ...(os !== undefined && { os }),
    ...(architecture !== undefined && { architecture }),
    ...(variant !== undefined && { variant }),
  };
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

/** One entry of a layer's tar stream: its header and its bytes. */
type TarEntry = tar.ExtractEvents['entry'][1];

/** What applying the entries of one layer needs, and the stats it fills in. */
interface LayerWalk {
  what: string;
  tree: FileTree;
  wanted: (path: string) => boolean;
  rules: readonly ScanRule[];
  maxFileSize: number;
  logger: Logger;
  stats: LayerStats;
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
  const logger = options.logger ?? silentLogger;
  const what = `layer ${layer.digest}`;
  const { compression, extract, piped } = await openLayer(blob as Readable, layer, options, logger);
  const walk: LayerWalk = {
    what,
    tree,
    wanted,
    rules: scans.map((scan) => ({ scan, matches: globMatcher(scan.globs) })),
    maxFileSize: options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
    logger,
    stats: { digest: layer.digest, compression, entries: 0, bytes: 0, scanned: 0, kept: 0 },
  };
  tree.beginLayer(layer.digest);
  let failure: unknown;
  try {
    for await (const entry of extract) await applyEntry(entry, walk);
  } catch (err) {
    failure = err;
  }
  await settleLayer(piped, failure, layer, what);
  tree.endLayer();
  return walk.stats;
}

/**
 * Starts the layer's stream: blob → decompressor (by media type or magic) → byte limit
 * (LAYER_TOO_LARGE past `maxLayerSize`) → tar extractor, whose entries the caller iterates.
 */
async function openLayer(
  source: Readable,
  layer: Descriptor,
  options: WalkOptions,
  logger: Logger,
): Promise<{ compression: string; extract: tar.Extract; piped: Promise<void> }> {
  const what = `layer ${layer.digest}`;
  const { compression, decompressor } = await decompressorFor(source, layer.mediaType, what, logger);
  const counter: Transform = byteLimit(options.maxLayerSize ?? DEFAULT_MAX_LAYER_SIZE, what);
  const extract = tar.extract();
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = decompressor
    ? [source, decompressor, counter, extract]
    : [source, counter, extract];
  const piped = (pipeline as (...streams: unknown[]) => Promise<void>)(...stages);
  piped.catch(() => {});
  return { compression, extract, piped };
}

/**
 * Waits for the layer's stream to end and throws the failure that says most: the stream's own
 * (a limit, a digest mismatch) over the iterator's "premature close"; anything that is not ours
 * becomes LAYER_INVALID.
 */
async function settleLayer(
  piped: Promise<void>,
  iterationFailure: unknown,
  layer: Descriptor,
  what: string,
): Promise<void> {
  let failure = iterationFailure;
  try {
    await piped;
  } catch (err) {
    if (failure === undefined || err instanceof SbomError || err instanceof OciError) failure = err;
  }
  if (failure === undefined) return;
  if (failure instanceof SbomError || failure instanceof OciError) throw failure;
  throw new SbomError(
    'LAYER_INVALID',
    `${what} (${layer.mediaType}) is not a readable tar archive: ${errorMessage(failure)}`,
    { cause: failure },
  );
}

/** Applies one tar entry: ignored (outside the root), a whiteout, or a path that shadows lower layers'. */
async function applyEntry(entry: TarEntry, walk: LayerWalk): Promise<void> {
  const { header } = entry;
  walk.stats.entries++;
  walk.stats.bytes += header.size ?? 0;
  const path = entryPath(header.name);
  if (path === undefined) {
    if (posix.normalize(header.name).startsWith('..'))
      walk.logger.warning(
        `${walk.what}: ignored ${JSON.stringify(header.name)}, which points outside the image root`,
      );
    drain(entry);
    return;
  }
  if (posix.basename(path).startsWith('.wh.')) {
    applyWhiteout(path, walk.tree);
    drain(entry);
    return;
  }
  walk.tree.shadow(path, header.type === 'directory');
  if (walk.wanted(path)) await keepEntry(entry, path, walk);
  else await scanEntryIfSelected(entry, path, walk);
}

/** `.wh.<name>` deletes `<name>` from lower layers; `.wh..wh..opq` empties its directory. */
function applyWhiteout(path: string, tree: FileTree): void {
  const dir = posix.dirname(path);
  const base = posix.basename(path);
  if (base === '.wh..wh..opq') tree.opaque(dir);
  else tree.whiteout(posix.join(dir, base.slice(4)));
}

function isRegular(header: tar.Header): boolean {
  return header.type === 'file' || header.type === 'contiguous-file';
}

/** An entry no cataloger wants whole: searched by the first `EntryScan` selecting it, else drained. */
async function scanEntryIfSelected(entry: TarEntry, path: string, walk: LayerWalk): Promise<void> {
  const { header } = entry;
  const rule =
    isRegular(header) &&
    walk.rules.find((r) => (!r.scan.executable || ((header.mode ?? 0) & 0o111) !== 0) && r.matches(path));
  if (!rule) {
    drain(entry);
    return;
  }
  walk.stats.scanned++;
  const found = await scanEntry(entry, rule.scan);
  if (found) {
    walk.tree.addFile(path, found.content, found.offset);
    walk.stats.kept += found.content.length;
  }
}

/** A wanted entry: a file read whole (unless over `maxFileSize`), or a symbolic or hard link recorded. */
async function keepEntry(entry: TarEntry, path: string, walk: LayerWalk): Promise<void> {
  const { header } = entry;
  const { tree, what } = walk;
  if (isRegular(header)) {
    const size = header.size ?? 0;
    if (size > walk.maxFileSize) {
      walk.logger.warning(
        `${what}: skipped ${path} (${size} bytes, more than the ${walk.maxFileSize}-byte limit for files read into memory)`,
      );
      drain(entry);
      return;
    }
    const content = await readEntry(entry);
    tree.addFile(path, content);
    walk.stats.kept += content.length;
    return;
  }
  if (header.type === 'symlink' && header.linkname) {
    tree.addSymlink(path, header.linkname);
  } else if (header.type === 'link' && header.linkname) {
    const target = entryPath(header.linkname);
    if (!target || !tree.addHardlink(path, target))
      walk.logger.debug(
        `${what}: hard link ${path} → ${header.linkname} has no target in the image; ignored`,
      );
  }
  drain(entry);
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
