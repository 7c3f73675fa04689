// Entry point of actions/promote: the runner executes the bundle of this file.
import { run } from './main.ts';

await run();
