/**
 * Python version ordering (PEP 440: epochs, pre-, post- and dev-releases, local versions) through
 * `@renovatebot/pep440`.
 */
import { compare, valid } from '@renovatebot/pep440';

/** Compares two PEP 440 versions; throws a `RangeError` naming the version that is not PEP 440. */
export function comparePep440(a: string, b: string): number {
  if (!valid(a)) throw new RangeError(`"${a}" is not a PEP 440 version`);
  if (!valid(b)) throw new RangeError(`"${b}" is not a PEP 440 version`);
  return Math.sign(compare(a, b));
}
