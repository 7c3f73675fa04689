/**
 * RPM header blobs from a BerkeleyDB hash database: the `Packages` file of rpm before 4.16
 * (CentOS/RHEL up to 8, Amazon Linux 2, Fedora up to 32). The layout is Berkeley DB's
 * (`dbinc/db_page.h`), read the way rpm's own read-only backend (`lib/backend/bdb_ro.cc`) and
 * knqyf263/go-rpmdb (`pkg/bdb`, what syft uses) read it:
 *
 * - page 0 is the hash metadata page: magic 0x00061561 at offset 12, written in the byte order of
 *   the machine that made the file (so the magic also tells the order), version (8–10) at 16,
 *   page size at 20, encryption algorithm at 24 (must be none), page type 8 at 25, last page
 *   number at 32;
 * - every page starts with a 26-byte header: page number at 8, previous/next page at 12/16, item
 *   count at 20 (u16), "high free offset" at 22 (u16; the data length on overflow pages), type at 25;
 * - hash pages (type 13, or 2 before BDB 4.6) hold an array of u16 item offsets after the header,
 *   in key/value pairs; items are packed down from the end of the page, so an item ends where the
 *   previous one (or the page) begins. An item's first byte is its type: H_KEYDATA (1, the bytes
 *   follow) or H_OFFPAGE (3: 3 unused bytes, first overflow page, total length);
 * - overflow pages (type 7) carry a value's bytes after the header, chained by next page number.
 *
 * Pages are scanned in file order as go-rpmdb does. Keys are 4-byte header numbers; the record
 * with key 0 (and any record without a 4-byte key) is not a package and is skipped, as rpm's
 * iterator skips header number 0. Values kept on the hash page itself (H_KEYDATA) are read as rpm
 * reads them, where go-rpmdb reads only off-page ones. Btree databases, encrypted ones and
 * duplicate items are not read.
 */

/** Hash metadata magic (`DB_HASHMAGIC`), as a u32 in the file's own byte order. */
const HASH_MAGIC = 0x00061561;
/** Btree metadata magic (`DB_BTREEMAGIC`): recognised only to say it is not read. */
const BTREE_MAGIC = 0x00053162;
const META_SIZE = 512;
const PAGE_HEADER_SIZE = 26;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const HOFFPAGE_SIZE = 12;

/** The byte order the metadata magic at offset 12 is written in, if it is `magic` at all. */
function magicOrder(content: Uint8Array, magic: number): 'little' | 'big' | undefined {
  if (content.length < 16) return undefined;
  const view = new DataView(content.buffer, content.byteOffset, 16);
  if (view.getUint32(12, true) === magic) return 'little';
  if (view.getUint32(12, false) === magic) return 'big';
  return undefined;
}

/** Whether the file starts with a BerkeleyDB hash metadata page (either byte order). */
export function isBerkeleyDbHash(content: Uint8Array): boolean {
  return magicOrder(content, HASH_MAGIC) !== undefined;
}

/**
 * The values of a BerkeleyDB hash `Packages` database: one rpm header blob per installed package,
 * in page order. Every offset, length and page number is checked against the file, and an
 * overflow chain visits each page at most once; anything inconsistent throws, saying what.
 */
export function readBerkeleyDbBlobs(content: Uint8Array): Uint8Array[] {
  const order = magicOrder(content, HASH_MAGIC);
  if (!order) {
    throw new Error(
      magicOrder(content, BTREE_MAGIC)
        ? 'a BerkeleyDB btree database; only hash databases are read'
        : 'no BerkeleyDB hash magic',
    );
  }
  const little = order === 'little';
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
  const u32 = (at: number) => view.getUint32(at, little);
  const u16 = (at: number) => view.getUint16(at, little);
  if (content.length < META_SIZE) throw new Error(`truncated metadata page (${content.length} bytes)`);
  const version = u32(16);
  const pageSize = u32(20);
  const encryption = content[24]!;
  const metaType = content[25]!;
  const lastPage = u32(32);
  if (version < 8 || version > 10) throw new Error(`unsupported hash version ${version}`);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw new Error(`invalid page size ${pageSize}`);
  }
  if (encryption !== 0) throw new Error(`encrypted (algorithm ${encryption})`);
  if (metaType !== P_HASHMETA) throw new Error(`metadata page has type ${metaType}, not ${P_HASHMETA}`);
  if ((lastPage + 1) * pageSize > content.length) {
    throw new Error(
      `truncated: ${lastPage + 1} pages of ${pageSize} bytes announced, ${content.length} present`,
    );
  }

  /** The offset of page `n`, once its header says it is page `n` (as rpm's bdb_getpage checks). */
  const page = (n: number): number => {
    const base = n * pageSize;
    if (u32(base + 8) !== n) throw new Error(`page ${n} says it is page ${u32(base + 8)}`);
    return base;
  };

  /** The value of an H_OFFPAGE item: `length` bytes along the overflow chain from page `first`. */
  const overflow = (first: number, length: number): Uint8Array => {
    if (length === 0 || length > lastPage * (pageSize - PAGE_HEADER_SIZE)) {
      throw new Error(`overflow item of ${length} bytes cannot fit the database`);
    }
    const out = new Uint8Array(length);
    const seen = new Set<number>();
    let filled = 0;
    for (let n = first; filled < length;) {
      if (n === 0 || n > lastPage) {
        throw new Error(
          `overflow chain from page ${first} ends at page ${n}, ${length - filled} bytes short`,
        );
      }
      if (seen.has(n)) throw new Error(`overflow chain from page ${first} loops back to page ${n}`);
      seen.add(n);
      const base = page(n);
      if (content[base + 25] !== P_OVERFLOW) {
        throw new Error(`page ${n} in an overflow chain has type ${content[base + 25]}`);
      }
      const len = u16(base + 22);
      if (PAGE_HEADER_SIZE + len > pageSize || len > length - filled) {
        throw new Error(`overflow page ${n} claims ${len} bytes, more than fit or remain`);
      }
      out.set(content.subarray(base + PAGE_HEADER_SIZE, base + PAGE_HEADER_SIZE + len), filled);
      filled += len;
      n = u32(base + 16);
    }
    return out;
  };

  const blobs: Uint8Array[] = [];
  for (let n = 1; n <= lastPage; n++) {
    const type = content[n * pageSize + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const base = page(n);
    const entries = u16(base + 20);
    const indexEnd = PAGE_HEADER_SIZE + entries * 2;
    if (entries % 2 !== 0 || indexEnd > pageSize) {
      throw new Error(`hash page ${n} has ${entries} items, not key/value pairs that fit the page`);
    }
    const offset = (i: number) => u16(base + PAGE_HEADER_SIZE + i * 2);
    for (let i = 0; i < entries; i += 2) {
      const keyAt = offset(i);
      const valueAt = offset(i + 1);
      const keyEnd = i === 0 ? pageSize : offset(i - 1);
      if (!(indexEnd <= valueAt && valueAt < keyAt && keyAt < keyEnd && keyEnd <= pageSize)) {
        throw new Error(`hash page ${n}: item pair ${i / 2} lies outside its place on the page`);
      }
      // The key is the header number, 4 bytes; number 0 is rpm's bookkeeping record, not a package.
      const key = base + keyAt;
      if (content[key] !== H_KEYDATA || keyEnd - keyAt !== 5 || u32(key + 1) === 0) continue;
      const value = base + valueAt;
      const valueType = content[value];
      if (valueType === H_KEYDATA) {
        blobs.push(content.subarray(value + 1, base + keyAt));
      } else if (valueType === H_OFFPAGE) {
        if (keyAt - valueAt !== HOFFPAGE_SIZE) {
          throw new Error(`hash page ${n}: off-page item of ${keyAt - valueAt} bytes, not ${HOFFPAGE_SIZE}`);
        }
        blobs.push(overflow(u32(value + 4), u32(value + 8)));
      } else {
        throw new Error(`hash page ${n}: value of unsupported item type ${valueType}`);
      }
    }
  }
  return blobs;
}
