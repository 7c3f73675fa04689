/** What the action reports: one result per image, the outputs, and the job summary (a table per image). */
import * as core from '@actions/core';
import { escapeHtml, truncate } from '@release-actions/shared/github';
import { signerText, type VerificationResult, type VerifiedSigner } from '@release-actions/shared/verify';
import type { Target } from './context.ts';

export interface ImageReport {
  target: Target;
  result?: VerificationResult;
  error?: { code: string; message: string; digest?: string };
  /** The requirements asked for, for the summary's attestation rows. */
  required: readonly string[];
}

/** The `signers` output form of a signer. */
export function signerJson(s: VerifiedSigner): Record<string, string> {
  return s.kind === 'key'
    ? { kind: 'key', identity: s.fingerprint }
    : { kind: 'certificate', identity: s.subject, issuer: s.issuer };
}

export function resultJson(r: ImageReport): Record<string, unknown> {
  return {
    image: r.result?.image ?? r.target.input,
    verified: r.result !== undefined,
    digest: r.result?.digest ?? r.error?.digest ?? null,
    signers: (r.result?.signers ?? []).map(signerJson),
    attestations: (r.result?.attestations ?? []).map((a) => a.predicateType),
    error: r.error ? { code: r.error.code, message: r.error.message } : null,
  };
}

const code = (text: string) => `<code>${escapeHtml(text)}</code>`;

function rows(r: ImageReport): string[][] {
  const { result, error } = r;
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
    out.push(['Verdict', '✅ verified']);
  } else if (error) {
    out.push(['Verdict', `❌ ${code(error.code)} ${escapeHtml(truncate(error.message, 400))}`]);
  }
  return out;
}

export async function writeSummary(reports: readonly ImageReport[]): Promise<void> {
  const passed = reports.filter((r) => r.result).length;
  const summary = core.summary.addHeading(
    passed === reports.length
      ? `✅ Image verification: ${passed} of ${reports.length} verified`
      : `❌ Image verification: ${reports.length - passed} of ${reports.length} not verified`,
    2,
  );
  for (const r of reports) {
    summary.addHeading(escapeHtml(r.result?.image ?? r.target.input), 3).addTable([
      [
        { data: 'Check', header: true },
        { data: 'Result', header: true },
      ],
      ...rows(r),
    ]);
  }
  await summary.write();
}
