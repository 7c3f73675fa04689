/**
 * What the canary run is wired from: the verifier for the canary and the previous image (the same
 * trust, the same code as verify-image), the traffic adapter the inputs name, the metric sources,
 * and user commands run through the runner's exec.
 */
import { createRegistryClient, sameLogin, type ActionRun } from '@release-actions/action-kit';
import { HttpClient, type Logger } from '@release-actions/shared';
import type { ExecFn } from '@release-actions/shared/build';
import {
  CommandTraffic,
  createLoadSource,
  createPrometheusSource,
  HaproxyTraffic,
  NginxTraffic,
  runShellChecked,
  type MetricSource,
  type TrafficAdapter,
} from '@release-actions/shared/canary';
import { openImage, type ImageReference } from '@release-actions/shared/oci';
import { verifyImage, type VerificationResult } from '@release-actions/shared/verify';
import type { Inputs } from './context.ts';

/** Verifies images (given by digest) with the trust inputs, from a registry or an OCI layout. */
export function imageStores(
  inputs: Inputs,
  run: ActionRun,
): { verify: (ref: ImageReference) => Promise<VerificationResult> } {
  const registries = [inputs.image, inputs['previous-image']].flatMap((r) =>
    r?.kind === 'registry' ? [r.registry] : [],
  );
  const client = createRegistryClient({
    credentials: sameLogin(registries, inputs.username, inputs.password),
    githubToken: inputs['github-token'],
    insecureRegistries: inputs['insecure-registries'],
    logger: run.logger,
  });
  run.defer(() => client.http.close());
  return {
    verify: async (ref) =>
      verifyImage({
        store: (await openImage(client, ref)).store,
        digest: ref.digest!,
        policy: inputs.trust,
        logger: run.logger,
      }),
  };
}

/** Runs a user's shell line (`promote-command`, `rollback-command`) with `env` added; COMMAND_FAILED on a non-zero exit. */
export async function shell(
  exec: ExecFn,
  what: string,
  line: string,
  env: Record<string, string>,
): Promise<void> {
  await runShellChecked({ exec, line, env, what, code: 'COMMAND_FAILED' }, what);
}

export function trafficAdapter(inputs: Inputs, canary: string, exec: ExecFn, logger: Logger): TrafficAdapter {
  const t = inputs.traffic;
  switch (t.kind) {
    case 'haproxy':
      return new HaproxyTraffic({
        socket: t.socket,
        backend: t.backend,
        canaryServer: t.canaryServer,
        stableServer: t.stableServer,
        logger,
      });
    case 'nginx':
      return new NginxTraffic({
        configFile: t.configFile,
        upstream: t.upstream,
        canaryServer: t.canaryServer,
        stableServer: t.stableServer,
        testCommand: t.testCommand,
        reloadCommand: t.reloadCommand,
        ...(t.pidFile && { pidFile: t.pidFile }),
        exec,
        logger,
      });
    case 'command':
      return new CommandTraffic({ command: t.command, env: { CANARY_IMAGE: canary }, exec, logger });
  }
}

export function metricSources(inputs: Inputs, canary: string, run: ActionRun): MetricSource[] {
  const sources: MetricSource[] = [];
  if (inputs.load)
    sources.push(
      createLoadSource({
        urls: inputs.load.urls,
        rate: inputs.load.rate,
        maxErrorRate: inputs.load.maxErrorRate,
        maxP95Ms: inputs.load.maxP95Ms,
        minRequests: inputs.load.minRequests,
        ...(inputs.load.compare === 'mann-whitney' && {
          baselineUrls: inputs.load.baselineUrls,
          compare: inputs.load.compare,
        }),
        logger: run.logger,
      }),
    );
  if (inputs.prometheus) {
    const http = new HttpClient({ logger: run.logger });
    run.defer(() => http.close());
    sources.push(
      createPrometheusSource({
        url: inputs.prometheus.url,
        metrics: inputs.prometheus.metrics,
        canary: canary.slice(canary.indexOf('@') + 1),
        http,
        logger: run.logger,
      }),
    );
  }
  return sources;
}
