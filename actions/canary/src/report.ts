/**
 * What the canary reports: the `analysis` output (every window, every metric) and the job summary a
 * release manager reads: the verdict, the steps, each metric against its threshold, charts of the
 * percentages (with the canary's weight) and the latencies over time, the rollback and the
 * notifications. Nothing secret is in any of it.
 */
import * as core from '@actions/core';
import {
  describeCheck,
  type CanaryOutcome,
  type CheckResult,
  type RollbackReport,
} from '@release-actions/shared/canary';
import { escapeHtml, formatDuration } from '@release-actions/shared/github';
import { signerText, type VerificationResult } from '@release-actions/shared/verify';
import type { Inputs } from './context.ts';
import type { NotificationResults } from './notify.ts';

export interface Report {
  inputs: Inputs;
  canary: string;
  verdict: VerificationResult;
  traffic: string;
  result?: 'promoted' | 'rolled-back' | 'skipped';
  outcome?: CanaryOutcome;
  rollback?: RollbackReport;
  notifications?: NotificationResults;
}

/** One line per check, for the log: `✓ error-rate 0% (0 of 120) within what 0.2% explains (p=1 ≥ 0.01) (120 requests, 0 errors)`. */
export function checkLines(checks: readonly CheckResult[]): string[] {
  return checks.map(
    (c) =>
      `${c.outcome === 'fail' ? '✗' : c.outcome === 'pass' ? '✓' : '…'} ${describeCheck(c)}${c.detail ? ` (${c.detail})` : ''}`,
  );
}

/** The `analysis` output: every window and every check, with values and thresholds. */
export function analysisJson(outcome: CanaryOutcome): Record<string, unknown> {
  return {
    result: outcome.result,
    failedCheck: outcome.failedCheck ?? null,
    reason: outcome.reason ?? null,
    detectedAfterMs: outcome.detectedAfterMs ?? null,
    restoredAfterMs: outcome.restoredAfterMs ?? null,
    steps: outcome.steps,
    windows: outcome.windows.map((w) => ({
      step: w.step,
      weight: w.weight,
      window: w.index,
      start: new Date(w.start).toISOString(),
      end: new Date(w.end).toISOString(),
      checks: w.checks.map((c) => ({
        metric: c.metric,
        // JSON has no infinity: written as Prometheus writes it, never as null (which reads like no data).
        value:
          c.value === undefined ? null : Number.isFinite(c.value) ? c.value : c.value > 0 ? '+Inf' : '-Inf',
        unit: c.unit,
        ...(c.max !== undefined && { max: c.max }),
        ...(c.min !== undefined && { min: c.min }),
        // A counted rate is judged by a test of its counts against max: the p-value decides, not value > max.
        ...(c.counts && { events: c.counts.events, trials: c.counts.trials }),
        ...(c.test && { pValue: c.test.pValue, alpha: c.test.alpha }),
        outcome: c.outcome,
        ...(c.detail && { detail: c.detail }),
      })),
    })),
  };
}

const code = (t: string) => `<code>${escapeHtml(t)}</code>`;
const num = (v: number) => Number(v.toPrecision(4));

/** Mermaid `xychart-beta` blocks (GitHub renders them in job summaries): percentages with the weight, then latencies. */
export function charts(outcome: CanaryOutcome): string {
  const windows = outcome.windows;
  if (windows.length === 0 || outcome.firstTrafficAt === undefined) return '';
  const t0 = outcome.firstTrafficAt;
  const xs = windows.map((w) => Math.round((w.end - t0) / 100) / 10);
  const series = (unit: CheckResult['unit']) => {
    const names = [
      ...new Set(windows.flatMap((w) => w.checks.filter((c) => c.unit === unit).map((c) => c.metric))),
    ];
    return names.map((name) => ({
      name,
      values: windows.map((w) => {
        const v = w.checks.find((c) => c.metric === name)?.value;
        return v !== undefined && Number.isFinite(v) ? num(v) : 0;
      }),
    }));
  };
  const block = (
    title: string,
    yLabel: string,
    bars: number[] | undefined,
    lines: Array<{ values: number[] }>,
  ) => {
    const all = [...(bars ?? []), ...lines.flatMap((l) => l.values)];
    const top = Math.max(1, ...all);
    return [
      '```mermaid',
      'xychart-beta',
      `  title "${title}"`,
      `  x-axis "seconds of canary traffic" [${xs.join(', ')}]`,
      `  y-axis "${yLabel}" 0 --> ${num(top * 1.1)}`,
      ...(bars ? [`  bar [${bars.join(', ')}]`] : []),
      ...lines.map((l) => `  line [${l.values.join(', ')}]`),
      '```',
    ].join('\n');
  };
  const percent = series('%');
  const ms = series('ms');
  const out = [
    block(
      `Canary weight (bars)${percent.length ? ` and ${percent.map((s) => s.name).join(', ')} (lines)` : ''}, %`,
      '%',
      windows.map((w) => w.weight),
      percent,
    ),
  ];
  if (ms.length) out.push(block(`${ms.map((s) => s.name).join(', ')}, ms`, 'ms', undefined, ms));
  return `${out.join('\n\n')}\n\n<sub>A window without data (or an infinite value) is drawn at 0; the tables have every value.</sub>`;
}

function heading(r: Report): string {
  if (r.result === 'skipped') return `⚠️ Canary at 100% without analysis (break-glass)`;
  if (r.result === 'promoted') return `✅ Canary promoted to 100%`;
  return `⏪ Canary rolled back`;
}

function metricRows(outcome: CanaryOutcome): string[][] {
  const byMetric = new Map<string, CheckResult[]>();
  for (const w of outcome.windows)
    for (const c of w.checks) byMetric.set(c.metric, [...(byMetric.get(c.metric) ?? []), c]);
  return [...byMetric].map(([metric, checks]) => {
    const values = checks.flatMap((c) => (c.value === undefined ? [] : [c.value]));
    const last = checks.at(-1)!;
    const unit = last.unit === '%' ? '%' : last.unit === 'ms' ? ' ms' : '';
    const tested = checks.find((c) => c.test);
    const threshold =
      last.max !== undefined && tested?.test
        ? `within what ${num(last.max)}${unit} explains (p ≥ ${tested.test.alpha})`
        : last.max !== undefined
          ? `≤ ${num(last.max)}${unit}`
          : last.min !== undefined
            ? `≥ ${num(last.min)}${unit}`
            : 'judged';
    const worst =
      values.length === 0
        ? 'no data'
        : `${num(last.min !== undefined ? Math.min(...values) : Math.max(...values))}${unit}`;
    const failed = checks.filter((c) => c.outcome === 'fail').length;
    return [
      code(metric),
      threshold,
      worst,
      values.length ? `${num(values.at(-1)!)}${unit}` : 'no data',
      `${checks.length}`,
      failed ? `❌ ${failed}` : '0',
    ];
  });
}

export async function writeSummary(r: Report): Promise<void> {
  const head = (t: string) => ({ data: t, header: true });
  const row = (name: string, value: string) => [head(name), value];
  const o = r.outcome;
  const facts = [
    row('Canary', code(r.canary)),
    row('Verified', r.verdict.signers.map((s) => escapeHtml(signerText(s))).join('<br>')),
    row('Traffic', escapeHtml(r.traffic)),
    row('Result', r.result ?? ''),
    ...(r.inputs.skip ? [row('Break-glass reason', escapeHtml(r.inputs.skip.reason))] : []),
    ...(o?.failedCheck ? [row('Failed check', code(o.failedCheck))] : []),
    ...(o?.reason ? [row('Why', escapeHtml(o.reason))] : []),
    ...(o?.detectedAfterMs !== undefined
      ? [
          row(
            'Detected after',
            `${formatDuration(o.detectedAfterMs)} of canary traffic; stable had all traffic back ${formatDuration(o.restoredAfterMs ?? 0)} later`,
          ),
        ]
      : []),
    row('Final canary weight', `${o?.weight ?? (r.result === 'skipped' ? 100 : 0)}%`),
  ];
  const s = core.summary.addHeading(heading(r), 2).addTable(facts);
  if (o) {
    s.addHeading('Steps', 3).addTable([
      [head('Step'), head('Canary weight'), head('Windows'), head('Verdict')],
      ...o.steps.map((st) => [
        String(st.step),
        `${st.weight}%`,
        String(st.windows),
        { passed: '✅ passed', failed: '❌ failed', 'not reached': '— not reached', skipped: 'skipped' }[
          st.verdict
        ],
      ]),
    ]);
    const metrics = metricRows(o);
    if (metrics.length)
      s.addHeading('Metrics', 3).addTable([
        [head('Metric'), head('Threshold'), head('Worst'), head('Last'), head('Checks'), head('Failed')],
        ...metrics,
      ]);
    const chart = charts(o);
    if (chart) s.addHeading('Over time', 3).addRaw(chart, true);
  }
  if (r.rollback) {
    const rb = r.rollback;
    const redeploy = !rb.previousImage
      ? 'no previous-image given: traffic is on the stable servers, nothing redeployed'
      : rb.verified === false
        ? `❌ refused: ${code(rb.previousImage)} does not verify (${code(rb.verifyError!.code)}: ${escapeHtml(rb.verifyError!.message)}); traffic is on the stable servers`
        : rb.redeployError
          ? `❌ rollback-command failed: ${escapeHtml(rb.redeployError)}`
          : rb.redeployed
            ? `✅ ${code(rb.previousImage)} verified and redeployed`
            : `✅ ${code(rb.previousImage)} verified (no rollback-command: not redeployed)`;
    s.addHeading('Rollback', 3).addTable([
      row('Traffic', 'stable 100%, canary 0%'),
      row('Previous image', redeploy),
      ...(rb.smoke
        ? [row('Smoke test', `${rb.smoke.healthy ? '✅' : '❌'} ${escapeHtml(rb.smoke.detail)}`)]
        : []),
    ]);
  }
  const n = r.notifications;
  if (n && (n.webhook || n.issue)) {
    const rows: ReturnType<typeof row>[] = [];
    if (n.webhook)
      rows.push(
        row(
          'Webhook',
          'sent' in n.webhook && n.webhook.sent
            ? '✅ sent'
            : `⚠️ not sent: ${escapeHtml((n.webhook as { error: string }).error)}`,
        ),
      );
    if (n.issue)
      rows.push(
        row(
          'Issue',
          'url' in n.issue
            ? `<a href="${escapeHtml(n.issue.url)}">#${n.issue.number}</a>`
            : `⚠️ not opened: ${escapeHtml(n.issue.error)}`,
        ),
      );
    s.addHeading('Notifications', 3).addTable(rows);
  }
  await s.write();
}
