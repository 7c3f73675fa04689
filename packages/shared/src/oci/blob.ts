/**
 * The one size-limited reader of blobs (and manifest bodies) into memory. Configs, signature
 * layers, attestation envelopes and bundles are chosen by whoever pushed the image: a blob larger
 * than the caller's limit is refused with BLOB_TOO_LARGE — before a byte is asked for when its
 * descriptor says so, and as soon as the stream passes the limit otherwise — and never reported as
 * a registry or network fault.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OciError } from './errors.ts';
import type { ImageStore } from './store.ts';
import type { Descriptor } from './types.ts';

/** The limit of {@link readBlob} unless the caller gives one: 16 MiB. */
export const DEFAULT_MAX_BLOB_BYTES = 16 * 1024 * 1024;

export interface ReadBlobOptions {
  /** Largest blob read, in bytes. Default {@link DEFAULT_MAX_BLOB_BYTES}. */
  maxBytes?: number;
  /** What the blob is, for the error message, e.g. `config` or `signature layer`. Default `blob`. */
  what?: string;
}

/**
 * Reads the whole blob `descriptor` from `store` (its digest and size verified by the store's
 * stream). Throws BLOB_TOO_LARGE, naming the blob, its size and the limit, when the descriptor
 * claims more than `maxBytes` or the stream yields more; store errors pass through unchanged.
 */
export async function readBlob(
  store: ImageStore,
  descriptor: Descriptor,
  options: ReadBlobOptions = {},
): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
  const tooLarge = (size?: number) =>
    new OciError(
      'BLOB_TOO_LARGE',
      `${options.what ?? 'blob'} ${descriptor.digest} in ${store.name} is ${size === undefined ? 'larger than that' : `${size} bytes`}, more than the ${maxBytes} bytes read into memory at most: it is refused unread`,
    );
  if (descriptor.size > maxBytes) throw tooLarge(descriptor.size);
  return readLimited(await store.getBlob(descriptor), maxBytes, () => tooLarge());
}

/**
 * Reads `stream` to its end into one buffer, failing with `tooLarge()` (and destroying the stream)
 * once more than `maxBytes` have arrived. The stream's own errors pass through.
 */
export async function readLimited(
  stream: Readable | NodeJS.ReadableStream,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  await pipeline(stream, async (source: AsyncIterable<Buffer | string>) => {
    for await (const chunk of source) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      total += bytes.length;
      if (total > maxBytes) throw tooLarge();
      chunks.push(bytes);
    }
  });
  return Buffer.concat(chunks, total);
}
