import { ReleaseError } from '../errors.ts';

export type SignErrorCode =
  /** The password does not open the encrypted key (or the key file was altered). */
  | 'WRONG_PASSWORD'
  /** An encrypted key was given without a password. */
  | 'PASSWORD_REQUIRED'
  /** A key, PEM block or encrypted-key document that does not parse. */
  | 'KEY_INVALID'
  /** A well-formed key of a kind we do not sign with (only ECDSA P-256 is supported). */
  | 'KEY_UNSUPPORTED'
  /**
   * A key input holds a key reference cosign resolves elsewhere (KMS `awskms://`, `gcpkms://`,
   * `azurekms://`, `hashivault://`, or `k8s://`, `gitlab://`, `pkcs11:`, `env://`, a URL): not
   * supported yet.
   */
  | 'KEY_REFERENCE_UNSUPPORTED'
  /** A key input names a file that cannot be read. */
  | 'KEY_FILE_UNREADABLE'
  /** `writeKeyPair` would overwrite an existing key file. */
  | 'KEY_EXISTS'
  /** A payload, envelope, statement or bundle that is not what it claims to be. */
  | 'PAYLOAD_INVALID'
  /** A signature that does not verify. */
  | 'SIGNATURE_INVALID'
  /** The job may not request an OIDC token (missing `permissions: id-token: write`). */
  | 'OIDC_PERMISSION'
  /** The OIDC token request failed or returned something unusable. */
  | 'OIDC_ERROR'
  /** Fulcio, Rekor or the timestamp authority refused or failed (sigstore-js error in `cause`). */
  | 'SIGSTORE_ERROR'
  /** The GitHub context lacks what SLSA provenance needs. */
  | 'PROVENANCE_CONTEXT'
  /** A cosign signature or attestation image would exceed cosign's 1000-layer limit. */
  | 'TOO_MANY_LAYERS';

/** Everything the signing core throws on purpose. Branch on `code`, never on the wording. */
export class SignError extends ReleaseError<SignErrorCode> {}
