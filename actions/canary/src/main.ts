/**
 * actions/canary: verify the canary before it gets any traffic; shift traffic to it step by step
 * while every metric is checked once per window; on the first failure (beyond the failure limit)
 * put all traffic back on stable at once, redeploy the previous image only if it verifies, smoke-
 * test it; tell people (summary, webhook, issue); fail the step when it rolled back.
 */
import { runnerExec, type ActionRun } from '@release-actions/action-kit';
import {
  rollBack,
  runCanary,
  type CanaryNotice,
  type CanaryOutcome,
  type MetricSource,
  type RollbackReport,
} from '@release-actions/shared/canary';
import { formatDuration } from '@release-actions/shared/github';
import { formatReference } from '@release-actions/shared/oci';
import { createProbeClient, parseStatusSet, probeAll } from '@release-actions/shared/probe';
import type { Inputs } from './context.ts';
import { notify } from './notify.ts';
import { analysisJson, checkLines, writeSummary, type Report } from './report.ts';
import { imageStores, metricSources, shell, trafficAdapter } from './setup.ts';

export async function main(inputs: Inputs, run: ActionRun): Promise<void> {
  const { logger } = run;
  const exec = runnerExec();
  const stores = imageStores(inputs, run);

  // Trust first: an image that does not verify gets no traffic and no load.
  const verdict = await run.phase(`Verifying the canary ${inputs.imageText}`, () =>
    stores.verify(inputs.image),
  );
  const canary = verdict.image;

  const traffic = trafficAdapter(inputs, canary, exec, logger);
  run.defer(() => traffic.close?.());
  const report: Report = { inputs, canary, verdict, traffic: traffic.description };

  if (inputs.skip) {
    await run.phase(`Break-glass: canary straight to 100% (${inputs.skip.reason})`, () =>
      traffic.setWeight(100),
    );
    logger.warning(`analysis skipped: ${inputs.skip.reason}`);
    if (inputs['promote-command'])
      await run.phase('Running promote-command', () =>
        shell(exec, 'promote-command', inputs['promote-command'], { CANARY_IMAGE: canary }),
      );
    report.result = 'skipped';
    run.output('result', 'skipped');
    run.output('weight', 100);
    run.output('skip-reason', inputs.skip.reason);
    await finish(run, inputs, report, { result: 'skipped', image: canary, skipReason: inputs.skip.reason });
    return;
  }

  const sources: MetricSource[] = metricSources(inputs, canary, run);
  for (const s of sources) logger.info(`analysis: ${s.description}`);
  const outcome: CanaryOutcome = await run.phase(
    `Canary ${canary}: steps ${inputs.plan.steps.join('% → ')}%, ${formatDuration(inputs.plan.stepDurationMs)} each in ${formatDuration(inputs.plan.intervalMs)} windows`,
    () =>
      runCanary({
        plan: inputs.plan,
        traffic,
        sources,
        logger,
        signal: run.signal,
        onWindow: (w) =>
          logger.info(
            `step ${w.step} (${w.weight}%) window ${w.index}: ${checkLines(w.checks).join('; ') || 'no metrics'}`,
          ),
      }),
  );
  report.outcome = outcome;
  report.result = outcome.result;

  let rollback: RollbackReport | undefined;
  if (outcome.result === 'promoted') {
    if (inputs['promote-command'])
      await run.phase('Running promote-command', () =>
        shell(exec, 'promote-command', inputs['promote-command'], { CANARY_IMAGE: canary }),
      );
  } else {
    rollback = await run.phase('Rolling back', () =>
      rollBack({
        previousImage: inputs['previous-image'] && formatReference(inputs['previous-image']),
        verify: async () => void (await stores.verify(inputs['previous-image']!)),
        ...(inputs['rollback-command'] && {
          redeploy: (previous: string) =>
            shell(exec, 'rollback-command', inputs['rollback-command'], {
              PREVIOUS_IMAGE: previous,
              CANARY_IMAGE: canary,
            }),
        }),
        ...(inputs['smoke-url'].length > 0 && { smoke: () => smokeTest(inputs['smoke-url'], run) }),
        logger,
      }),
    );
    report.rollback = rollback;
  }

  run.output('result', outcome.result);
  run.output('weight', outcome.weight);
  run.output('rolled-back-to', rollback?.redeployed ? rollback.previousImage! : '');
  run.output('failed-check', outcome.failedCheck ?? '');
  run.output(
    'detected-after',
    outcome.detectedAfterMs === undefined ? '' : Math.round(outcome.detectedAfterMs),
  );
  run.output('analysis', JSON.stringify(analysisJson(outcome)));

  await finish(run, inputs, report, {
    result: outcome.result,
    image: canary,
    ...(outcome.failedCheck && { failedCheck: outcome.failedCheck }),
    ...(outcome.reason && { reason: outcome.reason }),
    ...(outcome.detectedAfterMs !== undefined && { detectedAfterMs: outcome.detectedAfterMs }),
    ...(rollback?.redeployed && { rolledBackTo: rollback.previousImage! }),
    ...(rollback?.verifyError && {
      rollbackRefused: `${rollback.previousImage} did not verify (${rollback.verifyError.code}): ${rollback.verifyError.message}`,
    }),
    figures: outcome.windows.at(-1) ? checkLines(outcome.windows.at(-1)!.checks) : [],
  });

  if (outcome.result === 'rolled-back') {
    const why = `canary rolled back: ${outcome.reason}`;
    const refused = rollback?.verifyError
      ? `; the previous image ${rollback.previousImage} was not redeployed because it does not verify (${rollback.verifyError.code})`
      : rollback?.redeployError
        ? `; rollback-command failed: ${rollback.redeployError}`
        : '';
    if (inputs['fail-on-rollback'] || refused) run.fail(`${why}${refused}`);
    else logger.warning(`${why} (fail-on-rollback is false, so the step passes)`);
  }
}

/** The summary, then the webhook and the issue (a notification that fails is a warning). */
async function finish(run: ActionRun, inputs: Inputs, report: Report, notice: CanaryNotice): Promise<void> {
  const full: CanaryNotice = {
    ...notice,
    ...(process.env.GITHUB_REPOSITORY && { repository: process.env.GITHUB_REPOSITORY }),
    ...(process.env.GITHUB_RUN_ID && {
      runUrl: `${process.env.GITHUB_SERVER_URL || 'https://github.com'}/${process.env.GITHUB_REPOSITORY}/actions/runs/${process.env.GITHUB_RUN_ID}`,
    }),
  };
  report.notifications = await run.phase('Notifying', () => notify(inputs, full, run.logger));
  await run.summary(() => writeSummary(report));
}

async function smokeTest(urls: string[], run: ActionRun): Promise<{ healthy: boolean; detail: string }> {
  const client = createProbeClient({ logger: run.logger });
  try {
    const results = await probeAll(
      urls,
      {
        method: 'GET',
        expect: { status: parseStatusSet('2xx') },
        timeoutMs: 5_000,
        maxAttempts: 5,
        consecutiveSuccesses: 1,
        retry: { intervalMs: 1_000, backoff: 'constant', maxIntervalMs: 1_000 },
        followRedirects: false,
      },
      { client, logger: run.logger, signal: run.signal },
    );
    const bad = results.filter((r) => !r.healthy);
    return {
      healthy: bad.length === 0,
      detail:
        bad.length === 0
          ? `${urls.length} URL(s) healthy`
          : `unhealthy: ${bad.map((r) => `${r.url} (${r.lastError?.code ?? r.status})`).join(', ')}`,
    };
  } finally {
    await client.close();
  }
}
