/**
 * Reproducible image layers from files of a directory, streamed: tar (tar-stream) → gzip →
 * wherever the caller sends it (a registry upload, a layout blob file), hashing the tar (the
 * diff_id) and the gzip (the layer digest) in the same pass. No layer is ever whole in memory.
 *
 * The same files give the same bytes on any machine:
 * - entries sorted by path, byte-wise (UTF-8, never the locale), component by component, so
 *   parents come before their children; the destination's parent directories are entries too;
 * - every entry owned by the given uid:gid, with empty uname and gname, and the source date epoch
 *   as its mtime (no atime/ctime: plain ustar headers, PAX only for names ustar cannot hold);
 * - modes normalised, so the umask and checkout do not show: directories 0755, files 0755 when
 *   any execute bit is set and 0644 otherwise, symbolic links 0777;
 * - symbolic links kept as links with their target as written (one pointing outside the source is
 *   not followed); hard links become regular files;
 * - gzip by fflate (pure JavaScript, level 6) in pigz's way, 128 KiB blocks deflated apart on
 *   worker threads (layer-gzip.ts), with a fixed header (mtime 0, no name, OS byte 3 as zlib
 *   writes on Linux): the same bytes for any number of cores. Node's own zlib is not used: its
 *   output changes with the zlib build Node bundles and with the CPU's features (Chromium's zlib
 *   hashes with CRC32C where the CPU has it), so the digest would differ between runners.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { FileOwner, FileSpec } from './assemble-spec.ts';
import { BuildError } from './errors.ts';
import { gzipBlocks, type GzipOptions } from './layer-gzip.ts';

/** One entry of a layer. */
export interface LayerEntry {
  /** The path in the image, relative to its root (`app/server.js`), without a trailing `/`. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** Normalised permission bits. */
  mode: number;
  /** Bytes of a file (0 otherwise). */
  size: number;
  /** A symbolic link's target, as written. */
  linkname?: string;
  /** The file to read, for files. */
  file?: string;
}

export interface LayerOptions {
  owner: FileOwner;
  /** Seconds since 1970: every entry's mtime. */
  mtime: number;
  /** Worker threads for the gzip (0: none); the bytes are the same for any number. See layer-gzip.ts. */
  gzipWorkers?: number;
}

/** What a finished layer is: its gzip digest and size, and its tar's digest (diff_id) and size. */
export interface LayerDigests {
  digest: string;
  size: number;
  diffId: string;
  uncompressedSize: number;
}

export { LAYER_GZIP_LEVEL } from './deflate-block.ts';
/**
 * Files up to this size are read whole, up to {@link READ_AHEAD} of them ahead of the one being
 * written, so their opens and reads overlap the gzip instead of waiting one after another (many
 * small files are otherwise mostly waiting). Larger files stream. The tar bytes are the same.
 */
const SMALL_FILE = 256 * 1024;
const READ_AHEAD = 16;
/** How many of a directory's entries are stat'ed at once. */
const STAT_BATCH = 64;

/**
 * The entries of the layer one `files` line makes, sorted (see the module comment). A directory
 * source puts its contents into the destination directory; a file or link source becomes the
 * destination (or goes into it, named as it is, when the destination ends in `/`). Throws
 * SOURCE_MISSING for a source not in `context`, SOURCE_UNSUPPORTED for a socket, FIFO or device.
 */
export async function collectLayerEntries(context: string, spec: FileSpec): Promise<LayerEntry[]> {
  const root = path.join(context, spec.source);
  const info = await lstat(root).catch((err: NodeJS.ErrnoException) => {
    throw new BuildError(
      'SOURCE_MISSING',
      `"${spec.source}" is not in the context ${context} (${err.code ?? err.message}): build it first, or fix the path`,
      { cause: err },
    );
  });
  const entries = new Map<string, LayerEntry>();
  const add = (entry: LayerEntry) => entries.set(entry.path, entry);
  const into = spec.destination.endsWith('/');
  const destination = spec.destination.replace(/^\/+|\/+$/g, '');
  let top: string;
  if (info.isDirectory()) {
    top = destination;
    if (top !== '') add(directoryEntry(top));
    await walk(root, top, spec.source, add);
  } else {
    top = into || destination === '' ? path.posix.join(destination, path.basename(root)) : destination;
    add(await entryOf(root, top, info, spec.source));
  }
  for (
    let dir = path.posix.dirname(top);
    dir !== '.' && dir !== '/' && dir !== '';
    dir = path.posix.dirname(dir)
  )
    if (!entries.has(dir)) add(directoryEntry(dir));
  return [...entries.values()].sort((a, b) => comparePaths(a.path, b.path));
}

/** Byte-wise path order, component by component: `a`, `a/b`, `a-c` (a parent before its children). */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a.replaceAll('/', '\0')), Buffer.from(b.replaceAll('/', '\0')));
}

async function walk(dir: string, at: string, shown: string, add: (entry: LayerEntry) => void): Promise<void> {
  const names = await readdir(dir);
  // A directory's entries are looked at together, so the stat calls overlap (the order is sorted later).
  const infos: Awaited<ReturnType<typeof lstat>>[] = [];
  for (let i = 0; i < names.length; i += STAT_BATCH)
    infos.push(
      ...(await Promise.all(names.slice(i, i + STAT_BATCH).map((name) => lstat(path.join(dir, name))))),
    );
  for (const [i, name] of names.entries()) {
    const file = path.join(dir, name);
    const inImage = at === '' ? name : `${at}/${name}`;
    const entry = await entryOf(file, inImage, infos[i]!, `${shown}/${name}`);
    add(entry);
    if (entry.type === 'directory') await walk(file, inImage, `${shown}/${name}`, add);
  }
}

async function entryOf(
  file: string,
  inImage: string,
  info: Awaited<ReturnType<typeof lstat>>,
  shown: string,
): Promise<LayerEntry> {
  if (info.isDirectory()) return directoryEntry(inImage);
  if (info.isSymbolicLink())
    return { path: inImage, type: 'symlink', mode: 0o777, size: 0, linkname: await readlink(file) };
  if (info.isFile())
    return {
      path: inImage,
      type: 'file',
      mode: Number(info.mode) & 0o111 ? 0o755 : 0o644,
      size: Number(info.size),
      file,
    };
  throw new BuildError(
    'SOURCE_UNSUPPORTED',
    `"${shown}" is a ${info.isFIFO() ? 'FIFO' : info.isSocket() ? 'socket' : 'device'}, which an image layer does not carry: leave it out of the source`,
  );
}

function directoryEntry(inImage: string): LayerEntry {
  return { path: inImage, type: 'directory', mode: 0o755, size: 0 };
}

/** A layer being made: its gzip bytes, produced as they are read, and their digests once read to the end. */
export interface LayerStream {
  stream: Readable;
  /** The digests; throws until `stream` has ended. */
  digests(): LayerDigests;
}

/**
 * The layer of `entries` as a stream of gzip bytes (see the module comment). Files are read as the
 * stream is consumed; a file that changed size since it was listed fails the stream
 * (SOURCE_CHANGED).
 */
export function createLayer(entries: readonly LayerEntry[], options: LayerOptions): LayerStream {
  const gzipOptions: GzipOptions = options.gzipWorkers === undefined ? {} : { workers: options.gzipWorkers };
  let result: LayerDigests | undefined;
  const pack = tar.pack();
  const writing = writeEntries(pack, entries, options).then(
    () => pack.finalize(),
    (err: unknown) => {
      pack.destroy(err as Error);
      throw err;
    },
  );
  writing.catch(() => {}); // surfaced through the stream below

  async function* gzip(): AsyncGenerator<Buffer> {
    const tarHash = createHash('sha256');
    const gzHash = createHash('sha256');
    let tarBytes = 0;
    let gzBytes = 0;
    async function* tarBytesHashed(): AsyncGenerator<Buffer> {
      for await (const data of pack as AsyncIterable<Buffer>) {
        tarHash.update(data);
        tarBytes += data.length;
        yield data;
      }
      await writing;
    }
    for await (const chunk of gzipBlocks(tarBytesHashed(), gzipOptions)) {
      gzHash.update(chunk);
      gzBytes += chunk.length;
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    }
    result = {
      digest: `sha256:${gzHash.digest('hex')}`,
      size: gzBytes,
      diffId: `sha256:${tarHash.digest('hex')}`,
      uncompressedSize: tarBytes,
    };
  }

  return {
    stream: Readable.from(gzip(), { objectMode: false }),
    digests() {
      if (!result) throw new Error('createLayer: digests() read before the layer stream ended');
      return result;
    },
  };
}

async function writeEntries(pack: tar.Pack, entries: readonly LayerEntry[], options: LayerOptions) {
  const mtime = new Date(options.mtime * 1000);
  const small = (entry: LayerEntry) => entry.type === 'file' && entry.size <= SMALL_FILE;
  const ahead = new Map<number, Promise<Buffer>>();
  let next = 0;
  const readAhead = (from: number) => {
    for (next = Math.max(next, from); next < entries.length && ahead.size < READ_AHEAD; next++) {
      if (!small(entries[next]!)) continue;
      const reading = readSmallFile(entries[next]!);
      reading.catch(() => {}); // awaited (and thrown) when its entry is written
      ahead.set(next, reading);
    }
  };
  for (const [i, entry] of entries.entries()) {
    readAhead(i);
    const content = ahead.get(i);
    ahead.delete(i);
    const header: Partial<tar.Header> & { name: string } = {
      // Directories end in `/`, as Docker and GNU tar write them (tar-stream adds none here).
      name: entry.type === 'directory' ? `${entry.path}/` : entry.path,
      type: entry.type,
      mode: entry.mode,
      uid: options.owner.uid,
      gid: options.owner.gid,
      uname: '',
      gname: '',
      mtime,
      size: entry.size,
      ...(entry.linkname !== undefined && { linkname: entry.linkname }),
    };
    const bytes = content ? await content : undefined;
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
      sink.on('error', () => {}); // the entry's callback above carries the error
      if (bytes) sink.end(bytes.length > 0 ? bytes : undefined);
      else if (entry.type === 'file')
        copyInto(entry, sink).catch((err: unknown) => sink.destroy(err as Error));
    });
  }
}

/** A small file's bytes, read whole; fails on a file that grew or shrank since it was listed. */
async function readSmallFile(entry: LayerEntry): Promise<Buffer> {
  const handle = await open(entry.file!, 'r');
  let read = 0;
  // One byte more than listed, to tell a file that grew.
  const buffer = Buffer.allocUnsafe(entry.size + 1);
  try {
    for (let n = -1; n !== 0 && read < buffer.length; read += n)
      ({ bytesRead: n } = await handle.read(buffer, read, buffer.length - read, read));
  } finally {
    await handle.close();
  }
  if (read !== entry.size) throw changed(entry, read > entry.size ? 'more' : read);
  return buffer.subarray(0, read);
}

function changed(entry: LayerEntry, now: number | 'more'): BuildError {
  return new BuildError(
    'SOURCE_CHANGED',
    `${entry.file} changed while it was read into the layer (${entry.size} bytes when listed, ${now} now): build the files before this step, not during it`,
  );
}

/** Streams a file into its tar entry, minding backpressure; fails on a file that grew or shrank. */
async function copyInto(entry: LayerEntry, sink: ReturnType<tar.Pack['entry']>) {
  let written = 0;
  for await (const chunk of createReadStream(entry.file!) as AsyncIterable<Buffer>) {
    written += chunk.length;
    if (written > entry.size) break;
    if (!sink.write(chunk)) await once(sink as unknown as NodeJS.EventEmitter, 'drain');
  }
  if (written !== entry.size) throw changed(entry, written > entry.size ? 'more' : written);
  sink.end(undefined); // streamx types `end` with a required argument; undefined writes nothing
}
