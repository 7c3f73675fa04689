/**
 * A gzip worker of layer-gzip.ts: deflates the blocks it is sent, one at a time, and sends each
 * back with its id. Run from the TypeScript sources as it is; the action bundles carry it as
 * `layer-gzip-worker.js`, bundled with fflate by scripts/build.ts.
 */
import { parentPort } from 'node:worker_threads';
import { deflateBlock } from './deflate-block.ts';

/** What the pool sends: a block to deflate. */
export interface DeflateJob {
  id: number;
  block: Uint8Array;
  dictionary: Uint8Array | undefined;
  last: boolean;
}

/** What a worker answers: the block's deflate bytes. */
export interface DeflateDone {
  id: number;
  deflated: Uint8Array;
}

const port = parentPort;
if (port)
  port.on('message', (job: DeflateJob) => {
    let deflated = deflateBlock(job.block, job.dictionary, job.last);
    if (deflated.byteLength !== deflated.buffer.byteLength) deflated = deflated.slice();
    port.postMessage({ id: job.id, deflated } satisfies DeflateDone, [deflated.buffer as ArrayBuffer]);
  });
