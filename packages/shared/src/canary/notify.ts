/**
 * What the canary tells people: a webhook message that Slack and Microsoft Teams incoming webhooks
 * both accept (both take a JSON body whose `text` is the message, in Markdown), and the title and
 * body of a GitHub issue. Pure functions; the action posts them.
 */
import { formatDuration } from '../github/inputs.ts';

export interface CanaryNotice {
  result: 'promoted' | 'rolled-back' | 'skipped' | 'failed';
  /** The canary, by digest. */
  image: string;
  failedCheck?: string;
  reason?: string;
  detectedAfterMs?: number;
  rolledBackTo?: string;
  /** Why the previous image was not redeployed. */
  rollbackRefused?: string;
  skipReason?: string;
  /** `owner/repo`, and the link to the run. */
  repository?: string;
  runUrl?: string;
  /** Short lines of figures: `error-rate 4.8% > 0.2% in step 1 (10%), window 1`. */
  figures?: readonly string[];
}

const ICON: Record<CanaryNotice['result'], string> = {
  promoted: '✅',
  'rolled-back': '⏪',
  skipped: '⚠️',
  failed: '❌',
};

export function headline(n: CanaryNotice): string {
  const what = {
    promoted: 'canary promoted to 100%',
    'rolled-back': 'canary rolled back',
    skipped: 'canary analysis skipped (break-glass)',
    failed: 'canary failed',
  }[n.result];
  return `${ICON[n.result]} ${n.repository ? `${n.repository}: ` : ''}${what}`;
}

function lines(n: CanaryNotice): string[] {
  return [
    `Image: ${n.image}`,
    ...(n.failedCheck ? [`Failed check: ${n.failedCheck}`] : []),
    ...(n.reason ? [`Why: ${n.reason}`] : []),
    ...(n.detectedAfterMs !== undefined
      ? [`Detected after: ${formatDuration(n.detectedAfterMs)} of canary traffic`]
      : []),
    ...(n.rolledBackTo ? [`Rolled back to: ${n.rolledBackTo}`] : []),
    ...(n.rollbackRefused ? [`Not redeployed: ${n.rollbackRefused}`] : []),
    ...(n.skipReason ? [`Break-glass reason: ${n.skipReason}`] : []),
    ...(n.runUrl ? [`Run: ${n.runUrl}`] : []),
  ];
}

/** The webhook body: `text` for Slack and Teams, and the same facts as fields for other receivers. */
export function webhookBody(n: CanaryNotice): Record<string, unknown> {
  return {
    text: [headline(n), ...lines(n)].join('\n'),
    canary: {
      result: n.result,
      image: n.image,
      ...(n.failedCheck && { failedCheck: n.failedCheck }),
      ...(n.reason && { reason: n.reason }),
      ...(n.detectedAfterMs !== undefined && { detectedAfterMs: n.detectedAfterMs }),
      ...(n.rolledBackTo && { rolledBackTo: n.rolledBackTo }),
      ...(n.skipReason && { skipReason: n.skipReason }),
      ...(n.runUrl && { runUrl: n.runUrl }),
    },
  };
}

/** A GitHub issue about a canary that did not make it. */
export function issueContent(n: CanaryNotice): { title: string; body: string } {
  const digest = /@(sha256:[0-9a-f]{12})/.exec(n.image)?.[1] ?? n.image;
  const title = `Canary ${n.result === 'rolled-back' ? 'rolled back' : n.result}: ${digest}${n.failedCheck ? ` (${n.failedCheck})` : ''}`;
  const body = [
    `## ${headline(n)}`,
    '',
    ...lines(n).map((l) => `- ${l}`),
    ...(n.figures && n.figures.length > 0 ? ['', '### Figures', '', ...n.figures.map((f) => `- ${f}`)] : []),
    '',
    'Roll back by hand if needed: see the rollback runbook in docs/canary.md of release-actions.',
  ].join('\n');
  return { title, body };
}
