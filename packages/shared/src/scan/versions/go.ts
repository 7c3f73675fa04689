/**
 * Go module version ordering: SemVer with a `v` prefix (`v1.2.3`, `+incompatible` builds ignored
 * as SemVer ignores build metadata), pseudo-versions (`v0.0.0-20210101000000-abcdef123456`) being
 * SemVer pre-releases that sort by their timestamp. OSV's Go records write versions without the
 * `v`; the standard library's `go1.21.3` tags are read as `1.21.3` (and `go1.21rc2` as
 * `1.21.0-rc.2`, as the Go vulnerability database does).
 */
import { compareSemver } from './semver.ts';

/** A Go version in the SemVer form OSV's Go records use. */
export function normalizeGoVersion(version: string): string {
  const text = version.trim();
  const toolchain = /^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(text);
  if (toolchain) {
    const [, major, minor = '0', patch = '0', pre, preNo] = toolchain;
    return `${major}.${minor}.${patch}${pre ? `-${pre}.${preNo}` : ''}`;
  }
  return text.replace(/^v/, '');
}

/** Compares two Go module (or toolchain) versions. */
export function compareGo(a: string, b: string): number {
  return compareSemver(normalizeGoVersion(a), normalizeGoVersion(b));
}
