/**
 * Whether an OSV record affects a package version, by the evaluation algorithm of the OSV schema
 * (`docs/schema.md`, "Evaluation"): a version is affected if it is listed in
 * `affected[].versions` or lies in one of `affected[].ranges`, where a range's events, sorted by
 * version, switch the state on at `introduced` (`0` sorting first), off at `fixed` and past
 * `last_affected`, and `limit` events bound the range (`*` = infinity). `SEMVER` ranges use
 * SemVer ordering, `ECOSYSTEM` ranges the ecosystem's own; `GIT` ranges are not evaluated.
 */
import { ecosystemsMatch, normalizeName } from './ecosystems.ts';
import type { OsvAffected, OsvEvent, OsvRange, OsvRecord } from './osv.ts';
import type { OsvPackageRef } from './types.ts';
import { comparatorFor, compareSemver, type VersionComparator } from './versions/index.ts';

/** How a record affects a package. */
export interface RecordMatch {
  /** The `affected[]` entry that matched. */
  affected: OsvAffected;
  /** Versions that fix it for this package (the first `fixed` event above the version in each matching range), lowest first. */
  fixedVersions: string[];
  /** Whether the match came from the `versions` list rather than a range. */
  byVersionList: boolean;
}

/** Why a range could not be evaluated, for the caller's log. */
export interface MatchProblem {
  id: string;
  message: string;
}

export interface MatchOptions {
  /** Receives ranges that could not be evaluated (unknown ordering, unreadable version). */
  onProblem?: (problem: MatchProblem) => void;
}

const eventVersion = (e: OsvEvent): string => e.introduced ?? e.fixed ?? e.last_affected ?? e.limit ?? '';

/** Sorts events by version; `introduced: "0"` first, `limit: "*"` last; ties keep their order. */
function sortEvents(events: OsvEvent[], compare: VersionComparator): OsvEvent[] {
  const rank = (e: OsvEvent): number => (e.introduced === '0' ? -1 : e.limit?.includes('*') ? 1 : 0);
  return [...events].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== 0 || rb !== 0) return ra - rb;
    return compare(eventVersion(a), eventVersion(b));
  });
}

/** `BeforeLimits`: true without limit events, else if the version is below some limit. */
function beforeLimits(version: string, events: OsvEvent[], compare: VersionComparator): boolean {
  const limits = events.filter((e) => e.limit !== undefined);
  if (limits.length === 0) return true;
  return limits.some((e) => e.limit!.includes('*') || compare(version, e.limit!) < 0);
}

/**
 * Evaluates one range: `undefined` if not affected, else the first fixed version above `version`
 * (or `null` when none is known).
 */
export function evaluateRange(
  version: string,
  range: OsvRange,
  compare: VersionComparator,
): { fixed: string | null } | undefined {
  if (!beforeLimits(version, range.events, compare)) return undefined;
  const events = sortEvents(range.events, compare);
  let vulnerable = false;
  for (const evt of events) {
    if (evt.introduced !== undefined && (evt.introduced === '0' || compare(version, evt.introduced) >= 0))
      vulnerable = true;
    else if (evt.fixed !== undefined && compare(version, evt.fixed) >= 0) vulnerable = false;
    else if (evt.last_affected !== undefined && compare(version, evt.last_affected) > 0) vulnerable = false;
  }
  if (!vulnerable) return undefined;
  const fixed = events.find((e) => e.fixed !== undefined && compare(version, e.fixed) < 0)?.fixed;
  return { fixed: fixed ?? null };
}

function rangeComparator(range: OsvRange, ecosystem: string): VersionComparator | undefined {
  if (range.type === 'SEMVER') return compareSemver;
  if (range.type === 'ECOSYSTEM') return comparatorFor(ecosystem);
  return undefined;
}

/** Whether an `affected[]` entry names the package (ecosystem by osv-scalibr's rule, name normalised). */
export function affectsPackage(affected: OsvAffected, pkg: OsvPackageRef): boolean {
  const p = affected.package;
  if (!p) return false;
  return (
    ecosystemsMatch(p.ecosystem, pkg.ecosystem) &&
    normalizeName(p.ecosystem, p.name) === normalizeName(pkg.ecosystem, pkg.name)
  );
}

/**
 * Evaluates a record against a package version; `undefined` when it does not affect it.
 * Withdrawn records are the caller's to skip.
 */
export function matchRecord(
  record: OsvRecord,
  pkg: OsvPackageRef,
  options: MatchOptions = {},
): RecordMatch | undefined {
  for (const affected of record.affected ?? []) {
    if (!affectsPackage(affected, pkg)) continue;
    const ecosystem = affected.package!.ecosystem;
    const listed = (affected.versions ?? []).includes(pkg.version);
    const fixed = new Set<string>();
    let inRange = false;
    let unfixedRange = false;
    for (const range of affected.ranges ?? []) {
      if (range.type === 'GIT') continue;
      const compare = rangeComparator(range, ecosystem);
      if (!compare) {
        options.onProblem?.({
          id: record.id,
          message: `no version ordering for ${range.type} ranges of ecosystem "${ecosystem}"`,
        });
        continue;
      }
      try {
        const result = evaluateRange(pkg.version, range, compare);
        if (!result) continue;
        inRange = true;
        if (result.fixed === null) unfixedRange = true;
        else fixed.add(result.fixed);
      } catch (err) {
        options.onProblem?.({
          id: record.id,
          message: `a ${range.type} range of ${ecosystem} cannot be evaluated: ${(err as Error).message}`,
        });
      }
    }
    if (!listed && !inRange) continue;
    const compare = comparatorFor(ecosystem);
    const fixedVersions = unfixedRange ? [] : [...fixed];
    if (compare) fixedVersions.sort((a, b) => safeCompare(compare, a, b));
    return { affected, fixedVersions, byVersionList: listed && !inRange };
  }
  return undefined;
}

function safeCompare(compare: VersionComparator, a: string, b: string): number {
  try {
    return compare(a, b);
  } catch {
    return a < b ? -1 : a > b ? 1 : 0;
  }
}
