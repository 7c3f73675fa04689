/** A summary of a scan for outputs and the job summary: counts by severity and the worst findings. */
import { compareCodePoints } from '../compare.ts';
import type { Finding } from './scan.ts';
import { SEVERITY_ORDER, type SeverityLevel } from './severity.ts';

export interface ScanSummary {
  total: number;
  bySeverity: Record<SeverityLevel, number>;
  /** Findings with a fixed version. */
  fixable: number;
  /** The worst findings: severity, then score, then id; at most `top`. */
  top: Array<{
    id: string;
    severity: SeverityLevel;
    score?: number;
    package: string;
    version: string;
    fixedIn: string[];
    url: string;
    summary: string;
  }>;
}

/** Orders findings worst first (severity, then CVSS score, then id and package by code point, for stability). */
export function worstFirst(a: Finding, b: Finding): number {
  return (
    SEVERITY_ORDER.indexOf(b.severity.level) - SEVERITY_ORDER.indexOf(a.severity.level) ||
    (b.severity.score ?? -1) - (a.severity.score ?? -1) ||
    compareCodePoints(a.id, b.id) ||
    compareCodePoints(a.package.name, b.package.name)
  );
}

/** Counts findings by severity and lists the `top` worst. */
export function summarize(findings: readonly Finding[], top = 10): ScanSummary {
  const bySeverity = Object.fromEntries(SEVERITY_ORDER.map((l) => [l, 0])) as Record<SeverityLevel, number>;
  for (const f of findings) bySeverity[f.severity.level]++;
  return {
    total: findings.length,
    bySeverity,
    fixable: findings.filter((f) => f.fixedVersions.length > 0).length,
    top: [...findings]
      .sort(worstFirst)
      .slice(0, top)
      .map((f) => ({
        id: f.id,
        severity: f.severity.level,
        ...(f.severity.score !== undefined ? { score: f.severity.score } : {}),
        package: f.package.name,
        version: f.package.version,
        fixedIn: f.fixedVersions,
        url: f.url,
        summary: f.summary,
      })),
  };
}
