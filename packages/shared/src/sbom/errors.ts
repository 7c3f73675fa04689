import { ReleaseError } from '../errors.ts';

export type SbomErrorCode =
  /** The options name no image, layout or directory, or more than one. */
  | 'INVALID_OPTIONS'
  /** An index has no manifest for the platform asked for. */
  | 'NO_MATCHING_PLATFORM'
  /** The reference names something that is not a container image (an artifact, a config-less manifest). */
  | 'NOT_AN_IMAGE'
  /** A layer decompresses to more bytes than allowed (a decompression bomb, or a limit set too low). */
  | 'LAYER_TOO_LARGE'
  /** A layer is not a (compressed) tar archive we can read. */
  | 'LAYER_INVALID'
  /** A source directory does not exist or is not a directory. */
  | 'SOURCE_NOT_FOUND';

/** Everything the SBOM generator throws on purpose. Branch on `code`. */
export class SbomError extends ReleaseError<SbomErrorCode> {}
