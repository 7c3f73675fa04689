/**
 * Go modules from the build information the Go linker writes into executables (syft's
 * go-module-binary-cataloger, Go's `debug/buildinfo`): a 32-byte header that starts with
 * `\xff Go buildinf:`, then the pointer size and a flags byte. With flag bit 2 (Go ≥ 1.18) the Go
 * version and the module text follow inline as varint-length-prefixed strings; before, two
 * pointers (of the header's size and endianness) lead to Go string headers elsewhere in the file,
 * mapped through the ELF program headers. The module text (`path`, `mod`, `dep`, `=>` replacing
 * the line before, `build` settings) is framed by 16 bytes on either side, dropped as Go drops them.
 *
 * In images it declares a streaming scan (`EntryScan`): executables under its globs are searched
 * for the header at 16-byte-aligned offsets as the layer streams by, and only `GO_SCAN_WINDOW`
 * bytes from the header on are kept, enough for the inline format. The pointer-based format
 * (Go < 1.18) leads to strings earlier in the file, so the scan asks (`reread`) for such a file to
 * be read whole in a second pass over its layer. In IMAGE_CATALOGERS (see docs/sbom.md).
 */
import type { FileRecord } from '../filetree.ts';
import {
  locationOf,
  makePackage,
  purl,
  type CatalogContext,
  type CatalogResult,
  type Cataloger,
} from '../package.ts';
import type { Package, Relationship } from '../types.ts';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const FLAG_BIG_ENDIAN = 1;
const FLAG_INLINE = 2;
export const GO_DEVEL_VERSION = '(devel)';
/** Bytes kept from the build-info header on in images: the header, Go version and module text. */
export const GO_SCAN_WINDOW = 64 * 1024;
const GO_GLOBS = ['**/bin/*', '**/sbin/*', 'ko-app/*'];

export interface GoModule {
  path: string;
  version: string;
  sum?: string;
}

export interface GoBuildInfo {
  /** The toolchain, e.g. `go1.19.8`. */
  goVersion: string;
  /** The main package's import path (`path`). */
  path?: string;
  /** The main module (`mod`), or from `path` with version `(devel)` as syft makes it. */
  main?: GoModule;
  /** Dependencies, replacements applied. */
  deps: GoModule[];
  /** `build` settings (`GOARCH`, `vcs.revision`, …). */
  settings: Record<string, string>;
}

function readVarint(buf: Buffer, at: number): [number, number] | undefined {
  let value = 0;
  let shift = 0;
  for (let p = at; p < buf.length && shift < 35; p++) {
    const b = buf[p]!;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, p + 1];
    shift += 7;
  }
  return undefined;
}

interface Segment {
  vaddr: number;
  offset: number;
  filesz: number;
}

/** PT_LOAD segments of an ELF file, or undefined when it is not one. */
function elfSegments(buf: Buffer): { segments: Segment[]; big: boolean } | undefined {
  if (buf.length < 52 || buf.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = buf[4] === 2;
  const big = buf[5] === 2;
  const u16 = (o: number) => (big ? buf.readUInt16BE(o) : buf.readUInt16LE(o));
  const u32 = (o: number) => (big ? buf.readUInt32BE(o) : buf.readUInt32LE(o));
  const u64 = (o: number) => Number(big ? buf.readBigUInt64BE(o) : buf.readBigUInt64LE(o));
  const phoff = is64 ? u64(32) : u32(28);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (o + (is64 ? 56 : 32) > buf.length) break;
    if (u32(o) !== 1) continue; // PT_LOAD
    segments.push(
      is64
        ? { offset: u64(o + 8), vaddr: u64(o + 16), filesz: u64(o + 32) }
        : { offset: u32(o + 4), vaddr: u32(o + 8), filesz: u32(o + 16) },
    );
  }
  return { segments, big };
}

/** The Go version and module text of an executable, or undefined when it has no Go build info. */
export function readGoBuildInfoStrings(buf: Buffer): { goVersion: string; modinfo: string } | undefined {
  let at = buf.indexOf(MAGIC);
  // Go aligns the header to 16 bytes; keep looking past unaligned look-alikes.
  while (at >= 0 && at % 16 !== 0) at = buf.indexOf(MAGIC, at + 1);
  if (at < 0 || at + 32 > buf.length) return undefined;
  const ptrSize = buf[at + 14]!;
  const flags = buf[at + 15]!;
  if (flags & FLAG_INLINE) {
    const v = readVarint(buf, at + 32);
    if (!v || v[1] + v[0] > buf.length) return undefined;
    const goVersion = buf.toString('utf8', v[1], v[1] + v[0]);
    const m = readVarint(buf, v[1] + v[0]);
    if (!m || m[1] + m[0] > buf.length) return undefined;
    return { goVersion, modinfo: buf.toString('utf8', m[1], m[1] + m[0]) };
  }
  if (ptrSize !== 4 && ptrSize !== 8) return undefined;
  const elf = elfSegments(buf);
  if (!elf) return undefined;
  const big = (flags & FLAG_BIG_ENDIAN) !== 0;
  const readPtr = (o: number) =>
    ptrSize === 8
      ? Number(big ? buf.readBigUInt64BE(o) : buf.readBigUInt64LE(o))
      : big
        ? buf.readUInt32BE(o)
        : buf.readUInt32LE(o);
  const fileOffset = (vaddr: number, length: number) => {
    for (const s of elf.segments)
      if (vaddr >= s.vaddr && vaddr + length <= s.vaddr + s.filesz) return s.offset + vaddr - s.vaddr;
    return undefined;
  };
  // A Go string header at `vaddr`: data pointer, then length.
  const goString = (vaddr: number) => {
    const header = fileOffset(vaddr, 2 * ptrSize);
    if (header === undefined || header + 2 * ptrSize > buf.length) return undefined;
    const data = readPtr(header);
    const length = readPtr(header + ptrSize);
    const start = fileOffset(data, length);
    if (start === undefined || start + length > buf.length) return undefined;
    return buf.toString('utf8', start, start + length);
  };
  const goVersion = goString(readPtr(at + 16));
  const modinfo = goString(readPtr(at + 16 + ptrSize));
  if (goVersion === undefined || modinfo === undefined) return undefined;
  return { goVersion, modinfo };
}

/** Go's `debug.ParseBuildInfo` of the module text, after the 16-byte framing is dropped. */
export function parseGoModinfo(goVersion: string, text: string): GoBuildInfo {
  let modinfo = text;
  if (modinfo.length >= 33 && modinfo[modinfo.length - 17] === '\n') modinfo = modinfo.slice(16, -16);
  const info: GoBuildInfo = { goVersion, deps: [], settings: {} };
  let last: GoModule | undefined;
  const module = (fields: string[]): GoModule => ({
    path: fields[0] ?? '',
    version: fields[1] || GO_DEVEL_VERSION,
    ...(fields[2] && { sum: fields[2] }),
  });
  for (const line of modinfo.split('\n')) {
    const [key, ...fields] = line.split('\t');
    if (key === 'path') info.path = fields[0];
    else if (key === 'mod') last = info.main = module(fields);
    else if (key === 'dep') info.deps.push((last = module(fields)));
    else if (key === '=>' && last) {
      const replacement = module(fields);
      if (last === info.main) last = info.main = replacement;
      else info.deps[info.deps.length - 1] = last = replacement;
    } else if (key === 'build' && fields[0]) {
      const setting = fields.join('\t');
      const eq = setting.startsWith('"') ? setting.indexOf('"=', 1) + 1 : setting.indexOf('=');
      if (eq > 0) info.settings[unquote(setting.slice(0, eq))] = unquote(setting.slice(eq + 1));
    }
  }
  if (!info.main && info.path) info.main = { path: info.path, version: GO_DEVEL_VERSION };
  return info;
}

/** A build setting's key or value as Go writes it: quoted (`strconv.Quote`) when it holds spaces, tabs, quotes or `=`. */
function unquote(text: string): string {
  if (!(text.length >= 2 && text.startsWith('"') && text.endsWith('"'))) return text;
  try {
    // strconv.Quote's escapes are JSON's, but for \xNN (bytes that are not valid UTF-8) and \a \v.
    return JSON.parse(
      text
        .replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')
        .replace(/\\a/g, '\\u0007')
        .replace(/\\v/g, '\\u000b'),
    ) as string;
  } catch {
    return text;
  }
}

/**
 * Version patterns syft looks for in `-ldflags` (`-X main.version=1.2.3`,
 * `-X <module>/internal/build.GitVersion=v1.2.3`, `-X main.tag=1.2.3`), after `main` or a package
 * of the main module.
 */
const LDFLAGS_VERSION = [
  String.raw`\.([gG]it)?([bB]uild)?[vV]ersion=(\S+/)*(v?\d+\.\d+\.\d+[-\w]*)`,
  String.raw`\.([tT]ag)=(\S+/)*(v?\d+\.\d+\.\d+[-\w]*)`,
];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A version for a main module built at `(devel)`, as syft's `findMainModuleVersion` finds one
 * with its defaults: from `-ldflags` (prefixed `v`), else Go's pseudo-version of the VCS
 * revision Go stamped (`vcs.revision`, `vcs.time`): `v0.0.0-<yyyymmddhhmmss>-<12 hex>`.
 */
export function mainModuleVersion(info: GoBuildInfo): string | undefined {
  const main = info.main?.path;
  const ldflags = info.settings['-ldflags'];
  if (main && ldflags) {
    for (const pattern of LDFLAGS_VERSION) {
      const m = new RegExp(`(main|${escapeRegExp(main)}/\\S*)${pattern}`).exec(ldflags);
      const version = m?.at(-1);
      if (version) return version.startsWith('v') ? version : `v${version}`;
    }
  }
  const revision = info.settings['vcs.revision'];
  const time = info.settings['vcs.time'];
  if (!revision || !time) return undefined;
  const t = new Date(time);
  const stamp = Number.isNaN(t.getTime())
    ? '00010101000000'
    : t.toISOString().slice(0, 19).replace(/[-T:]/g, '');
  return `v0.0.0-${stamp}-${revision.slice(0, 12)}`;
}

export function readGoBuildInfo(buf: Buffer): GoBuildInfo | undefined {
  const strings = readGoBuildInfoStrings(buf);
  return strings && parseGoModinfo(strings.goVersion, strings.modinfo);
}

/** `pkg:golang/<module path>@<version>`, the module path split into namespace and name. */
export function goPurl(module: string, version: string): string | undefined {
  const slash = module.lastIndexOf('/');
  return slash < 0
    ? purl('golang', undefined, module, version)
    : purl('golang', module.slice(0, slash), module.slice(slash + 1), version);
}

/** A Go release the toolchain line names (`go1.26.8`, `go1.22`), which syft lists as `stdlib`. */
const GO_RELEASE = /^go(\d+\.\d+(?:\.\d+)?)$/;

/**
 * The modules of one binary, as syft's go-module-binary-cataloger lists them: each dependency and
 * the main module, a version still `(devel)` (no -ldflags version, no VCS stamp) left empty with no
 * version in the purl (syft drops the placeholder: "we don't know the version"); and the Go
 * standard library the binary was compiled with, `stdlib` at the toolchain's version
 * (`pkg:golang/stdlib@1.26.8`, BSD-3-Clause), which the main module depends on: OSV lists Go's
 * standard-library advisories under that name.
 */
function goPackages(
  file: FileRecord,
  info: GoBuildInfo,
): { packages: Package[]; relationships: Relationship[] } {
  const devel = info.main?.version === GO_DEVEL_VERSION ? mainModuleVersion(info) : undefined;
  const main = info.main && devel ? { ...info.main, version: devel } : info.main;
  const modules = [...info.deps, ...(main ? [main] : [])].filter((m) => m.path);
  const metadata = (m?: GoModule) => ({
    goCompiledVersion: info.goVersion,
    ...(m?.sum && { h1Digest: m.sum }),
    ...(main && m === main && { mainModule: 'true' }),
    ...(info.settings.GOARCH && { architecture: info.settings.GOARCH }),
  });
  const packages = modules.map((m) => {
    const version = m.version === GO_DEVEL_VERSION ? '' : m.version;
    return makePackage({
      name: m.path,
      version,
      type: 'go-module',
      purl: goPurl(m.path, version),
      locations: [locationOf(file)],
      foundBy: 'go-module-binary-cataloger',
      metadata: metadata(m),
    });
  });
  const relationships: Relationship[] = [];
  const release = GO_RELEASE.exec(info.goVersion)?.[1];
  if (release) {
    const stdlib = makePackage({
      name: 'stdlib',
      version: info.goVersion,
      type: 'go-module',
      purl: goPurl('stdlib', release),
      licenses: ['BSD-3-Clause'],
      locations: [locationOf(file)],
      foundBy: 'go-module-binary-cataloger',
      metadata: metadata(),
    });
    const mainPackage = main && packages[modules.indexOf(main)];
    if (mainPackage) relationships.push({ from: mainPackage.id, to: stdlib.id, type: 'dependsOn' });
    packages.push(stdlib);
  }
  return { packages, relationships };
}

/** Executables in the usual places (syft reads every executable; see the module comment). */
export const goBinaryCataloger: Cataloger = {
  name: 'go-module-binary-cataloger',
  globs: GO_GLOBS,
  scan: {
    globs: GO_GLOBS,
    executable: true,
    magic: MAGIC,
    align: 16,
    window: GO_SCAN_WINDOW,
    // The pointer-based format (Go < 1.18) leads to strings before the header: read such files whole.
    reread: (window) => window.length >= 16 && !(window[15]! & FLAG_INLINE),
  },
  catalog(files: FileRecord[], context: CatalogContext): CatalogResult {
    const packages: Package[] = [];
    const relationships: Relationship[] = [];
    for (const file of files) {
      if (file.offset !== undefined && file.content.length >= 16 && !(file.content[15]! & FLAG_INLINE)) {
        context.logger.warning(
          `${file.path}: a Go binary built before Go 1.18 that could not be read whole (larger than maxFileSize); its modules are not in the SBOM`,
        );
        continue;
      }
      const info = readGoBuildInfo(file.content);
      if (!info) {
        if (file.offset !== undefined)
          context.logger.debug(
            `${file.path}: Go build info at offset ${file.offset} is not readable within ${file.content.length} bytes; skipped`,
          );
        continue;
      }
      context.logger.debug(`${file.path}: Go ${info.goVersion}, ${info.deps.length} dependencies`);
      const found = goPackages(file, info);
      packages.push(...found.packages);
      relationships.push(...found.relationships);
    }
    return { packages, relationships };
  },
};
