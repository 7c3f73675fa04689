/**
 * One block of a layer's gzip, deflated on its own (pigz's scheme, see layer-gzip.ts): fflate's
 * streaming Deflate at level 6, primed with the previous block's last 32 KiB as its dictionary and
 * given the block in one push, so its bytes depend only on (dictionary, block, last). A block that
 * is not the last ends with a sync flush (an empty non-final stored block, `00 00 ff ff` after byte
 * alignment), so the next block's deflate data can follow it; the last ends with a final block.
 * fflate's `deflateSync` always marks its last block final, hence the streaming class.
 *
 * This module imports only fflate: it is what the gzip workers run (layer-gzip-worker.ts).
 */
import { Deflate } from 'fflate';

/** The gzip level, fixed: a layer's digest must not depend on who built it. */
export const LAYER_GZIP_LEVEL = 6;

/**
 * fflate's hash table size (2^(12 + mem) entries), fixed: left unset, fflate uses 8 for a stream's
 * pushes but a smaller one, from the input's length, for its final push, which compresses worse.
 */
const MEM = 6;

/** The uncompressed bytes of one block: every block but the last has exactly this many. */
export const GZIP_BLOCK = 128 * 1024;

/** fflate's streaming state, where it keeps the bits of the last, unfinished byte. */
interface DeflateState {
  /** The count of bits used in the unfinished byte (0–7), and that byte shifted left by 3. */
  r?: number;
  /** 1 once the final block is written. */
  l?: number;
}

/** The raw deflate bytes of `block` (see the module comment). */
export function deflateBlock(
  block: Uint8Array,
  dictionary: Uint8Array | undefined,
  last: boolean,
): Uint8Array {
  if (!last && block.length !== GZIP_BLOCK)
    throw new RangeError(
      `deflateBlock: a block before the last must have ${GZIP_BLOCK} bytes, not ${block.length}`,
    );
  const parts: Uint8Array[] = [];
  const deflate = new Deflate(
    { level: LAYER_GZIP_LEVEL, mem: MEM, ...(dictionary && dictionary.length > 0 && { dictionary }) },
    (chunk) => parts.push(chunk),
  );
  deflate.push(block, last);
  if (!last) parts.push(syncFlush((deflate as unknown as { s: DeflateState }).s));
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The end of a non-final block: the unfinished byte, then an empty stored block (BFINAL 0, BTYPE
 * 00: three zero bits, padding to the byte, LEN 0000 and NLEN ffff), as zlib's Z_SYNC_FLUSH writes
 * it. fflate's `flush(true)` cannot be used: in 0.8.3 it places the stored block's length after
 * the wrong byte whenever the unfinished byte holds bits (the stream then fails to inflate).
 * fflate has compressed all of the block when `push` returns for a block of this size (it
 * compresses at 8 KiB past its window), and has written out every finished byte.
 */
function syncFlush(state: DeflateState): Uint8Array {
  if (typeof state.r !== 'number' || state.l !== 0)
    throw new Error(
      "deflateBlock: fflate's Deflate no longer keeps its unfinished byte where this expects it",
    );
  const bits = state.r & 7;
  const byte = state.r >> 3;
  // The 3 header bits fit after `bits` used bits when bits ≤ 5; else they spill into a zero byte.
  const head = bits === 0 ? [0] : bits <= 5 ? [byte] : [byte, 0];
  return Uint8Array.of(...head, 0x00, 0x00, 0xff, 0xff);
}
