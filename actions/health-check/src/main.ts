/**
 * actions/health-check: probe every URL at once, with exact attempts and assertions; set
 * `healthy`, `results` and `failed-urls`; write a job summary; fail unless all are healthy (or
 * `fail-on-unhealthy` is false).
 */
import type { ActionRun } from '@release-actions/action-kit';
import { formatDuration } from '@release-actions/shared/github';
import { createProbeClient, probeAll, type ProbeOptions } from '@release-actions/shared/probe';
import { secretHeaderValues, type Inputs } from './context.ts';
import { resultLine, toResultJson, writeSummary } from './report.ts';

export function probeOptions(inputs: Inputs): ProbeOptions {
  return {
    method: inputs.method,
    headers: inputs.headers,
    body: inputs.body,
    expect: {
      status: inputs['expected-status'],
      bodyContains: inputs['body-contains'],
      bodyRegex: inputs['body-regex'],
      json: inputs['json-path'] && { path: inputs['json-path'], equals: inputs['json-equals'] },
      maxLatencyMs: inputs['max-latency-ms'],
    },
    timeoutMs: inputs.timeout,
    maxAttempts: inputs['max-attempts'],
    consecutiveSuccesses: inputs['consecutive-successes'],
    retry: {
      intervalMs: inputs['retry-interval'],
      backoff: inputs.backoff,
      maxIntervalMs: inputs['max-retry-interval'],
    },
    deadlineMs: inputs.deadline,
    followRedirects: inputs['follow-redirects'],
  };
}

export async function main(inputs: Inputs, run: ActionRun): Promise<void> {
  const { logger, signal } = run;
  const secrets = secretHeaderValues(inputs.headers);
  const client = createProbeClient({ caCerts: inputs['ca-cert'], connectTimeoutMs: inputs.timeout, logger });
  run.defer(() => client.close());

  const deadline = inputs.deadline === undefined ? '' : `, deadline ${formatDuration(inputs.deadline)}`;
  const results = await run.phase(
    `Probing ${inputs.url.length} URL(s): ${inputs.method}, expecting ${inputs['expected-status'].text}, up to ${inputs['max-attempts']} attempt(s) each${deadline}`,
    () => probeAll(inputs.url, probeOptions(inputs), { client, logger, signal }),
  );
  const report = results.map((r) => toResultJson(r, secrets));
  for (const r of report) logger.info(resultLine(r));

  const failed = report.filter((r) => !r.healthy).map((r) => r.url);
  const healthy = failed.length === 0;
  run.output('healthy', healthy);
  run.output('results', JSON.stringify(report));
  run.output('failed-urls', failed.join('\n'));
  await run.summary(() => writeSummary(inputs, report));

  if (!healthy) {
    const message = `${failed.length} of ${report.length} URL(s) unhealthy: ${failed.join(', ')}`;
    if (inputs['fail-on-unhealthy']) run.fail(message);
    else logger.warning(`${message} (fail-on-unhealthy is false, so the step passes)`);
  }
}
