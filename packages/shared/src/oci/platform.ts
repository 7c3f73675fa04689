/**
 * The one platform type of release-actions: parsing what users write (`linux/amd64`,
 * `linux/arm64/v8`), formatting, matching an image's platform against wanted ones, and picking or
 * keeping the manifests of an index for some platforms.
 *
 * Matching normalises both sides as containerd's `platforms` package does (case, `aarch64` and
 * `x86_64` aliases, `arm64` ≡ `arm64/v8`, `amd64` ≡ `amd64/v1`, `arm` ≡ `arm/v7`), and a wanted
 * platform written without a variant matches any variant of its architecture, as
 * go-containerregistry's `Platform.Satisfies` does. Parsing keeps what the user wrote, so that
 * `formatPlatform(parsePlatform(text)) === text` for any valid `text`.
 */
import { digestOf } from './digest.ts';
import { OciError } from './errors.ts';
import { isIndex, type Descriptor, type ImageIndex, type ManifestData, type Platform } from './types.ts';

const PART = /^[a-z0-9._-]+$/i;

/**
 * Parses `os/arch[/variant]`. Throws INVALID_PLATFORM naming the value and the expected form; the
 * message starts with the value, so callers can prefix the input's name.
 */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !PART.test(p))) {
    throw new OciError(
      'INVALID_PLATFORM',
      `"${text}" is not a platform: use os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm64/v8`,
    );
  }
  const [os, architecture, variant] = parts as [string, string, string?];
  return { os, architecture, ...(variant !== undefined && { variant }) };
}

/** `os/arch[/variant]`; a part an image config leaves out is shown as `unknown`. */
export function formatPlatform(p: Partial<Platform>): string {
  return [p.os || 'unknown', p.architecture || 'unknown', p.variant].filter(Boolean).join('/');
}

/**
 * The canonical form of a platform (containerd's `platforms.Normalize`): lower case, `macos` →
 * `darwin`, `x86_64`/`x86-64` → `amd64` (variant `v1` dropped), `aarch64` → `arm64` (variant
 * `8`/`v8`/`v8.0` dropped, `9`/`9.0`/`v9.0` → `v9`), `i386` → `386`, `armhf` → `arm/v7`,
 * `armel` → `arm/v6`, `arm` → `arm/v7` unless a variant is given (`5`, `6`, `8` gain their `v`).
 * Other fields are left out: matching looks at os, architecture and variant only.
 */
export function normalizePlatform(p: Pick<Platform, 'os' | 'architecture' | 'variant'>): Platform {
  let os = p.os.toLowerCase();
  if (os === 'macos') os = 'darwin';
  let architecture = p.architecture.toLowerCase();
  let variant = (p.variant ?? '').toLowerCase();
  switch (architecture) {
    case 'i386':
      architecture = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      architecture = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      architecture = 'arm64';
      if (variant === '8' || variant === 'v8' || variant === 'v8.0') variant = '';
      else if (variant === '9' || variant === '9.0' || variant === 'v9.0') variant = 'v9';
      break;
    case 'armhf':
      architecture = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      architecture = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      else if (variant === '5' || variant === '6' || variant === '8') variant = `v${variant}`;
      break;
  }
  return { os, architecture, ...(variant !== '' && { variant }) };
}

/**
 * Whether `actual` (an index entry's or image config's platform) is one of `wanted`: the same
 * os, architecture and variant once both are normalised, any variant when the wanted platform
 * names none. An unknown `actual` matches nothing.
 */
export function platformMatches(
  actual: Partial<Platform> | undefined,
  wanted: Platform | readonly Platform[],
): boolean {
  if (!actual?.os || !actual.architecture) return false;
  const have = normalizePlatform(actual as Platform);
  const list: readonly Platform[] = Array.isArray(wanted) ? wanted : [wanted as Platform];
  return list.some((w) => {
    const want = normalizePlatform(w);
    if (want.os !== have.os || want.architecture !== have.architecture) return false;
    return w.variant === undefined || want.variant === have.variant;
  });
}

/** The platforms an index's entries are for, formatted, e.g. `linux/amd64, linux/arm64/v8` (or `none`). */
export function describePlatforms(entries: readonly Pick<Descriptor, 'platform'>[]): string {
  return entries.map((d) => formatPlatform(d.platform ?? {})).join(', ') || 'none';
}

/** The error for platforms an image or index does not have; `available` is what it has, formatted. */
export function platformNotFound(what: string, wanted: readonly Platform[], available: string): OciError {
  return new OciError(
    'PLATFORM_NOT_FOUND',
    `${what} has no image for ${wanted.map(formatPlatform).join(', ')}; it has ${available}: ask for one of those`,
  );
}

/** The first entry of `index` for `wanted`, or PLATFORM_NOT_FOUND listing the platforms it has. */
export function selectPlatform(index: ImageIndex, wanted: Platform, what: string): Descriptor {
  const match = index.manifests.find((d) => platformMatches(d.platform, wanted));
  if (!match) throw platformNotFound(what, [wanted], describePlatforms(index.manifests));
  return match;
}

/**
 * An index holding only the manifests for `platforms`, as new bytes (hence a new digest), or the
 * index itself when every entry is wanted (or `data` is no index). Throws PLATFORM_NOT_FOUND,
 * listing the platforms the index has, when no entry matches.
 */
export function restrictIndex(data: ManifestData, platforms: readonly Platform[]): ManifestData {
  if (!isIndex(data.manifest)) return data;
  const kept = data.manifest.manifests.filter((d) => platformMatches(d.platform, platforms));
  if (kept.length === 0)
    throw platformNotFound(data.descriptor.digest, platforms, describePlatforms(data.manifest.manifests));
  if (kept.length === data.manifest.manifests.length) return data;
  const manifest: ImageIndex = { ...data.manifest, manifests: kept };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return {
    descriptor: { mediaType: data.descriptor.mediaType, digest: digestOf(bytes), size: bytes.length },
    bytes,
    manifest,
  };
}
