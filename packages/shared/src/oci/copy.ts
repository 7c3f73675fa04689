/**
 * Digest-preserving copy between image stores (registry ↔ registry, registry ↔ OCI layout):
 * recursive (index → manifests → blobs), children before parents, blobs the target has skipped,
 * cross-repository mounts used where the registry allows, bytes streamed, with bounded concurrency;
 * optionally carrying referrers and cosign's digest tags. Tags are written last, so a copy that
 * fails part-way leaves every target tag as it was.
 */
import { HTTPError } from '../errors.ts';
import { concurrencyLimit } from '../limit.ts';
import { silentLogger, type Logger } from '../logger.ts';
import {
  defaultRetryPolicy,
  isRetryableNetworkError,
  isRetryableStatus,
  withRetry,
  type RetryPolicy,
} from '../retry.ts';
import { parseDigest } from './digest.ts';
import type { ImageStore } from './store.ts';
import { formatPlatform, restrictIndex } from './platform.ts';
import { childrenOf, isIndex, type Platform, type Descriptor, type ManifestData } from './types.ts';

export interface CopyOptions {
  /** Tags to point at the copied image in the target, written after everything else. */
  tags?: readonly string[];
  /** Also copy every manifest whose `subject` is a copied manifest (signatures, SBOMs, attestations), recursively. */
  referrers?: boolean;
  /** Also copy cosign's digest tags (`sha256-<hex>.sig`, `.att`, `.sbom`) of every copied manifest. */
  cosignTags?: boolean;
  /** Blob transfers in flight at once. Default 4. */
  concurrency?: number;
  /** Retries of a blob transfer that fails part-way (the HTTP client already retries single requests). */
  retry?: RetryPolicy;
  logger?: Logger;
  /** Work out what would be copied, mounted and tagged, reading only: nothing is written to the target. */
  dryRun?: boolean;
  /**
   * Copy only these platforms of a multi-platform index. Unless every platform is kept, this
   * writes a new, smaller index, whose digest differs from the source's (signatures of the source
   * index do not cover it).
   */
  platforms?: readonly Platform[];
  /**
   * The manifest to copy, already read (and restricted) by {@link resolveCopyRoot}, so that a
   * caller that needs its digest first does not read and restrict it twice; `platforms` is then
   * not applied again.
   */
  root?: CopyRoot;
}

export interface CopyResult {
  /** The digest of what was copied: identical in source and target. */
  digest: string;
  mediaType: string;
  size: number;
  /** Tags written in the target. */
  tags: string[];
  /** Manifests written to the target, and ones it already had. */
  manifestsCopied: number;
  manifestsSkipped: number;
  blobsCopied: number;
  blobsMounted: number;
  /** Blobs the target already had. */
  blobsSkipped: number;
  /** Bytes of blob content streamed into the target. */
  bytesCopied: number;
  /** Referrer manifests and cosign tag manifests carried along. */
  referrersCopied: number;
  /** True when nothing was written: the counts say what a real copy would do. */
  dryRun: boolean;
  /** The source index's digest, when `platforms` restricted it to a new index. */
  restrictedFrom?: string;
}

export const COSIGN_TAG_SUFFIXES = ['sig', 'att', 'sbom'] as const;

/** cosign's tag for an artifact of `digest`: `sha256-<hex>.<suffix>`. */
export function cosignTag(digest: string, suffix: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}.${suffix}`;
}

/**
 * The manifest a copy starts from: the reference's manifest, or the new, smaller index when
 * `platforms` restrict it. Resolve it once with {@link resolveCopyRoot} and pass it to
 * {@link copyImage} as `root` when its digest is needed before the copy (promote tags it).
 */
export interface CopyRoot {
  data: ManifestData;
  /** The source index's digest, when `platforms` restricted it to a new index. */
  restrictedFrom?: string;
}

/**
 * Reads `reference` from `source` and restricts it to `platforms` (when given and not all of the
 * index's), logging the new index. Throws PLATFORM_NOT_FOUND, listing what the index has, when
 * none of `platforms` is there.
 */
export async function resolveCopyRoot(
  source: ImageStore,
  reference: string,
  platforms: readonly Platform[] | undefined,
  logger: Logger = silentLogger,
): Promise<CopyRoot> {
  const original = await source.getManifest(reference);
  if (!platforms?.length) return { data: original };
  const data = restrictIndex(original, platforms);
  if (data === original) return { data };
  logger.info(
    `restricted ${original.descriptor.digest} to ${platforms.map(formatPlatform).join(', ')}: new index ${data.descriptor.digest}`,
  );
  return { data, restrictedFrom: original.descriptor.digest };
}

/**
 * Copies the image `reference` (tag or digest) of `source` into `target`: the manifest graph
 * (children before parents), then the artifacts about it (referrers, cosign tags), then the tags.
 * `options.root`, when given, is the manifest to copy (from {@link resolveCopyRoot}), and
 * `reference` and `options.platforms` are not read again.
 */
export async function copyImage(
  source: ImageStore,
  reference: string,
  target: ImageStore,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const logger = options.logger ?? silentLogger;
  const root = options.root ?? (await resolveCopyRoot(source, reference, options.platforms, logger));
  const run = new CopyRun(source, target, options, logger);
  const { result, write } = run;
  const { descriptor } = root.data;
  Object.assign(result, {
    digest: descriptor.digest,
    mediaType: descriptor.mediaType,
    size: descriptor.size,
  });
  if (root.restrictedFrom !== undefined) result.restrictedFrom = root.restrictedFrom;
  logger.info(
    `${write ? 'copying' : 'dry run: planning a copy of'} ${source.name}@${descriptor.digest} to ${target.name}`,
  );
  await run.copyManifest(descriptor, root.data);
  await run.copyArtifacts();
  // Tags last: until here, no target tag has moved.
  await run.writeTags(root.data, options.tags ?? []);
  logger.info(run.summary());
  return result;
}

/** What {@link copyBlobs} did: blobs streamed, mounted, found present, and the bytes streamed. */
export type BlobCopyResult = Pick<
  CopyResult,
  'blobsCopied' | 'blobsMounted' | 'blobsSkipped' | 'bytesCopied'
>;

/**
 * Makes blobs of `source` present in `target` as {@link copyImage} does for an image's blobs
 * (a cross-repository mount where the registry allows, nothing for those already there, else
 * streamed, retried, within the concurrency limit), without any manifest: for a new image whose
 * layers start with another image's (build-sign's assemble builder appends to a base image).
 */
export async function copyBlobs(
  source: ImageStore,
  target: ImageStore,
  descriptors: readonly Descriptor[],
  options: Pick<CopyOptions, 'concurrency' | 'retry' | 'logger'> = {},
): Promise<BlobCopyResult> {
  const run = new CopyRun(source, target, options, options.logger ?? silentLogger);
  await run.copyBlobs(descriptors);
  const { blobsCopied, blobsMounted, blobsSkipped, bytesCopied } = run.result;
  return { blobsCopied, blobsMounted, blobsSkipped, bytesCopied };
}

/**
 * One copy in progress: what has been started (each blob and manifest once, even when several
 * manifests share it), the counts, and the first failure, after which nothing new starts.
 */
class CopyRun {
  readonly result: CopyResult;
  readonly write: boolean;
  /** Manifests copied (or found present), in the order reached: what referrers and cosign tags are looked up for. */
  readonly #copied: string[] = [];
  readonly #blobs = new Map<string, Promise<void>>();
  readonly #manifests = new Map<string, Promise<void>>();
  readonly #limit: <T>(fn: () => Promise<T>) => Promise<T>;
  readonly #retry: RetryPolicy;
  #failure: unknown;

  readonly source: ImageStore;
  readonly target: ImageStore;
  readonly options: CopyOptions;
  readonly logger: Logger;

  constructor(source: ImageStore, target: ImageStore, options: CopyOptions, logger: Logger) {
    this.source = source;
    this.target = target;
    this.options = options;
    this.logger = logger;
    this.#limit = concurrencyLimit(options.concurrency ?? 4);
    this.#retry = options.retry ?? defaultRetryPolicy;
    this.result = {
      digest: '',
      mediaType: '',
      size: 0,
      tags: [],
      manifestsCopied: 0,
      manifestsSkipped: 0,
      blobsCopied: 0,
      blobsMounted: 0,
      blobsSkipped: 0,
      bytesCopied: 0,
      referrersCopied: 0,
      dryRun: options.dryRun === true,
    };
    this.write = !this.result.dryRun;
  }

  /** Copies a manifest once: unless the target has it, its children first, then its bytes. */
  copyManifest(descriptor: Descriptor, data?: ManifestData): Promise<void> {
    let pending = this.#manifests.get(descriptor.digest);
    if (!pending) {
      pending = this.#transferManifest(descriptor, data);
      this.#manifests.set(descriptor.digest, pending);
    }
    return pending;
  }

  async #transferManifest(descriptor: Descriptor, data?: ManifestData): Promise<void> {
    this.#copied.push(descriptor.digest);
    if (await this.target.resolve(descriptor.digest)) {
      // A registry accepts a manifest only once everything it refers to is there.
      this.result.manifestsSkipped++;
      return;
    }
    const {
      bytes,
      manifest,
      descriptor: actual,
    } = data ?? (await this.source.getManifest(descriptor.digest));
    const children = childrenOf(manifest);
    await this.#settleAll(
      children.map((child) => (isIndex(manifest) ? this.copyManifest(child) : this.#copyBlob(child))),
    );
    if (this.write) await this.target.putManifest(bytes, actual.mediaType);
    this.result.manifestsCopied++;
  }

  /** Copies blobs alone (each once), failing with the first error once all have ended. */
  copyBlobs(descriptors: readonly Descriptor[]): Promise<void> {
    return this.#settleAll(descriptors.map((d) => this.#copyBlob(d)));
  }

  /** Waits for every transfer started to end (nothing runs on after we return), then fails with the first error. */
  async #settleAll(pending: Promise<void>[]): Promise<void> {
    const results = await Promise.allSettled(pending);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) {
      this.#failure ??= rejected.reason;
      throw rejected.reason;
    }
  }

  /** Copies a blob once, within the concurrency limit; nothing new starts once the copy has failed. */
  #copyBlob(descriptor: Descriptor): Promise<void> {
    let pending = this.#blobs.get(descriptor.digest);
    if (!pending) {
      pending = this.#limit(async () => {
        if (this.#failure) throw this.#failure;
        try {
          if (this.write) await this.#transferBlob(descriptor);
          else await this.#planBlob(descriptor);
        } catch (err) {
          this.#failure ??= err;
          throw err;
        }
      });
      this.#blobs.set(descriptor.digest, pending);
    }
    return pending;
  }

  /** Dry run: counts what the transfer would do, reading only. */
  async #planBlob(descriptor: Descriptor): Promise<void> {
    const { result } = this;
    if (await this.target.hasBlob(descriptor.digest)) result.blobsSkipped++;
    else if (this.target.canMountFrom?.(this.source)) result.blobsMounted++;
    else {
      result.blobsCopied++;
      result.bytesCopied += descriptor.size;
    }
  }

  /** Mounts the blob where the registry allows, else skips it when present, else streams it (retrying transient failures). */
  async #transferBlob(descriptor: Descriptor): Promise<void> {
    const { source, target, result } = this;
    // Within one registry a mount answers in one request whether or not the target has the blob.
    if (target.mountBlob && (await target.mountBlob(descriptor, source))) {
      result.blobsMounted++;
      this.logger.debug(`mounted ${descriptor.digest} from ${source.name}`);
      return;
    }
    if (await target.hasBlob(descriptor.digest)) {
      result.blobsSkipped++;
      return;
    }
    await withRetry(
      async () => {
        const stream = await source.getBlob(descriptor);
        await target.putBlob(descriptor, stream);
      },
      { policy: this.#retry, decide: (err) => (isTransient(err) ? {} : false) },
    );
    result.blobsCopied++;
    result.bytesCopied += descriptor.size;
    this.logger.debug(`copied ${descriptor.digest} (${descriptor.size} bytes)`);
  }

  /** Artifacts about what was copied: referrers (and theirs), and cosign's digest tags, as asked. */
  async copyArtifacts(): Promise<void> {
    if (!this.options.referrers && !this.options.cosignTags) return;
    const seen = new Set<string>();
    // The list grows as artifacts are copied: their own artifacts are carried too.
    for (let i = 0; i < this.#copied.length; i++) {
      const digest = this.#copied[i]!;
      if (seen.has(digest)) continue;
      seen.add(digest);
      if (this.options.referrers) await this.#copyReferrers(digest);
      if (this.options.cosignTags) await this.#copyCosignTags(digest);
    }
  }

  async #copyReferrers(digest: string): Promise<void> {
    for (const referrer of await this.source.referrers(digest)) {
      if (this.#manifests.has(referrer.digest)) continue;
      await this.copyManifest(referrer);
      this.result.referrersCopied++;
    }
  }

  async #copyCosignTags(digest: string): Promise<void> {
    for (const suffix of COSIGN_TAG_SUFFIXES) {
      const tag = cosignTag(digest, suffix);
      const found = await this.source.resolve(tag);
      if (!found) continue;
      const data = await this.source.getManifest(found.digest);
      await this.copyManifest(found, data);
      if (this.write) await this.target.putManifest(data.bytes, data.descriptor.mediaType, tag);
      this.result.referrersCopied++;
    }
  }

  /** Points each tag at the root in the target (in a dry run, only lists them). */
  async writeTags(root: ManifestData, tags: readonly string[]): Promise<void> {
    for (const tag of tags) {
      if (this.write) await this.target.putManifest(root.bytes, root.descriptor.mediaType, tag);
      this.result.tags.push(tag);
    }
  }

  /** The closing log line: what was (or would be) copied, mounted, found present and tagged. */
  summary(): string {
    const { result, write } = this;
    const tagged = result.tags.length ? `; ${write ? 'tagged' : 'would tag'} ${result.tags.join(', ')}` : '';
    return `${write ? 'copied' : 'would copy'} ${result.digest}: ${result.blobsCopied} blobs (${result.bytesCopied} bytes) ${write ? 'copied' : 'to copy'}, ${result.blobsMounted} ${write ? 'mounted' : 'to mount'}, ${result.blobsSkipped} present${tagged}`;
  }
}

/**
 * A failure of a blob transfer another attempt may not meet: a dropped connection, or a status
 * worth retrying (anywhere in the cause chain). Copies and assemble's layer uploads retry on it.
 */
export function isTransient(err: unknown): boolean {
  if (isRetryableNetworkError(err)) return true;
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof HTTPError && isRetryableStatus(e.statusCode)) return true;
  }
  return false;
}
