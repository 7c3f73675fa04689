import { ReleaseError } from '../errors.ts';

export type OciErrorCode =
  | 'INVALID_REFERENCE'
  | 'INVALID_DIGEST'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'MANIFEST_TOO_LARGE'
  /** A blob read into memory (a config, a signature layer) is larger than the reader's limit: refused, never a network fault. */
  | 'BLOB_TOO_LARGE'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'BLOB_UNKNOWN'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'CREDENTIALS'
  | 'REGISTRY_ERROR'
  | 'LAYOUT_ERROR'
  /** A platform that is not `os/arch[/variant]`. */
  | 'INVALID_PLATFORM'
  /** An image or index has no manifest for the platform asked for (the message lists those it has). */
  | 'PLATFORM_NOT_FOUND'
  | 'UNSUPPORTED';

/** Everything the OCI layer throws on purpose. Branch on `code`. */
export class OciError extends ReleaseError<OciErrorCode> {}
