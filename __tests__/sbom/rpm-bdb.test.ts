/**
 * The rpm cataloger on BerkeleyDB hash `Packages` databases: syft's own fixture, with what syft's
 * TestParseRpmDB (syft/pkg/cataloger/redhat/parse_rpm_db_test.go) expects of it, and databases
 * encoded here from Berkeley DB's page layout (dbinc/db_page.h, as rpm's lib/backend/bdb_ro.cc and
 * knqyf263/go-rpmdb pkg/bdb read it), in both byte orders, with values stored on the hash page
 * (H_KEYDATA) and along chains of several overflow pages (H_OFFPAGE).
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generateSbom, rpmCataloger, type Distro, type Package } from '@release-actions/shared/sbom';
import { silentLogger } from '@release-actions/shared';
import { fixture, needsFixtures } from '../fixtures.ts';
import { makeImage, push, tempLayout } from '../images.ts';
import { rpmHeader } from './rpm-header.ts';
import { assertOfficialSpdx } from './schemas.ts';
import { skipIf } from '../jest-helpers.ts';

const FIXTURE = fixture('syft', 'pkg/cataloger/redhat/testdata/Packages');
const NO_FIXTURE = needsFixtures('syft', 'pkg/cataloger/redhat/testdata/Packages');
const AMAZON = 'linux/testdata/os/amazon/etc/os-release';
const NO_AMAZON = NO_FIXTURE || needsFixtures('syft', AMAZON);

// db_page.h: the 26-byte page header (lsn 0-7, pgno 8, prev_pgno 12, next_pgno 16, entries 20,
// hf_offset 22, level 24, type 25); page types P_HASHMETA 8, P_HASH 13, P_OVERFLOW 7; hash item
// types H_KEYDATA 1, H_OFFPAGE 3 (12 bytes: type, 3 unused, pgno, tlen). DB_HASHMAGIC 0x061561.
const PAGE_HEADER = 26;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const DB_HASHMAGIC = 0x00061561;

interface Record {
  /** rpm's header number, the 4-byte key (0 is rpm's bookkeeping record). */
  key: number;
  value: Buffer;
  /** Store the value along overflow pages rather than on the hash page. */
  offpage?: boolean;
}

/** Berkeley DB's default hash (`__ham_func5`), as rpm's bdb_ro.cc `hash_lookup` computes it. */
function hash(bytes: Uint8Array): number {
  let h = 0;
  for (const b of bytes) h = (Math.imul(h, 16777619) ^ b) >>> 0;
  return h;
}

/**
 * A hash database laid out like syft's fixture: page 0 the metadata, pages 1 and 2 the hash pages
 * of buckets 0 and 1 (each key on its bucket's page, by `hash`), then the overflow pages of each
 * off-page value, chained by next_pgno, each holding `OV_LEN` (hf_offset) bytes after its header.
 * Items are packed down from the end of a hash page, key above value. Berkeley DB's own
 * db5.3_verify accepts what this writes, in either byte order.
 */
function bdb(records: Record[], { pageSize = 512, little = true } = {}): Buffer {
  const u32 = (b: Buffer, at: number, v: number) =>
    little ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at);
  const u16 = (b: Buffer, at: number, v: number) =>
    little ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at);
  const page = (pgno: number, type: number, next: number, entries: number, hfOffset: number, prev = 0) => {
    const p = Buffer.alloc(pageSize);
    u32(p, 8, pgno);
    u32(p, 12, prev);
    u32(p, 16, next);
    u16(p, 20, entries);
    u16(p, 22, hfOffset);
    p[25] = type;
    return p;
  };
  const pages: Buffer[] = [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)]; // filled below
  const buckets: Array<Array<[Buffer, Buffer]>> = [[], []];
  for (const { key, value, offpage } of records) {
    const k = Buffer.alloc(5);
    k[0] = H_KEYDATA;
    u32(k, 1, key);
    const bucket = buckets[hash(k.subarray(1)) & 1]!; // high_mask 1
    if (!offpage) {
      bucket.push([k, Buffer.concat([Buffer.from([H_KEYDATA]), value])]);
      continue;
    }
    const first = pages.length;
    const room = pageSize - PAGE_HEADER;
    for (let at = 0; at < value.length; at += room) {
      const chunk = value.subarray(at, at + room);
      const pgno = pages.length;
      const last = at + room >= value.length;
      // For overflow pages `entries` is the reference count (OV_REF) and hf_offset the length (OV_LEN).
      const p = page(pgno, P_OVERFLOW, last ? 0 : pgno + 1, 1, chunk.length, pgno === first ? 0 : pgno - 1);
      chunk.copy(p, PAGE_HEADER);
      pages.push(p);
    }
    const v = Buffer.alloc(12);
    v[0] = H_OFFPAGE;
    u32(v, 4, first);
    u32(v, 8, value.length);
    bucket.push([k, v]);
  }
  buckets.forEach((items, b) => {
    let low = pageSize;
    const offsets: number[] = [];
    const content = Buffer.alloc(pageSize);
    for (const [k, v] of items) {
      low -= k.length;
      k.copy(content, low);
      offsets.push(low);
      low -= v.length;
      v.copy(content, low);
      offsets.push(low);
    }
    assert.ok(PAGE_HEADER + offsets.length * 2 <= low, 'the items fit the hash page');
    const p = page(1 + b, P_HASH, 0, offsets.length, low);
    content.copy(p, low, low);
    offsets.forEach((o, i) => u16(p, PAGE_HEADER + i * 2, o));
    pages[1 + b] = p;
  });
  // Hash metadata (db_page.h HMETA): the generic part (magic 12, version 16, pagesize 20,
  // encrypt_alg 24 = none, type 25, last_pgno 32), then max_bucket 72, high_mask 76, low_mask 80,
  // ffactor 84, nelem 88, h_charkey 92, spares[32] from 96 (bucket b is on page b + spares[log2]).
  const meta = page(0, P_HASHMETA, 0, 0, 0);
  u32(meta, 12, DB_HASHMAGIC);
  u32(meta, 16, 9); // hash version 9, as the fixture's (BDB 4.x/5.x)
  u32(meta, 20, pageSize);
  u32(meta, 32, pages.length - 1);
  u32(meta, 72, 1);
  u32(meta, 76, 1);
  u32(meta, 80, 0);
  u32(meta, 88, records.length);
  // hash.h CHARKEY "%$sniglet^&", hashed with its NUL: the fixture stores the same 0x5e688dd1
  u32(meta, 92, hash(Buffer.from('%$sniglet^&\0', 'latin1')));
  u32(meta, 96, 1);
  u32(meta, 100, 1);
  pages[0] = meta;
  return Buffer.concat(pages);
}

/** A u32 written into page `pgno` at `at`, in the database's byte order (to corrupt it). */
function patch32(db: Buffer, pageSize: number, pgno: number, at: number, v: number, little = true) {
  if (little) db.writeUInt32LE(v, pgno * pageSize + at);
  else db.writeUInt32BE(v, pgno * pageSize + at);
}

const CENTOS_7: Distro = { id: 'centos', versionId: '7', idLike: [] };

/** The cataloger's packages and warnings for one file; `distro: null` for none (as in syft's test). */
function catalog(path: string, content: Buffer, distro: Distro | null = CENTOS_7) {
  const warnings: string[] = [];
  const { packages } = rpmCataloger.catalog([{ path, content }], {
    logger: { ...silentLogger, warning: (m) => warnings.push(m) },
    distro: distro ?? undefined,
  });
  return { packages, warnings };
}

const summary = (packages: Package[]) => packages.map((p) => [p.name, p.version, p.purl, p.licenses]);

describe('rpm (BerkeleyDB Packages)', () => {
  skipIf(NO_FIXTURE).it("syft's fixture: dive 0.9.2-1, as syft's TestParseRpmDB expects it", () => {
    // The fixture is little-endian, 4 KiB pages: page 1 holds rpm's key-0 record (an inline value),
    // page 2 key 1 with an H_OFFPAGE value, page 3 that value's one overflow page (1324 bytes).
    const { packages, warnings } = catalog('/var/lib/rpm/Packages', readFileSync(FIXTURE), null);
    assert.deepEqual(warnings, []);
    assert.equal(packages.length, 1);
    const dive = packages[0]!;
    // syft: Name "dive", Version "0.9.2-1" (Epoch nil, Version "0.9.2", Release "1"), Arch "x86_64",
    // SourceRpm "dive-0.9.2-1.src.rpm", license "MIT", PURL below (no distro in that test).
    assert.deepEqual(
      {
        name: dive.name,
        version: dive.version,
        purl: dive.purl,
        licenses: dive.licenses,
        type: dive.type,
        metadata: dive.metadata,
        locations: dive.locations,
        foundBy: dive.foundBy,
      },
      {
        name: 'dive',
        version: '0.9.2-1',
        purl: 'pkg:rpm/dive@0.9.2-1?arch=x86_64&upstream=dive-0.9.2-1.src.rpm',
        licenses: ['MIT'],
        type: 'rpm',
        metadata: { architecture: 'x86_64' },
        locations: [{ path: '/var/lib/rpm/Packages' }],
        foundBy: 'rpm-db-cataloger',
      },
    );
  });

  const bash = rpmHeader([
    [1000, 'bash'],
    [1001, '4.2.46'],
    [1002, '34.el7'],
    [1014, 'GPLv3+'],
    [1022, 'x86_64'],
    [1044, 'bash-4.2.46-34.el7.src.rpm'],
    // RPMTAG_DESCRIPTION, long enough that the header spans three 486-byte overflow pages
    [1005, 'The GNU Bourne Again shell (Bash) is a shell and command language interpreter. '.repeat(15)],
  ]);
  const shadow = rpmHeader([
    [1000, 'shadow-utils'],
    [1003, 2],
    [1001, '4.6'],
    [1002, '5.el7'],
    [1022, 'x86_64'],
  ]);
  const filesystem = rpmHeader([
    [1000, 'filesystem'],
    [1001, '3.2'],
    [1002, '25.el7'],
    [1014, 'Public Domain'],
    [1022, 'x86_64'],
    [1044, 'filesystem-3.2-25.el7.src.rpm'],
  ]);
  const records: Record[] = [
    { key: 0, value: Buffer.from([3, 0, 0, 0]) }, // rpm's bookkeeping record: not a package
    { key: 1, value: bash, offpage: true },
    { key: 2, value: shadow },
    { key: 3, value: filesystem, offpage: true },
  ];
  // In page order: bucket 0 (page 1) holds keys 0 and 2, bucket 1 (page 2) keys 1 and 3.
  const expected = [
    [
      'shadow-utils',
      '2:4.6-5.el7',
      'pkg:rpm/centos/shadow-utils@4.6-5.el7?arch=x86_64&distro=centos-7&epoch=2',
      [],
    ],
    [
      'bash',
      '4.2.46-34.el7',
      'pkg:rpm/centos/bash@4.2.46-34.el7?arch=x86_64&distro=centos-7&upstream=bash-4.2.46-34.el7.src.rpm',
      ['GPLv3+'],
    ],
    [
      'filesystem',
      '3.2-25.el7',
      'pkg:rpm/centos/filesystem@3.2-25.el7?arch=x86_64&distro=centos-7&upstream=filesystem-3.2-25.el7.src.rpm',
      ['Public Domain'],
    ],
  ];

  it('reads values on the hash page and along overflow chains, in either byte order', () => {
    assert.ok(bash.length > 2 * (512 - PAGE_HEADER), 'bash takes at least three overflow pages');
    for (const little of [true, false]) {
      const { packages, warnings } = catalog('/var/lib/rpm/Packages', bdb(records, { little }));
      assert.deepEqual(warnings, []);
      assert.deepEqual(summary(packages), expected, little ? 'little-endian' : 'big-endian');
    }
    const big = catalog('/var/lib/rpm/Packages', bdb(records, { pageSize: 4096, little: false }));
    assert.deepEqual(summary(big.packages), expected, '4 KiB pages');
  });

  it('skips a database whose overflow chain loops, saying so', () => {
    const db = bdb(records);
    // bash's chain is pages 3-5: page 5 now says it holds one byte less and continues at itself.
    patch32(db, 512, 5, 16, 5);
    db.writeUInt16LE(db.readUInt16LE(5 * 512 + 22) - 1, 5 * 512 + 22);
    const { packages, warnings } = catalog('/usr/lib/sysimage/rpm/Packages', db);
    assert.deepEqual(packages, []);
    assert.deepEqual(warnings, [
      '/usr/lib/sysimage/rpm/Packages: not a readable rpm BerkeleyDB database (overflow chain from page 3 loops back to page 5); skipped',
    ]);
  });

  skipIf(NO_FIXTURE).it('skips a truncated or inconsistent database, saying why', () => {
    const fixture = readFileSync(FIXTURE);
    const cases: Array<[Buffer, string]> = [
      [fixture.subarray(0, 12000), 'truncated: 4 pages of 4096 bytes announced, 12000 present'],
      [fixture.subarray(0, 300), 'truncated metadata page (300 bytes)'],
      [
        (() => {
          const db = bdb(records);
          patch32(db, 512, 3, 16, 99); // bash's first overflow page continues past the last page
          return db;
        })(),
        `overflow chain from page 3 ends at page 99, ${bash.length - (512 - PAGE_HEADER)} bytes short`,
      ],
      [
        (() => {
          const db = bdb(records);
          db.writeUInt16LE(600, 512 + PAGE_HEADER); // the first key's offset, beyond the page
          return db;
        })(),
        'hash page 1: item pair 0 lies outside its place on the page',
      ],
      [
        (() => {
          const db = Buffer.from(fixture);
          db.writeUInt32LE(0x00053162, 12); // DB_BTREEMAGIC
          return db;
        })(),
        'a BerkeleyDB btree database; only hash databases are read',
      ],
    ];
    for (const [content, why] of cases) {
      const { packages, warnings } = catalog('/var/lib/rpm/Packages', content);
      assert.deepEqual(packages, []);
      assert.deepEqual(warnings, [
        `/var/lib/rpm/Packages: not a readable rpm BerkeleyDB database (${why}); skipped`,
      ]);
    }
  });

  it('keeps the packages it can read when a record is not a header, saying so', () => {
    const db = bdb([...records, { key: 4, value: Buffer.from('not a header') }]);
    const { packages, warnings } = catalog('/var/lib/rpm/Packages', db);
    assert.deepEqual(summary(packages), expected);
    assert.deepEqual(warnings, ['/var/lib/rpm/Packages: 1 rpm header(s) without a readable name; skipped']);
  });

  it('never throws or hangs on a damaged database', () => {
    const db = bdb(records);
    for (let at = 0; at < db.length; at++) {
      for (const byte of [0x00, 0x01, 0xff]) {
        const bad = Buffer.from(db);
        bad[at] = byte;
        // A damaged key or page type can hide a record without a trace (as in any page scan), so
        // this asks only that the cataloger returns, with at most the packages there are.
        assert.ok(catalog('/var/lib/rpm/Packages', bad).packages.length <= 3);
      }
    }
  });
});

skipIf(NO_AMAZON).describe('rpm (BerkeleyDB Packages) in an image', () => {
  it('an Amazon Linux 2 image: the package with the distro in its purl, in both documents', async () => {
    const layout = await tempLayout();
    try {
      const osRelease = readFileSync(fixture('syft', AMAZON));
      const image = makeImage({
        layers: [
          [{ name: 'etc/os-release', content: osRelease }],
          [{ name: 'var/lib/rpm/Packages', content: readFileSync(FIXTURE) }],
        ],
      });
      await push(layout.store, image, 'v1');
      const result = await generateSbom({ store: layout.store, reference: 'v1' });
      const purl = 'pkg:rpm/amzn/dive@0.9.2-1?arch=x86_64&distro=amzn-2&upstream=dive-0.9.2-1.src.rpm';
      assert.deepEqual(
        result.packages.map((p) => [p.purl, p.locations[0]!.path, p.locations[0]!.layer]),
        [[purl, '/var/lib/rpm/Packages', result.layers![1]!.digest]],
      );
      assert.equal(result.inventory.distro?.id, 'amzn');
      assert.ok(JSON.stringify(result.cyclonedx).includes(JSON.stringify(purl)));
      assert.ok(JSON.stringify(result.spdx).includes(JSON.stringify(purl)));
      console.log(assertOfficialSpdx(result.spdx));
    } finally {
      await layout.dispose();
    }
  });
});
