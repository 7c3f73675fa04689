/**
 * The zip reading the Java archive cataloger needs, bounded: the central directory (ZIP64 too, and
 * archives with a prefix such as Spring Boot's launch script, found as Go's `archive/zip` finds
 * them through the end record), and one entry at a time, stored or deflated. Inflating goes
 * through `node:zlib` with `maxOutputLength` set to the size the directory declares, so an entry
 * that inflates to more than it declares (a lying size, a zip bomb) is stopped after that many
 * bytes instead of being decoded to its end; sizes and CRC-32 are checked as Go's reader checks
 * them. fflate's `unzipSync` decodes a deflate stream to its end even when its output buffer is
 * full, which is why it is only used to build test archives.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { ReleaseError } from '../../errors.ts';

/** A zip that cannot be read (a bad directory, an entry that does not inflate to what it declares). */
export class ZipError extends ReleaseError<'ZIP_INVALID'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ZIP_INVALID', message, options);
  }
}

/** An entry of the central directory. */
export interface ZipEntry {
  /** The name as stored (UTF-8), e.g. `META-INF/MANIFEST.MF`; directories end with `/`. */
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  /** Uncompressed size as declared. */
  size: number;
  /** Offset of the local header, from the start of the zip data. */
  localOffset: number;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  /** Where the zip data starts in the buffer (non-zero when something is prepended). */
  base: number;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError('ZIP64 value out of range');
  return Number(v);
}

function findEndRecord(buf: Buffer): number {
  const last = buf.length - 22;
  for (let i = last; i >= 0 && i >= last - 0xffff; i--) {
    if (buf.readUInt32LE(i) === EOCD && i + 22 + buf.readUInt16LE(i + 20) <= buf.length) return i;
  }
  throw new ZipError('no end of central directory record (not a zip archive)');
}

/** The central directory of a zip held in memory. Throws a `ZipError` when it is not a readable zip. */
export function readZipDirectory(buf: Buffer): ZipDirectory {
  if (buf.length < 22) throw new ZipError('too short to be a zip archive');
  const end = findEndRecord(buf);
  let count = buf.readUInt16LE(end + 10);
  let cdSize = buf.readUInt32LE(end + 12);
  let cdOffset = buf.readUInt32LE(end + 16);
  let recordAt = end;
  if ((count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) && end >= 20) {
    if (buf.readUInt32LE(end - 20) === EOCD64_LOCATOR) {
      const at = u64(buf, end - 12);
      if (at + 56 > buf.length || buf.readUInt32LE(at) !== EOCD64) throw new ZipError('bad ZIP64 end record');
      count = u64(buf, at + 32);
      cdSize = u64(buf, at + 40);
      cdOffset = u64(buf, at + 48);
      recordAt = at;
    }
  }
  // As Go's archive/zip: data prepended to the zip shifts every offset by the same amount.
  // (unless the directory is found where its offset says, without the shift).
  let base = recordAt - cdSize - cdOffset;
  if (base + cdOffset < 0 || base + cdOffset >= buf.length)
    throw new ZipError('central directory outside the archive');
  if (base > 0 && cdOffset + 4 <= buf.length && buf.readUInt32LE(cdOffset) === CENTRAL) base = 0;
  let at = base + cdOffset;
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== CENTRAL) throw new ZipError('bad central directory');
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > buf.length) throw new ZipError('bad central directory');
    const entry: ZipEntry = {
      name: buf.toString('utf8', at + 46, at + 46 + nameLength),
      flags: buf.readUInt16LE(at + 8),
      method: buf.readUInt16LE(at + 10),
      crc: buf.readUInt32LE(at + 16),
      compressedSize: buf.readUInt32LE(at + 20),
      size: buf.readUInt32LE(at + 24),
      localOffset: buf.readUInt32LE(at + 42),
    };
    readZip64Extra(buf, at + 46 + nameLength, extraLength, entry);
    entries.push(entry);
    at = next;
  }
  return { entries, base };
}

/** Replaces the 0xFFFFFFFF fields of an entry with their ZIP64 extra field values (in the order APPNOTE 4.5.3 gives). */
function readZip64Extra(buf: Buffer, start: number, length: number, entry: ZipEntry): void {
  if (entry.size !== 0xffffffff && entry.compressedSize !== 0xffffffff && entry.localOffset !== 0xffffffff)
    return;
  for (let p = start; p + 4 <= start + length;) {
    const id = buf.readUInt16LE(p);
    const size = buf.readUInt16LE(p + 2);
    if (id === 0x0001) {
      let q = p + 4;
      const take = (): number => {
        if (q + 8 > p + 4 + size) throw new ZipError('short ZIP64 extra field');
        const v = u64(buf, q);
        q += 8;
        return v;
      };
      if (entry.size === 0xffffffff) entry.size = take();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = take();
      if (entry.localOffset === 0xffffffff) entry.localOffset = take();
      return;
    }
    p += 4 + size;
  }
}

/**
 * The content of one entry, inflated to at most its declared size. Throws a `ZipError` for an
 * encrypted entry, a method other than stored or deflate, data outside the archive, or content
 * whose size or CRC-32 is not what the directory declares.
 */
export function readZipEntry(buf: Buffer, dir: ZipDirectory, entry: ZipEntry): Buffer {
  if (entry.flags & 1) throw new ZipError(`${entry.name}: encrypted`);
  const local = dir.base + entry.localOffset;
  if (local < 0 || local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL)
    throw new ZipError(`${entry.name}: bad local header`);
  const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
  const stop = start + entry.compressedSize;
  if (stop > buf.length) throw new ZipError(`${entry.name}: data outside the archive`);
  const data = buf.subarray(start, stop);
  let out: Buffer;
  if (entry.method === 0) {
    out = data;
  } else if (entry.method === 8) {
    try {
      // maxOutputLength must be positive; an empty entry still may not inflate to anything.
      out = inflateRawSync(data, { maxOutputLength: Math.max(entry.size, 1) });
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new ZipError(
        code === 'ERR_BUFFER_TOO_LARGE'
          ? `${entry.name}: inflates to more than the ${entry.size} bytes it declares`
          : `${entry.name}: ${(err as Error).message}`,
      );
    }
  } else {
    throw new ZipError(`${entry.name}: compression method ${entry.method} not supported`);
  }
  if (out.length !== entry.size)
    throw new ZipError(`${entry.name}: ${out.length} bytes, not the ${entry.size} it declares`);
  // As Go's reader: a zero CRC in the directory is not checked.
  if (entry.crc !== 0 && crc32(out) !== entry.crc) throw new ZipError(`${entry.name}: CRC-32 mismatch`);
  return out;
}
