/**
 * The rpm cataloger on NDB `Packages.db` databases (openSUSE/SLES 15). No fixture exists, so the
 * databases are encoded here as rpm writes them (lib/backend/ndb/rpmpkg.c: rpmpkgWriteHeader,
 * rpmpkgWriteEmptySlotpage, rpmpkgWriteslot, rpmpkgWriteBlob), holding header blobs from
 * `rpm-header.ts`.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { rpmCataloger, type Distro, type Package } from '@release-actions/shared/sbom';
import { silentLogger } from '@release-actions/shared';
import { rpmHeader } from './rpm-header.ts';

// rpmpkg.c: PAGE_SIZE 4096, SLOT_SIZE 16, BLK_SIZE 16, PKGDB_HEADER_SIZE 32 (the first two slots),
// BLOBHEAD_SIZE 16 (magic, pkgidx, generation, bloblen), BLOBTAIL_SIZE 12 (adler32, bloblen, magic);
// every integer little-endian (h2le), magics four ASCII characters read as a little-endian u32.
const PAGE_SIZE = 4096;
const SLOT_SIZE = 16;
const BLK_SIZE = 16;
const HEADER_SIZE = 32;
const BLOBHEAD_SIZE = 16;
const BLOBTAIL_SIZE = 12;
const magic = (s: string) => Buffer.from(s, 'latin1').readUInt32LE(0);

/** Adler-32 (RFC 1950), which rpmpkgWriteBlob computes over the head, the blob and the padding. */
function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

interface Entry {
  pkgIndex: number;
  blob: Buffer;
  /** The slot to use (from 2, after the header); by default the next one. */
  slot?: number;
}

/**
 * A Packages.db with `slotPages` slot pages (all slots magic `Slot`, unused ones zero), then the
 * blobs in the order given, each in whole 16-byte blocks: head, blob, zero padding, tail.
 */
function ndb(entries: Entry[], { slotPages = 1, generation = 7 } = {}): Buffer {
  const slots = Buffer.alloc(slotPages * PAGE_SIZE);
  for (let at = 0; at < slots.length; at += SLOT_SIZE) slots.writeUInt32LE(magic('Slot'), at);
  const header = slots.subarray(0, HEADER_SIZE).fill(0);
  header.writeUInt32LE(magic('RpmP'), 0);
  header.writeUInt32LE(0, 4); // PKGDB_VERSION
  header.writeUInt32LE(generation, 8);
  header.writeUInt32LE(slotPages, 12);
  header.writeUInt32LE(Math.max(0, ...entries.map((e) => e.pkgIndex)) + 1, 16); // next pkgidx
  const blobs: Buffer[] = [];
  let blkOffset = slotPages * (PAGE_SIZE / BLK_SIZE);
  let nextSlot = HEADER_SIZE / SLOT_SIZE;
  for (const { pkgIndex, blob, slot = nextSlot } of entries) {
    nextSlot = slot + 1;
    const blkCount = Math.ceil((BLOBHEAD_SIZE + blob.length + BLOBTAIL_SIZE) / BLK_SIZE);
    const block = Buffer.alloc(blkCount * BLK_SIZE);
    block.writeUInt32LE(magic('BlbS'), 0);
    block.writeUInt32LE(pkgIndex, 4);
    block.writeUInt32LE(generation, 8);
    block.writeUInt32LE(blob.length, 12);
    blob.copy(block, BLOBHEAD_SIZE);
    const tail = block.length - BLOBTAIL_SIZE;
    block.writeUInt32LE(adler32(block.subarray(0, tail)), tail);
    block.writeUInt32LE(blob.length, tail + 4);
    block.writeUInt32LE(magic('BlbE'), tail + 8);
    const at = slot * SLOT_SIZE;
    slots.writeUInt32LE(pkgIndex, at + 4);
    slots.writeUInt32LE(blkOffset, at + 8);
    slots.writeUInt32LE(blkCount, at + 12);
    blobs.push(block);
    blkOffset += blkCount;
  }
  return Buffer.concat([slots, ...blobs]);
}

const LEAP: Distro = { id: 'opensuse-leap', versionId: '15.6', idLike: ['suse', 'opensuse'] };
const PATH = '/usr/lib/sysimage/rpm/Packages.db';

function catalog(content: Buffer, path = PATH) {
  const warnings: string[] = [];
  const { packages } = rpmCataloger.catalog([{ path, content }], {
    logger: { ...silentLogger, warning: (m) => warnings.push(m) },
    distro: LEAP,
  });
  return { packages, warnings };
}

const summary = (packages: Package[]) => packages.map((p) => [p.name, p.version, p.purl, p.licenses]);

describe('rpm (NDB Packages.db)', () => {
  const bash = rpmHeader([
    [1000, 'bash'],
    [1001, '4.4'],
    [1002, '150400.27.3.2'],
    [1014, 'GPL-3.0-or-later'],
    [1022, 'x86_64'],
    [1044, 'bash-4.4-150400.27.3.2.src.rpm'],
  ]);
  const aaa = rpmHeader([
    [1000, 'aaa_base'],
    [1003, 1],
    [1001, '84.87+git20180409.04c9dae'],
    [1002, '150300.10.3.1'],
    [1014, 'GPL-2.0+'],
    [1022, 'x86_64'],
    [1044, 'aaa_base-84.87+git20180409.04c9dae-150300.10.3.1.src.rpm'],
  ]);
  const noarch = rpmHeader([
    [1000, 'filesystem'],
    [1001, '15.0'],
    [1002, '11.8.1'],
    [1014, 'MIT'],
    [1022, 'noarch'],
  ]);
  // Slot 3 is left free between the first and the third package; the second sits in a later slot
  // on the second slot page, its blob after the others.
  const db = ndb(
    [
      { pkgIndex: 1, blob: bash },
      { pkgIndex: 5, blob: noarch, slot: 4 },
      { pkgIndex: 2, blob: aaa, slot: 300 },
    ],
    { slotPages: 2 },
  );
  const expected = [
    [
      'bash',
      '4.4-150400.27.3.2',
      'pkg:rpm/opensuse/bash@4.4-150400.27.3.2?arch=x86_64&distro=opensuse-leap-15.6&upstream=bash-4.4-150400.27.3.2.src.rpm',
      ['GPL-3.0-or-later'],
    ],
    [
      'filesystem',
      '15.0-11.8.1',
      'pkg:rpm/opensuse/filesystem@15.0-11.8.1?arch=noarch&distro=opensuse-leap-15.6',
      ['MIT'],
    ],
    [
      'aaa_base',
      '1:84.87+git20180409.04c9dae-150300.10.3.1',
      'pkg:rpm/opensuse/aaa_base@84.87+git20180409.04c9dae-150300.10.3.1?arch=x86_64&distro=opensuse-leap-15.6&epoch=1&upstream=aaa_base-84.87%2Bgit20180409.04c9dae-150300.10.3.1.src.rpm',
      ['GPL-2.0+'],
    ],
  ];

  it('reads every used slot, in slot order, with syft-style versions and purls', () => {
    const { packages, warnings } = catalog(db);
    assert.deepEqual(warnings, []);
    assert.deepEqual(summary(packages), expected);
    assert.deepEqual(packages[0]!.locations, [{ path: PATH }]);
  });

  it('picks the reader by the NDB magic, whatever the name', () => {
    assert.deepEqual(summary(catalog(db, '/var/lib/rpm/Packages').packages), expected);
  });

  it('reads a database with no packages as empty', () => {
    assert.deepEqual(catalog(ndb([])), { packages: [], warnings: [] });
  });

  it('skips a truncated or inconsistent database, saying why', () => {
    const firstBlob = 2 * PAGE_SIZE;
    const corrupt = (edit: (b: Buffer) => void) => {
      const b = Buffer.from(db);
      edit(b);
      return b;
    };
    const cases: Array<[Buffer, string]> = [
      [
        db.subarray(0, db.length - 16),
        `truncated: package 2 ends at block ${db.length / 16} of ${db.length / 16 - 1}`,
      ],
      [db.subarray(0, 5000), '5000 bytes, not whole 16-byte blocks'],
      [db.subarray(0, 20), 'truncated header (20 bytes)'],
      [
        corrupt((b) => b.writeUInt32LE(1000, 12)),
        `truncated: 1000 slot pages announced, ${db.length} bytes present`,
      ],
      [corrupt((b) => b.writeUInt32LE(1, 4)), 'unsupported NDB version 1'],
      [corrupt((b) => b.writeUInt32LE(0, 3 * SLOT_SIZE)), 'slot 3 has no slot magic'],
      [corrupt((b) => b.writeUInt32LE(9, firstBlob + 4)), 'package 1: no blob head for it at block 512'],
      [
        corrupt((b) => b.writeUInt32LE(9999, firstBlob + 12)),
        `package 1: a blob of 9999 bytes does not fill ${Math.ceil((28 + bash.length) / 16)} blocks`,
      ],
      [
        corrupt((b) => b.writeUInt32LE(10, 2 * SLOT_SIZE + 8)),
        'slot 2 is not a valid entry (package 1, block 10)',
      ],
      [
        corrupt((b) => b.writeUInt32LE(0, firstBlob + Math.ceil((28 + bash.length) / 16) * 16 - 4)),
        'package 1: the blob tail does not match its head',
      ],
    ];
    for (const [content, why] of cases) {
      const { packages, warnings } = catalog(content);
      assert.deepEqual(packages, [], why);
      assert.deepEqual(warnings, [`${PATH}: not a readable rpm NDB database (${why}); skipped`]);
    }
  });

  it('never throws on a damaged database', () => {
    const small = ndb([{ pkgIndex: 1, blob: bash }]);
    for (let at = 0; at < small.length; at++) {
      if (at >= 64 && at < PAGE_SIZE) continue; // the unused slots: nothing new to learn there
      for (const byte of [0x00, 0x01, 0xff]) {
        const bad = Buffer.from(small);
        bad[at] = byte;
        assert.ok(catalog(bad).packages.length <= 1);
      }
    }
  });
});
