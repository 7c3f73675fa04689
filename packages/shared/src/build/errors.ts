import { ReleaseError } from '../errors.ts';

export type BuildErrorCode =
  /** The builder's program is not installed (not on PATH). */
  | 'TOOL_NOT_FOUND'
  /** The build command failed. */
  | 'BUILD_FAILED'
  /** The push command failed. */
  | 'PUSH_FAILED'
  /** A registry login failed. */
  | 'LOGIN_FAILED'
  /** buildx's metadata file is missing, not JSON, or holds no manifest digest. */
  | 'METADATA_INVALID'
  /** buildah's digest file does not hold a digest. */
  | 'DIGEST_INVALID'
  /** The image to sign (builder none) is not in the registry. */
  | 'IMAGE_NOT_FOUND'
  /** A request the builder cannot carry out (e.g. credentials it cannot use). */
  | 'UNSUPPORTED';

/** Errors of the builders; branch on `code`. */
export class BuildError extends ReleaseError<BuildErrorCode> {}
