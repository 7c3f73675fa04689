/**
 * The rpm cataloger on an rpmdb.sqlite made here with node:sqlite: rpm's sqlite backend keeps one
 * header blob per row of `Packages (hnum, blob)`; the blobs come from `rpm-header.ts`. Also the
 * cataloger's globs against syft's glob-paths test data.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { globMatcher, parseRpmHeader, rpmCataloger, walkDirectory } from '@release-actions/shared/sbom';
import { silentLogger } from '@release-actions/shared';
import { fixture, needsFixtures } from '../fixtures.ts';
import { rpmHeader as header } from './rpm-header.ts';
import { skipIf } from '../jest-helpers.ts';

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

  it('reads an rpmdb.sqlite by its magic whatever the name', () => {
    const { packages } = rpmCataloger.catalog([{ path: '/var/lib/rpm/Packages', content: rpmdb([bash]) }], {
      logger: silentLogger,
    });
    assert.deepEqual(
      packages.map((p) => p.purl),
      ['pkg:rpm/bash@5.2.26-3.fc40?arch=x86_64&upstream=bash-5.2.26-3.fc40.src.rpm'],
    );
  });
});

const GLOB_PATHS = 'pkg/cataloger/redhat/testdata/glob-paths';

skipIf(needsFixtures('syft', GLOB_PATHS)).describe('rpm database globs', () => {
  const dir = fixture('syft', GLOB_PATHS);

  // syft's Test_DBCataloger_Globs (syft/pkg/cataloger/redhat/cataloger_test.go) expects these nine
  // from pkg.RpmDBGlob, plus var/lib/rpmmanifest/container-manifest-2, which syft's rpm-db-cataloger
  // reads with a second parser (pkg.RpmManifestGlob, CBL-Mariner manifests) that we do not have.
  it('asks for the database files syft asks for', async () => {
    const files = await walkDirectory(dir, globMatcher(rpmCataloger.globs));
    assert.deepEqual([...files.keys()].sort(), [
      '/usr/lib/sysimage/rpm/Packages',
      '/usr/lib/sysimage/rpm/Packages.db',
      '/usr/lib/sysimage/rpm/rpmdb.sqlite',
      '/usr/share/rpm/Packages',
      '/usr/share/rpm/Packages.db',
      '/usr/share/rpm/rpmdb.sqlite',
      '/var/lib/rpm/Packages',
      '/var/lib/rpm/Packages.db',
      '/var/lib/rpm/rpmdb.sqlite',
    ]);
  });

  it('warns once per file, naming it, when none is a database (they hold "bogus")', async () => {
    const files = await walkDirectory(dir, globMatcher(rpmCataloger.globs));
    const warnings: string[] = [];
    const r = rpmCataloger.catalog([...files.values()], {
      logger: { ...silentLogger, warning: (m) => warnings.push(m) },
    });
    assert.equal(r.packages.length, 0);
    assert.deepEqual(warnings.filter((w) => w.startsWith('/var/lib/rpm/')).sort(), [
      '/var/lib/rpm/Packages.db: not a readable rpm NDB database (no NDB magic); skipped',
      '/var/lib/rpm/Packages: not a readable rpm BerkeleyDB database (no BerkeleyDB hash magic); skipped',
      '/var/lib/rpm/rpmdb.sqlite: not a readable rpm sqlite database (file is not a database); skipped',
    ]);
    assert.equal(warnings.length, 9);
  });
});
