/**
 * What the canary run is wired from: the verifier for the canary and the previous image (the same
 * trust, the same code as verify-image), the traffic adapter the inputs name, the metric sources,
 * and user commands run through the runner's exec.
 */
import { createRegistryClient, sameLogin, type ActionRun } from '@release-actions/action-kit';
import { HttpClient, type Logger } from '@release-actions/shared';
import type { ExecFn } from '@release-actions/shared/build';
import {
  CanaryError,
  createCommandAdapter,
  createHaproxyAdapter,
  createLoadSource,
  createNginxAdapter,
  createPrometheusSource,
  type MetricSource,
  type TrafficAdapter,
} from '@release-actions/shared/canary';
import { LayoutStore, type ImageReference, type ImageStore } from '@release-actions/shared/oci';
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
  const open = async (ref: ImageReference): Promise<ImageStore> =>
    ref.kind === 'registry' ? client.repository(ref) : LayoutStore.open(ref.path);
  return {
    verify: async (ref) =>
      verifyImage({ store: await open(ref), digest: ref.digest!, policy: inputs.trust, logger: run.logger }),
  };
}

/** Runs a user's shell line with `env` added, failing with COMMAND_FAILED on a non-zero exit. */
export async function shell(exec: ExecFn, command: string, env: Record<string, string>): Promise<void> {
  const result = await exec({ command: 'sh', args: ['-c', command], env });
  if (result.exitCode !== 0)
    throw new CanaryError(
      'COMMAND_FAILED',
      `\`${command}\` exited ${result.exitCode}${result.stderr.trim() ? `: ${result.stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`,
    );
}

export function trafficAdapter(inputs: Inputs, exec: ExecFn, logger: Logger): TrafficAdapter {
  const t = inputs.traffic;
  switch (t.kind) {
    case 'haproxy':
      return createHaproxyAdapter({
        socket: t.socket,
        backend: t.backend,
        canaryServer: t.canaryServer,
        stableServer: t.stableServer,
        logger,
      });
    case 'nginx':
      return createNginxAdapter({
        configFile: t.configFile,
        upstream: t.upstream,
        canaryServer: t.canaryServer,
        stableServer: t.stableServer,
        testCommand: t.testCommand,
        reloadCommand: t.reloadCommand,
        exec,
        logger,
      });
    case 'command':
      return createCommandAdapter({ command: t.command, exec, logger });
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
        baselineUrls: inputs.load.baselineUrls,
        compare: inputs.load.compare,
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
