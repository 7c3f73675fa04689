// Entry point of actions/health-check: the runner executes the bundle of this file.
import { run } from './main.ts';

await run();
