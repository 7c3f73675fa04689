/**
 * The runner-side kit: the one place that turns the runner's protocol (`@actions/core`) into what the
 * shared library takes. Every action's `index.ts` calls {@link runAction}; `main.ts` stays the
 * readable orchestration of its phases.
 */
export * from './exec.ts';
export * from './logger.ts';
export * from './outputs.ts';
export * from './registry.ts';
export * from './run.ts';
