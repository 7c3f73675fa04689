/**
 * What the action reports: the outputs and the job summary a release manager
 * reads: image by digest, tags, who signed (certificate identity or key fingerprint), and where the
 * signatures and attestations were stored. No secret reaches either.
 */
import * as core from '@actions/core';
import { escapeHtml } from '@release-actions/shared/github';
import { formatPlatform } from '@release-actions/shared/oci';
import type { SignedDigest, SignImageResult, StoredSignature } from '@release-actions/shared/sign';
import type { Builder } from './context.ts';

export interface Report {
  builder: Builder;
  /** `registry/repository`, or `oci-layout:<dir>` for an image in an OCI layout. */
  name: string;
  digest: string;
  tags: string[];
  /** builder none, image given by tag: the tag it was resolved from. */
  resolvedFrom: string | undefined;
  signed: SignImageResult;
  bundlePath: string | undefined;
}

export function signatureLocations(signed: SignedDigest): string[] {
  return [signed.signature.legacy?.location, signed.signature.bundle?.location].filter(
    (l): l is string => l !== undefined,
  );
}

export function provenanceLocations(signed: SignedDigest): string[] {
  return [signed.provenance?.legacy?.location, signed.provenance?.bundle?.location].filter(
    (l): l is string => l !== undefined,
  );
}

/** One line on who signed, for the log and the summary. */
export function signerText(signed: SignImageResult): string {
  const id = signed.identity;
  if (!id) return 'unknown';
  if (id.kind === 'key') return `key ${id.fingerprint}`;
  return `${id.subject}${id.issuer ? ` (issuer ${id.issuer})` : ''}`;
}

/** The step outputs, by name. */
export function outputsOf(report: Report): Record<string, string> {
  return {
    digest: report.digest,
    image: `${report.name}@${report.digest}`,
    tags: report.tags.join('\n'),
    signature: signatureLocations(report.signed).join('\n'),
    provenance: provenanceLocations(report.signed).join('\n'),
    'bundle-path': report.bundlePath ?? '',
  };
}

export async function writeSummary(report: Report): Promise<void> {
  const code = (text: string) => `<code>${escapeHtml(text)}</code>`;
  const list = (items: string[], empty: string) => (items.length ? items.map(code).join('<br>') : empty);
  const { signed } = report;
  const id = signed.identity;
  const signer =
    id?.kind === 'certificate'
      ? `keyless: ${code(id.subject)}${id.issuer ? `<br>issuer ${code(id.issuer)}` : ''}`
      : id?.kind === 'key'
        ? `key, fingerprint ${code(id.fingerprint)}`
        : '—';
  const stored = (s: StoredSignature | undefined, what: string) =>
    s && `${code(s.location)} (${what}${s.appended === false ? ', already there' : ''})`;
  const sigs = [
    stored(signed.signature.legacy, 'cosign .sig'),
    stored(signed.signature.bundle, 'Sigstore bundle referrer'),
  ].filter(Boolean);
  const atts = [
    stored(signed.provenance?.legacy, 'cosign .att'),
    stored(signed.provenance?.bundle, 'Sigstore bundle referrer'),
  ].filter(Boolean);
  // An index's platform manifests, each signed (and attested) by itself: what promote's platforms picks.
  const manifests = signed.manifests.map((m) => {
    const platform = m.platform ? `${escapeHtml(formatPlatform(m.platform))}: ` : '';
    const again = [m.signature.legacy, m.signature.bundle].every((s) => s?.appended !== true);
    return `${platform}${code(m.digest)} (${again ? 'already signed' : 'signed'}${m.provenance ? ', provenance attached' : ''})`;
  });
  const built =
    report.builder === 'none'
      ? `not built here${report.resolvedFrom ? `; resolved from tag ${code(report.resolvedFrom)}` : ''}`
      : report.builder;
  const row = (name: string, value: string) => [{ data: name, header: true }, value];
  await core.summary
    .addHeading(`✅ Signed ${escapeHtml(report.name)}`, 2)
    .addTable([
      row('Image', code(`${report.name}@${report.digest}`)),
      row('Digest', code(report.digest)),
      row('Tags', list(report.tags, '—')),
      row('Builder', built),
      row('Signed by', signer),
      row('Signatures', sigs.join('<br>') || '—'),
      row('SLSA provenance', atts.join('<br>') || 'not attached (provenance: false)'),
      ...(manifests.length > 0 ? [row('Platform manifests, each signed', manifests.join('<br>'))] : []),
      ...(report.bundlePath ? [row('Bundle file', code(report.bundlePath))] : []),
    ])
    .write();
}
