import { ReleaseError } from '../errors.ts';

/** Why one probe attempt failed. Tests and the `results` output branch on these. */
export type ProbeFailureCode =
  | 'CONNECTION_REFUSED'
  | 'CONNECTION_RESET'
  | 'TIMEOUT'
  | 'DEADLINE_EXCEEDED'
  | 'DNS_ERROR'
  | 'TLS_ERROR'
  | 'NETWORK_ERROR'
  | 'UNEXPECTED_STATUS'
  | 'BODY_MISMATCH'
  | 'JSON_MISMATCH'
  | 'TOO_SLOW'
  | 'CANCELLED';

/** Probe options that cannot work, found before any request. */
export type ProbeConfigCode = 'INVALID_STATUS_SPEC' | 'INVALID_JSON_PATH' | 'INVALID_PROBE_OPTIONS';

export type ProbeErrorCode = ProbeFailureCode | ProbeConfigCode;

/** Everything the probe engine throws or records on purpose. Branch on `code`. */
export class ProbeError extends ReleaseError<ProbeErrorCode> {}
