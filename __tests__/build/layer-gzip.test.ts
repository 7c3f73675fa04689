/**
 * A layer's gzip made in blocks on worker threads (pigz's scheme): it decompresses to its input
 * with Node's zlib and with GNU gzip at every block edge, its bytes are the same whatever the
 * number of workers and however the input arrives, and it streams (the input is not read whole
 * before output comes out).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { crc32, gunzipSync } from 'node:zlib';
import { describe, it } from '@jest/globals';
import { GZIP_BLOCK, gzipBlocks } from '../../packages/shared/src/build/layer-gzip.ts';

/** Bytes that do not compress, the same on every run (a SHA-256 chain). */
function noise(length: number, seed = 'noise'): Buffer {
  const out = Buffer.alloc(length);
  let block = createHash('sha256').update(seed).digest();
  for (let at = 0; at < length; at += block.length) {
    block.copy(out, at);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** Text that compresses well but not to nothing. */
function text(length: number): Buffer {
  const lines: string[] = [];
  for (let i = 0, n = 0; n < length; i++) {
    const line = `${i.toString(36)} export const value${i % 97} = ${(i * 7919) % 1000};\n`;
    lines.push(line);
    n += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, length);
}

async function gzipOf(input: Buffer, workers: number, chunks: (i: number) => number = () => 65536) {
  async function* source() {
    for (let at = 0, i = 0; at < input.length; i++) {
      const n = Math.max(1, chunks(i));
      yield input.subarray(at, at + n);
      at += n;
    }
  }
  const parts: Uint8Array[] = [];
  for await (const part of gzipBlocks(source(), { workers })) parts.push(part);
  return Buffer.concat(parts);
}

const cases: Array<[string, Buffer]> = [
  ['0 bytes', Buffer.alloc(0)],
  ['1 byte', Buffer.from('x')],
  ['one block less a byte', text(GZIP_BLOCK - 1)],
  ['exactly one block', text(GZIP_BLOCK)],
  ['one block and a byte', text(GZIP_BLOCK + 1)],
  ['many blocks of text', text(40 * GZIP_BLOCK + 12_345)],
  ['many blocks, incompressible', noise(5 * GZIP_BLOCK + 7)],
  ['many blocks, highly compressible (zeros)', Buffer.alloc(24 * GZIP_BLOCK)],
];

describe('layer gzip in blocks', () => {
  it.each(cases)(
    'decompresses to its input (%s) with node:zlib and GNU gzip, with the fixed header and the whole input’s CRC and size',
    async (_name, input) => {
      const gz = await gzipOf(input, 2);
      assert.ok(gunzipSync(gz).equals(input), 'node:zlib gunzip gives the input back');
      execFileSync('gzip', ['-t'], { input: gz }); // throws on a corrupt stream or trailer
      assert.ok(execFileSync('gzip', ['-dc'], { input: gz, maxBuffer: 64 << 20 }).equals(input));
      assert.equal(gz.subarray(0, 10).toString('hex'), '1f8b0800000000000003');
      assert.equal(gz.readUInt32LE(gz.length - 8), crc32(input));
      assert.equal(gz.readUInt32LE(gz.length - 4), input.length);
      // Every block but the last ends in a sync flush, so there is one per block boundary.
      const blocks = Math.max(1, Math.ceil(input.length / GZIP_BLOCK));
      let flushes = 0;
      for (let at = gz.indexOf('0000ffff', 10, 'hex'); at >= 0; at = gz.indexOf('0000ffff', at + 1, 'hex'))
        flushes++;
      assert.equal(flushes, blocks - 1);
    },
  );

  it('gives the same bytes for 0 (this thread), 1, 2 and 4 workers and however the input is chunked', async () => {
    const input = Buffer.concat([
      text(3 * GZIP_BLOCK + 99),
      noise(2 * GZIP_BLOCK),
      Buffer.alloc(GZIP_BLOCK + 5),
    ]);
    const reference = await gzipOf(input, 0);
    assert.ok(gunzipSync(reference).equals(input));
    const sizes = [17, 4096, 1, 200_000, 65_535, GZIP_BLOCK, 3];
    const runs = [
      await gzipOf(input, 1),
      await gzipOf(input, 2, () => 1000),
      await gzipOf(input, 4, (i) => sizes[i % sizes.length]!),
      await gzipOf(input, 2, () => input.length),
      await gzipOf(input, 4, () => GZIP_BLOCK),
    ];
    for (const gz of runs) assert.equal(gz.toString('hex'), reference.toString('hex'));
  });

  it('streams: compressed blocks come out before the input has been read whole', async () => {
    const input = text(64 * GZIP_BLOCK);
    let read = 0;
    let readAtFirstBlock = -1;
    async function* source() {
      for (let at = 0; at < input.length; at += 65536) {
        read += Math.min(65536, input.length - at);
        yield input.subarray(at, at + 65536);
      }
    }
    const parts: Uint8Array[] = [];
    for await (const part of gzipBlocks(source(), { workers: 2 })) {
      if (parts.length === 1) readAtFirstBlock = read; // parts[0] is the header
      parts.push(part);
    }
    assert.ok(gunzipSync(Buffer.concat(parts)).equals(input));
    // Two blocks per worker in flight, one being filled, and the chunk that showed it was full.
    assert.ok(
      readAtFirstBlock > 0 && readAtFirstBlock <= 6 * GZIP_BLOCK,
      `read ${readAtFirstBlock} bytes before the first block came out`,
    );
  });

  it('fails with the source’s error, not a truncated gzip', async () => {
    async function* source() {
      yield text(3 * GZIP_BLOCK);
      throw new Error('the tar broke');
    }
    await assert.rejects(async () => {
      for await (const _ of gzipBlocks(source(), { workers: 2 }));
    }, /the tar broke/);
  });
});
