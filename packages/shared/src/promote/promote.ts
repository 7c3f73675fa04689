/**
 * Promotion: move one verified digest into an environment without rebuilding. Verification first,
 * then the refusals (protected and clobbered tags) before anything is written, then the shared
 * digest-preserving copy with signatures, attestations and referrers, then the history tags that
 * keep earlier releases reachable, and the environment's tags last — so a promotion that fails at
 * any point leaves every target tag where it was.
 */
import { silentLogger, type Logger } from '../logger.ts';
import type { RetryPolicy } from '../retry.ts';
import { copyImage, type CopyResult } from '../oci/copy.ts';
import { isDigest } from '../oci/digest.ts';
import { formatPlatform, restrictIndex } from '../oci/platform.ts';
import type { ImageStore } from '../oci/store.ts';
import type { Platform } from '../oci/types.ts';
import { PromoteError } from './errors.ts';
import { matchingPattern } from './patterns.ts';

export interface PromotionRequest<V = unknown> {
  source: ImageStore;
  /** Tag or digest in the source; a tag is resolved once and everything after uses the digest. */
  sourceReference: string;
  target: ImageStore;
  /** Tags that promotion moves, whatever they pointed to before (the environment tag). */
  environmentTags: readonly string[];
  /** Further tags to set; they follow `noClobber`. */
  tags?: readonly string[];
  /** Patterns of tags never moved once they exist (`v*`): a promotion that would move one is refused. */
  protectedTags?: readonly string[];
  /** Refuse to move a further tag that points at another digest. Default true. */
  noClobber?: boolean;
  /** How many earlier releases of the environment tag stay reachable through history tags. Default 2. */
  keep?: number;
  /**
   * Verifies the digest before anything is copied and throws if it does not pass; its result is
   * reported. Leaving it out refuses the promotion unless `allowUnverified` is set.
   */
  verify?: (digest: string) => Promise<V>;
  allowUnverified?: boolean;
  dryRun?: boolean;
  /** Promote only these platforms of a multi-platform index (this makes a new index digest). */
  platforms?: readonly Platform[];
  concurrency?: number;
  /** Retries of a blob transfer that fails part-way (see `copyImage`). */
  retry?: RetryPolicy;
  logger?: Logger;
}

export interface TagChange {
  tag: string;
  /** What the tag pointed at before, if it existed. */
  previous?: string;
  change: 'created' | 'moved' | 'unchanged';
}

export interface PromotionResult<V = unknown> {
  /** The digest the tags now point at (a new index when `platforms` restricted the source's). */
  digest: string;
  /** The source digest that was verified and copied from. */
  sourceDigest: string;
  /** The source tag that was resolved to `digest`, when the source was given by tag. */
  resolvedFrom?: string;
  /** What the environment tag (or, without one, the first tag) pointed at before: the rollback target. */
  previousDigest?: string;
  tags: TagChange[];
  history: Array<{ tag: string; digest: string }>;
  copy: CopyResult;
  verification?: V;
  dryRun: boolean;
}

/** The history tag holding the `n`-th previous release of an environment tag: `prod-prev-1`. */
export function historyTag(environmentTag: string, n: number): string {
  return `${environmentTag}-prev-${n}`;
}

export async function promote<V>(req: PromotionRequest<V>): Promise<PromotionResult<V>> {
  const logger = req.logger ?? silentLogger;
  const keep = req.keep ?? 2;
  const dryRun = req.dryRun === true;

  // 1. The digest, once.
  let digest = req.sourceReference;
  let resolvedFrom: string | undefined;
  if (!isDigest(req.sourceReference)) {
    const found = await req.source.resolve(req.sourceReference);
    if (!found) {
      throw new PromoteError(
        'NOT_VERIFIED',
        `source tag ${req.sourceReference} does not exist in ${req.source.name}`,
      );
    }
    digest = found.digest;
    resolvedFrom = req.sourceReference;
    logger.info(`source ${req.source.name}:${req.sourceReference} is ${digest}; promoting that digest`);
  }

  // 2. Verification before anything is copied.
  let verification: V | undefined;
  if (req.verify) verification = await req.verify(digest);
  else if (!req.allowUnverified) {
    throw new PromoteError(
      'NOT_VERIFIED',
      `refusing to promote ${digest}: no verification was configured; give the trust inputs (key or certificate identity) or, knowingly, turn verification off`,
    );
  } else logger.warning(`promoting ${digest} without verification`);

  // Restricting an index to some platforms makes a new index: its digest is what the tags get.
  const verifiedDigest = digest;
  if (req.platforms?.length) {
    digest = restrictIndex(await req.source.getManifest(digest), req.platforms).descriptor.digest;
    if (digest !== verifiedDigest) {
      logger.warning(
        `promoting ${digest}, ${verifiedDigest} restricted to ${req.platforms.map(formatPlatform).join(', ')}: signatures of the full index do not cover the new one; its platform manifests keep theirs`,
      );
    }
  }

  // 3. Refusals, before anything is written.
  const environmentTags = [...new Set(req.environmentTags)];
  const furtherTags = [...new Set(req.tags ?? [])].filter((t) => !environmentTags.includes(t));
  const changes: TagChange[] = [];
  for (const tag of [...environmentTags, ...furtherTags]) {
    const current = (await req.target.resolve(tag))?.digest;
    const change: TagChange =
      current === undefined
        ? { tag, change: 'created' }
        : { tag, previous: current, change: current === digest ? 'unchanged' : 'moved' };
    if (change.change === 'moved') {
      const pattern = matchingPattern(tag, req.protectedTags ?? []);
      if (pattern) {
        throw new PromoteError(
          'PROTECTED_TAG',
          `refusing to move ${req.target.name}:${tag} from ${current} to ${digest}: it matches the protected pattern "${pattern}" and is never moved`,
        );
      }
      if (!environmentTags.includes(tag) && req.noClobber !== false) {
        throw new PromoteError(
          'TAG_EXISTS',
          `refusing to move ${req.target.name}:${tag} from ${current} to ${digest} (no-clobber): choose another tag, or set no-clobber to false to move it`,
        );
      }
    }
    changes.push(change);
  }
  // The rollback target: what the environment tag (or, without one, the first tag) pointed at.
  const previousDigest = changes[0]?.previous;

  // 4. The content: image, signatures, attestations and referrers. No tag moves here.
  const copy = await copyImage(req.source, verifiedDigest, req.target, {
    referrers: true,
    cosignTags: true,
    dryRun,
    logger,
    ...(req.concurrency !== undefined && { concurrency: req.concurrency }),
    ...(req.retry !== undefined && { retry: req.retry }),
    ...(req.platforms !== undefined && { platforms: req.platforms }),
  });

  // 5. History: the releases the environment tags pointed at stay reachable, newest first.
  const history: Array<{ tag: string; digest: string }> = [];
  if (keep > 0) {
    for (const change of changes) {
      if (!environmentTags.includes(change.tag) || change.change !== 'moved' || !change.previous) continue;
      const chain = [change.previous];
      for (let n = 1; n < keep; n++) {
        const older = (await req.target.resolve(historyTag(change.tag, n)))?.digest;
        if (!older) break;
        chain.push(older);
      }
      // Oldest first, so at every step each history tag still names a release that was shipped.
      for (let n = chain.length; n >= 1; n--)
        history.push({ tag: historyTag(change.tag, n), digest: chain[n - 1]! });
    }
  }
  if (!dryRun) {
    for (const h of history) await retag(req.target, h.digest, h.tag);
    // 6. The environment's tags, last.
    for (const change of changes)
      if (change.change !== 'unchanged') await retag(req.target, digest, change.tag);
  }
  for (const change of changes) {
    logger.info(
      `${dryRun ? 'would set' : 'set'} ${req.target.name}:${change.tag} → ${digest}${change.change === 'moved' ? ` (was ${change.previous})` : change.change === 'unchanged' ? ' (already there)' : ''}`,
    );
  }
  return {
    digest,
    sourceDigest: verifiedDigest,
    ...(resolvedFrom !== undefined && { resolvedFrom }),
    ...(previousDigest !== undefined && { previousDigest }),
    tags: changes,
    history,
    copy,
    ...(verification !== undefined && { verification }),
    dryRun,
  };
}

async function retag(store: ImageStore, digest: string, tag: string): Promise<void> {
  const { bytes, descriptor } = await store.getManifest(digest);
  await store.putManifest(bytes, descriptor.mediaType, tag);
}
