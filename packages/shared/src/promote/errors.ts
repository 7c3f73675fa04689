import { ReleaseError } from '../errors.ts';

export type PromoteErrorCode =
  | 'POLICY_INVALID'
  | 'UNKNOWN_ENVIRONMENT'
  | 'TRANSITION_REFUSED'
  | 'PROTECTED_TAG'
  | 'TAG_EXISTS'
  | 'TAG_NOT_ALLOWED'
  | 'INVALID_TAG'
  | 'SOURCE_NOT_FOUND'
  | 'NOT_VERIFIED';

/**
 * A promotion refused by policy or by a safety rule, before anything was written: the policy is
 * invalid or names no such environment (`POLICY_INVALID`, `UNKNOWN_ENVIRONMENT`), the move is not
 * allowed (`TRANSITION_REFUSED`), a tag would move a protected or existing tag (`PROTECTED_TAG`,
 * `TAG_EXISTS`), matches none of the environment's `tags` patterns (`TAG_NOT_ALLOWED`) or is no
 * valid tag (`INVALID_TAG`), the source tag does not exist (`SOURCE_NOT_FOUND`), or the digest was
 * not verified (`NOT_VERIFIED`).
 */
export class PromoteError extends ReleaseError<PromoteErrorCode> {}
