/**
 * A layer's gzip, made on the machine's cores and still a pure function of the input bytes (never
 * of the number of cores, the workers' timing or how the input arrives), as pigz makes it:
 * - the input is cut into blocks of {@link GZIP_BLOCK} bytes (a constant; only the last may be
 *   shorter), and each is deflated on its own by deflate-block.ts: level 6, the previous block's
 *   last 32 KiB as preset dictionary, every block but the last ending with a sync flush, the last
 *   with a final block;
 * - one fixed gzip header (`1f8b 0800 00000000 00 03`: no mtime, no name, OS 3 as zlib writes on
 *   Linux), the blocks in input order, then the CRC-32 and size (mod 2^32) of the whole input.
 *
 * The blocks go to a small pool of worker threads (layer-gzip-worker.ts), at most two per worker in
 * flight, so memory stays bounded; with `workers: 0` they are deflated in this thread (same bytes).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { deflateBlock, GZIP_BLOCK } from './deflate-block.ts';
import { BuildError } from './errors.ts';
import type { DeflateDone, DeflateJob } from './layer-gzip-worker.ts';

export { GZIP_BLOCK } from './deflate-block.ts';
/** How much of the previous block primes the next (deflate's window). */
const WINDOW = 32 * 1024;
/** At most this many workers, whatever the machine. */
const MAX_WORKERS = 8;
const HEADER = Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03);

/** How many gzip workers a layer gets by default: the machine's cores, at least 1, at most 8. */
export function defaultGzipWorkers(): number {
  return Math.max(1, Math.min(MAX_WORKERS, availableParallelism()));
}

/**
 * The worker script: the TypeScript source next to this file when running from the sources, the
 * bundled `layer-gzip-worker.js` next to the action's `index.js` in a bundle (scripts/build.ts
 * puts it there). Not written as `new URL('./…', import.meta.url)`: ncc would copy the file as an
 * asset, unbundled, and its `fflate` import would not resolve in the bundle.
 */
function workerScript(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './layer-gzip-worker.ts' : './layer-gzip-worker.js', here);
}

type Deflater = (job: DeflateJob) => Promise<Uint8Array>;

/** Worker threads taking one block at a time each, the rest queued; `close()` ends them. */
function workerPool(size: number): { deflate: Deflater; close(): Promise<void> } {
  const workers: Worker[] = [];
  const idle: Worker[] = [];
  const queue: DeflateJob[] = [];
  const waiting = new Map<number, { resolve(out: Uint8Array): void; reject(err: Error): void }>();
  let failure: Error | undefined;
  let closed = false;

  const fail = (err: Error) => {
    failure ??= new BuildError(
      'LAYER_GZIP_FAILED',
      `a gzip worker of the layer failed (${err.message}); this is a fault of build-sign: report it with the log`,
      { cause: err },
    );
    for (const job of waiting.values()) job.reject(failure);
    waiting.clear();
  };
  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop()!;
      const job = queue.shift()!;
      worker.postMessage(job, [job.block.buffer as ArrayBuffer]);
    }
    if (queue.length > 0 && workers.length < size) start();
  };
  const start = () => {
    const worker = new Worker(workerScript());
    workers.push(worker);
    worker.on('message', (done: DeflateDone) => {
      waiting.get(done.id)?.resolve(done.deflated);
      waiting.delete(done.id);
      idle.push(worker);
      dispatch();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!closed) fail(new Error(`a worker exited with code ${code}`));
    });
    worker.once('online', () => {
      idle.push(worker);
      dispatch();
    });
  };

  return {
    deflate(job) {
      if (failure) return Promise.reject(failure);
      return new Promise<Uint8Array>((resolve, reject) => {
        waiting.set(job.id, { resolve, reject });
        queue.push(job);
        dispatch();
      });
    },
    async close() {
      closed = true;
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

export interface GzipOptions {
  /** Worker threads to deflate on; 0 deflates in this thread. Default {@link defaultGzipWorkers}. */
  workers?: number;
}

/**
 * The gzip of `source`'s bytes, as pieces in order (see the module comment). The workers start
 * with the first block and end with the stream, also when it fails or is abandoned.
 */
export async function* gzipBlocks(
  source: AsyncIterable<Uint8Array>,
  options: GzipOptions = {},
): AsyncGenerator<Uint8Array> {
  const size = options.workers ?? defaultGzipWorkers();
  const pool = size > 0 ? workerPool(size) : undefined;
  const deflate: Deflater =
    pool?.deflate ?? (async (job) => deflateBlock(job.block, job.dictionary, job.last));
  const inFlight: Promise<Uint8Array>[] = [];
  const limit = 2 * Math.max(1, size);
  let crc = 0;
  let total = 0;
  let dictionary: Uint8Array | undefined;
  let id = 0;
  const submit = (block: Uint8Array, last: boolean) => {
    const job: DeflateJob = { id: id++, block, dictionary, last };
    dictionary = last ? undefined : block.slice(block.length - WINDOW);
    const deflated = deflate(job);
    deflated.catch(() => {}); // awaited in order below
    inFlight.push(deflated);
  };
  try {
    yield HEADER.slice();
    // The bytes of the block being filled; a full block is sent once more input shows it is not the last.
    let block = new Uint8Array(GZIP_BLOCK);
    let filled = 0;
    for await (const data of source) {
      crc = crc32(data, crc);
      total += data.length;
      for (let at = 0; at < data.length;) {
        if (filled === GZIP_BLOCK) {
          submit(block, false);
          block = new Uint8Array(GZIP_BLOCK);
          filled = 0;
        }
        const n = Math.min(GZIP_BLOCK - filled, data.length - at);
        block.set(data.subarray(at, at + n), filled);
        filled += n;
        at += n;
      }
      while (inFlight.length >= limit) yield await inFlight.shift()!;
    }
    submit(block.subarray(0, filled).slice(), true);
    while (inFlight.length > 0) yield await inFlight.shift()!;
    const trailer = new Uint8Array(8);
    const view = new DataView(trailer.buffer);
    view.setUint32(0, crc >>> 0, true);
    view.setUint32(4, total % 2 ** 32, true);
    yield trailer;
  } finally {
    await pool?.close();
  }
}
