/**
 * The signing core (`@release-actions/shared/sign`): cosign-compatible keys, legacy signatures
 * and attestations, DSSE, SLSA provenance, and Sigstore bundles (key-based or keyless through
 * sigstore-js) pushed as OCI 1.1 referrers, attached one way (attach.ts). Verifying is
 * `verifyImage` (`@release-actions/shared/verify`). See docs/signing.md.
 */
export * from './errors.ts';
export * from './keys.ts';
export * from './key-input.ts';
export * from './go-json.ts';
export * from './simple-signing.ts';
export * from './signer.ts';
export * from './legacy.ts';
export * from './dsse.ts';
export * from './attestation.ts';
export * from './provenance.ts';
export * from './bundle.ts';
export * from './oidc.ts';
export * from './keyless.ts';
export * from './attach.ts';
export * from './image.ts';
