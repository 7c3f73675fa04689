/**
 * The sbom action run as the runner runs it (see ../action-runner.ts), with `GITHUB_JOB` set and
 * no ACTIONS_RUNTIME_TOKEN (an artifact upload fails as it would outside a runner); the run's
 * directory is kept for the files the action writes there until `dispose`.
 */
import { distOf, runAction as run, type ActionRun } from '../action-runner.ts';

export type { ActionRun } from '../action-runner.ts';

export const DIST = distOf('sbom');

export function runAction(
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<ActionRun> {
  return run(DIST, inputs, { env: { GITHUB_JOB: 'sbom', ...extraEnv }, keepDir: true, timeoutMs: 90_000 });
}
