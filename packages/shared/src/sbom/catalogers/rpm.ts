/**
 * RPM packages from the rpm database, in any of its three formats, told apart by magic (and, when
 * there is none, by file name): `rpmdb.sqlite` (rpm 4.16+: Fedora 33+, RHEL 9, …) read with
 * Node's own `node:sqlite`, where each row of the `Packages` table holds one RPM header blob; the
 * BerkeleyDB hash `Packages` (RHEL/CentOS ≤ 8, Amazon Linux 2, see `rpm-bdb.ts`); and the NDB
 * `Packages.db` (openSUSE/SLES 15, see `rpm-ndb.ts`). Each header blob's NAME, VERSION, RELEASE,
 * EPOCH, ARCH, LICENSE and SOURCERPM tags (rpmtag.h) become the package. Versions are written
 * `[epoch:]version-release` and purls carry `epoch`, `arch` and `upstream` qualifiers, as syft
 * writes them. A database that cannot be read is skipped with a warning.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as NodeSqlite from 'node:sqlite';
import type { FileRecord } from '../filetree.ts';
import { distroQualifiers, locationOf, makePackage, purl, type Cataloger } from '../package.ts';
import type { Distro, Package } from '../types.ts';
import { isBerkeleyDbHash, readBerkeleyDbBlobs } from './rpm-bdb.ts';
import { isNdb, readNdbBlobs } from './rpm-ndb.ts';

export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  LICENSE: 1014,
  ARCH: 1022,
  SOURCERPM: 1044,
} as const;

const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18NSTRING = 9;

/**
 * The string and int32 tags of an RPM header blob as rpmdb stores it (no lead, no magic): index
 * length and data length (big-endian u32), then 16-byte index entries (tag, type, offset, count),
 * then the data store. Bounds are checked; a malformed blob yields what could be read safely.
 */
export function parseRpmHeader(blob: Uint8Array): Map<number, string | number> {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const out = new Map<number, string | number>();
  if (buf.length < 8) return out;
  const il = buf.readUInt32BE(0);
  const dl = buf.readUInt32BE(4);
  const dataStart = 8 + il * 16;
  if (il > 100_000 || dataStart + dl > buf.length) return out;
  for (let i = 0; i < il; i++) {
    const e = 8 + i * 16;
    const tag = buf.readUInt32BE(e);
    const type = buf.readUInt32BE(e + 4);
    const offset = buf.readInt32BE(e + 8);
    if (offset < 0 || offset >= dl) continue;
    const at = dataStart + offset;
    if (type === TYPE_STRING || type === TYPE_I18NSTRING || type === TYPE_STRING_ARRAY) {
      const end = buf.indexOf(0, at);
      if (end === -1 || end > dataStart + dl) continue;
      out.set(tag, buf.toString('utf8', at, end));
    } else if (type === TYPE_INT32 && at + 4 <= dataStart + dl) {
      out.set(tag, buf.readInt32BE(at));
    }
  }
  return out;
}

function rpmNamespace(distro?: Distro): string | undefined {
  const id = distro?.id;
  if (id === 'rhel' || id === 'hummingbird') return 'redhat';
  if (id?.startsWith('opensuse')) return 'opensuse';
  return id || undefined;
}

/** Header blobs of an rpmdb.sqlite, read through a private temporary copy (SQLite opens files, not buffers). */
function readBlobs(content: Buffer): Uint8Array[] {
  const dir = mkdtempSync(join(tmpdir(), 'sbom-rpmdb-'));
  try {
    const path = join(dir, 'rpmdb.sqlite');
    writeFileSync(path, content, { mode: 0o600 });
    // Imported lazily: node:sqlite prints an experimental warning on load, and most images have no rpmdb.
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as typeof NodeSqlite;
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      return db
        .prepare('SELECT blob FROM Packages')
        .all()
        .map((row) => (row as { blob: Uint8Array }).blob);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first 16 bytes of every SQLite 3 database file (sqlite.org/fileformat.html). */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

interface RpmDbFormat {
  name: string;
  read(content: Buffer): Uint8Array[];
}

const SQLITE: RpmDbFormat = { name: 'sqlite', read: readBlobs };
const BERKELEY_DB: RpmDbFormat = { name: 'BerkeleyDB', read: readBerkeleyDbBlobs };
const NDB: RpmDbFormat = { name: 'NDB', read: readNdbBlobs };

/** The format a database file is in: by its magic, else by the name each format is stored under. */
function formatOf(file: FileRecord): RpmDbFormat {
  const { content } = file;
  if (content.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) return SQLITE;
  if (isNdb(content)) return NDB;
  if (isBerkeleyDbHash(content)) return BERKELEY_DB;
  const base = file.path.slice(file.path.lastIndexOf('/') + 1);
  return base === 'Packages' ? BERKELEY_DB : base === 'Packages.db' ? NDB : SQLITE;
}

export const rpmCataloger: Cataloger = {
  name: 'rpm-db-cataloger',
  globs: ['**/{var/lib,usr/share,usr/lib/sysimage}/rpm/{Packages,Packages.db,rpmdb.sqlite}'],
  catalog(files: FileRecord[], { distro, logger }) {
    const packages: Package[] = [];
    for (const file of files) {
      const format = formatOf(file);
      let blobs: Uint8Array[];
      try {
        blobs = format.read(file.content);
      } catch (err) {
        logger.warning(
          `${file.path}: not a readable rpm ${format.name} database (${(err as Error).message}); skipped`,
        );
        continue;
      }
      let unnamed = 0;
      for (const blob of blobs) {
        const h = parseRpmHeader(blob);
        const name = h.get(RPMTAG.NAME);
        if (typeof name !== 'string') {
          unnamed++;
          continue;
        }
        const version = String(h.get(RPMTAG.VERSION) ?? '');
        const release = String(h.get(RPMTAG.RELEASE) ?? '');
        const epoch = h.get(RPMTAG.EPOCH);
        const arch = h.get(RPMTAG.ARCH);
        const srpm = h.get(RPMTAG.SOURCERPM);
        const license = h.get(RPMTAG.LICENSE);
        const vr = release ? `${version}-${release}` : version;
        packages.push(
          makePackage({
            name,
            version: typeof epoch === 'number' ? `${epoch}:${vr}` : vr,
            type: 'rpm',
            purl: purl(
              'rpm',
              rpmNamespace(distro),
              name,
              vr,
              distroQualifiers(
                {
                  arch: typeof arch === 'string' ? arch : undefined,
                  epoch: typeof epoch === 'number' ? String(epoch) : undefined,
                  upstream: typeof srpm === 'string' ? srpm : undefined,
                },
                distro,
              ),
            ),
            licenses: typeof license === 'string' ? [license] : [],
            locations: [locationOf(file)],
            foundBy: this.name,
            metadata: typeof arch === 'string' ? { architecture: arch } : {},
          }),
        );
      }
      if (unnamed > 0) {
        logger.warning(`${file.path}: ${unnamed} rpm header(s) without a readable name; skipped`);
      }
    }
    return { packages, relationships: [] };
  },
};
