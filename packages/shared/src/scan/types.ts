/**
 * The scan's input: a package as any SBOM describes it. The purl is the key: it says the
 * ecosystem (and the distribution release, in its `distro` qualifier), the name and the version.
 */
export interface ScanPackage {
  name: string;
  version: string;
  /** A Package URL, e.g. `pkg:deb/debian/libc6@2.36-9?arch=amd64&upstream=glibc&distro=debian-12`. */
  purl: string;
  /** The SBOM's own package type (`deb`, `npm`, …), informative only. */
  type?: string;
  /** An OSV ecosystem (`Debian:12`) to use instead of the one derived from the purl. */
  ecosystem?: string;
}

/** A package in OSV's terms: what an OSV query or an OSV record's `affected[].package` names. */
export interface OsvPackageRef {
  /** OSV ecosystem, as OSV spells it, with its release suffix when known: `Debian:12`, `Alpine:v3.19`, `npm`. */
  ecosystem: string;
  /** The name in that ecosystem (for distributions, the source package). */
  name: string;
  /** The version to test, in the ecosystem's syntax. */
  version: string;
}
