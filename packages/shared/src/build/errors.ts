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
  /** The image to sign (builder none), or assemble's base image, is not there. */
  | 'IMAGE_NOT_FOUND'
  /** A request the builder cannot carry out (e.g. credentials it cannot use). */
  | 'UNSUPPORTED'
  /** assemble: a `files` line that is not `<source>=<absolute path in the image>`, or a source outside the context. */
  | 'FILES_INVALID'
  /** assemble: a `files` source that is not in the context. */
  | 'SOURCE_MISSING'
  /** assemble: a source holding what a layer cannot carry (a socket, a FIFO, a device). */
  | 'SOURCE_UNSUPPORTED'
  /** assemble: a source file that changed while it was read into a layer. */
  | 'SOURCE_CHANGED'
  /** assemble: a worker thread gzipping a layer failed or exited (a fault of build-sign). */
  | 'LAYER_GZIP_FAILED'
  /** assemble: an entrypoint or cmd that is neither a JSON array of strings nor one argument per line. */
  | 'ARGS_INVALID'
  /** assemble: an env line that is not `NAME=value`. */
  | 'ENV_INVALID'
  /** assemble: an exposed port that is not `<port>[/tcp|udp|sctp]`. */
  | 'PORT_INVALID'
  /** assemble: a workdir that is not absolute, or a user that is not `user[:group]`. */
  | 'CONFIG_INVALID'
  /** assemble: a file owner that is not `uid:gid`. */
  | 'OWNER_INVALID'
  /** assemble: a source date epoch that is not whole seconds in tar's range. */
  | 'EPOCH_INVALID'
  /** assemble: a base that is no image (an artifact, an index without images) or platforms it cannot give. */
  | 'BASE_INVALID';

/** Errors of the builders; branch on `code`. */
export class BuildError extends ReleaseError<BuildErrorCode> {}
