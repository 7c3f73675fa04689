/**
 * What the promote action reports: the log lines, outputs and the job summary a release manager
 * reads (from → to, digest, previous digest, what moved, how the bytes travelled, verification).
 */
import * as core from '@actions/core';
import { escapeHtml } from '@release-actions/shared/github';
import type { PromotionResult } from '@release-actions/shared/promote';
import type { Inputs } from './context.ts';

const short = (digest: string | undefined) =>
  digest ? `<code>${escapeHtml(digest.slice(0, 19))}…</code>` : '—';
const mib = (bytes: number) =>
  bytes < 1024 * 1024 ? `${bytes} B` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export async function writeSummary(
  inputs: Inputs,
  result: PromotionResult,
  verification: string,
): Promise<void> {
  const target = `${inputs.target.registry}/${inputs.target.repository}`;
  const env = inputs.environments;
  const route = env
    ? `${env.from?.name ?? 'outside'} → ${env.to.name}`
    : `${inputs.source.registry}/${inputs.source.repository} → ${target}`;
  const head = (data: string) => ({ data, header: true });
  const copy = result.copy;
  await core.summary
    .addHeading(`${result.dryRun ? '📝 Promotion plan' : '🚀 Promoted'}: ${escapeHtml(route)}`, 2)
    .addTable([
      [head('Image'), head('Digest'), head('Previous digest'), head('Verification')],
      [
        `<code>${escapeHtml(target)}</code>`,
        `<code>${escapeHtml(result.digest)}</code>${result.digest !== result.sourceDigest ? `<br>restricted from ${short(result.sourceDigest)}` : ''}`,
        result.previousDigest
          ? `<code>${escapeHtml(result.previousDigest)}</code>`
          : 'none (new environment tag)',
        escapeHtml(verification),
      ],
    ])
    .addTable([
      [head('Tag'), head('Change'), head('Was')],
      ...result.tags.map((t) => [`<code>${escapeHtml(t.tag)}</code>`, t.change, short(t.previous)]),
      ...result.history.map((h) => [`<code>${escapeHtml(h.tag)}</code>`, 'history', short(h.digest)]),
    ])
    .addRaw(
      `<p>${result.dryRun ? 'Would copy' : 'Copied'} ${copy.blobsCopied} blobs (${mib(copy.bytesCopied)}), ${result.dryRun ? 'would mount' : 'mounted'} ${copy.blobsMounted}, ${copy.blobsSkipped} already there; ${copy.manifestsCopied} manifests, ${copy.referrersCopied} signatures, attestations and referrers carried along.${env ? ` Allowed by ${escapeHtml(env.rule)} of ${escapeHtml(env.policy.source)}.` : ''}</p>`,
      true,
    )
    .write();
}
