import { ReleaseError } from '../errors.ts';

export type OciErrorCode =
  | 'INVALID_REFERENCE'
  | 'INVALID_DIGEST'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'MANIFEST_TOO_LARGE'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'BLOB_UNKNOWN'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'CREDENTIALS'
  | 'REGISTRY_ERROR'
  | 'LAYOUT_ERROR'
  | 'UNSUPPORTED';

/** Everything the OCI layer throws on purpose. Branch on `code`. */
export class OciError extends ReleaseError<OciErrorCode> {}
