/**
 * actions/health-check: probe every URL at once, with exact attempts and assertions; set
 * `healthy`, `results` and `failed-urls`; write a job summary; fail unless all are healthy (or
 * `fail-on-unhealthy` is false).
 */
import * as core from '@actions/core';
import { errorMessage, type Logger } from '@release-actions/shared';
import { formatDuration } from '@release-actions/shared/github';
import { createProbeClient, probeAll, type ProbeOptions } from '@release-actions/shared/probe';
import { getInputs, secretHeaderValues, type Inputs } from './context.ts';
import { resultLine, scrub, toResultJson, writeSummary } from './report.ts';

/** Logs through the runner, scrubbing masked values as well (a server may echo a header back). */
function runnerLogger(secrets: readonly string[]): Logger {
  return {
    debug: (m) => core.debug(scrub(m, secrets)),
    info: (m) => core.info(scrub(m, secrets)),
    warning: (m) => core.warning(scrub(m, secrets)),
  };
}

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

/** Aborts when the runner cancels the job (SIGINT, then SIGTERM), so outputs and summary still get written. */
function cancellation(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const cancel = () => {
    core.warning('cancelled: stopping the probes');
    controller.abort();
  };
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', cancel);
      process.off('SIGTERM', cancel);
    },
  };
}

export async function run(): Promise<void> {
  let inputs: Inputs;
  try {
    inputs = getInputs();
  } catch (err) {
    core.setFailed(errorMessage(err));
    return;
  }
  const secrets = secretHeaderValues(inputs.headers);
  const logger = runnerLogger(secrets);
  const options = probeOptions(inputs);
  const client = createProbeClient({ caCerts: inputs['ca-cert'], connectTimeoutMs: inputs.timeout, logger });
  const { signal, dispose } = cancellation();
  try {
    const deadline = inputs.deadline === undefined ? '' : `, deadline ${formatDuration(inputs.deadline)}`;
    const results = await core.group(
      `Probing ${inputs.url.length} URL(s): ${inputs.method}, expecting ${inputs['expected-status'].text}, up to ${inputs['max-attempts']} attempt(s) each${deadline}`,
      () => probeAll(inputs.url, options, { client, logger, signal }),
    );
    const report = results.map((r) => toResultJson(r, secrets));
    for (const r of report) core.info(resultLine(r));

    const failed = report.filter((r) => !r.healthy).map((r) => r.url);
    const healthy = failed.length === 0;
    setOutput('healthy', String(healthy));
    setOutput('results', JSON.stringify(report));
    setOutput('failed-urls', failed.join('\n'));
    await writeSummary(inputs, report).catch((err) =>
      core.warning(`job summary not written: ${errorMessage(err)}`),
    );

    if (!healthy) {
      const message = `${failed.length} of ${report.length} URL(s) unhealthy: ${failed.join(', ')}`;
      if (inputs['fail-on-unhealthy']) core.setFailed(message);
      else core.warning(`${message} (fail-on-unhealthy is false, so the step passes)`);
    }
  } catch (err) {
    core.setFailed(errorMessage(err));
  } finally {
    dispose();
    await client.close().catch(() => undefined);
  }
}

function setOutput(name: string, value: string): void {
  core.setOutput(name, value);
  core.info(`output ${name}: ${value.includes('\n') ? value.replaceAll('\n', ', ') : value}`);
}
