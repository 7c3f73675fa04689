/**
 * The canary's plan: the traffic steps, how long each is analysed, the window length, and how many
 * failed checks a metric may have before the canary is rolled back. Parsers for the values users
 * write (`10,50,100`, `0.2%`); each throws a plain Error whose message says what would be valid, for
 * the action's input checker to attach the input's name.
 */
import { formatDuration } from '../github/inputs.ts';
import { CanaryError } from './errors.ts';

export interface CanaryPlan {
  /** The canary's share at each step, in percent: increasing, the last 100. */
  steps: number[];
  /** How long each step is analysed. */
  stepDurationMs: number;
  /** One window: every metric is checked once per window. */
  intervalMs: number;
  /** A metric may fail this many checks; one more rolls the canary back (0: the first failure does). */
  failureLimit: number;
}

/** `10,50,100` (or one per line): whole percentages, increasing, from 1, the last 100. */
export function parseSteps(text: string): number[] {
  const parts = text
    .split(/[\n,]/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const hint = 'give increasing percentages of traffic ending at 100, e.g. 10,50,100';
  if (parts.length === 0) throw new Error(`is empty: ${hint}`);
  const steps = parts.map((p) => {
    const value = p.endsWith('%') ? p.slice(0, -1) : p;
    if (!/^\d+$/.test(value)) throw new Error(`"${p}" is not a whole percentage: ${hint}`);
    const n = Number(value);
    if (n < 1 || n > 100) throw new Error(`${p} is out of range: each step is from 1 to 100`);
    return n;
  });
  for (let i = 1; i < steps.length; i++)
    if (steps[i]! <= steps[i - 1]!)
      throw new Error(`${steps[i]} does not increase on ${steps[i - 1]}: ${hint}`);
  if (steps.at(-1) !== 100) throw new Error(`ends at ${steps.at(-1)}, not 100: ${hint}`);
  return steps;
}

/** `0.2%`, `5%` or `0`: a percentage from 0 to 100, returned as the number of percent. */
export function parsePercent(text: string): number {
  const value = text.trim();
  const hint = 'use a percentage such as 0.2% or 5%';
  const m = /^(\d+(?:\.\d+)?)%$/.exec(value) ?? (value === '0' ? ['0', '0'] : null);
  if (!m) throw new Error(`"${value}" is not a percentage: ${hint}`);
  const n = Number(m[1]);
  if (n > 100) throw new Error(`${value} is over 100%`);
  return n;
}

/** Checks a plan as a whole: windows fit the steps. */
export function checkPlan(plan: CanaryPlan): CanaryPlan {
  if (plan.intervalMs <= 0) throw new CanaryError('INVALID_PLAN', 'the interval must be longer than 0');
  if (plan.stepDurationMs < plan.intervalMs)
    throw new CanaryError(
      'INVALID_PLAN',
      `step-duration ${formatDuration(plan.stepDurationMs)} is shorter than one interval (${formatDuration(plan.intervalMs)}): each step needs at least one window`,
    );
  if (!Number.isInteger(plan.failureLimit) || plan.failureLimit < 0)
    throw new CanaryError(
      'INVALID_PLAN',
      `failure-limit ${plan.failureLimit} is not a whole number of 0 or more`,
    );
  return plan;
}

/** Windows per step: whole intervals that fit the step's duration (a remainder is not analysed). */
export function windowsPerStep(plan: CanaryPlan): number {
  return Math.max(1, Math.floor(plan.stepDurationMs / plan.intervalMs));
}

/** A duration as Prometheus writes it in a range selector (`5s`, `1m30s`, `500ms`). */
export function promDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${Math.round(ms)}ms`;
  return formatDuration(ms);
}
