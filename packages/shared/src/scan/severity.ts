/**
 * The severity of an advisory for a package: from a CVSS v3.x vector (base score computed here),
 * else from the advisory's own rating (GHSA `database_specific.severity`, the `Ubuntu` severity
 * type, an `ecosystem_specific.severity`, Debian's `urgency`). A CVSS v4 vector is reported as
 * given; its level comes from the advisory's own rating or stays `unknown` (no v4 score is
 * guessed). CVSS v2 vectors are likewise reported but not scored.
 */
import { cvss3BaseScore } from './cvss.ts';
import type { OsvAffected, OsvRecord, OsvSeverity } from './osv.ts';

/** Severity levels, lowest first, plus `unknown`. */
export type SeverityLevel = 'unknown' | 'none' | 'low' | 'medium' | 'high' | 'critical';

/** Levels ordered for comparison: `unknown` ranks below `none`. */
export const SEVERITY_ORDER: readonly SeverityLevel[] = [
  'unknown',
  'none',
  'low',
  'medium',
  'high',
  'critical',
];

/** Whether `a` is at least as severe as `b`. */
export function atLeast(a: SeverityLevel, b: SeverityLevel): boolean {
  return SEVERITY_ORDER.indexOf(a) >= SEVERITY_ORDER.indexOf(b);
}

export interface SeverityAssessment {
  level: SeverityLevel;
  /** The CVSS base score when computed from a v3 vector. */
  score?: number;
  /** The vector the level came from, or the v4/v2 vector reported alongside. */
  vector?: string;
  /** Where the level came from: `CVSS_V3`, `database_specific.severity`, `Ubuntu`, … or `none`. */
  source: string;
}

/** An advisory's own word for severity → a level. */
export function levelFromWord(word: unknown): SeverityLevel | undefined {
  if (typeof word !== 'string') return undefined;
  switch (word.trim().toLowerCase()) {
    case 'critical':
      return 'critical';
    case 'high':
    case 'important':
      return 'high';
    case 'moderate':
    case 'medium':
      return 'medium';
    case 'low':
    case 'negligible':
    case 'unimportant':
      return 'low';
    default:
      return undefined;
  }
}

function ownRating(
  record: OsvRecord,
  affected: OsvAffected | undefined,
): { level: SeverityLevel; source: string } | undefined {
  const candidates: Array<[unknown, string]> = [
    [affected?.database_specific?.severity, 'affected.database_specific.severity'],
    [affected?.ecosystem_specific?.severity, 'affected.ecosystem_specific.severity'],
    [record.database_specific?.severity, 'database_specific.severity'],
    [affected?.ecosystem_specific?.urgency, 'affected.ecosystem_specific.urgency'],
    [record.database_specific?.urgency, 'database_specific.urgency'],
  ];
  for (const [word, source] of candidates) {
    const level = levelFromWord(word);
    if (level) return { level, source };
  }
  return undefined;
}

/**
 * Assesses a record's severity for the matched `affected[]` entry: its own `severity` entries
 * (which the schema says replace the top-level ones), else the record's.
 */
export function assessSeverity(record: OsvRecord, affected?: OsvAffected): SeverityAssessment {
  const entries: OsvSeverity[] = affected?.severity?.length ? affected.severity : (record.severity ?? []);
  let best: SeverityAssessment | undefined;
  for (const entry of entries.filter((e) => e.type === 'CVSS_V3')) {
    try {
      const s = cvss3BaseScore(entry.score);
      if (!best || (best.score ?? -1) < s.baseScore)
        best = { level: s.rating, score: s.baseScore, vector: s.vector, source: 'CVSS_V3' };
    } catch {
      // A malformed vector: fall through to the advisory's own rating.
    }
  }
  if (best) return best;
  const other = entries.find((e) => e.type === 'CVSS_V4') ?? entries.find((e) => e.type === 'CVSS_V2');
  const ubuntu = entries.find((e) => e.type === 'Ubuntu');
  const ubuntuLevel = levelFromWord(ubuntu?.score);
  const own = ubuntuLevel ? { level: ubuntuLevel, source: 'Ubuntu' } : ownRating(record, affected);
  const base = own ?? { level: 'unknown' as const, source: 'none' };
  return other ? { ...base, vector: other.score } : base;
}

/** How job summaries mark each level (a square per level, as GitHub's own security views colour them). */
export const SEVERITY_ICON: Readonly<Record<SeverityLevel, string>> = {
  critical: '🟥',
  high: '🟧',
  medium: '🟨',
  low: '🟦',
  none: '⬜',
  unknown: '❔',
};
