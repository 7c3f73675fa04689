/**
 * The signing core (`@release-actions/shared/sign`): cosign-compatible keys, legacy signatures
 * and attestations, DSSE, SLSA provenance, and Sigstore bundles (key-based or keyless through
 * sigstore-js) pushed as OCI 1.1 referrers. See docs/signing.md.
 */
export * from './errors.ts';
export * from './keys.ts';
