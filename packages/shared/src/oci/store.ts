/**
 * The one interface behind which images live, whether in a registry repository or in an OCI image
 * layout directory, so that copy, sign and verify work the same on both.
 */
import type { Readable } from 'node:stream';
import type { Descriptor, ManifestData } from './types.ts';

export interface ImageStore {
  /** How to name this store in logs and errors, e.g. `localhost:5000/app` or `oci-layout:./out`. */
  readonly name: string;

  /** The descriptor a tag or digest currently resolves to, or `undefined` when there is none. */
  resolve(reference: string): Promise<Descriptor | undefined>;
  /** A manifest or index by tag or digest, its digest verified. Throws MANIFEST_UNKNOWN when absent. */
  getManifest(reference: string): Promise<ManifestData>;
  /**
   * Stores manifest bytes under their digest and, when `tag` is given, points the tag at them.
   * Returns the descriptor of what was stored.
   */
  putManifest(bytes: Buffer, mediaType: string, tag?: string): Promise<Descriptor>;

  hasBlob(digest: string): Promise<boolean>;
  /** A stream of the blob's bytes that fails (DIGEST_MISMATCH, SIZE_MISMATCH) if they are not what `descriptor` says. */
  getBlob(descriptor: Descriptor): Promise<Readable>;
  /** Stores a blob, verifying digest and size as it is written; `content` may be bytes or a stream. */
  putBlob(descriptor: Descriptor, content: Buffer | Readable): Promise<void>;
  /**
   * Stores a blob whose digest is known only once its last byte is out (a layer compressed as it
   * is uploaded): streamed in one pass, never whole in memory, hashed on the way, and committed
   * under the digest it turned out to have. Returns that digest and the size.
   */
  putBlobStream(content: Readable): Promise<{ digest: string; size: number }>;

  /**
   * Makes a blob of `source` present here without moving its bytes (a registry's cross-repository
   * mount). Returns false when this store cannot, and the caller then copies the bytes.
   */
  mountBlob?(descriptor: Descriptor, source: ImageStore): Promise<boolean>;
  /** Whether {@link mountBlob} can take blobs from `source` at all (same registry, other repository). */
  canMountFrom?(source: ImageStore): boolean;

  /** Tags in this repository (or layout), sorted as the store lists them. */
  listTags(): Promise<string[]>;
  /** Manifests whose `subject` is `digest` (OCI 1.1 referrers, with the tag-schema fallback where needed). */
  referrers(digest: string, artifactType?: string): Promise<Descriptor[]>;
}
