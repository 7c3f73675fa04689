/**
 * RPM header blobs from an NDB database, the `Packages.db` of rpm's "ndb" backend (openSUSE and
 * SLES 15). The format is defined by rpm's `lib/backend/ndb/rpmpkg.c` (and read the same way by
 * knqyf263/go-rpmdb `pkg/ndb`, what syft uses); every integer is little-endian:
 *
 * - a 32-byte header: magic `RpmP` at 0, version 0 at 4, generation at 8, the number of 4 KiB
 *   slot pages at 12, next package index at 16;
 * - the slot pages, from offset 0 (the header takes the first two 16-byte slots): each slot is
 *   magic `Slot`, package index, block offset and block count, blocks being 16 bytes; a slot with
 *   block offset 0 is free;
 * - a used slot's blob at block offset × 16: a 16-byte head (magic `BlbS`, package index,
 *   generation, blob length), the blob (the rpm header), zero padding, and a 12-byte tail
 *   (Adler-32, blob length, magic `BlbE`) ending the slot's last block.
 *
 * Slots are read in order, with the checks rpm makes when it reads a package (slot and blob
 * magics, indexes that agree, a block count that matches the blob length, everything inside the
 * file). The Adler-32 is not verified, as rpm's own read path does not; the index databases beside
 * Packages.db (Index.db) are not needed and not read.
 */

const PAGE_SIZE = 4096;
const SLOT_SIZE = 16;
const BLK_SIZE = 16;
const HEADER_SIZE = 32;
/** The header takes the place of this many slots at the start of slot page 0. */
const SLOT_START = HEADER_SIZE / SLOT_SIZE;
const BLOBHEAD_SIZE = 16;
const BLOBTAIL_SIZE = 12;

/** A little-endian u32 of four ASCII characters, as rpmpkg.c writes its magics. */
const magic = (s: string): number =>
  (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
const PKGDB_MAGIC = magic('RpmP');
const SLOT_MAGIC = magic('Slot');
const BLOBHEAD_MAGIC = magic('BlbS');
const BLOBTAIL_MAGIC = magic('BlbE');

/** Whether the file starts with the NDB package database magic. */
export function isNdb(content: Uint8Array): boolean {
  return (
    content.length >= 4 &&
    new DataView(content.buffer, content.byteOffset, 4).getUint32(0, true) === PKGDB_MAGIC
  );
}

/**
 * The blobs of an NDB `Packages.db`: one rpm header blob per used slot, in slot order. Every
 * offset and length is checked against the file; anything inconsistent throws, saying what.
 */
export function readNdbBlobs(content: Uint8Array): Uint8Array[] {
  if (!isNdb(content)) throw new Error('no NDB magic');
  if (content.length < HEADER_SIZE) throw new Error(`truncated header (${content.length} bytes)`);
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
  const u32 = (at: number) => view.getUint32(at, true);
  const version = u32(4);
  if (version !== 0) throw new Error(`unsupported NDB version ${version}`);
  if (content.length % BLK_SIZE !== 0)
    throw new Error(`${content.length} bytes, not whole ${BLK_SIZE}-byte blocks`);
  const slotPages = u32(12);
  if (slotPages === 0) throw new Error('no slot pages');
  if (slotPages * PAGE_SIZE > content.length) {
    throw new Error(`truncated: ${slotPages} slot pages announced, ${content.length} bytes present`);
  }
  const fileBlocks = content.length / BLK_SIZE;
  /** Blobs start after the slot pages. */
  const firstBlock = (slotPages * PAGE_SIZE) / BLK_SIZE;

  const blobs: Uint8Array[] = [];
  const slots = (slotPages * PAGE_SIZE) / SLOT_SIZE;
  for (let slot = SLOT_START; slot < slots; slot++) {
    const at = slot * SLOT_SIZE;
    if (u32(at) !== SLOT_MAGIC) throw new Error(`slot ${slot} has no slot magic`);
    const pkgIndex = u32(at + 4);
    const blkOffset = u32(at + 8);
    const blkCount = u32(at + 12);
    if (blkOffset === 0) continue;
    if (pkgIndex === 0 || blkCount === 0 || blkOffset < firstBlock) {
      throw new Error(`slot ${slot} is not a valid entry (package ${pkgIndex}, block ${blkOffset})`);
    }
    if (blkOffset + blkCount > fileBlocks) {
      throw new Error(
        `truncated: package ${pkgIndex} ends at block ${blkOffset + blkCount} of ${fileBlocks}`,
      );
    }
    const start = blkOffset * BLK_SIZE;
    const end = start + blkCount * BLK_SIZE;
    const length = u32(start + 12);
    if (u32(start) !== BLOBHEAD_MAGIC || u32(start + 4) !== pkgIndex) {
      throw new Error(`package ${pkgIndex}: no blob head for it at block ${blkOffset}`);
    }
    if (blkCount !== Math.ceil((BLOBHEAD_SIZE + length + BLOBTAIL_SIZE) / BLK_SIZE)) {
      throw new Error(`package ${pkgIndex}: a blob of ${length} bytes does not fill ${blkCount} blocks`);
    }
    if (u32(end - 8) !== length || u32(end - 4) !== BLOBTAIL_MAGIC) {
      throw new Error(`package ${pkgIndex}: the blob tail does not match its head`);
    }
    blobs.push(content.subarray(start + BLOBHEAD_SIZE, start + BLOBHEAD_SIZE + length));
  }
  return blobs;
}
