/**
 * Runner-facing helpers that do not touch the runner: input parsing and validation, job-summary
 * formatting. Actions read inputs with `@actions/core` and hand the strings to these.
 */
export * from './dependency-snapshot.ts';
export * from './errors.ts';
export * from './inputs.ts';
export * from './summary.ts';
