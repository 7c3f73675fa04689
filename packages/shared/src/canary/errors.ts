import { ReleaseError } from '../errors.ts';

export type CanaryErrorCode =
  /** Steps, durations or thresholds that cannot make a plan. */
  | 'INVALID_PLAN'
  /** The router refused or failed a weight change. */
  | 'TRAFFIC_ERROR'
  /** A metric source could not be asked (a Prometheus query refused, a bad query result). */
  | 'METRIC_ERROR'
  /** A user command (set-weight, rollback, promote) failed. */
  | 'COMMAND_FAILED'
  /** The previous image did not verify, so it was not redeployed. */
  | 'ROLLBACK_REFUSED'
  /** The canary failed its analysis and was rolled back. */
  | 'ROLLED_BACK';

/** Errors of the canary: plan, traffic, metrics, commands, rollback. */
export class CanaryError extends ReleaseError<CanaryErrorCode> {
  /** What to do about it, for the job summary. */
  readonly fix: string | undefined;

  constructor(code: CanaryErrorCode, message: string, options?: { cause?: unknown; fix?: string }) {
    super(code, message, options);
    this.fix = options?.fix;
  }
}
