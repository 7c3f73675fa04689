import { ReleaseError } from '../errors.ts';

export type VerifyErrorCode =
  /** The image (tag or digest) is not in the repository. */
  | 'IMAGE_NOT_FOUND'
  /** No signature at all in the formats searched. */
  | 'NO_SIGNATURE'
  /** A signature verifies, but its payload names another image digest. */
  | 'DIGEST_MISMATCH'
  /** A signature (or its payload) does not verify: altered bytes, or another key where the format carries no key id. */
  | 'SIGNATURE_INVALID'
  /** A signature or attestation that is not what it claims to be (not a simple-signing payload, not in-toto). */
  | 'PAYLOAD_INVALID'
  /** Signed by a key (or a kind of signer) the policy does not trust. */
  | 'UNTRUSTED_KEY'
  /** A certificate that does not chain to the trusted root's Fulcio CA (or lacks CT evidence). */
  | 'CERTIFICATE_UNTRUSTED'
  /** The certificate's subject alternative name does not match the required identity. */
  | 'IDENTITY_MISMATCH'
  /** The certificate's OIDC issuer does not match the required issuer. */
  | 'ISSUER_MISMATCH'
  /** The certificate was not valid at the time that counts (the log's integrated time, or now without log evidence). */
  | 'CERTIFICATE_EXPIRED'
  /** A keyless signature without transparency-log evidence that verifies against the trusted root. */
  | 'NO_TLOG_EVIDENCE'
  /** A required attestation (predicate type) is not there, or none of its kind verifies. */
  | 'ATTESTATION_MISSING'
  /** An attestation that verifies but is about another digest. */
  | 'ATTESTATION_SUBJECT_MISMATCH'
  /** Provenance that verifies but whose claims (source repository, ref, builder) differ from the pins. */
  | 'PROVENANCE_MISMATCH'
  /** The tag now points at another digest than the expected one. */
  | 'TAG_MOVED'
  /** The image given by digest is not the expected digest. */
  | 'UNEXPECTED_DIGEST'
  /** The trusted root could not be had (TUF) or does not parse. */
  | 'TRUST_ROOT_UNAVAILABLE'
  /** The registry failed or could not be reached (after retries): never counted as verified. */
  | 'REGISTRY_ERROR'
  /**
   * A stored signature, attestation or bundle layer is larger than the 16 MiB read into memory
   * (OciError BLOB_TOO_LARGE): refused unread, as a bad candidate, never as a registry fault.
   */
  | 'BLOB_TOO_LARGE'
  /** A policy that cannot be applied (no trust given, an invalid pattern…). */
  | 'POLICY_INVALID';

/**
 * Everything verification throws on purpose. Branch on `code`, never on the wording. `digest`
 * holds the image digest when it was known; `failures` the reason each candidate signature or
 * attestation was refused, when several were looked at.
 */
export class VerifyError extends ReleaseError<VerifyErrorCode> {
  digest: string | undefined;
  failures: readonly CandidateFailure[];

  constructor(
    code: VerifyErrorCode,
    message: string,
    options: { cause?: unknown; digest?: string; failures?: readonly CandidateFailure[] } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.digest = options.digest;
    this.failures = options.failures ?? [];
  }
}

/** Why one stored signature or attestation was refused. */
export interface CandidateFailure {
  /** Whether it was stored as a signature or as an attestation (see `CandidateRole`). */
  role: 'signature' | 'attestation';
  /** Where it was found, e.g. `localhost:5000/app:sha256-….sig` layer 1, or a referrer digest. */
  location: string;
  format: 'legacy' | 'bundle';
  /** The predicate type its storage claims, for attestations that say. */
  predicateTypeHint?: string;
  code: VerifyErrorCode;
  message: string;
}
