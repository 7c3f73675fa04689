// Entry point of actions/verify-image: the runner executes the bundle of this file.
import { run } from './main.ts';

await run();
