/**
 * HTTP probes: exact attempt counting, consecutive passes, deadlines, status/body/JSON/latency
 * expectations and latency statistics. Runner-agnostic: used by actions/health-check and, for its
 * analysis, actions/canary.
 */
export * from './errors.ts';
export * from './status.ts';
export * from './json-path.ts';
export * from './expectations.ts';
export * from './stats.ts';
export * from './failures.ts';
export * from './client.ts';
export * from './probe.ts';
