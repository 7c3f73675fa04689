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

/** Copies the image `reference` (tag or digest) of `source` into `target`. */
export async function copyImage(
  source: ImageStore,
  reference: string,
  target: ImageStore,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const logger = options.logger ?? silentLogger;
  const limit = concurrencyLimit(options.concurrency ?? 4);
  const retry = options.retry ?? defaultRetryPolicy;
  const result: CopyResult = {
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
  const write = !result.dryRun;
  /** Each blob and manifest once, even when several manifests share it. */
  const blobs = new Map<string, Promise<void>>();
  const manifests = new Map<string, Promise<void>>();
  const copied: string[] = [];
  let failure: unknown;
  /** Waits for every transfer started to end (nothing runs on after we return), then fails with the first error. */
  const settleAll = async (pending: Promise<void>[]): Promise<void> => {
    const results = await Promise.allSettled(pending);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) {
      failure ??= rejected.reason;
      throw rejected.reason;
    }
  };

  const copyBlob = (descriptor: Descriptor): Promise<void> => {
    let pending = blobs.get(descriptor.digest);
    if (!pending) {
      pending = limit(async () => {
        if (failure) throw failure; // the copy has failed: start nothing new
        try {
          await transferBlob(descriptor);
        } catch (err) {
          failure ??= err;
          throw err;
        }
      });
      blobs.set(descriptor.digest, pending);
    }
    return pending;
  };

  const transferBlob = async (descriptor: Descriptor): Promise<void> => {
    if (!write) {
      if (await target.hasBlob(descriptor.digest)) result.blobsSkipped++;
      else if (target.canMountFrom?.(source)) result.blobsMounted++;
      else {
        result.blobsCopied++;
        result.bytesCopied += descriptor.size;
      }
      return;
    }
    // Within one registry a mount answers in one request whether or not the target has the blob.
    if (target.mountBlob && (await target.mountBlob(descriptor, source))) {
      result.blobsMounted++;
      logger.debug(`mounted ${descriptor.digest} from ${source.name}`);
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
      { policy: retry, decide: (err) => (isTransient(err) ? {} : false) },
    );
    result.blobsCopied++;
    result.bytesCopied += descriptor.size;
    logger.debug(`copied ${descriptor.digest} (${descriptor.size} bytes)`);
  };

  const copyManifest = (descriptor: Descriptor, data?: ManifestData): Promise<void> => {
    let pending = manifests.get(descriptor.digest);
    if (!pending) {
      pending = (async () => {
        copied.push(descriptor.digest);
        if (await target.resolve(descriptor.digest)) {
          // A registry accepts a manifest only once everything it refers to is there.
          result.manifestsSkipped++;
          return;
        }
        const { bytes, manifest, descriptor: actual } = data ?? (await source.getManifest(descriptor.digest));
        const children = childrenOf(manifest);
        await settleAll(children.map((child) => (isIndex(manifest) ? copyManifest(child) : copyBlob(child))));
        if (write) await target.putManifest(bytes, actual.mediaType);
        result.manifestsCopied++;
      })();
      manifests.set(descriptor.digest, pending);
    }
    return pending;
  };

  const original = await source.getManifest(reference);
  const root = options.platforms?.length ? restrictIndex(original, options.platforms) : original;
  if (root !== original) {
    result.restrictedFrom = original.descriptor.digest;
    logger.info(
      `restricted ${original.descriptor.digest} to ${options.platforms!.map(formatPlatform).join(', ')}: new index ${root.descriptor.digest}`,
    );
  }
  Object.assign(result, {
    digest: root.descriptor.digest,
    mediaType: root.descriptor.mediaType,
    size: root.descriptor.size,
  });
  logger.info(
    `${write ? 'copying' : 'dry run: planning a copy of'} ${source.name}@${root.descriptor.digest} to ${target.name}`,
  );
  await copyManifest(root.descriptor, root);

  // Artifacts about what was copied: referrers (and theirs), and cosign's digest tags.
  if (options.referrers || options.cosignTags) {
    const seen = new Set<string>();
    for (let i = 0; i < copied.length; i++) {
      const digest = copied[i]!;
      if (seen.has(digest)) continue;
      seen.add(digest);
      if (options.referrers) {
        for (const referrer of await source.referrers(digest)) {
          if (manifests.has(referrer.digest)) continue;
          await copyManifest(referrer);
          result.referrersCopied++;
        }
      }
      if (options.cosignTags) {
        for (const suffix of COSIGN_TAG_SUFFIXES) {
          const tag = cosignTag(digest, suffix);
          const found = await source.resolve(tag);
          if (!found) continue;
          const data = await source.getManifest(found.digest);
          await copyManifest(found, data);
          if (write) await target.putManifest(data.bytes, data.descriptor.mediaType, tag);
          result.referrersCopied++;
        }
      }
    }
  }

  // Tags last: until here, no target tag has moved.
  for (const tag of options.tags ?? []) {
    if (write) await target.putManifest(root.bytes, root.descriptor.mediaType, tag);
    result.tags.push(tag);
  }
  logger.info(
    `${write ? 'copied' : 'would copy'} ${result.digest}: ${result.blobsCopied} blobs (${result.bytesCopied} bytes) ${write ? 'copied' : 'to copy'}, ${result.blobsMounted} ${write ? 'mounted' : 'to mount'}, ${result.blobsSkipped} present${result.tags.length ? `; ${write ? 'tagged' : 'would tag'} ${result.tags.join(', ')}` : ''}`,
  );
  return result;
}

/** A failure another attempt may not meet: a dropped connection, or a status worth retrying. */
function isTransient(err: unknown): boolean {
  if (isRetryableNetworkError(err)) return true;
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof HTTPError && isRetryableStatus(e.statusCode)) return true;
  }
  return false;
}
