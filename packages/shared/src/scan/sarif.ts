/**
 * SARIF 2.1.0 for GitHub code scanning: one rule per advisory id (help text, link, tags and the
 * `security-severity` property GitHub ranks alerts by), one result per affected package, located
 * at the scanned artifact (the SBOM file or image reference, a non-empty `artifactLocation.uri`
 * as code scanning requires), with `partialFingerprints` so alerts stay stable across runs.
 * A finding the gate's allowlist accepted keeps its result, with a SARIF `suppressions` entry
 * (`kind: external`, `status: accepted`, the entry's reason and expiry as `justification`), so
 * code scanning shows it as suppressed rather than opening an alert for an accepted risk.
 */
import { createHash } from 'node:crypto';
import type { GateResult, Suppression } from './gate.ts';
import type { Finding } from './scan.ts';
import type { SeverityLevel } from './severity.ts';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifOptions {
  /** Where results are located: the SBOM path in the repository, or the image reference. */
  artifactUri: string;
  toolName?: string;
  toolVersion?: string;
  informationUri?: string;
  /**
   * The gate's decisions: each finding in `gate.suppressed` (an allowlist entry accepted it)
   * gets an accepted external suppression. Without it, no result is suppressed.
   */
  gate?: Pick<GateResult, 'suppressed'>;
}

/** A `security-severity` for levels without a CVSS score, inside GitHub's bands (critical > 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9). */
const LEVEL_SCORE: Record<SeverityLevel, number | undefined> = {
  critical: 9.5,
  high: 8.0,
  medium: 5.5,
  low: 2.0,
  none: 0,
  unknown: undefined,
};

/** SARIF result level for a severity. */
function sarifLevel(level: SeverityLevel): 'error' | 'warning' | 'note' {
  if (level === 'critical' || level === 'high') return 'error';
  if (level === 'medium') return 'warning';
  return 'note';
}

/** SARIF 2.1.0 §3.35: an accepted suppression kept outside the analysed artifact (the allowlist file). */
function sarifSuppression({ entry, source }: Suppression): Record<string, unknown> {
  return {
    kind: 'external',
    status: 'accepted',
    justification: `${entry.reason} (allowlist ${source} line ${entry.line}: ${entry.id}${entry.package ? ` in ${entry.package}` : ''}, accepted until ${entry.expires})`,
    properties: {
      allowlist: source,
      line: entry.line,
      id: entry.id,
      ...(entry.package ? { package: entry.package } : {}),
      expires: entry.expires,
    },
  };
}

const markdownEscape = (text: string) => text.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`);

/** Builds the SARIF log (a plain JSON object, ready for `JSON.stringify`). */
export function toSarif(findings: readonly Finding[], options: SarifOptions): Record<string, unknown> {
  const rules = new Map<string, Record<string, unknown>>();
  const results: Array<Record<string, unknown>> = [];
  // By advisory and purl, as the fingerprint: the same decision for a package found twice.
  const key = (f: Finding) => `${f.id}\u0000${f.package.purl}`;
  const suppressions = new Map((options.gate?.suppressed ?? []).map((s) => [key(s.finding), s]));
  for (const f of findings) {
    if (!rules.has(f.id)) {
      const score = f.severity.score ?? LEVEL_SCORE[f.severity.level];
      const fixed = f.fixedVersions.length ? f.fixedVersions.join(', ') : 'no fixed version known';
      const details = f.record.details?.trim();
      rules.set(f.id, {
        id: f.id,
        name: f.id.replace(/[^A-Za-z0-9]/g, ''),
        shortDescription: { text: `${f.id}: ${f.summary}`.slice(0, 1000) },
        fullDescription: { text: (details || f.summary).slice(0, 4000) },
        helpUri: f.url,
        help: {
          text: `${f.summary}\nAliases: ${f.aliases.join(', ') || 'none'}\nFixed in: ${fixed}\nSee ${f.url}`,
          markdown: [
            `**${markdownEscape(f.summary)}**`,
            '',
            `| Package | Installed | Fixed in | Severity |`,
            `| --- | --- | --- | --- |`,
            `| ${markdownEscape(f.osv.name)} | ${markdownEscape(f.package.version)} | ${markdownEscape(fixed)} | ${f.severity.level}${f.severity.score !== undefined ? ` (${f.severity.score})` : ''} |`,
            '',
            `Aliases: ${f.aliases.map(markdownEscape).join(', ') || 'none'}. [Advisory](${f.url})`,
          ].join('\n'),
        },
        defaultConfiguration: { level: sarifLevel(f.severity.level) },
        properties: {
          tags: ['security', 'vulnerability', f.osv.ecosystem.split(':')[0]],
          precision: 'very-high',
          ...(score !== undefined ? { 'security-severity': score.toFixed(1) } : {}),
          ...(f.severity.vector ? { 'cvss-vector': f.severity.vector } : {}),
        },
      });
    }
    const suppressed = suppressions.get(key(f));
    results.push({
      ruleId: f.id,
      level: sarifLevel(f.severity.level),
      message: {
        text: `${f.package.name}@${f.package.version} is affected by ${f.id} (${f.severity.level}): ${f.summary}. ${
          f.fixedVersions.length ? `Fixed in ${f.fixedVersions.join(', ')}.` : 'No fixed version is known.'
        }`,
      },
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: options.artifactUri }, region: { startLine: 1 } },
          logicalLocations: [{ name: f.package.purl, kind: 'package' }],
        },
      ],
      partialFingerprints: {
        'vulnerability/v1': createHash('sha256').update(key(f)).digest('hex'),
      },
      ...(suppressed ? { suppressions: [sarifSuppression(suppressed)] } : {}),
    });
  }
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: options.toolName ?? 'release-actions scan',
            ...(options.toolVersion ? { version: options.toolVersion } : {}),
            informationUri: options.informationUri ?? 'https://osv.dev',
            rules: [...rules.values()],
          },
        },
        results,
      },
    ],
  };
}
