/** The digests builders report, checked before anything is signed. */
import { BuildError } from './errors.ts';

const SHA256 = /^sha256:[0-9a-f]{64}$/;

/** Whether `text` is a sha256 digest, the only algorithm registries and cosign use for manifests. */
export function isManifestDigest(text: unknown): text is string {
  return typeof text === 'string' && SHA256.test(text);
}

/**
 * The digest in buildah's `--digestfile` (the digest alone, perhaps with a trailing newline).
 * DIGEST_INVALID when it holds anything else.
 */
export function parseDigestFile(text: string): string {
  const digest: string = text.trim();
  if (!SHA256.test(digest))
    throw new BuildError(
      'DIGEST_INVALID',
      digest === ''
        ? 'buildah wrote an empty digest file: the push did not report a digest'
        : `buildah's digest file does not hold a sha256 digest: "${digest.slice(0, 100)}"`,
    );
  return digest;
}
