/**
 * Image verification (`@release-actions/shared/verify`): fail-closed checks that an image is
 * signed by the trusted keys or keyless identity, in cosign's legacy format or as Sigstore bundle
 * referrers, carries the required signed attestations about its digest, and is the expected
 * digest. See docs/verify-image.md.
 */
export * from './errors.ts';
export * from './policy.ts';
export * from './candidates.ts';
export * from './check.ts';
export * from './provenance.ts';
export * from './verify.ts';
export * from './inputs.ts';
export * from './sbom.ts';
