/**
 * What the action reports: one result per image, the outputs, and the job summary (with a scan, an
 * overview row per image first, then a table per image and the findings that fail its gate).
 */
import * as core from '@actions/core';
import { errorMessage, ReleaseError } from '@release-actions/shared';
import { escapeHtml, truncate } from '@release-actions/shared/github';
// Types only: the scanner is loaded (scan.ts) only when scan is true.
import type { Finding, GateResult, ScanResult, SeverityLevel } from '@release-actions/shared/scan';
// The icons alone, not the scanner: a plain verification loads no scan code.
import { SEVERITY_ICON } from '@release-actions/shared/scan/severity';
import {
  signerText,
  VerifyError,
  type VerificationResult,
  type VerifiedSbom,
  type VerifiedSigner,
} from '@release-actions/shared/verify';
import type { Inputs, Target } from './context.ts';

/** The vulnerability scan of one verified image, from its trusted SBOM attestation(s). */
export interface ImageScan {
  sboms: VerifiedSbom[];
  /** Distinct purls the SBOMs list. */
  packages: number;
  result: ScanResult;
  gate: GateResult;
  /** Findings by severity (allowlisted ones included), and their total. */
  counts: Record<SeverityLevel | 'total', number>;
}

export interface ImageReport {
  target: Target;
  /** The verification, when the signature (and required attestations) verified. */
  result?: VerificationResult;
  /** Why the image did not pass: a verification or scan error, or `GATE_FAILED`. */
  error?: { code: string; message: string; digest?: string };
  /** The requirements asked for, for the summary's attestation rows. */
  required: readonly string[];
  scan?: ImageScan;
}

/** Whether the image passed every check asked for. */
export const passed = (r: ImageReport): boolean => r.result !== undefined && r.error === undefined;

/** A thrown error as a report's error: its code (a VerifyError's digest too), else `ERROR`. */
export function errorOf(err: unknown): NonNullable<ImageReport['error']> {
  if (err instanceof VerifyError)
    return { code: err.code, message: err.message, ...(err.digest && { digest: err.digest }) };
  return { code: err instanceof ReleaseError ? err.code : 'ERROR', message: errorMessage(err) };
}

/** A failed gate as a report's error: `GATE_FAILED` with the gate's verdict, naming each advisory. */
export function gateError(gate: GateResult): NonNullable<ImageReport['error']> {
  return { code: 'GATE_FAILED', message: gate.messages[0]! };
}

/** The `signers` output form of a signer. */
export function signerJson(s: VerifiedSigner): Record<string, string> {
  return s.kind === 'key'
    ? { kind: 'key', identity: s.fingerprint }
    : { kind: 'certificate', identity: s.subject, issuer: s.issuer };
}

function findingJson(f: Finding): Record<string, unknown> {
  return {
    id: f.id,
    aliases: f.aliases,
    package: f.package.name,
    version: f.package.version,
    purl: f.package.purl,
    severity: f.severity.level,
    ...(f.severity.score !== undefined && { score: f.severity.score }),
    fixedIn: f.fixedVersions,
    url: f.url,
  };
}

/** `passed`, `failed`, or `off` (fail-on-severity is off: reported only). */
const gateVerdict = (gate: GateResult) => (gate.failOn === 'off' ? 'off' : gate.passed ? 'passed' : 'failed');

/** The `scan` object of a result: counts by severity, the gate's verdict, the failing advisories. */
export function scanJson(scan: ImageScan): Record<string, unknown> {
  return {
    sboms: scan.sboms.map((s) => ({ predicateType: s.predicateType, location: s.location })),
    packages: scan.packages,
    scanned: scan.result.scanned,
    skipped: scan.result.skipped.length,
    source: scan.result.source,
    counts: scan.counts,
    gate: gateVerdict(scan.gate),
    failOn: scan.gate.failOn,
    failing: scan.gate.failing.map(findingJson),
    suppressed: scan.gate.suppressed.map((s) => ({
      ...findingJson(s.finding),
      reason: s.entry.reason,
      expires: s.entry.expires,
    })),
  };
}

export function resultJson(r: ImageReport): Record<string, unknown> {
  return {
    image: r.result?.image ?? r.target.input,
    verified: passed(r),
    digest: r.result?.digest ?? r.error?.digest ?? null,
    signers: (r.result?.signers ?? []).map(signerJson),
    attestations: (r.result?.attestations ?? []).map((a) => a.predicateType),
    scan: r.scan ? scanJson(r.scan) : null,
    error: r.error ? { code: r.error.code, message: r.error.message } : null,
  };
}

const head = (text: string) => ({ data: text, header: true });
const code = (text: string) => `<code>${escapeHtml(text)}</code>`;
const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

function gateText(gate: GateResult): string {
  if (gate.failOn === 'off') return '➖ report only (fail-on-severity is off)';
  return gate.passed
    ? `✅ passed: nothing at or above ${gate.failOn}${gate.suppressed.length > 0 ? ` (${gate.suppressed.length} allowlisted)` : ''}`
    : `❌ failed: ${gate.failing.length} finding(s) at or above ${gate.failOn}`;
}

function countsText(scan: ImageScan): string {
  return SEVERITIES.map((l) => `${scan.counts[l]} ${l}`).join(', ');
}

function rows(r: ImageReport): string[][] {
  const { result, error, scan } = r;
  const digest = result?.digest ?? error?.digest;
  const out: string[][] = [
    ['Image', code(r.target.input)],
    ['Digest', digest ? code(digest) : '—'],
  ];
  if (result) {
    const formats = [...new Set(result.signatures.map((s) => s.format))].join(', ');
    out.push([
      'Signature',
      `✅ found and verified (${escapeHtml(formats)}; ${result.signatures.length} valid)`,
    ]);
    out.push(['Signer', result.signers.map((s) => escapeHtml(signerText(s))).join('<br>')]);
    for (const a of result.attestations)
      out.push([`Attestation ${escapeHtml(a.name)}`, `✅ ${code(a.predicateType)} (${a.format})`]);
    if (result.refused.length > 0)
      out.push([
        'Refused',
        escapeHtml(`${result.refused.length} other signature(s)/attestation(s) did not verify`),
      ]);
  }
  if (scan) {
    out.push([
      'SBOM',
      scan.sboms.map((s) => `✅ ${code(s.predicateType)} (${s.format}) at ${code(s.location)}`).join('<br>'),
    ]);
    out.push([
      'Vulnerabilities',
      `${escapeHtml(countsText(scan))} in ${scan.result.scanned} packages (${escapeHtml(scan.result.source)}); gate ${escapeHtml(gateText(scan.gate))}`,
    ]);
  }
  if (error) out.push(['Verdict', `❌ ${code(error.code)} ${escapeHtml(truncate(error.message, 400))}`]);
  else if (result) out.push(['Verdict', scan ? '✅ verified and scanned' : '✅ verified']);
  return out;
}

function findingRow(f: Finding, note = ''): string[] {
  return [
    `<a href="${escapeHtml(f.url)}">${escapeHtml(f.id)}</a>${note}`,
    `${SEVERITY_ICON[f.severity.level] ?? ''} ${f.severity.level}${f.severity.score !== undefined ? ` ${f.severity.score}` : ''}`,
    code(f.package.name),
    code(f.package.version),
    f.fixedVersions.length ? f.fixedVersions.map(code).join(', ') : 'no fix',
    escapeHtml(truncate(f.summary, 120)),
  ];
}

const FINDING_HEADER = [
  head('Advisory'),
  head('Severity'),
  head('Package'),
  head('Installed'),
  head('Fixed in'),
  head('Summary'),
];

export async function writeSummary(
  reports: readonly ImageReport[],
  inputs: Pick<Inputs, 'scan'>,
): Promise<void> {
  const ok = reports.filter(passed).length;
  const summary = core.summary.addHeading(
    ok === reports.length
      ? `✅ Image verification: ${ok} of ${reports.length} verified${inputs.scan ? ' and scanned' : ''}`
      : `❌ Image verification: ${reports.length - ok} of ${reports.length} not verified`,
    2,
  );
  if (inputs.scan)
    summary.addHeading('Vulnerability gate', 3).addTable([
      [head('Image'), ...SEVERITIES.map((l) => head(l[0]!.toUpperCase() + l.slice(1))), head('Gate')],
      ...reports.map((r) => {
        const name = code(r.result?.image ?? r.target.input);
        if (!r.scan) return [name, '—', '—', '—', '—', `❌ ${code(r.error?.code ?? 'ERROR')} not scanned`];
        const { counts, gate } = r.scan;
        return [name, ...SEVERITIES.map((l) => String(counts[l])), escapeHtml(gateText(gate))];
      }),
    ]);
  for (const r of reports) {
    summary
      .addHeading(escapeHtml(r.result?.image ?? r.target.input), 3)
      .addTable([[head('Check'), head('Result')], ...rows(r)]);
    const gate = r.scan?.gate;
    if (gate && gate.failing.length > 0)
      summary
        .addHeading(`Findings failing the gate (at or above ${escapeHtml(gate.failOn)})`, 4)
        .addTable([FINDING_HEADER, ...gate.failing.map((f) => findingRow(f))]);
    if (gate && gate.suppressed.length > 0)
      summary
        .addHeading('Allowlisted', 4)
        .addTable([
          FINDING_HEADER,
          ...gate.suppressed.map((s) =>
            findingRow(
              s.finding,
              ` (${escapeHtml(truncate(s.entry.reason, 80))}; until ${escapeHtml(s.entry.expires)})`,
            ),
          ),
        ]);
    if (gate && gate.messages.length > 1) summary.addList(gate.messages.slice(1).map((m) => escapeHtml(m)));
  }
  await summary.write();
}
