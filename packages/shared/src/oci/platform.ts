/**
 * Platforms as users write them (`linux/amd64`, `linux/arm64/v8`) and the restriction of an image
 * index to some of them.
 */
import { digestOf } from './digest.ts';
import { OciError } from './errors.ts';
import { isIndex, type ImageIndex, type ManifestData, type Platform } from './types.ts';

/** Parses `os/arch[/variant]`; the error names the value and the expected form. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/i.test(p))) {
    throw new OciError(
      'UNSUPPORTED',
      `invalid platform "${text}": use os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm64/v8`,
    );
  }
  const [os, architecture, variant] = parts as [string, string, string?];
  return { os, architecture, ...(variant !== undefined && { variant }) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Whether `actual` is one of `wanted` (a wanted platform without variant matches any variant). */
export function platformMatches(actual: Platform | undefined, wanted: readonly Platform[]): boolean {
  if (!actual) return false;
  return wanted.some(
    (w) =>
      w.os === actual.os &&
      w.architecture === actual.architecture &&
      (w.variant === undefined || w.variant === actual.variant),
  );
}

/**
 * An index holding only the manifests for `platforms`, as new bytes (hence a new digest), or the
 * index itself when every entry is wanted. Throws when no entry matches.
 */
export function restrictIndex(data: ManifestData, platforms: readonly Platform[]): ManifestData {
  if (!isIndex(data.manifest)) return data;
  const kept = data.manifest.manifests.filter((d) => platformMatches(d.platform, platforms));
  if (kept.length === 0) {
    const available = data.manifest.manifests
      .map((d) => (d.platform ? formatPlatform(d.platform) : 'unknown'))
      .join(', ');
    throw new OciError(
      'UNSUPPORTED',
      `no manifest of ${data.descriptor.digest} is for ${platforms.map(formatPlatform).join(', ')}; it has ${available}`,
    );
  }
  if (kept.length === data.manifest.manifests.length) return data;
  const manifest: ImageIndex = { ...data.manifest, manifests: kept };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return {
    descriptor: { mediaType: data.descriptor.mediaType, digest: digestOf(bytes), size: bytes.length },
    bytes,
    manifest,
  };
}
