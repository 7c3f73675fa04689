/**
 * The rpm cataloger on an rpmdb.sqlite made here with node:sqlite: rpm's sqlite backend keeps one
 * header blob per row of `Packages (hnum, blob)`; the blobs are encoded here per the header format
 * (index count, data length, 16-byte index entries, data store; tag numbers from rpmtag.h).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseRpmHeader, rpmCataloger } from '@release-actions/shared/sbom';
import { silentLogger } from '@release-actions/shared';

function header(tags: Array<[number, string | number]>): Buffer {
  const index: Buffer[] = [];
  const data: Buffer[] = [];
  let offset = 0;
  for (const [tag, value] of tags) {
    const e = Buffer.alloc(16);
    let bytes: Buffer;
    if (typeof value === 'number') {
      while (offset % 4 !== 0) {
        data.push(Buffer.alloc(1));
        offset++;
      }
      bytes = Buffer.alloc(4);
      bytes.writeInt32BE(value);
      e.writeUInt32BE(4, 4);
    } else {
      bytes = Buffer.from(`${value}\0`);
      e.writeUInt32BE(6, 4);
    }
    e.writeUInt32BE(tag, 0);
    e.writeInt32BE(offset, 8);
    e.writeUInt32BE(1, 12);
    index.push(e);
    data.push(bytes);
    offset += bytes.length;
  }
  const head = Buffer.alloc(8);
  head.writeUInt32BE(tags.length, 0);
  head.writeUInt32BE(offset, 4);
  return Buffer.concat([head, ...index, ...data]);
}

function rpmdb(blobs: Buffer[]): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'rpmdb-test-'));
  try {
    const db = new DatabaseSync(join(dir, 'rpmdb.sqlite'));
    db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
    for (const b of blobs) insert.run(b);
    db.close();
    return readFileSync(join(dir, 'rpmdb.sqlite'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('rpm (rpmdb.sqlite)', () => {
  const bash = header([
    [1000, 'bash'],
    [1001, '5.2.26'],
    [1002, '3.fc40'],
    [1014, 'GPL-3.0-or-later'],
    [1022, 'x86_64'],
    [1044, 'bash-5.2.26-3.fc40.src.rpm'],
  ]);
  const shadow = header([
    [1000, 'shadow-utils'],
    [1003, 2],
    [1001, '4.15.1'],
    [1002, '3.fc40'],
    [1022, 'x86_64'],
  ]);

  it('parses header blobs', () => {
    const h = parseRpmHeader(shadow);
    assert.equal(h.get(1000), 'shadow-utils');
    assert.equal(h.get(1003), 2);
    assert.equal(parseRpmHeader(Buffer.from([0, 0, 0, 9, 0xff, 0xff, 0xff, 0xff])).size, 0);
  });

  it('catalogs the database with syft-style versions and purls', () => {
    const content = rpmdb([bash, shadow]);
    const { packages } = rpmCataloger.catalog([{ path: '/var/lib/rpm/rpmdb.sqlite', content }], {
      logger: silentLogger,
      distro: { id: 'fedora', versionId: '40', idLike: [] },
    });
    assert.deepEqual(
      packages.map((p) => [p.name, p.version, p.purl, p.licenses]),
      [
        [
          'bash',
          '5.2.26-3.fc40',
          'pkg:rpm/fedora/bash@5.2.26-3.fc40?arch=x86_64&distro=fedora-40&upstream=bash-5.2.26-3.fc40.src.rpm',
          ['GPL-3.0-or-later'],
        ],
        [
          'shadow-utils',
          '2:4.15.1-3.fc40',
          'pkg:rpm/fedora/shadow-utils@4.15.1-3.fc40?arch=x86_64&distro=fedora-40&epoch=2',
          [],
        ],
      ],
    );
  });

  it('skips a file that is not a database, saying so', () => {
    const warnings: string[] = [];
    const r = rpmCataloger.catalog([{ path: '/var/lib/rpm/rpmdb.sqlite', content: Buffer.from('bogus') }], {
      logger: { ...silentLogger, warning: (m) => warnings.push(m) },
    });
    assert.equal(r.packages.length, 0);
    assert.equal(warnings.length, 1);
  });
});
