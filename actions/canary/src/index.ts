// Entry point of actions/canary: the runner executes the bundle of this file.
import { runAction } from '@release-actions/action-kit';
import { getInputs } from './context.ts';
import { main } from './main.ts';

await runAction({ name: 'canary', getInputs, main, failureOutputs: { result: 'failed' } });
