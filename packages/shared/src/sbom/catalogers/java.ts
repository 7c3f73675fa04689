/**
 * Java archives, as syft's `java-archive-cataloger` (`syft/pkg/cataloger/java/archive_parser.go`)
 * catalogs them with its default configuration (no network, no local Maven repository):
 *
 * - every `*.jar`, `*.war`, `*.ear`, `*.par`, `*.sar`, `*.nar`, `*.jpi`, `*.hpi`, `*.kar`,
 *   `*.far`, `*.lpkg`, `*.rar`, `*.zap`, and the Java archives inside any `*.zip`;
 * - the archive's own package comes from `META-INF/MANIFEST.MF` (none without one, or with
 *   `Weave-Classes`), named and versioned from, in order: the `pom.properties` whose artifactId
 *   matches the file name (syft's `findBestPomMatch`), the single `pom.xml` when there is no
 *   `pom.properties`, the manifest and file name (`selectName`, `selectVersion`);
 * - every other `pom.properties` is a package the archive bundles (shaded and fat jars), which
 *   the archive depends on; one whose coordinates are the archive's own merges into it;
 * - archives inside archives (`WEB-INF/lib/*.jar`, Spring Boot's `BOOT-INF/lib/*.jar`, Jenkins
 *   plugins in a war) are cataloged the same way, and the enclosing archive depends on each;
 *   their location is the outer file, their `virtualPath` metadata `outer.war:WEB-INF/lib/x.jar`;
 * - purls are `pkg:maven/<groupId>/<artifactId>@<version>`, the group id from pom.properties, the
 *   pom, our list of Gradle-built families (java-groups.ts), then the manifest (`package_url.go`),
 *   else the name;
 *   Jenkins plugins (`*.hpi`, `*.jpi`, Jenkins group ids) are `jenkins-plugin` packages;
 * - licenses from the manifest (`Bundle-License`, `Plugin-License-Name`), else from the pom.
 *
 * Not done: license files inside the archive (syft identifies their text), pom licenses by URL
 * as SPDX ids, parent poms; a `*.far` is `java-archive` here (syft leaves its type unknown).
 * Reading is bounded (`JavaArchiveLimits`): nesting depth, bytes taken out of one file's
 * archives, number of nested archives; an entry must inflate to exactly its declared size and
 * CRC (see java-zip.ts). Unreadable archives are skipped with a warning naming them.
 */
import { posix } from 'node:path';
import type { Logger } from '../../logger.ts';
import { ReleaseError } from '../../errors.ts';
import type { FileRecord } from '../filetree.ts';
import { locationOf, makePackage, purl, type Cataloger } from '../package.ts';
import type { Package, Relationship } from '../types.ts';
import { knownGroupId } from './java-groups.ts';
import {
  manifestLicenses,
  manifestValue,
  parseArchiveFilename,
  parseJavaManifest,
  parsePomProperties,
  selectName,
  selectVersion,
  type ArchiveFilename,
  type JavaManifest,
  type PomProperties,
} from './java-manifest.ts';
import { parsePomXml, pomCoordinates, pomLicenses, type PomCoordinates, type PomXml } from './java-pom.ts';
import { readZipDirectory, readZipEntry, ZipError, type ZipDirectory, type ZipEntry } from './java-zip.ts';

/** Bounds on what one cataloged file may cost, whatever its archives declare. */
export interface JavaArchiveLimits {
  /** Archives inside archives deeper than this are not opened (the file itself is depth 0). */
  maxDepth: number;
  /** Largest manifest, pom.properties or pom.xml read (declared size). */
  maxMetadataSize: number;
  /** Largest nested archive read (declared size). */
  maxNestedSize: number;
  /** Bytes taken out of one file's archives in all (stored or inflated, at every depth). */
  maxTotalBytes: number;
  /** Nested archives opened for one file in all. */
  maxNestedArchives: number;
}

export const JAVA_ARCHIVE_LIMITS: Readonly<JavaArchiveLimits> = {
  maxDepth: 10,
  maxMetadataSize: 8 * 1024 * 1024,
  maxNestedSize: 128 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxNestedArchives: 20_000,
};

/** syft's `archiveFormatGlobs`, as extensions. */
const ARCHIVE_EXTENSIONS = 'jar war ear par sar nar jpi hpi kar far lpkg rar zap'.split(' ');
const JENKINS_GROUPS = [
  'io.jenkins.plugins',
  'org.jenkins.plugins',
  'org.jenkins-ci.plugins',
  'io.jenkins-ci.plugins',
  'com.cloudbees.jenkins.plugins',
];
const PRIMARY_GROUP_FIELDS = [
  'Group-Id',
  'Bundle-SymbolicName',
  'Extension-Name',
  'Specification-Vendor',
  'Implementation-Vendor',
  'Implementation-Vendor-Id',
  'Implementation-Title',
  'Bundle-Activator',
];
const SECONDARY_GROUP_FIELDS = ['Automatic-Module-Name', 'Main-Class', 'Package'];
const DOMAINS = ['com', 'org', 'net', 'io', 'be'];

type JavaType = 'java-archive' | 'jenkins-plugin';

/** A package while its archive is read; the archive's own package can still change (syft's `updateParentPackage`). */
interface JavaPackage {
  name: string;
  version: string;
  type: JavaType;
  licenses: string[];
  virtualPath: string;
  manifest?: JavaManifest;
  pomProperties?: PomProperties;
  pomProject?: PomCoordinates;
}

/** A limit of the walk was reached (depth, bytes read, nested archives): the rest of the file is skipped. */
class Limited extends ReleaseError<'ARCHIVE_LIMIT'> {
  constructor(message: string) {
    super('ARCHIVE_LIMIT', message);
  }
}

/** One cataloged file: its budget, what it yielded, and the warnings already given. */
class Walk {
  readonly packages: JavaPackage[] = [];
  /** [dependent, dependency] */
  readonly edges: Array<[JavaPackage, JavaPackage]> = [];
  readonly file: FileRecord;
  readonly logger: Logger;
  readonly limits: JavaArchiveLimits;
  #bytes = 0;
  #nested = 0;
  readonly #warned = new Set<string>();

  constructor(file: FileRecord, logger: Logger, limits: JavaArchiveLimits) {
    this.file = file;
    this.logger = logger;
    this.limits = limits;
  }

  /** An entry's content, charged to the budget; throws `Limited` past a limit, `ZipError` when unreadable. */
  read(buf: Buffer, dir: ZipDirectory, entry: ZipEntry, max: number): Buffer {
    if (entry.size > max) throw new Limited(`${entry.name} declares ${entry.size} bytes (limit ${max})`);
    if (this.#bytes + entry.size > this.limits.maxTotalBytes)
      throw new Limited(`more than ${this.limits.maxTotalBytes} bytes in all would be read`);
    this.#bytes += entry.size;
    return readZipEntry(buf, dir, entry);
  }

  /** Counts a nested archive about to be opened; false past the limit. */
  openNested(): boolean {
    return ++this.#nested <= this.limits.maxNestedArchives;
  }

  warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.logger.warning(message);
  }
}

const stripSlash = (name: string): string => (name.startsWith('/') ? name.slice(1) : name);
const basename = (name: string): string => name.slice(name.lastIndexOf('/') + 1);
const byName = (a: ZipEntry, b: ZipEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** syft's `cleanGroupID` (java package): OSGi directives dropped, trimmed. */
const cleanGroupId = (value: string): string => value.split(';')[0]!.trim();

/** cpegenerate's `cleanGroupID`: also drops a `#…` suffix. */
function cleanManifestGroupId(value: string): string {
  return value.split(';')[0]!.split('#')[0]!.trim();
}

/** cpegenerate's `GetManifestFieldGroupIDs`: values of the fields that start like a domain, sorted. */
function manifestGroupIds(manifest: JavaManifest, fields: readonly string[]): string[] {
  const out: string[] = [];
  for (const field of fields) {
    for (const section of [manifest.main, ...manifest.sections]) {
      const value = manifestValue(section, field);
      if (value !== undefined && DOMAINS.some((d) => value.startsWith(d)))
        out.push(cleanManifestGroupId(value));
    }
  }
  return out.sort();
}

/** syft's `groupIDFromJavaMetadata`: pom.properties, then the pom, then the known list, then the manifest. */
function groupIdOf(name: string, p: JavaPackage): string {
  const props = p.pomProperties;
  if (props) {
    const id = props.groupId
      ? cleanGroupId(props.groupId)
      : props.artifactId.includes('.')
        ? cleanGroupId(props.artifactId)
        : '';
    if (id) return id;
  }
  const project = p.pomProject;
  if (project) {
    const candidates = [
      project.groupId,
      project.artifactId,
      project.parent?.groupId,
      project.parent?.artifactId,
    ];
    const [groupId, artifactId, parentGroupId, parentArtifactId] = candidates;
    const id = groupId
      ? cleanGroupId(groupId)
      : artifactId?.includes('.')
        ? cleanGroupId(artifactId)
        : parentGroupId
          ? cleanGroupId(parentGroupId)
          : parentArtifactId?.includes('.')
            ? cleanGroupId(parentArtifactId)
            : '';
    if (id) return id;
  }
  const known = knownGroupId(name);
  if (known) return known;
  if (p.manifest) {
    return (
      manifestGroupIds(p.manifest, PRIMARY_GROUP_FIELDS)[0] ??
      manifestGroupIds(p.manifest, SECONDARY_GROUP_FIELDS)[0] ??
      ''
    );
  }
  return '';
}

/** `pkg:maven/<groupId>/<artifactId>@<version>`, the group id falling back to the name (syft's `packageURL`). */
export function javaPurl(p: {
  name: string;
  version: string;
  manifest?: JavaManifest;
  pomProperties?: PomProperties;
  pomProject?: PomCoordinates;
}): string | undefined {
  const pkg: JavaPackage = { type: 'java-archive', licenses: [], virtualPath: '', ...p };
  return purl('maven', groupIdOf(p.name, pkg) || p.name, p.name, p.version);
}

const isJenkinsGroup = (groupId: string): boolean =>
  JENKINS_GROUPS.some((g) => groupId.startsWith(g)) || groupId.includes('.jenkins.plugin');

/** syft's `artifactIDMatchesFilename`. */
function artifactIdMatchesFilename(artifactId: string, fileName: string, artifactIds: Set<string>): boolean {
  if (!artifactId || !fileName) return false;
  if (artifactIds.has(fileName)) return artifactId === fileName;
  return artifactId.startsWith(fileName) || fileName.endsWith(artifactId);
}

interface PomInfo {
  groupId: string;
  artifactId: string;
  version: string;
  pom?: PomXml;
}

/** syft's `discoverMainPackageFromPomInfo`: which pom.properties (and pom.xml) describe the archive itself. */
function mainPomInfo(
  properties: Map<string, PomProperties>,
  projects: Map<string, PomXml>,
  file: ArchiveFilename,
): PomInfo {
  const artifactIds = new Set([...properties.values()].map((p) => p.artifactId));
  const exact = (props: PomProperties, pom: PomXml | undefined): boolean =>
    pom !== undefined && (file.name.includes(props.groupId) || file.name === props.artifactId);
  let best: PomProperties | undefined;
  let bestPom: PomXml | undefined;
  for (const [dir, props] of properties) {
    if (!artifactIdMatchesFilename(props.artifactId, file.name, artifactIds)) continue;
    const project = projects.get(dir);
    if (!best) {
      best = props;
      bestPom = project ?? bestPom;
    } else if (project && (!bestPom || exact(props, project))) {
      best = props;
      bestPom = project;
    }
    if (exact(props, bestPom)) break;
  }
  if (properties.size === 0 && projects.size === 1) bestPom = [...projects.values()][0];
  const info: PomInfo = {
    groupId: best?.groupId ?? '',
    artifactId: best?.artifactId ?? '',
    version: best?.version ?? '',
    ...(bestPom && { pom: bestPom }),
  };
  if (bestPom) {
    const id = pomCoordinates(bestPom);
    info.groupId ||= id.groupId;
    info.artifactId ||= id.artifactId;
    info.version ||= id.version;
  }
  return info;
}

/** syft's `packageIdentitiesMatch`: whether a pom.properties package is the archive's own. */
function sameIdentity(p: JavaPackage, parent: JavaPackage): boolean {
  if (
    `${groupIdOf(p.name, p)}|${p.name}|${p.version}` ===
    `${groupIdOf(parent.name, parent)}|${parent.name}|${parent.version}`
  )
    return true;
  if (p.virtualPath === parent.virtualPath) return true;
  return !!p.pomProperties?.artifactId && parent.name === p.pomProperties.artifactId;
}

/** syft's `newPackageFromMavenData`: the package a pom.properties names, or undefined when it is the archive's own (then merged into it). */
function bundledPackage(
  props: PomProperties,
  pom: PomXml | undefined,
  parent: JavaPackage,
  virtualPath: string,
): JavaPackage | undefined {
  const parentKey = `${groupIdOf(parent.name, parent)}:${parent.name}:${parent.version}`;
  const key = `${props.groupId}:${props.artifactId}:${props.version}`;
  const p: JavaPackage = {
    name: props.artifactId,
    version: props.version,
    type: isJenkinsGroup(props.groupId) ? 'jenkins-plugin' : 'java-archive',
    licenses: pom ? pomLicenses(pom) : [],
    virtualPath: parentKey === key ? virtualPath : `${virtualPath}:${props.groupId}:${props.artifactId}`,
    pomProperties: props,
    ...(pom && { pomProject: pomCoordinates(pom) }),
  };
  if (!sameIdentity(p, parent)) return p;
  parent.name = p.name;
  parent.version = p.version;
  parent.type = p.type;
  parent.pomProperties ??= props;
  return undefined;
}

/**
 * Reads `entries` (sorted by name) with `parse`, keyed by their directory (a later file of a
 * directory wins), in the order of the directories, as syft's `sortedIter` visits them.
 */
function readByDirectory<T>(
  walk: Walk,
  buf: Buffer,
  dir: ZipDirectory,
  entries: ZipEntry[],
  parse: (entry: ZipEntry, content: Buffer) => T | undefined,
): Map<string, T> {
  const out = new Map<string, T>();
  for (const entry of entries) {
    const value = parse(entry, walk.read(buf, dir, entry, walk.limits.maxMetadataSize));
    if (value !== undefined) out.set(posix.dirname(entry.name), value);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Catalogs one archive (`buf`, known as `virtualPath`) into `walk`; `parent` is the package of
 * the archive it was found in. `wrapper` for a plain zip: only the archives inside it count.
 */
function catalogArchive(
  walk: Walk,
  buf: Buffer,
  virtualPath: string,
  parent: JavaPackage | undefined,
  depth: number,
  wrapper = false,
): void {
  let dir: ZipDirectory;
  let main: JavaPackage | undefined;
  const found: JavaPackage[] = [];
  const edges: Array<[JavaPackage, JavaPackage]> = [];
  const entries = new Map<string, ZipEntry>();
  try {
    dir = readZipDirectory(buf);
    for (const e of dir.entries) if (!e.name.endsWith('/')) entries.set(e.name, e);
    if (!wrapper) {
      const files = [...entries.values()].sort(byName);
      const manifests = files.filter((e) => stripSlash(e.name) === 'META-INF/MANIFEST.MF');
      if (manifests.length > 1) throw new ZipError('more than one META-INF/MANIFEST.MF');
      const properties = readByDirectory(
        walk,
        buf,
        dir,
        files.filter((e) => basename(e.name).endsWith('pom.properties')),
        (e, content) => {
          const props = parsePomProperties(e.name, content.toString('utf8'));
          return props?.artifactId && props.version ? props : undefined;
        },
      );
      const projects = readByDirectory(
        walk,
        buf,
        dir,
        files.filter((e) => basename(e.name).endsWith('pom.xml')),
        (e, content) => parsePomXml(e.name, content),
      );
      const manifestEntry = manifests[0];
      const manifest = manifestEntry
        ? parseJavaManifest(walk.read(buf, dir, manifestEntry, walk.limits.maxMetadataSize).toString('utf8'))
        : undefined;
      if (manifest && manifestValue(manifest.main, 'Weave-Classes') === undefined) {
        const file = parseArchiveFilename(virtualPath);
        const info = mainPomInfo(properties, projects, file);
        const licenses = manifestLicenses(manifest);
        main = {
          name: info.artifactId || selectName(manifest, file),
          version: info.version || selectVersion(manifest, file),
          type: ['jpi', 'hpi'].includes(file.extension.toLowerCase()) ? 'jenkins-plugin' : 'java-archive',
          licenses: licenses.length > 0 || !info.pom ? licenses : pomLicenses(info.pom),
          virtualPath,
          manifest,
          ...(info.pom && { pomProject: pomCoordinates(info.pom) }),
        };
        for (const [d, props] of properties) {
          const bundled = bundledPackage(props, projects.get(d), main, virtualPath);
          if (bundled) {
            found.push(bundled);
            edges.push([main, bundled]);
          }
        }
      } else if (manifest) {
        walk.logger.debug(
          `${virtualPath}: Weave-Classes in the manifest (an instrumentation jar); not a package`,
        );
      } else if (manifestEntry) {
        walk.logger.debug(`${virtualPath}: a manifest line too long to read; no package for the archive`);
      }
    }
  } catch (err) {
    if (err instanceof ZipError)
      walk.logger.warning(`${virtualPath}: not a readable Java archive (${err.message}); skipped`);
    else if (err instanceof Limited) walk.logger.warning(`${virtualPath}: not cataloged (${err.message})`);
    else throw err;
    return;
  }
  if (main) {
    walk.packages.push(main);
    if (parent) walk.edges.push([parent, main]);
  }
  walk.packages.push(...found);
  walk.edges.push(...edges);

  const nested = [...entries.values()]
    .filter((e) => ARCHIVE_EXTENSIONS.some((ext) => e.name.endsWith(`.${ext}`)))
    .sort(byName);
  for (const entry of nested) {
    const path = `${virtualPath}:${entry.name}`;
    if (depth + 1 > walk.limits.maxDepth) {
      walk.warnOnce(
        'depth',
        `${path}: archives nested more than ${walk.limits.maxDepth} deep are not cataloged`,
      );
      continue;
    }
    if (!walk.openNested()) {
      walk.warnOnce(
        'count',
        `${walk.file.path}: more than ${walk.limits.maxNestedArchives} nested archives; the rest are not cataloged`,
      );
      break;
    }
    let content: Buffer;
    try {
      content = walk.read(buf, dir, entry, walk.limits.maxNestedSize);
    } catch (err) {
      if (!(err instanceof ZipError || err instanceof Limited)) throw err;
      walk.logger.warning(`${path}: not read (${err.message})`);
      continue;
    }
    catalogArchive(walk, content, path, main, depth + 1);
  }
}

/** Packages of a finished walk, with ids unique per virtual path, and their relationships. */
function finish(walk: Walk, foundBy: string): { packages: Package[]; relationships: Relationship[] } {
  const location = locationOf(walk.file);
  const ids = new Map<JavaPackage, string>();
  const packages = new Map<string, Package>();
  for (const p of walk.packages) {
    if (!p.name) {
      walk.logger.debug(`${p.virtualPath}: no name found for the archive; not a package`);
      continue;
    }
    const packageUrl = javaPurl(p);
    const type: JavaType =
      packageUrl && /io\.jenkins\.plugins|org\.jenkins-ci\.plugins/.test(packageUrl)
        ? 'jenkins-plugin'
        : p.type;
    // The id follows the virtual path, so one library nested twice in a file stays two packages.
    const made = makePackage({
      name: p.name,
      version: p.version,
      type,
      purl: packageUrl,
      licenses: p.licenses,
      locations: [{ ...location, path: p.virtualPath }],
      foundBy,
      metadata: { virtualPath: p.virtualPath },
    });
    ids.set(p, made.id);
    if (!packages.has(made.id)) packages.set(made.id, { ...made, locations: [location] });
  }
  const relationships: Relationship[] = [];
  const seen = new Set<string>();
  for (const [from, to] of walk.edges) {
    const a = ids.get(from);
    const b = ids.get(to);
    if (!a || !b || a === b || seen.has(`${a}\0${b}`)) continue;
    seen.add(`${a}\0${b}`);
    relationships.push({ from: a, to: b, type: 'dependsOn' });
  }
  return { packages: [...packages.values()], relationships };
}

/** The Java archive cataloger with other limits (tests use small ones). */
export function javaArchiveCatalogerWith(limits: Partial<JavaArchiveLimits> = {}): Cataloger {
  const bounds = { ...JAVA_ARCHIVE_LIMITS, ...limits };
  return {
    name: 'java-archive-cataloger',
    globs: [...ARCHIVE_EXTENSIONS.map((ext) => `**/*.${ext}`), '**/*.zip'],
    catalog(files, { logger }) {
      const packages: Package[] = [];
      const relationships: Relationship[] = [];
      // A symlink (or hard link) in an image shares its target's content: catalog the file once,
      // under the first of its paths (`x-1.0.jar` sorts before its alias `x.jar`).
      const seen = new Set<Buffer>();
      for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
        if (seen.has(file.content) || file.offset !== undefined) continue;
        seen.add(file.content);
        const walk = new Walk(file, logger, bounds);
        catalogArchive(walk, file.content, file.path, undefined, 0, file.path.endsWith('.zip'));
        const result = finish(walk, this.name);
        packages.push(...result.packages);
        relationships.push(...result.relationships);
      }
      return { packages, relationships };
    },
  };
}

/** syft's java-archive-cataloger with the default limits. */
export const javaArchiveCataloger: Cataloger = javaArchiveCatalogerWith();
