/**
 * From a Package URL to the package as OSV names it: ecosystem (spelled as in the OSV schema's
 * `ecosystems.json`, with the release suffix OSV uses), name and version. The purl types and
 * distribution suffixes follow osv-scanner's `internal/utility/purl/purl_to_package.go` and
 * osv-scalibr's `purl/ecosystem/ecosystem.go` and `extractor/filesystem/os/ecosystem/ecosystem.go`;
 * the source-package qualifiers (`upstream`, `epoch`) are the ones syft writes.
 */
import { PackageURL } from 'packageurl-js';
import { compareCodePoints } from '../compare.ts';
import { ScanError } from './errors.ts';
import type { OsvPackageRef, ScanPackage } from './types.ts';

/** Debian codenames → release numbers (Debian's distro-info-data, as osv-scalibr maps them). */
const DEBIAN_CODENAMES: Record<string, string> = {
  buzz: '1.1',
  rex: '1.2',
  bo: '1.3',
  hamm: '2',
  slink: '2.1',
  potato: '2.2',
  woody: '3',
  sarge: '3.1',
  etch: '4',
  lenny: '5',
  squeeze: '6',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
};

/** Ubuntu codenames → `YY.MM[:LTS]`. */
const UBUNTU_CODENAMES: Record<string, string> = {
  precise: '12.04:LTS',
  trusty: '14.04:LTS',
  xenial: '16.04:LTS',
  bionic: '18.04:LTS',
  cosmic: '18.10',
  disco: '19.04',
  eoan: '19.10',
  focal: '20.04:LTS',
  groovy: '20.10',
  hirsute: '21.04',
  impish: '21.10',
  jammy: '22.04:LTS',
  kinetic: '22.10',
  lunar: '23.04',
  mantic: '23.10',
  noble: '24.04:LTS',
  oracular: '24.10',
  plucky: '25.04',
  questing: '25.10',
  resolute: '26.04:LTS',
};

/** Purl types whose OSV ecosystem does not depend on the namespace. */
const SIMPLE_TYPES: Record<string, string> = {
  npm: 'npm',
  pypi: 'PyPI',
  golang: 'Go',
  cargo: 'crates.io',
  gem: 'RubyGems',
  maven: 'Maven',
  composer: 'Packagist',
  nuget: 'NuGet',
  hex: 'Hex',
  pub: 'Pub',
  conan: 'ConanCenter',
  cran: 'CRAN',
  hackage: 'Hackage',
  swift: 'SwiftURL',
  github: 'GitHub Actions',
};

/** rpm purl namespaces → OSV ecosystem and how its release suffix is formed from `distro`. */
const RPM_VENDORS: Record<string, { ecosystem: string; suffix: 'major' | 'full' | 'none' }> = {
  redhat: { ecosystem: 'Red Hat', suffix: 'none' },
  rhel: { ecosystem: 'Red Hat', suffix: 'none' },
  almalinux: { ecosystem: 'AlmaLinux', suffix: 'major' },
  rocky: { ecosystem: 'Rocky Linux', suffix: 'major' },
  suse: { ecosystem: 'SUSE', suffix: 'none' },
  sles: { ecosystem: 'SUSE', suffix: 'none' },
  opensuse: { ecosystem: 'openSUSE', suffix: 'none' },
  mageia: { ecosystem: 'Mageia', suffix: 'full' },
  openeuler: { ecosystem: 'openEuler', suffix: 'none' },
};

/** The release part of a `distro` qualifier: `debian-12` → `12`, `alpine-3.19.1` → `3.19.1`. */
function distroRelease(distro: string | undefined): string | undefined {
  if (!distro) return undefined;
  const dash = distro.lastIndexOf('-');
  return (dash >= 0 ? distro.slice(dash + 1) : distro).trim() || undefined;
}

function debianSuffix(release: string): string | undefined {
  const mapped = DEBIAN_CODENAMES[release.toLowerCase()];
  if (mapped) return mapped;
  const major = /^(\d+)(?:\.\d+)*$/.exec(release);
  if (major) return Number(major[1]) >= 7 ? major[1] : release;
  return release.toLowerCase() === 'sid' ? 'sid' : undefined;
}

function ubuntuSuffix(release: string): string | undefined {
  const mapped = UBUNTU_CODENAMES[release.toLowerCase()];
  if (mapped) return mapped;
  const m = /^(\d{2})\.(\d{2})/.exec(release);
  if (!m) return undefined;
  // LTS releases are the April releases of even years.
  const lts = m[2] === '04' && Number(m[1]) % 2 === 0;
  return `${m[1]}.${m[2]}${lts ? ':LTS' : ''}`;
}

function alpineSuffix(release: string): string | undefined {
  const version = release.replace(/^[vV]/, '');
  if (version === 'edge') return 'edge';
  const m = /^(\d+)\.(\d+)/.exec(version);
  return m ? `v${m[1]}.${m[2]}` : undefined;
}

/** `name`, or the source-package part of an `upstream` qualifier (`glibc` or `glibc@2.36-9`). */
function sourceOf(upstream: string | undefined): { name?: string; version?: string } {
  if (!upstream) return {};
  const at = upstream.indexOf('@');
  return at >= 0 ? { name: upstream.slice(0, at), version: upstream.slice(at + 1) } : { name: upstream };
}

/** The source package name from a source RPM file name: `openssl-3.0.7-1.el9.src.rpm` → `openssl`. */
function srpmName(srpm: string | undefined): string | undefined {
  if (!srpm) return undefined;
  const m = /^(.+)-[^-]+-[^-]+\.(?:no)?src\.rpm$/.exec(srpm);
  return m?.[1];
}

/** Joins an ecosystem and its optional release suffix. */
function withSuffix(ecosystem: string, suffix: string | undefined): string {
  return suffix ? `${ecosystem}:${suffix}` : ecosystem;
}

/**
 * Maps a package to OSV's terms, or returns `undefined` when OSV has no ecosystem for its purl
 * type (a `generic` purl, a distribution OSV does not cover). Throws a `ScanError`
 * `INVALID_PURL` when the purl does not parse.
 */
export function toOsvPackage(pkg: ScanPackage): OsvPackageRef | undefined {
  let purl: PackageURL;
  try {
    purl = PackageURL.fromString(pkg.purl);
  } catch (err) {
    throw new ScanError(
      'INVALID_PURL',
      `package ${pkg.name}@${pkg.version}: "${pkg.purl}" is not a valid Package URL (pkg:type/namespace/name@version)`,
      { cause: err },
    );
  }
  const q = purl.qualifiers ?? {};
  const version = purl.version ?? pkg.version;
  const ns = purl.namespace ?? '';
  const release = distroRelease(q.distro);
  const ref = mapPurl(purl.type, ns, purl.name, version, q, release);
  if (!ref) return undefined;
  return pkg.ecosystem ? { ...ref, ecosystem: pkg.ecosystem } : ref;
}

function mapPurl(
  type: string,
  ns: string,
  name: string,
  version: string,
  q: Record<string, string>,
  release: string | undefined,
): OsvPackageRef | undefined {
  switch (type) {
    case 'deb': {
      const vendor = ns.toLowerCase() || (q.distro ?? '').toLowerCase().split('-')[0];
      const source = sourceOf(q.upstream);
      const base = { name: source.name ?? name, version: source.version ?? version };
      if (vendor === 'debian')
        return { ...base, ecosystem: withSuffix('Debian', release && debianSuffix(release)) };
      if (vendor === 'ubuntu')
        return { ...base, ecosystem: withSuffix('Ubuntu', release && ubuntuSuffix(release)) };
      return undefined;
    }
    case 'apk': {
      const vendor = ns.toLowerCase();
      const source = sourceOf(q.upstream);
      const base = { name: source.name ?? name, version };
      if (vendor === 'wolfi') return { ...base, ecosystem: 'Wolfi' };
      if (vendor === 'chainguard') return { ...base, ecosystem: 'Chainguard' };
      if (vendor === 'alpine')
        return { ...base, ecosystem: withSuffix('Alpine', release && alpineSuffix(release)) };
      return undefined;
    }
    case 'rpm': {
      const vendor = RPM_VENDORS[ns.toLowerCase()];
      if (!vendor) return undefined;
      const evr = q.epoch && !/^\d+:/.test(version) ? `${q.epoch}:${version}` : version;
      const suffix =
        vendor.suffix === 'major' ? release?.split('.')[0] : vendor.suffix === 'full' ? release : undefined;
      // Red Hat names binary or source RPMs; the others name source RPMs.
      const rpmName = vendor.ecosystem === 'Red Hat' ? name : (srpmName(q.upstream) ?? name);
      return { ecosystem: withSuffix(vendor.ecosystem, suffix), name: rpmName, version: evr };
    }
    case 'golang':
      // The Go toolchain and standard library are `stdlib` in OSV.
      return { ecosystem: 'Go', name: ns ? `${ns}/${name}` : name, version };
    case 'maven':
      return { ecosystem: 'Maven', name: ns ? `${ns}:${name}` : name, version };
    default: {
      const ecosystem = SIMPLE_TYPES[type];
      if (!ecosystem) return undefined;
      return { ecosystem, name: normalizeName(ecosystem, ns ? `${ns}/${name}` : name), version };
    }
  }
}

/**
 * The OSV ecosystems (base names, no release suffix: `Debian`, not `Debian:12`) of the packages
 * OSV covers, sorted and once each: the folders of OSV's export to fetch for them
 * (`<ecosystem>/all.zip`; a base folder holds every release's records). Throws like
 * {@link toOsvPackage} on a purl that does not parse.
 */
export function osvEcosystems(packages: readonly ScanPackage[]): string[] {
  const ecosystems = new Set<string>();
  for (const pkg of packages) {
    const ref = toOsvPackage(pkg);
    if (ref) ecosystems.add(baseEcosystem(ref.ecosystem));
  }
  return [...ecosystems].sort(compareCodePoints);
}

/**
 * A package name in the form used to compare names within an ecosystem: PyPI names are
 * normalised per PEP 503 (lowercase, runs of `-`, `_`, `.` to one `-`); other ecosystems compare
 * names exactly.
 */
export function normalizeName(ecosystem: string, name: string): string {
  if (baseEcosystem(ecosystem) === 'PyPI') return name.replace(/[-_.]+/g, '-').toLowerCase();
  return name;
}

/** The ecosystem before any `:` suffix: `Debian:12` → `Debian`. */
export function baseEcosystem(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return colon >= 0 ? ecosystem.slice(0, colon) : ecosystem;
}

/**
 * Whether two ecosystem strings denote the same ecosystem, as osv-scalibr's
 * `osvecosystem.Parsed.Equal` decides: the bases must be equal, and the suffixes too when both
 * have one (`Debian` matches `Debian:12`, `Debian:11` does not).
 */
export function ecosystemsMatch(a: string, b: string): boolean {
  const colonA = a.indexOf(':');
  const colonB = b.indexOf(':');
  if (colonA >= 0 && colonB >= 0) return a === b;
  return baseEcosystem(a) === baseEcosystem(b);
}
