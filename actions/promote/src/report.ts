/**
 * What the promote action reports: the log lines, outputs and the job summary a release manager
 * reads (from → to, digest, previous digest, what moved, how the bytes travelled, verification).
 * A dry run's summary is the plan: what would be copied, mounted and tagged.
 */
import * as core from '@actions/core';
import { escapeHtml } from '@release-actions/shared/github';
import type { PromotionResult, TagChange } from '@release-actions/shared/promote';
import { placeOf, type Inputs } from './context.ts';

const short = (digest: string | undefined) =>
  digest ? `<code>${escapeHtml(digest.slice(0, 19))}…</code>` : '—';
const mib = (bytes: number) =>
  bytes < 1024 * 1024 ? `${bytes} B` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** What a tag does, in the tense of the run: a dry run says what would happen. */
function changeText(change: TagChange['change'], dryRun: boolean): string {
  if (change === 'unchanged') return 'unchanged (already there)';
  if (change === 'created') return dryRun ? 'would be created' : 'created';
  return dryRun ? 'would move' : 'moved';
}

export async function writeSummary(
  inputs: Inputs,
  result: PromotionResult,
  verification: string,
): Promise<void> {
  const target = placeOf(inputs.target);
  const env = inputs.environments;
  const route = env
    ? `${env.from?.name ?? 'outside'} → ${env.to.name}`
    : `${placeOf(inputs.source)} → ${target}`;
  const head = (data: string) => ({ data, header: true });
  const { copy, dryRun } = result;
  const would = (done: string, planned: string) => (dryRun ? planned : done);
  await core.summary
    .addHeading(
      `${dryRun ? '📝 Promotion plan (dry run: nothing was changed)' : '🚀 Promoted'}: ${escapeHtml(route)}`,
      2,
    )
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
    .addHeading(would('Tags', 'Tags it would set'), 3)
    .addTable([
      [head('Tag'), head('Change'), head('Points at'), head('Was')],
      ...result.tags.map((t) => [
        `<code>${escapeHtml(t.tag)}</code>`,
        changeText(t.change, dryRun),
        short(result.digest),
        short(t.previous),
      ]),
      ...result.history.map((h) => [
        `<code>${escapeHtml(h.tag)}</code>`,
        would('history: an earlier release', 'history: would keep an earlier release'),
        short(h.digest),
        '—',
      ]),
    ])
    .addHeading(would('Content', 'Content it would copy'), 3)
    .addTable([
      [head('Blobs'), head('Count'), head('Bytes')],
      [would('copied (streamed)', 'to copy (stream)'), String(copy.blobsCopied), mib(copy.bytesCopied)],
      [
        would('mounted from the source repository', 'to mount from the source repository'),
        String(copy.blobsMounted),
        '—',
      ],
      ['already in the target', String(copy.blobsSkipped), '—'],
    ])
    .addRaw(
      `<p>${copy.manifestsCopied} manifests ${would('copied', 'to copy')} (${copy.manifestsSkipped} already there), ${copy.referrersCopied} signatures, attestations and referrers ${would('carried along', 'to carry along')}.${env ? ` Allowed by ${escapeHtml(env.rule)} of ${escapeHtml(env.policy.source)}.` : ''}</p>`,
      true,
    )
    .write();
}
