/**
 * What the action reports: the `results` output (JSON per URL) and the job summary (one table row
 * per URL). Any text that came from a server is scrubbed of the masked header values first, in
 * case the server echoed them.
 */
import * as core from '@actions/core';
import { escapeHtml, formatDuration, truncate } from '@release-actions/shared/github';
import type { ProbeResult } from '@release-actions/shared/probe';
import type { Inputs } from './context.ts';

/** One entry of the `results` output. */
export interface ResultJson {
  url: string;
  healthy: boolean;
  attempts: number;
  status: number | null;
  latencyMs: { p50: number; p95: number; max: number } | null;
  lastError: { code: string; message: string } | null;
  stopReason: string;
  durationMs: number;
}

/** Replaces every secret in `text` with `***`, as the runner masks logs. */
export function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, s) => (s ? t.replaceAll(s, '***') : t), text);
}

export function toResultJson(result: ProbeResult, secrets: readonly string[]): ResultJson {
  const { latency, lastError } = result;
  return {
    url: result.url,
    healthy: result.healthy,
    attempts: result.attempts,
    status: result.status ?? null,
    latencyMs: latency ? { p50: latency.p50, p95: latency.p95, max: latency.max } : null,
    lastError: lastError ? { code: lastError.code, message: scrub(lastError.message, secrets) } : null,
    stopReason: result.stopReason,
    durationMs: result.durationMs,
  };
}

/** A one-line account of a URL's probe, for the log. */
export function resultLine(r: ResultJson): string {
  const latency = r.latencyMs ? `, p95 ${r.latencyMs.p95} ms` : '';
  const error = r.lastError ? `; last error ${r.lastError.code}: ${r.lastError.message}` : '';
  return `${r.healthy ? 'healthy  ' : 'UNHEALTHY'} ${r.url}: ${r.attempts} attempt(s), status ${r.status ?? 'none'}${latency}${error}`;
}

export async function writeSummary(inputs: Inputs, results: readonly ResultJson[]): Promise<void> {
  const healthy = results.filter((r) => r.healthy).length;
  const allHealthy = healthy === results.length;
  const head = (text: string) => ({ data: text, header: true });
  const rows = results.map((r) => [
    `<code>${escapeHtml(r.url)}</code>`,
    r.healthy ? '✅ yes' : '❌ no',
    String(r.attempts),
    r.status === null ? '—' : String(r.status),
    r.latencyMs ? `${r.latencyMs.p95} ms` : '—',
    r.lastError
      ? `${r.healthy ? 'recovered from ' : ''}<code>${r.lastError.code}</code> ${escapeHtml(truncate(r.lastError.message, 200))}`
      : '—',
  ]);
  const settings = [
    `${inputs.method}`,
    `expected status ${inputs['expected-status'].text}`,
    `max-attempts ${inputs['max-attempts']}`,
    `timeout ${formatDuration(inputs.timeout)}`,
    `retry-interval ${formatDuration(inputs['retry-interval'])} (${inputs.backoff})`,
    inputs['consecutive-successes'] > 1 ? `consecutive-successes ${inputs['consecutive-successes']}` : '',
    inputs.deadline === undefined ? '' : `deadline ${formatDuration(inputs.deadline)}`,
    inputs['max-latency-ms'] === undefined ? '' : `max-latency-ms ${inputs['max-latency-ms']}`,
  ].filter((s) => s !== '');
  await core.summary
    .addHeading(
      allHealthy
        ? `✅ Health check: ${results.length} of ${results.length} healthy`
        : `❌ Health check: ${results.length - healthy} of ${results.length} unhealthy`,
      2,
    )
    .addTable([
      [
        head('URL'),
        head('Healthy'),
        head('Attempts'),
        head('Status'),
        head('p95 latency'),
        head('Last error'),
      ],
      ...rows,
    ])
    .addRaw(`<p>${escapeHtml(settings.join(' · '))}</p>`, true)
    .write();
}
