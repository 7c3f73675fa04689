/** The health-check action run as the runner runs it (see ../action-runner.ts). */
import { distOf, runAction as run, type ActionRun } from '../action-runner.ts';

export { parseOutputFile, type ActionRun } from '../action-runner.ts';

export const DIST = distOf('health-check');

export function runAction(inputs: Record<string, string>): Promise<ActionRun> {
  return run(DIST, inputs);
}
