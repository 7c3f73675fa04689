/**
 * What a Java archive says about itself outside its pom: `META-INF/MANIFEST.MF` (read as syft's
 * `parse_java_manifest.go` reads it), `pom.properties` (`parse_pom_properties.go`), and its file
 * name (`archive_filename.go`), with syft's choice of name, version and licenses among them.
 */

/** One `Key: value` line of a manifest section (keys keep their case; the first of a key wins on lookup). */
export interface ManifestEntry {
  key: string;
  value: string;
}

/** A manifest: the main section and the sections after it (per-entry attributes). */
export interface JavaManifest {
  main: ManifestEntry[];
  sections: ManifestEntry[][];
}

/** Longest line Go's `bufio.Scanner` reads (syft gives up on a manifest or pom.properties with a longer one). */
const MAX_LINE = 64 * 1024 - 1;

function lines(text: string): string[] | undefined {
  const out = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (out.at(-1) === '') out.pop();
  return out.some((l) => Buffer.byteLength(l) > MAX_LINE) ? undefined : out;
}

/**
 * Parses a manifest as syft does: sections are separated by blank lines, a line starting with a
 * space continues the previous value (trimmed and appended, as syft appends it), `Key: value`
 * splits at the first colon; lines without a colon or with an empty key are ignored. `undefined`
 * when a line is too long to read.
 */
export function parseJavaManifest(text: string): JavaManifest | undefined {
  const all = lines(text);
  if (!all) return undefined;
  const sections: ManifestEntry[][] = [];
  let lastKey = '';
  for (const line of all) {
    if (line === '') {
      lastKey = '';
      continue;
    }
    if (line[0] === ' ') {
      const section = sections.at(-1);
      if (lastKey !== '' && section) section.at(-1)!.value += line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    if (key === '') continue;
    if (lastKey === '') sections.push([]);
    sections.at(-1)!.push({ key, value: line.slice(colon + 1).trim() });
    lastKey = key;
  }
  return { main: sections[0] ?? [], sections: sections.slice(1) };
}

/** The first value of `key` in a section, `undefined` when absent. */
export function manifestValue(section: readonly ManifestEntry[], key: string): string | undefined {
  return section.find((e) => e.key === key)?.value;
}

/** The first non-empty value of `key`, in the main section, then in the others (syft's `fieldValueFromManifest`). */
export function manifestField(manifest: JavaManifest, key: string): string {
  for (const section of [manifest.main, ...manifest.sections]) {
    const value = manifestValue(section, key);
    if (value) return value;
  }
  return '';
}

/** Name and version from an archive's file name, e.g. `spring-core-5.2.2.RELEASE.jar`. */
export interface ArchiveFilename {
  name: string;
  version: string;
  /** The extension without the dot, as it is written (`jar`, `hpi`). */
  extension: string;
}

const isAlpha = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z]$/.test(c);
const isWordOrDot = (c: string): boolean => /^[\w.]$/.test(c);

const VERSION_START = { i: [/^build\d/i, /^rc?\d+$/i], s: [/^build\d/, /^rc?\d+$/] };

/**
 * Whether `s` from `from` on is a version syft's pattern accepts after a separator: a digit
 * first, `build<digit>`, or `r`/`rc` and digits only; never across a newline (`lastNewline` is
 * the last one in `s`, so each call stays constant-time on long names).
 */
function isFilenameVersion(s: string, from: number, lastNewline: number, caseInsensitive: boolean): boolean {
  if (from >= s.length || lastNewline >= from) return false;
  const v = s.slice(from);
  const [build, rc] = caseInsensitive ? VERSION_START.i : VERSION_START.s;
  return /^\d/.test(v) || build!.test(v) || rc!.test(v);
}

/**
 * Splits a file name into name and version as syft's `nameAndVersionPattern` does: the name is
 * the shortest run of letter-led words (letters, digits, `_`, `.`, joined by `-`) that is followed
 * by `-<version>` or ends the name; failing a version there, a trailing `.<version>`, `_<version>`
 * or `-<version>` of the name is taken (the secondary pattern). A name the pattern rejects (one
 * starting with a digit, or holding other characters) is empty. Written out as a scan rather than
 * as the regular expression, whose nested quantifiers backtrack exponentially in JavaScript.
 */
export function parseArchiveFilename(raw: string): ArchiveFilename {
  const last = raw.slice(raw.lastIndexOf(':') + 1);
  const base = last.slice(last.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  const ext = dot > last.lastIndexOf('/') ? last.slice(dot) : '';
  const stem = ext && base.endsWith(ext) ? base.slice(0, -ext.length) : base;
  let name = '';
  let version = '';
  const newline = stem.lastIndexOf('\n');
  // stem[0, end) is a name while it starts with a letter, holds only [A-Za-z0-9_.-], and every
  // dash but a last one is followed by a letter; the first such prefix followed by `-<version>`
  // (or by nothing) wins, as the ungreedy pattern finds it.
  for (let end = 1, valid = isAlpha(stem[0]); valid && end <= stem.length; end++) {
    const rest = stem.slice(end);
    if (rest === '' || (rest[0] === '-' && isFilenameVersion(stem, end + 1, newline, true))) {
      name = stem.slice(0, end);
      version = rest.slice(1);
      break;
    }
    const c = rest[0]!;
    valid = (c === '-' || isWordOrDot(c)) && (stem[end - 1] !== '-' || isAlpha(c));
  }
  if (version === '') {
    for (let i = 0; i < name.length; i++) {
      if ('._-'.includes(name[i]!) && isFilenameVersion(name, i + 1, -1, false)) {
        version = name.slice(i + 1);
        name = name.slice(0, i);
        break;
      }
    }
  }
  return { name, version, extension: ext.slice(1) };
}

/** Whether the first character can start a Java identifier (Lu, Ll, Lt, Lm, Lo, Nl, Sc, Pc), as syft checks. */
function startsJavaIdentifier(field: string): boolean {
  return /^[\p{Lu}\p{Ll}\p{Lt}\p{Lm}\p{Lo}\p{Nl}\p{Sc}\p{Pc}]/u.test(field);
}

/** The artifact id in a file name that may be `<groupId>.<artifactId>` (but keeps `org.eclipse.*` whole). */
function nameFromFilename(file: ArchiveFilename): string {
  if (!file.name.includes('.') || file.name.startsWith('org.eclipse.')) return file.name;
  const fields = file.name.split('.');
  return fields.every(startsJavaIdentifier) ? fields.at(-1)! : file.name;
}

/** The artifact id the Apache Maven Bundle Plugin put in `Bundle-SymbolicName` (`${groupId}.${artifactId}`), if it wrote the manifest. */
function nameFromBundlePlugin(manifest: JavaManifest | undefined): string {
  if (!manifest) return '';
  if (!(manifestValue(manifest.main, 'Created-By') ?? '').includes('Apache Maven Bundle Plugin')) return '';
  const symbolic = manifestValue(manifest.main, 'Bundle-SymbolicName') ?? '';
  if (!symbolic) return '';
  const vendor = manifestValue(manifest.main, 'Implementation-Vendor-Id') ?? '';
  if (vendor && vendor === symbolic) return '';
  return symbolic.split('.').at(-1)!;
}

const NAME_FIELDS = ['Name', 'Bundle-Name', 'Short-Name', 'Extension-Name', 'Implementation-Title'];
const VERSION_FIELDS = [
  'Implementation-Version',
  'Specification-Version',
  'Plugin-Version',
  'Bundle-Version',
];
const LICENSE_FIELDS = ['Bundle-License', 'Plugin-License-Name'];

/** syft's `selectName`: the bundle plugin's symbolic name, else the file name, else the manifest's name fields. */
export function selectName(manifest: JavaManifest | undefined, file: ArchiveFilename): string {
  const name = nameFromBundlePlugin(manifest) || nameFromFilename(file);
  if (name || !manifest) return name;
  for (const key of NAME_FIELDS) {
    const value = manifestValue(manifest.main, key);
    if (value) return value;
  }
  return '';
}

/** syft's `selectVersion`: the file name's version, else the manifest's version fields. */
export function selectVersion(manifest: JavaManifest | undefined, file: ArchiveFilename): string {
  if (file.version) return file.version;
  if (!manifest) return '';
  for (const key of VERSION_FIELDS) {
    const value = manifestField(manifest, key);
    if (value) return value;
  }
  return '';
}

/** License values the manifest declares (`Bundle-License`, `Plugin-License-Name`), as written. */
export function manifestLicenses(manifest: JavaManifest | undefined): string[] {
  if (!manifest) return [];
  return LICENSE_FIELDS.map((k) => manifestField(manifest, k)).filter(Boolean);
}

/** A `pom.properties` file: the Maven coordinates it records. */
export interface PomProperties {
  /** Path of the file inside its archive. */
  path: string;
  groupId: string;
  artifactId: string;
  version: string;
  name: string;
}

/**
 * Parses `pom.properties` as syft does: blank lines and `#` comments skipped, each other line split
 * at its first `=` or `:` (a line with neither makes the file unreadable: `undefined`), keys and
 * values trimmed; keys matched exactly, else ignoring case (as mapstructure decodes them).
 */
export function parsePomProperties(path: string, text: string): PomProperties | undefined {
  const all = lines(text);
  if (!all) return undefined;
  const map = new Map<string, string>();
  for (const line of all) {
    if (line.trim() === '' || line.replace(/^ +/, '').startsWith('#')) continue;
    const at = line.search(/[=:]/);
    if (at < 0) return undefined;
    map.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  const get = (key: string): string => {
    const exact = map.get(key);
    if (exact !== undefined) return exact;
    for (const [k, v] of map) if (k.toLowerCase() === key.toLowerCase()) return v;
    return '';
  };
  return {
    path,
    groupId: get('groupId'),
    artifactId: get('artifactId'),
    version: get('version'),
    name: get('name'),
  };
}
