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
  | 'NOT_VERIFIED'
  | 'UNSIGNED_RESTRICTION'
  | 'PLATFORM_NOT_VERIFIED';

/**
 * A promotion refused by policy or by a safety rule, before anything was written: the policy is
 * invalid or names no such environment (`POLICY_INVALID`, `UNKNOWN_ENVIRONMENT`), the move is not
 * allowed (`TRANSITION_REFUSED`), a tag would move a protected or existing tag (`PROTECTED_TAG`,
 * `TAG_EXISTS`), matches none of the environment's `tags` patterns (`TAG_NOT_ALLOWED`) or is no
 * valid tag (`INVALID_TAG`), the source tag does not exist (`SOURCE_NOT_FOUND`), the digest was
 * not verified (`NOT_VERIFIED`), `platforms` would make a new index nobody signed in a verified
 * promotion (`UNSIGNED_RESTRICTION`), or the one platform manifest they pick does not verify by
 * itself (`PLATFORM_NOT_VERIFIED`, the verification error as its cause).
 */
export class PromoteError extends ReleaseError<PromoteErrorCode> {}
