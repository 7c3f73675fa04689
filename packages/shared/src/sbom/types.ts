/**
 * The data every cataloger produces and every format writer reads: packages with purls, licenses
 * and locations, the relationships between them, and where they were found.
 */

/** Package types, named as syft names them (`pkg.Type`), so results compare one to one. */
export type PackageType =
  'deb' | 'apk' | 'rpm' | 'npm' | 'python' | 'go-module' | 'rust-crate' | 'java-archive' | 'jenkins-plugin';

/** Where a package's evidence was read: a root-relative path (`/var/lib/dpkg/status`) and, in an image, the layer digest. */
export interface Location {
  path: string;
  layer?: string;
}

export interface Package {
  /** Stable within one SBOM; used to link relationships (and as CycloneDX `bom-ref`). */
  id: string;
  name: string;
  version: string;
  type: PackageType;
  /** The package URL (purl), with distro qualifiers as syft writes them; absent when none can be formed. */
  purl?: string;
  /** License expressions or names exactly as the metadata states them. */
  licenses: string[];
  locations: Location[];
  /** The cataloger that found it, e.g. `dpkg-db-cataloger`. */
  foundBy: string;
  /** Extra facts worth keeping (architecture, source package, …). */
  metadata?: Record<string, string>;
}

/** `from` depends on `to` (both package ids). */
export interface Relationship {
  from: string;
  to: string;
  type: 'dependsOn';
}

/** The distribution an image is built on, from os-release. */
export interface Distro {
  /** `ID`, e.g. `debian`, `alpine`, `rhel`. */
  id: string;
  /** `VERSION_ID`, e.g. `12`, `3.20.3`. */
  versionId?: string;
  /** `VERSION_CODENAME`. */
  codename?: string;
  /** `ID_LIKE`, split on spaces. */
  idLike: string[];
  /** `BUILD_ID` (rolling distributions without `VERSION_ID`). */
  buildId?: string;
  /** `PRETTY_NAME`. */
  prettyName?: string;
}

/** What an SBOM describes. */
export interface SbomSource {
  type: 'image' | 'directory';
  /** The reference or directory as the user named it. */
  name: string;
  /** The image manifest's digest, for images. */
  digest?: string;
  /** Platform of the image, e.g. `linux/amd64`. */
  platform?: string;
}

/** The result of cataloging, before it is written in any format. */
export interface Inventory {
  source: SbomSource;
  distro?: Distro;
  packages: Package[];
  relationships: Relationship[];
}
