/**
 * Promotion: move one verified digest into an environment without rebuilding. In phases: the tags
 * are checked (syntax, the environment's tag rule) before any request; the source is resolved to
 * its digest once, restricted to `platforms` when asked, and what the tags will point at is
 * verified; the tag plan is made and its refusals (protected and clobbered
 * tags) raised before anything is written; then the shared digest-preserving copy with signatures,
 * attestations and referrers; then the history tags that keep earlier releases reachable, and the
 * environment's tags last — so a promotion that fails at any point leaves every target tag where
 * it was.
 */
import { errorMessage, ReleaseError } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { RetryPolicy } from '../retry.ts';
import { copyImage, type CopyResult, type CopyRoot } from '../oci/copy.ts';
import { isDigest } from '../oci/digest.ts';
import { describePlatforms, formatPlatform, restrictIndex } from '../oci/platform.ts';
import { isValidTag, TAG_RULE } from '../oci/reference.ts';
import type { ImageStore } from '../oci/store.ts';
import { isIndex, type Platform } from '../oci/types.ts';
import { PromoteError } from './errors.ts';
import { matchingPattern } from './patterns.ts';
import { checkAllowedTags, type TagRule } from './policy.ts';

export interface PromotionRequest<V = unknown> {
  source: ImageStore;
  /** Tag or digest in the source; a tag is resolved once and everything after uses the digest. */
  sourceReference: string;
  target: ImageStore;
  /** Tags that promotion moves, whatever they pointed to before (the environment tag). */
  environmentTags: readonly string[];
  /** Further tags to set; they follow `noClobber` and `allowedTags`. */
  tags?: readonly string[];
  /**
   * The patterns every further tag must match (the target environment's `tags` in the policy: see
   * `tagRule`); a tag that matches none is refused (TAG_NOT_ALLOWED) before any request.
   */
  allowedTags?: TagRule;
  /** Patterns of tags never moved once they exist (`v*`): a promotion that would move one is refused. */
  protectedTags?: readonly string[];
  /** Refuse to move a further tag that points at another digest. Default true. */
  noClobber?: boolean;
  /** How many earlier releases of the environment tag stay reachable through history tags. Default 2. */
  keep?: number;
  /**
   * Verifies the digest the tags will point at (the source digest, or with `platforms` the
   * platform manifest picked) before anything is copied, and throws if it does not pass; its result
   * is reported. Leaving it out refuses the promotion unless `allowUnverified` is set.
   */
  verify?: (digest: string) => Promise<V>;
  allowUnverified?: boolean;
  dryRun?: boolean;
  /**
   * Promote only these platforms of a multi-platform index. When they pick one manifest of the
   * index, that manifest itself is promoted (its own digest, which build-sign signed with the
   * index). When they pick several but not all, the new, smaller index has a new digest nobody
   * signed: refused (UNSIGNED_RESTRICTION) unless the promotion is unverified (`allowUnverified`
   * without `verify`).
   */
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
  /**
   * The digest the tags now point at: the source digest, or with `platforms` the platform
   * manifest picked (or, unverified, a new index of the platforms picked).
   */
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

/**
 * Promotes `req.sourceReference` from `req.source` into `req.target`. Every refusal (a PromoteError)
 * comes before anything is written; a failure while copying leaves every target tag where it was.
 */
export async function promote<V>(req: PromotionRequest<V>): Promise<PromotionResult<V>> {
  const logger = req.logger ?? silentLogger;
  const keep = req.keep ?? 2;
  const dryRun = req.dryRun === true;

  const tags = checkTags(req, keep);
  const { sourceDigest, resolvedFrom } = await resolveSource(req, logger);
  const promoted = await restrictPlatforms(req, sourceDigest, logger);
  const { digest } = promoted;
  const verification = await verifyPromoted(req, promoted, logger);
  const changes = await planTags(req, tags, digest);
  const copy = await copyContent(req, promoted.root, dryRun, logger);
  const history = await planHistory(req.target, tags.environment, changes, keep);
  if (!dryRun) await writeTags(req.target, digest, history, changes);
  for (const change of changes) {
    logger.info(
      `${dryRun ? 'would set' : 'set'} ${req.target.name}:${change.tag} → ${digest}${change.change === 'moved' ? ` (was ${change.previous})` : change.change === 'unchanged' ? ' (already there)' : ''}`,
    );
  }
  // The rollback target: what the environment tag (or, without one, the first tag) pointed at.
  const previousDigest = changes[0]?.previous;
  return {
    digest,
    sourceDigest,
    ...(resolvedFrom !== undefined && { resolvedFrom }),
    ...(previousDigest !== undefined && { previousDigest }),
    tags: changes,
    history,
    copy,
    ...(verification !== undefined && { verification }),
    dryRun,
  };
}

interface PlannedTags {
  /** The environment tags, each once: they always move. */
  environment: string[];
  /** The further tags, each once, without the environment tags. */
  further: string[];
}

/**
 * Phase 0, before any request: every tag promotion would write is a valid tag (the environment
 * tags, the further tags, the longest history tag), and the further tags follow the environment's
 * tag rule.
 */
function checkTags(req: PromotionRequest<unknown>, keep: number): PlannedTags {
  const environment = [...new Set(req.environmentTags)];
  const further = [...new Set(req.tags ?? [])].filter((t) => !environment.includes(t));
  const invalidTag = (tag: string, what: string, fix: string) =>
    new PromoteError(
      'INVALID_TAG',
      `refusing to promote: ${what} "${tag}" is not a valid tag (${TAG_RULE}); ${fix}`,
    );
  for (const tag of environment)
    if (!isValidTag(tag))
      throw invalidTag(tag, 'the environment tag', 'correct it in the environments policy');
  for (const tag of further)
    if (!isValidTag(tag)) throw invalidTag(tag, 'the tag', 'correct it or leave it out of tags');
  if (keep > 0) {
    for (const tag of environment) {
      const longest = historyTag(tag, keep);
      if (!isValidTag(longest))
        throw invalidTag(
          longest,
          `history tag of "${tag}"`,
          `shorten the environment tag, or keep fewer than ${keep} earlier releases`,
        );
    }
  }
  if (req.allowedTags) checkAllowedTags(further, req.allowedTags);
  return { environment, further };
}

/** Phase 1: the source digest, once. A tag is resolved here and never again. */
async function resolveSource(
  req: PromotionRequest<unknown>,
  logger: Logger,
): Promise<{ sourceDigest: string; resolvedFrom?: string }> {
  if (isDigest(req.sourceReference)) return { sourceDigest: req.sourceReference };
  const found = await req.source.resolve(req.sourceReference);
  if (!found) {
    throw new PromoteError(
      'SOURCE_NOT_FOUND',
      `source ${req.source.name}:${req.sourceReference} does not exist: check the tag, or give the source by digest (${req.source.name}@sha256:…)`,
    );
  }
  logger.info(`source ${req.source.name}:${req.sourceReference} is ${found.digest}; promoting that digest`);
  return { sourceDigest: found.digest, resolvedFrom: req.sourceReference };
}

/** What the tags will point at, and how to copy it (the manifest already read). */
interface Promoted {
  digest: string;
  root: CopyRoot;
  /** With `platforms` picking one manifest of the source index: its platform, formatted. */
  platform?: string;
}

/**
 * Phase 2: what the tags will point at: the source digest, or with `platforms` the one manifest
 * of the index they pick (its own digest, signed by build-sign with the index, as cosign sign
 * --recursive), or several: a new index, which nobody signed, so only an unverified promotion
 * may make it. Reads the source only.
 */
async function restrictPlatforms(
  req: PromotionRequest<unknown>,
  sourceDigest: string,
  logger: Logger,
): Promise<Promoted> {
  const original = await req.source.getManifest(sourceDigest);
  const whole: Promoted = { digest: sourceDigest, root: { data: original } };
  if (!req.platforms?.length || !isIndex(original.manifest)) return whole;
  const wanted = req.platforms.map(formatPlatform).join(', ');
  const restricted = restrictIndex(original, req.platforms);
  if (restricted === original) return whole;
  const kept = isIndex(restricted.manifest) ? restricted.manifest.manifests : [];
  if (kept.length === 1) {
    const entry = kept[0]!;
    const platform = formatPlatform(entry.platform ?? {});
    logger.info(
      `${wanted} is the ${platform} manifest ${entry.digest} of ${sourceDigest}: promoting that manifest itself, not a new index`,
    );
    const data = await req.source.getManifest(entry.digest);
    return { digest: entry.digest, root: { data, restrictedFrom: sourceDigest }, platform };
  }
  const digest = restricted.descriptor.digest;
  if (req.verify) {
    throw new PromoteError(
      'UNSIGNED_RESTRICTION',
      `refusing to promote ${sourceDigest} restricted to ${wanted}: that keeps ${describePlatforms(kept)}, which makes a new index (${digest}) that nobody signed, so verify-image would refuse it in the target; restrict platforms to one platform (its manifest is promoted, with its own signatures), or promote the whole index without platforms`,
    );
  }
  logger.warning(
    `promoting ${digest}, ${sourceDigest} restricted to ${wanted}: a new index that nobody signed (its platform manifests keep their signatures)`,
  );
  return { digest, root: { data: restricted, restrictedFrom: sourceDigest } };
}

/**
 * Phase 3: verification of what the tags will point at, before anything is copied; without a
 * verifier only `allowUnverified` lets it pass. A platform manifest that does not verify is
 * refused naming the index it came from and the fix.
 */
async function verifyPromoted<V>(
  req: PromotionRequest<V>,
  promoted: Promoted,
  logger: Logger,
): Promise<V | undefined> {
  const { digest } = promoted;
  if (req.verify) {
    if (!promoted.platform) return req.verify(digest);
    try {
      return await req.verify(digest);
    } catch (err) {
      throw new PromoteError(
        'PLATFORM_NOT_VERIFIED',
        `refusing to promote the ${promoted.platform} manifest ${digest} of ${promoted.root.restrictedFrom}: it does not verify by itself (${err instanceof ReleaseError ? `${err.code}: ` : ''}${errorMessage(err)}); sign the index with build-sign, which signs each platform manifest too (as cosign sign --recursive), or promote the whole index without platforms`,
        { cause: err },
      );
    }
  }
  if (!req.allowUnverified) {
    throw new PromoteError(
      'NOT_VERIFIED',
      `refusing to promote ${digest}: no verification was configured; give the trust inputs (key or certificate identity) or, knowingly, turn verification off`,
    );
  }
  logger.warning(`promoting ${digest} without verification`);
  return undefined;
}

/**
 * Phase 4: what each tag would do (created, moved, unchanged), and the refusals (protected tags,
 * no-clobber), reading only.
 */
async function planTags(
  req: PromotionRequest<unknown>,
  tags: PlannedTags,
  digest: string,
): Promise<TagChange[]> {
  const changes: TagChange[] = [];
  for (const tag of [...tags.environment, ...tags.further]) {
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
      if (!tags.environment.includes(tag) && req.noClobber !== false) {
        throw new PromoteError(
          'TAG_EXISTS',
          `refusing to move ${req.target.name}:${tag} from ${current} to ${digest} (no-clobber): choose another tag, or set no-clobber to false to move it`,
        );
      }
    }
    changes.push(change);
  }
  return changes;
}

/** Phase 5: the content (image, signatures, attestations and referrers). No tag moves here. */
function copyContent(
  req: PromotionRequest<unknown>,
  root: CopyRoot,
  dryRun: boolean,
  logger: Logger,
): Promise<CopyResult> {
  return copyImage(req.source, root.data.descriptor.digest, req.target, {
    root,
    referrers: true,
    cosignTags: true,
    dryRun,
    logger,
    ...(req.concurrency !== undefined && { concurrency: req.concurrency }),
    ...(req.retry !== undefined && { retry: req.retry }),
  });
}

/**
 * Phase 6: the history tags that keep the releases each moved environment tag pointed at
 * reachable, newest first in the chain, listed oldest first so that at every step of writing them
 * each history tag still names a release that was shipped.
 */
async function planHistory(
  target: ImageStore,
  environmentTags: readonly string[],
  changes: readonly TagChange[],
  keep: number,
): Promise<Array<{ tag: string; digest: string }>> {
  const history: Array<{ tag: string; digest: string }> = [];
  if (keep <= 0) return history;
  for (const change of changes) {
    if (!environmentTags.includes(change.tag) || change.change !== 'moved' || !change.previous) continue;
    const chain = [change.previous];
    for (let n = 1; n < keep; n++) {
      const older = (await target.resolve(historyTag(change.tag, n)))?.digest;
      if (!older) break;
      chain.push(older);
    }
    for (let n = chain.length; n >= 1; n--)
      history.push({ tag: historyTag(change.tag, n), digest: chain[n - 1]! });
  }
  return history;
}

/** Phase 7: the history tags, then the environment's tags, last. */
async function writeTags(
  target: ImageStore,
  digest: string,
  history: ReadonlyArray<{ tag: string; digest: string }>,
  changes: readonly TagChange[],
): Promise<void> {
  for (const h of history) await retag(target, h.digest, h.tag);
  for (const change of changes) if (change.change !== 'unchanged') await retag(target, digest, change.tag);
}

async function retag(store: ImageStore, digest: string, tag: string): Promise<void> {
  const { bytes, descriptor } = await store.getManifest(digest);
  await store.putManifest(bytes, descriptor.mediaType, tag);
}
