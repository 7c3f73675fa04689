// Entry point of actions/sbom: the runner executes the bundle of this file.
import { runAction } from '@release-actions/action-kit';
import { getInputs } from './context.ts';
import { main } from './main.ts';

await runAction({ name: 'sbom', getInputs, main });
