/**
 * Bundles checked with `@sigstore/verify`, the reference implementation, and nothing of ours: by a
 * public key (key-signed bundles, no witnesses required), or keyless against a trusted root with
 * an exact identity and issuer. Images are verified through `verifyImage`; these are for bundle
 * files and stored bundles on their own.
 */
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type Signer } from '@sigstore/verify';

const EMPTY_ROOT: TrustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

/** For `assert.throws`: the reference verifier refused the signature itself. */
export function refusedSignature(err: unknown): true {
  assert.equal((err as { code?: unknown }).code, 'SIGNATURE_ERROR', String(err));
  return true;
}

/** Throws unless `bundle` verifies with `publicKey` (`artifact`: the signed bytes of a message signature). */
export function referenceVerifyByKey(bundle: Bundle, publicKey: KeyObject, artifact?: Buffer): Signer {
  const material = toTrustMaterial(EMPTY_ROOT, () => ({ publicKey, validFor: () => true }));
  const verifier = new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  return verifier.verify(toSignedEntity(bundle, artifact));
}

/** Throws unless `bundle` verifies keylessly under `trustedRoot` for exactly this identity and issuer. */
export function referenceVerifyKeyless(
  bundle: Bundle,
  trustedRoot: TrustedRoot,
  expected: { identity: string | RegExp; issuer: string },
): Signer {
  const verifier = new Verifier(toTrustMaterial(trustedRoot), {
    tlogThreshold: 1,
    ctlogThreshold: 1,
    timestampThreshold: 1,
  });
  return verifier.verify(toSignedEntity(bundle), {
    subjectAlternativeName: expected.identity,
    extensions: { issuer: expected.issuer },
  });
}
