/**
 * The gate: which findings fail the build. `fail-on-severity` sets the threshold (`off` reports
 * only); `ignore-unfixed` drops findings with no fixed version; allowlist entries suppress
 * findings by id or alias (and optionally package) until they expire, after which they stop
 * suppressing and the result says so. Findings of `unknown` severity never fail the gate; they
 * are counted so a report can show them.
 */
import { isExpired, type Allowlist, type AllowlistEntry } from './allowlist.ts';
import { recordIds } from './osv.ts';
import type { Finding } from './scan.ts';
import { atLeast } from './severity.ts';

/** The `fail-on-severity` input. */
export type FailOn = 'critical' | 'high' | 'medium' | 'low' | 'off';
export const FAIL_ON_CHOICES: readonly FailOn[] = ['critical', 'high', 'medium', 'low', 'off'];

export interface GateOptions {
  failOn: FailOn;
  ignoreUnfixed?: boolean;
  allowlist?: Allowlist;
  /** Today, for expiry; default now. */
  now?: Date;
}

export interface Suppression {
  finding: Finding;
  entry: AllowlistEntry;
  /** The allowlist file the entry is in ({@link Allowlist.source}). */
  source: string;
}

export interface GateResult {
  passed: boolean;
  failOn: FailOn;
  /** Findings at or above the threshold that nothing suppressed: why the gate failed. */
  failing: Finding[];
  /** Findings an allowlist entry suppressed. */
  suppressed: Suppression[];
  /** Findings an expired entry would have suppressed: they count again. */
  expired: Suppression[];
  /** Findings dropped by `ignore-unfixed`. */
  unfixed: Finding[];
  /** Findings of unknown severity (never failing). */
  unknownSeverity: Finding[];
  /** Allowlist entries that matched nothing (candidates for removal). */
  unusedEntries: AllowlistEntry[];
  /** One line per reason, for logs and the job summary. */
  messages: string[];
}

function entryMatches(entry: AllowlistEntry, finding: Finding): boolean {
  const ids = recordIds(finding.record).map((id) => id.toUpperCase());
  if (!ids.includes(entry.id.toUpperCase())) return false;
  if (!entry.package) return true;
  return entry.package === finding.package.name || entry.package === finding.osv.name;
}

const label = (f: Finding) =>
  `${f.id} in ${f.package.name}@${f.package.version} (${f.severity.level}${f.severity.score !== undefined ? ` ${f.severity.score}` : ''})`;

/** Applies the gate to findings. */
export function evaluateGate(findings: readonly Finding[], options: GateOptions): GateResult {
  const now = options.now ?? new Date();
  const entries = options.allowlist?.entries ?? [];
  const source = options.allowlist?.source ?? '';
  const used = new Set<AllowlistEntry>();
  const result: GateResult = {
    passed: true,
    failOn: options.failOn,
    failing: [],
    suppressed: [],
    expired: [],
    unfixed: [],
    unknownSeverity: [],
    unusedEntries: [],
    messages: [],
  };
  for (const finding of findings) {
    const matching = entries.filter((e) => entryMatches(e, finding));
    matching.forEach((e) => used.add(e));
    const live = matching.find((e) => !isExpired(e, now));
    if (live) {
      result.suppressed.push({ finding, entry: live, source });
      continue;
    }
    const expired = matching[0];
    if (expired) {
      result.expired.push({ finding, entry: expired, source });
      result.messages.push(
        `allowlist entry ${expired.id} (${source} line ${expired.line}) expired on ${expired.expires}: ${label(finding)} counts again`,
      );
    }
    if (options.ignoreUnfixed && finding.fixedVersions.length === 0) {
      result.unfixed.push(finding);
      continue;
    }
    if (finding.severity.level === 'unknown') {
      result.unknownSeverity.push(finding);
      continue;
    }
    if (options.failOn !== 'off' && atLeast(finding.severity.level, options.failOn))
      result.failing.push(finding);
  }
  result.unusedEntries = entries.filter((e) => !used.has(e));
  result.passed = result.failing.length === 0;
  if (options.failOn === 'off') result.messages.unshift('fail-on-severity is off: reporting only');
  else if (!result.passed)
    result.messages.unshift(
      `${result.failing.length} vulnerabilit${result.failing.length === 1 ? 'y is' : 'ies are'} at or above ${options.failOn}: ${result.failing.map(label).join('; ')}`,
    );
  else result.messages.unshift(`no vulnerability at or above ${options.failOn} remains`);
  return result;
}
