/** The build-sign action run as the runner runs it (see ../action-runner.ts). */
import { distOf, runAction as run, type ActionRun, type RunOptions } from '../action-runner.ts';

export { parseOutputFile, type ActionRun } from '../action-runner.ts';

export const DIST = distOf('build-sign');

export function runAction(inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionRun> {
  return run(DIST, inputs, options);
}
