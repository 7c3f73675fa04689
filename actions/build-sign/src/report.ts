/**
 * What the action reports: the outputs and the job summary a release manager
 * reads: image by digest, tags, who signed (certificate identity or key fingerprint), and where the
 * signatures and attestations were stored. No secret reaches either.
 */
import * as core from '@actions/core';
import { escapeHtml } from '@release-actions/shared/github';
import { changedSettings, type ConfigChanges, type EpochSource } from '@release-actions/shared/build';
import { formatPlatform } from '@release-actions/shared/oci';
import type { SignedDigest, SignImageResult, StoredSignature } from '@release-actions/shared/sign';
import type { Pushed } from './build.ts';
import type { Builder } from './context.ts';

export interface Report {
  builder: Builder;
  /** `registry/repository`, or `oci-layout:<dir>` for an image in an OCI layout. */
  name: string;
  digest: string;
  tags: string[];
  /** builder none, image given by tag: the tag it was resolved from. */
  resolvedFrom: string | undefined;
  /** builder assemble: what was made. */
  assembled?: NonNullable<Pushed['assembled']>;
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
      : report.builder === 'assemble'
        ? 'assemble (no daemon: a base image plus layers of files)'
        : report.builder;
  const row = (name: string, value: string) => [{ data: name, header: true }, value];
  await core.summary
    .addHeading(`✅ Signed ${escapeHtml(report.name)}`, 2)
    .addTable([
      row('Image', code(`${report.name}@${report.digest}`)),
      row('Digest', code(report.digest)),
      row('Tags', list(report.tags, '—')),
      row('Builder', built),
      ...(report.assembled
        ? assembledRows(report.assembled, code).map(([name, value]) => row(name, value))
        : []),
      row('Signed by', signer),
      row('Signatures', sigs.join('<br>') || '—'),
      row('SLSA provenance', atts.join('<br>') || 'not attached (provenance: false)'),
      ...(manifests.length > 0 ? [row('Platform manifests, each signed', manifests.join('<br>'))] : []),
      ...(report.bundlePath ? [row('Bundle file', code(report.bundlePath))] : []),
    ])
    .write();
}

/** The rows a release manager reads about an assembled image: its base, the layers added, the config set. */
export function assembledRows(
  assembled: NonNullable<Report['assembled']>,
  code: (text: string) => string,
): Array<[string, string]> {
  const { result } = assembled;
  const perPlatform = result.images.map(
    (i) => `${escapeHtml(formatPlatform(i.platform))}: ${code(i.baseDigest ?? '')}`,
  );
  const base = result.base
    ? `${code(`${result.base.name ?? 'OCI layout image'}@${result.base.digest}`)}${
        result.images.some((i) => i.baseDigest !== result.base!.digest)
          ? `<br>${perPlatform.join('<br>')}`
          : ''
      }`
    : 'scratch (no base)';
  const layers = result.layers.map(
    (l) =>
      `${code(l.source)} → ${code(l.destination)}: ${l.entries} entries, ${bytes(l.uncompressedSize)} (${bytes(l.size)} gzipped), ${code(l.digest)}`,
  );
  const settings = configText(assembled.config, code);
  const images = result.images.map((i) => `${escapeHtml(formatPlatform(i.platform))}: ${code(i.digest)}`);
  return [
    ['Base image', base],
    ['Layers added', layers.join('<br>') || 'none (the base with a new config)'],
    ['Config set', settings.join('<br>') || "none (the base's)"],
    ['Platforms', images.join('<br>')],
    [
      'Reproducible from',
      `source date epoch ${code(String(assembled.epoch))} (${escapeHtml(EPOCH_FROM[assembled.epochFrom])}); base layers in the target: ${result.baseBlobs.blobsMounted} mounted, ${result.baseBlobs.blobsSkipped} already there, ${result.baseBlobs.blobsCopied} copied`,
    ],
  ];
}

/** Each setting made, with its value (env and labels by name only: their values may be secret). */
function configText(config: ConfigChanges, code: (text: string) => string): string[] {
  const value: Record<string, string> = {
    entrypoint: code(JSON.stringify(config.entrypoint ?? [])),
    cmd: code(JSON.stringify(config.cmd ?? [])),
    env: config.env.map(([n]) => code(n)).join(', '),
    workdir: code(config.workdir ?? ''),
    user: code(config.user ?? ''),
    labels: config.labels.map(([n]) => code(n)).join(', '),
    'exposed-ports': config.exposedPorts.map(code).join(', '),
  };
  return changedSettings(config).map((name) => `${name}: ${value[name]}`);
}

/** Where the source date epoch came from, in words. */
export const EPOCH_FROM: Record<EpochSource, string> = {
  'source-date-epoch': 'the source-date-epoch input',
  SOURCE_DATE_EPOCH: 'the SOURCE_DATE_EPOCH environment variable',
  git: 'the commit time of HEAD in context',
  default: 'no input, no SOURCE_DATE_EPOCH, no git commit in context: 0',
};

/** Bytes as people read them: 512 B, 3.4 KB, 12.0 MB (powers of 1000). */
function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
