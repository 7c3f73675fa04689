/**
 * The scan: packages mapped to OSV, advisories looked up in a source, evaluated per ecosystem,
 * withdrawn ones dropped, each finding scored.
 */
import { silentLogger, type Logger } from '../logger.ts';
import { toOsvPackage } from './ecosystems.ts';
import { matchRecord } from './match.ts';
import type { OsvAffected, OsvRecord } from './osv.ts';
import { assessSeverity, type SeverityAssessment } from './severity.ts';
import type { VulnerabilitySource } from './source.ts';
import type { OsvPackageRef, ScanPackage } from './types.ts';

/** One advisory affecting one package. */
export interface Finding {
  /** The OSV id (`GHSA-…`, `DSA-…`, `CVE-…`). */
  id: string;
  aliases: string[];
  summary: string;
  package: ScanPackage;
  osv: OsvPackageRef;
  /** Versions that fix it, lowest first; empty when no fix is known. */
  fixedVersions: string[];
  severity: SeverityAssessment;
  /** A link for people: the advisory's own ADVISORY reference, else its osv.dev page. */
  url: string;
  record: OsvRecord;
}

/** A package the scan could not check, and why. */
export interface SkippedPackage {
  package: ScanPackage;
  reason: string;
}

export interface ScanResult {
  findings: Finding[];
  /** Packages scanned (mapped to an OSV ecosystem). */
  scanned: number;
  skipped: SkippedPackage[];
  /** Withdrawn advisories that would otherwise have matched. */
  withdrawn: string[];
  source: string;
}

export interface ScanOptions {
  source: VulnerabilitySource;
  logger?: Logger;
}

function linkFor(record: OsvRecord): string {
  const advisory = record.references?.find((r) => r.type === 'ADVISORY')?.url;
  return advisory ?? `https://osv.dev/vulnerability/${encodeURIComponent(record.id)}`;
}

/**
 * Scans packages against a source. Packages without an OSV ecosystem are listed in `skipped`;
 * duplicates (same ecosystem, name and version) are queried once.
 */
export async function scanPackages(
  packages: readonly ScanPackage[],
  options: ScanOptions,
): Promise<ScanResult> {
  const logger = options.logger ?? silentLogger;
  const skipped: SkippedPackage[] = [];
  const mapped: Array<{ pkg: ScanPackage; ref: OsvPackageRef }> = [];
  for (const pkg of packages) {
    const ref = toOsvPackage(pkg);
    if (!ref) skipped.push({ package: pkg, reason: `OSV has no ecosystem for ${pkg.purl.split('/')[0]}` });
    else if (!ref.version) skipped.push({ package: pkg, reason: 'no version' });
    else mapped.push({ pkg, ref });
  }
  const unique = new Map<string, OsvPackageRef>();
  for (const { ref } of mapped) unique.set(refKey(ref), ref);
  const refs = [...unique.values()];
  const candidates = await options.source.lookup(refs);
  const byRef = new Map(refs.map((ref, i) => [refKey(ref), candidates[i] ?? []]));

  const findings: Finding[] = [];
  const withdrawn = new Set<string>();
  const onProblem = (p: { id: string; message: string }) => logger.debug(`${p.id}: ${p.message}`);
  for (const { pkg, ref } of mapped) {
    const seen = new Set<string>();
    for (const record of byRef.get(refKey(ref)) ?? []) {
      if (seen.has(record.id)) continue;
      seen.add(record.id);
      const match = matchRecord(record, ref, { onProblem });
      let affected: OsvAffected | undefined = match?.affected;
      if (!match) {
        // The API has matched already; trust it where our ordering cannot say.
        if (!options.source.matchesVersions) continue;
        affected = record.affected?.find((a) => a.package?.name === ref.name);
        logger.debug(
          `${record.id}: reported by ${options.source.description} for ${ref.name}@${ref.version}, not confirmed locally`,
        );
      }
      if (record.withdrawn) {
        withdrawn.add(record.id);
        continue;
      }
      findings.push({
        id: record.id,
        aliases: record.aliases ?? [],
        summary: record.summary ?? firstLine(record.details) ?? record.id,
        package: pkg,
        osv: ref,
        fixedVersions: match?.fixedVersions ?? [],
        severity: assessSeverity(record, affected),
        url: linkFor(record),
        record,
      });
    }
  }
  logger.info(
    `scanned ${mapped.length} packages against ${options.source.description}: ${findings.length} findings, ${skipped.length} packages skipped`,
  );
  return {
    findings,
    scanned: mapped.length,
    skipped,
    withdrawn: [...withdrawn].sort(),
    source: options.source.description,
  };
}

function refKey(ref: OsvPackageRef): string {
  return `${ref.ecosystem}\u0000${ref.name}\u0000${ref.version}`;
}

function firstLine(text: string | undefined): string | undefined {
  const line = text?.trim().split('\n')[0]?.trim();
  return line ? line.slice(0, 200) : undefined;
}
