/**
 * The canary: a plan of traffic steps, the analysis loop that checks every metric once per window,
 * the traffic adapters that move the weight, the metric sources, rollback and notifications.
 * Runner-agnostic: actions/canary wires it to the runner.
 */
export * from './errors.ts';
export * from './types.ts';
export * from './plan.ts';
export * from './run.ts';
export * from './rollback.ts';
export * from './notify.ts';
export * from './traffic/haproxy.ts';
export * from './traffic/nginx.ts';
export * from './traffic/command.ts';
export { runShell, runShellChecked, type ShellOutcome, type ShellRun } from './traffic/shell.ts';
export * from './analysis/mann-whitney.ts';
export * from './analysis/binomial.ts';
export * from './analysis/load.ts';
export * from './analysis/prometheus.ts';
