/**
 * The catalogers, by what they catalog: installed packages in an image (or a directory holding a
 * root filesystem) and declared dependencies in a source tree (lockfiles, see `../source.ts`).
 */
import type { Cataloger } from '../package.ts';
import { apkCataloger } from './apk.ts';
import { dpkgCataloger } from './dpkg.ts';
import { goBinaryCataloger } from './go-binary.ts';
import { javaArchiveCataloger } from './java.ts';
import { npmCataloger } from './npm.ts';
import { pythonCataloger } from './python.ts';
import { rpmCataloger } from './rpm.ts';

export { apkCataloger, dpkgCataloger, javaArchiveCataloger, npmCataloger, pythonCataloger, rpmCataloger };
export * from './os-release.ts';
export { parseCopyright } from './dpkg.ts';
export { parseApkDb, splitLicenseField } from './apk.ts';
export { npmLicenses, npmPurl } from './npm.ts';
export { normalizePythonName, pythonLicenses } from './python.ts';
export { parseRpmHeader } from './rpm.ts';
export { javaArchiveCatalogerWith, javaPurl, JAVA_ARCHIVE_LIMITS, type JavaArchiveLimits } from './java.ts';
export {
  manifestField,
  parseArchiveFilename,
  parseJavaManifest,
  parsePomProperties,
  type JavaManifest,
} from './java-manifest.ts';
export { parsePomXml, pomCoordinates, pomLicenses, resolvePomValue } from './java-pom.ts';
export { readZipDirectory, readZipEntry, ZipError } from './java-zip.ts';
export * from './js-locks.ts';
export * from './python-locks.ts';
export * from './go-mod.ts';
export * from './cargo.ts';

/**
 * What an image is cataloged with (syft's "image" catalogers for these ecosystems). The Go binary
 * cataloger searches executables under its globs as they stream by (see go-binary.ts).
 */
export const IMAGE_CATALOGERS: readonly Cataloger[] = [
  dpkgCataloger,
  apkCataloger,
  rpmCataloger,
  npmCataloger,
  pythonCataloger,
  goBinaryCataloger,
  javaArchiveCataloger,
];
export {
  goBinaryCataloger,
  goPurl,
  mainModuleVersion,
  parseGoModinfo,
  readGoBuildInfo,
  readGoBuildInfoStrings,
  GO_DEVEL_VERSION,
  GO_SCAN_WINDOW,
  type GoBuildInfo,
  type GoModule,
} from './go-binary.ts';
