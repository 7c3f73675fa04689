// Entry point of actions/build-sign: the runner executes the bundle of this file.
import { run } from './main.ts';

await run();
