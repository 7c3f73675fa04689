// Entry point of actions/health-check: the runner executes the bundle of this file.
import { runAction, runnerLogger } from '@release-actions/action-kit';
import { getInputs, secretHeaderValues } from './context.ts';
import { main } from './main.ts';
import { scrub } from './report.ts';

await runAction({
  name: 'health-check',
  getInputs,
  main,
  failureOutputs: { healthy: false },
  // A server may echo a secret header back in a form the runner's masks do not match.
  logger: (inputs) => runnerLogger((m) => scrub(m, secretHeaderValues(inputs.headers))),
});
