/**
 * Version ordering per OSV ecosystem: which comparator orders the versions of an ecosystem's
 * packages, following the ecosystem definitions of the OSV schema (`ecosystems.json`) and the
 * choices of osv-scalibr's `semantic/parse.go` for the ecosystems supported here.
 */
import { compareApk } from './apk.ts';
import { compareDpkg } from './dpkg.ts';
import { compareGo } from './go.ts';
import { compareMaven } from './maven.ts';
import { comparePep440 } from './pep440.ts';
import { compareRpm } from './rpm.ts';
import { compareSemver } from './semver.ts';

export { compareApk, isValidApkVersion } from './apk.ts';
export { compareDpkg, parseDpkgVersion } from './dpkg.ts';
export { compareGo, normalizeGoVersion } from './go.ts';
export { compareMaven } from './maven.ts';
export { comparePep440 } from './pep440.ts';
export { compareRpm, parseEvr, rpmvercmp } from './rpm.ts';
export { compareSemver, parseSemver } from './semver.ts';

/** Orders two versions of one ecosystem: negative, zero or positive. May throw a `RangeError` on a version it cannot read. */
export type VersionComparator = (a: string, b: string) => number;

/** The name of an ordering, for messages and documentation. */
export type VersionScheme = 'dpkg' | 'apk' | 'rpm' | 'semver' | 'pep440' | 'go' | 'maven';

const SCHEMES: Record<VersionScheme, VersionComparator> = {
  dpkg: compareDpkg,
  apk: compareApk,
  rpm: compareRpm,
  semver: compareSemver,
  pep440: comparePep440,
  go: compareGo,
  maven: compareMaven,
};

/** Base ecosystem (before any `:` suffix) → its version scheme. */
const ECOSYSTEM_SCHEMES: Record<string, VersionScheme> = {
  Debian: 'dpkg',
  Ubuntu: 'dpkg',
  Alpine: 'apk',
  Wolfi: 'apk',
  Chainguard: 'apk',
  'Red Hat': 'rpm',
  AlmaLinux: 'rpm',
  'Rocky Linux': 'rpm',
  SUSE: 'rpm',
  openSUSE: 'rpm',
  Mageia: 'rpm',
  openEuler: 'rpm',
  npm: 'semver',
  'crates.io': 'semver',
  Hex: 'semver',
  SwiftURL: 'semver',
  PyPI: 'pep440',
  Go: 'go',
  Maven: 'maven',
};

/** The version scheme of an OSV ecosystem (`Debian:12` → `dpkg`), or `undefined` if none is implemented. */
export function versionSchemeOf(ecosystem: string): VersionScheme | undefined {
  const base = ecosystem.split(':')[0]!;
  return ECOSYSTEM_SCHEMES[base];
}

/** The comparator of an OSV ecosystem, or `undefined` when its ordering is not implemented here. */
export function comparatorFor(ecosystem: string): VersionComparator | undefined {
  const scheme = versionSchemeOf(ecosystem);
  return scheme ? SCHEMES[scheme] : undefined;
}

/** The comparator of a named scheme. */
export function comparatorOf(scheme: VersionScheme): VersionComparator {
  return SCHEMES[scheme];
}
