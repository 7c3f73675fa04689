/** The build-sign action run as the runner runs it (see ../action-runner.ts). */
import { distOf, runAction as run, type ActionRun, type RunOptions } from '../action-runner.ts';

export { parseOutputFile, type ActionRun } from '../action-runner.ts';

export const DIST = distOf('build-sign');

export function runAction(inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionRun> {
  return run(DIST, inputs, options);
}

/** The runner's GITHUB_* variables of a push to main of acme/app: what key-signed provenance is made from. */
export const GITHUB_RUN_ENV = {
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/release.yml@refs/heads/main',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_SHA: 'c27d339ee6075c1f744c5d4b200f7901aad2c369',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '1',
};
