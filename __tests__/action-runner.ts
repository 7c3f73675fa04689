/** The one action runner lives in the shared testing harnesses; the suites import it from here. */
export {
  distOf,
  parseOutputFile,
  runAction,
  type ActionRunResult as ActionRun,
  type ActionRunOptions as RunOptions,
} from '../packages/shared/src/testing/action-runner.ts';
