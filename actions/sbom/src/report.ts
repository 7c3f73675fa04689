/**
 * The job summary: what was cataloged (by digest), packages by type, vulnerabilities by severity,
 * the worst findings with links, the gate's verdict, the files, attestations and artifact. Nothing
 * secret is in any of it: the inputs it reads are names, counts and locations.
 *
 * The SBOM part stands on its own: with no scan result (the scan failed, or did not run) the
 * summary still shows the SBOM, its files, attestations and artifact, and says plainly why there
 * are no vulnerabilities to show.
 */
import * as core from '@actions/core';
import { compareCodePoints } from '@release-actions/shared';
import { errorMessage } from '@release-actions/shared';
import { escapeHtml, truncate } from '@release-actions/shared/github';
import type { SbomAttestation, SbomResult } from '@release-actions/shared/sbom';
import { SEVERITY_ICON, summarize, type GateResult, type ScanResult } from '@release-actions/shared/scan';
import type { ImageSigner } from '@release-actions/shared/sign';
import type { UploadOutcome } from './artifact.ts';
import type { Inputs } from './context.ts';
import type { SnapshotOutcome } from './snapshot.ts';

export interface Report {
  inputs: Inputs;
  subject: string;
  sbom: SbomResult;
  files: Record<string, string>;
  /** The scan's result; absent when the scan failed (`scanError`) or did not run. */
  scan?: ScanResult | undefined;
  gate?: GateResult | undefined;
  /** Why the scan failed (the vulnerability source was unusable, say): the SBOM part is still reported. */
  scanError?: unknown;
  attestations: SbomAttestation[];
  upload: UploadOutcome;
  signer: ImageSigner | undefined;
  /** The dependency-graph submission; a row in Outputs when dependency-snapshot is true. */
  snapshot?: SnapshotOutcome;
}

/** The summary's dependency-graph line: submitted (the snapshot id), skipped or refused, and why. */
export function snapshotLine(outcome: SnapshotOutcome): string {
  switch (outcome.status) {
    case 'submitted':
      return `✅ submitted: snapshot ${code(String(outcome.id))} (${outcome.manifests} manifest(s), ${outcome.packages} package(s))`;
    case 'skipped':
      return `➖ skipped: ${escapeHtml(outcome.reason)}`;
    case 'refused':
      return `⚠️ refused: ${escapeHtml(truncate(outcome.reason, 400))}`;
    case 'failed':
      return `⚠️ not submitted: ${escapeHtml(truncate(outcome.reason, 400))}`;
  }
}

const head = (text: string) => ({ data: text, header: true });
const code = (text: string) => `<code>${escapeHtml(text)}</code>`;

/** Packages counted by type, most first. */
export function packagesByType(sbom: SbomResult): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const p of sbom.packages) counts.set(p.type, (counts.get(p.type) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
}

function verdict(r: Report): string {
  if (!r.gate) return '';
  if (r.gate.failOn === 'off') return '➖ report only (fail-on-severity is off)';
  return r.gate.passed
    ? `✅ passed: nothing at or above ${r.gate.failOn}`
    : `❌ failed: ${r.gate.failing.length} finding(s) at or above ${r.gate.failOn}`;
}

/** Why a summary shows no vulnerabilities, when it shows none: the scan failed, was off, or has not run. */
function scanNotice(r: Report): string | undefined {
  if (r.scanError !== undefined) {
    const errorCode = (r.scanError as { code?: unknown }).code;
    return [
      '❌ The vulnerability scan failed: no package was checked and the gate did not run.',
      `${escapeHtml(truncate(errorMessage(r.scanError), 600))}${typeof errorCode === 'string' ? ` (${code(errorCode)})` : ''}`,
      '<br>The SBOM does not depend on the scan: its packages above and its files, attestations and artifact below are complete.',
    ].join(' ');
  }
  if (r.scan) return undefined;
  if (!r.inputs.scan) return 'Not scanned: the scan input is false.';
  return 'Not scanned: the scan has not run. The SBOM does not depend on it: its packages above and its files below are complete.';
}

export async function writeSummary(r: Report): Promise<void> {
  const { inventory } = r.sbom;
  const digest = inventory.source.digest;
  const failed = (r.gate && !r.gate.passed) || r.scanError !== undefined;
  const s = core.summary.addHeading(
    `${failed ? '❌' : '✅'} SBOM: ${r.sbom.packages.length} packages in ${escapeHtml(r.subject)}${r.scanError !== undefined ? ' (the scan failed)' : ''}`,
    2,
  );
  const facts = [
    digest ? `digest ${code(digest)}` : '',
    inventory.source.platform ? `platform ${code(inventory.source.platform)}` : '',
    inventory.distro?.prettyName ? `distribution ${escapeHtml(inventory.distro.prettyName)}` : '',
  ].filter((f) => f !== '');
  if (facts.length) s.addRaw(`<p>${facts.join(' · ')}</p>`, true);

  s.addHeading('Packages by type', 3).addTable([
    [head('Type'), head('Packages')],
    ...packagesByType(r.sbom).map(([type, n]) => [code(type), String(n)]),
  ]);

  const scanState = scanNotice(r);
  if (scanState) s.addHeading('Vulnerabilities', 3).addRaw(`<p>${scanState}</p>`, true);
  else if (r.scan) {
    const summary = summarize(r.scan.findings, 10);
    s.addHeading('Vulnerabilities', 3)
      .addRaw(
        `<p>Gate: ${verdict(r)}. Source: ${escapeHtml(r.scan.source)}; ${r.scan.scanned} packages checked, ${r.scan.skipped.length} without an OSV ecosystem.</p>`,
        true,
      )
      .addTable([
        [head('Critical'), head('High'), head('Medium'), head('Low'), head('Unknown'), head('Fixable')],
        [
          ...(['critical', 'high', 'medium', 'low', 'unknown'] as const).map((l) =>
            String(summary.bySeverity[l]),
          ),
          String(summary.fixable),
        ],
      ]);
    const suppressed = new Set(r.gate?.suppressed.map((x) => x.finding.id) ?? []);
    if (summary.top.length > 0)
      s.addHeading('Worst findings', 4).addTable([
        [
          head('Advisory'),
          head('Severity'),
          head('Package'),
          head('Installed'),
          head('Fixed in'),
          head('Summary'),
        ],
        ...summary.top.map((f) => [
          `<a href="${escapeHtml(f.url)}">${escapeHtml(f.id)}</a>${suppressed.has(f.id) ? ' (allowlisted)' : ''}`,
          `${SEVERITY_ICON[f.severity] ?? ''} ${f.severity}${f.score !== undefined ? ` ${f.score}` : ''}`,
          code(f.package),
          code(f.version),
          f.fixedIn.length ? f.fixedIn.map(code).join(', ') : 'no fix',
          escapeHtml(truncate(f.summary, 120)),
        ]),
      ]);
    if (r.gate && r.gate.messages.length > 1) s.addList(r.gate.messages.slice(1).map((m) => escapeHtml(m)));
  }

  const rows: string[][] = [];
  for (const [kind, path] of Object.entries(r.files)) rows.push([kind, code(path)]);
  for (const a of r.attestations) {
    if (a.legacy) rows.push([`${a.format} attestation (.att)`, code(a.legacy.location)]);
    if (a.bundle) rows.push([`${a.format} attestation (bundle referrer)`, code(a.bundle.location)]);
  }
  const identity = r.signer?.identity();
  if (identity)
    rows.push([
      'signed by',
      identity.kind === 'key'
        ? `key ${code(identity.fingerprint)}`
        : `keyless: ${code(identity.subject)}${identity.issuer ? `<br>issuer ${code(identity.issuer)}` : ''}`,
    ]);
  if (r.upload.status === 'uploaded')
    rows.push(['artifact', `${code(r.upload.name)} (kept ${r.inputs['retention-days']} days)`]);
  else if (r.upload.status === 'failed')
    rows.push([
      'artifact',
      `⚠️ ${code(r.upload.name)} not uploaded: ${escapeHtml(truncate(r.upload.message, 200))}`,
    ]);
  else rows.push(['artifact', `not uploaded: ${escapeHtml(r.upload.reason)}`]);
  if (r.snapshot && r.inputs['dependency-snapshot'])
    rows.push(['dependency graph', snapshotLine(r.snapshot)]);
  s.addHeading('Outputs', 3).addTable([[head('What'), head('Where')], ...rows]);
  await s.write();
}
