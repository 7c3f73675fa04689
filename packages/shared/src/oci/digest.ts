/**
 * Content digests (`algorithm:hex`): parsing, computing, and verifying streams as they pass.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { OciError } from './errors.ts';

export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

/** Checks a digest string and returns its parts; the error names what is wrong with it. */
export function parseDigest(digest: string): { algorithm: DigestAlgorithm; hex: string } {
  const match = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/.exec(digest);
  if (!match)
    throw new OciError(
      'INVALID_DIGEST',
      `invalid digest "${digest}": expected algorithm:hex, e.g. sha256:<64 hex>`,
    );
  const algorithm = match[1] as DigestAlgorithm;
  const hex = match[2]!;
  if (!(algorithm in HEX_LENGTH)) {
    throw new OciError(
      'INVALID_DIGEST',
      `unsupported digest algorithm "${match[1]}" in "${digest}": use sha256 or sha512`,
    );
  }
  if (hex.length !== HEX_LENGTH[algorithm] || !/^[0-9a-f]+$/.test(hex)) {
    throw new OciError(
      'INVALID_DIGEST',
      `invalid ${algorithm} digest "${digest}": expected ${HEX_LENGTH[algorithm]} lowercase hex characters`,
    );
  }
  return { algorithm, hex };
}

export function isDigest(value: string): boolean {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

/** The digest of some bytes, `sha256:…` unless another algorithm is asked for. */
export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Throws DIGEST_MISMATCH unless `data` hashes to `expected` (using `expected`'s algorithm). */
export function verifyDigest(data: Uint8Array, expected: string, what = 'content'): void {
  const { algorithm } = parseDigest(expected);
  const actual = digestOf(data, algorithm);
  if (actual !== expected) {
    throw new OciError(
      'DIGEST_MISMATCH',
      `${what} has digest ${actual}, expected ${expected}: the content was altered in transit or at rest`,
    );
  }
}

/**
 * A pass-through stream that hashes and counts what flows through it, for content whose digest is
 * learnt only at its end (a layer compressed as it is uploaded): {@link DigestingStream.digest}
 * once the stream has ended.
 */
export class DigestingStream extends Transform {
  private readonly hash: Hash;
  private readonly algorithm: DigestAlgorithm;
  private result: string | undefined;
  bytes = 0;

  constructor(algorithm: DigestAlgorithm = 'sha256') {
    super();
    this.algorithm = algorithm;
    this.hash = createHash(algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.result = `${this.algorithm}:${this.hash.digest('hex')}`;
    cb();
  }

  /** The digest of everything that passed; throws until the stream has ended. */
  digest(): string {
    if (this.result === undefined) throw new Error('DigestingStream.digest() read before the stream ended');
    return this.result;
  }
}

/**
 * A pass-through stream that hashes and counts what flows through it and fails at the end
 * (DIGEST_MISMATCH or SIZE_MISMATCH) when the content is not what the descriptor promised, so a
 * consumer never sees a clean end on bad bytes. It also fails as soon as more bytes than promised arrive.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private readonly expected: string;
  private readonly expectedSize: number | undefined;
  private readonly what: string;
  bytes = 0;

  constructor(expected: string, expectedSize?: number, what = 'blob') {
    super();
    this.hash = createHash(parseDigest(expected).algorithm);
    this.expected = expected;
    this.expectedSize = expectedSize;
    this.what = what;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.expectedSize !== undefined && this.bytes > this.expectedSize) {
      cb(
        new OciError(
          'SIZE_MISMATCH',
          `${this.what} ${this.expected} is larger than its descriptor's ${this.expectedSize} bytes`,
        ),
      );
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.expectedSize !== undefined && this.bytes !== this.expectedSize) {
      cb(
        new OciError(
          'SIZE_MISMATCH',
          `${this.what} ${this.expected} has ${this.bytes} bytes, its descriptor says ${this.expectedSize}`,
        ),
      );
      return;
    }
    const actual = `${parseDigest(this.expected).algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expected) {
      cb(
        new OciError(
          'DIGEST_MISMATCH',
          `${this.what} has digest ${actual}, expected ${this.expected}: the content was altered in transit or at rest`,
        ),
      );
      return;
    }
    cb();
  }
}
