import { ReleaseError } from '../errors.ts';

export type PromoteErrorCode =
  | 'POLICY_INVALID'
  | 'UNKNOWN_ENVIRONMENT'
  | 'TRANSITION_REFUSED'
  | 'PROTECTED_TAG'
  | 'TAG_EXISTS'
  | 'TAG_NOT_ALLOWED'
  | 'NOT_VERIFIED';

/** A promotion refused by policy or by a safety rule, before anything was written. */
export class PromoteError extends ReleaseError<PromoteErrorCode> {}
