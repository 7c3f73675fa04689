/**
 * Bundle verification through `@sigstore/verify`, the reference implementation: with a public key
 * (key-signed bundles), or against a trusted root with an expected certificate identity (keyless).
 * Failures are SIGNATURE_INVALID with sigstore-js's error as `cause` (its code in the message).
 */
import type { KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  toSignedEntity,
  toTrustMaterial,
  Verifier,
  type Signer,
  type VerificationPolicy,
} from '@sigstore/verify';
import { errorMessage } from '../errors.ts';
import { SignError } from './errors.ts';

const EMPTY_ROOT: TrustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot.v0.2+json',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

export interface BundleVerifyOptions {
  /** The signed bytes, for message-signature bundles (DSSE bundles carry their payload). */
  artifact?: Buffer;
  /** Transparency-log entries required (they are checked against `trustedRoot`). Default 0 with a key, 1 keyless. */
  tlogThreshold?: number;
  /** Timestamps required (RFC 3161 or from the log). Default 0 with a key, 1 keyless. */
  timestampThreshold?: number;
}

function run(verify: () => Signer): Signer {
  try {
    return verify();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new SignError(
      'SIGNATURE_INVALID',
      `the bundle does not verify${typeof code === 'string' ? ` (${code})` : ''}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** Verifies a key-signed bundle with the public key (and, when given, against `trustedRoot`'s logs). */
export function verifyBundleWithKey(
  bundle: Bundle,
  publicKey: KeyObject,
  options: BundleVerifyOptions & { trustedRoot?: TrustedRoot } = {},
): Signer {
  const material = toTrustMaterial(options.trustedRoot ?? EMPTY_ROOT, () => ({
    publicKey,
    validFor: () => true,
  }));
  const verifier = new Verifier(material, {
    tlogThreshold: options.tlogThreshold ?? 0,
    ctlogThreshold: 0,
    timestampThreshold: options.timestampThreshold ?? 0,
  });
  return run(() => verifier.verify(toSignedEntity(bundle, options.artifact)));
}

/** The certificate identity a keyless bundle must carry. */
export interface CertificateIdentity {
  /** The SAN: exact string, or a RegExp (e.g. the workflow URL at any tag). */
  subjectAlternativeName: string | RegExp;
  /** The OIDC issuer, e.g. `https://token.actions.githubusercontent.com`. */
  issuer?: string;
}

/** Verifies a keyless bundle against a trusted root (Fulcio CA, CT log, Rekor, TSA) and an identity. */
export function verifyBundleKeyless(
  bundle: Bundle,
  trustedRoot: TrustedRoot,
  identity: CertificateIdentity,
  options: BundleVerifyOptions & { ctlogThreshold?: number } = {},
): Signer {
  const verifier = new Verifier(toTrustMaterial(trustedRoot), {
    tlogThreshold: options.tlogThreshold ?? 1,
    ctlogThreshold: options.ctlogThreshold ?? 1,
    timestampThreshold: options.timestampThreshold ?? 1,
  });
  const policy: VerificationPolicy = {
    subjectAlternativeName: identity.subjectAlternativeName,
    ...(identity.issuer && { extensions: { issuer: identity.issuer } }),
  };
  return run(() => verifier.verify(toSignedEntity(bundle, options.artifact), policy));
}
