/**
 * SemVer 2.0 ordering (section 11 of semver.org) through the `semver` package, for OSV `SEMVER`
 * ranges and the npm, crates.io and other SemVer ecosystems. A leading `v` is accepted, and loose
 * forms (`1.2`, `=1.2.3`) are read as `semver`'s loose mode reads them.
 */
import semver from 'semver';

/** The version parsed, or `undefined` when it is not SemVer even loosely. */
export function parseSemver(version: string): semver.SemVer | undefined {
  const text = version.trim().replace(/^v(?=\d)/, '');
  return semver.parse(text) ?? semver.parse(text, { loose: true }) ?? coercePartial(text);
}

/** `1`, `1.2` → `1.0.0`, `1.2.0` (OSV events sometimes omit trailing components). */
function coercePartial(text: string): semver.SemVer | undefined {
  const m = /^(\d+)(?:\.(\d+))?((?:-|\+).*)?$/.exec(text);
  if (!m) return undefined;
  return semver.parse(`${m[1]}.${m[2] ?? '0'}.0${m[3] ?? ''}`) ?? undefined;
}

/** Compares two SemVer versions; throws a `RangeError` naming the version that is not SemVer. */
export function compareSemver(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (!x) throw new RangeError(`"${a}" is not a semantic version`);
  if (!y) throw new RangeError(`"${b}" is not a semantic version`);
  return x.compare(y);
}
