import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { OsvExport, ScanError, scanPackages } from '@release-actions/shared/scan';
import { PACKAGES } from './packages.ts';
import { onTestFinished } from '../jest-helpers.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/osv/', import.meta.url));

{
  const source = await OsvExport.load(FIXTURES);
  const result = await scanPackages(PACKAGES, { source });
  const found = (id: string) => result.findings.filter((f) => f.id === id);

  describe('scan against an OSV export directory', () => {
    it('indexes every record of the per-ecosystem layout', () => {
      assert.equal(source.size, 10);
    });

    it('finds the vulnerable version and not the fixed one of the same package', () => {
      const lodash = found('GHSA-t001-0001-0001');
      assert.deepEqual(
        lodash.map((f) => f.package.version),
        ['4.17.20'],
      );
      assert.deepEqual(lodash[0]!.fixedVersions, ['4.17.21']);
      assert.equal(lodash[0]!.severity.level, 'high');
      assert.equal(lodash[0]!.severity.score, 8.8);
    });

    it('matches a Debian binary package by its source package and release, with dpkg ordering', () => {
      const glibc = found('DSA-9001-1');
      assert.equal(glibc.length, 1);
      assert.equal(glibc[0]!.package.name, 'libc6');
      assert.equal(glibc[0]!.osv.ecosystem, 'Debian:12');
      assert.deepEqual(glibc[0]!.fixedVersions, ['2.36-9+deb12u4']);
      assert.equal(glibc[0]!.url, 'https://security.example/DSA-9001-1');
      assert.equal(found('DSA-9002-1').length, 0, 'a Debian 11 advisory does not apply to Debian 12');
    });

    it('reports an unfixed advisory with no fixed version', () => {
      const minimist = found('GHSA-t002-0002-0002');
      assert.equal(minimist.length, 1);
      assert.deepEqual(minimist[0]!.fixedVersions, []);
      assert.equal(minimist[0]!.severity.level, 'medium');
    });

    it('drops withdrawn advisories and says which', () => {
      assert.equal(found('GHSA-t003-0003-0003').length, 0);
      assert.deepEqual(result.withdrawn, ['GHSA-t003-0003-0003']);
    });

    it('evaluates last_affected inclusively and versions lists exactly', () => {
      assert.deepEqual(
        found('PYSEC-9001-1').map((f) => f.package.version),
        ['3.1.2'],
      );
      assert.deepEqual(found('PYSEC-9001-1')[0]!.fixedVersions, []);
      assert.deepEqual(
        found('PYSEC-9002-1').map((f) => f.package.version),
        ['2.30.0'],
      );
    });

    it('matches Alpine (apk ordering), Go (v prefix) and crates.io; CVSS v4 stays unknown', () => {
      assert.equal(found('ALPINE-CVE-2099-3001')[0]?.severity.score, 5.9);
      assert.deepEqual(found('GO-9001-0001')[0]?.fixedVersions, ['0.17.0']);
      assert.equal(found('GO-9001-0001')[0]?.severity.level, 'low');
      const rust = found('RUSTSEC-9001-0001')[0];
      assert.equal(rust?.severity.level, 'unknown');
      assert.match(rust?.severity.vector ?? '', /^CVSS:4\.0\//);
    });

    it('lists packages OSV has no ecosystem for', () => {
      assert.deepEqual(
        result.skipped.map((s) => s.package.name),
        ['thing'],
      );
      assert.equal(result.scanned, PACKAGES.length - 1);
      assert.equal(result.findings.length, 8);
    });

    it('reads a flat directory of records too, and names a malformed file', async () => {
      const flat = await mkdtemp(join(tmpdir(), 'osv-flat-'));
      onTestFinished(() => rm(flat, { recursive: true, force: true }));
      await copyFile(
        join(FIXTURES, 'npm', 'GHSA-t001-0001-0001.json'),
        join(flat, 'GHSA-t001-0001-0001.json'),
      );
      const one = await OsvExport.load(flat);
      assert.equal(one.size, 1);
      const r = await scanPackages(PACKAGES.slice(1, 3), { source: one });
      assert.deepEqual(
        r.findings.map((f) => f.id),
        ['GHSA-t001-0001-0001'],
      );
      await writeFile(
        join(flat, 'BROKEN-1.json'),
        '{"id": "BROKEN-1", "affected": [{"ranges": [{"type": "SEMVER", "events": [{"introduced": "0", "fixed": "1"}]}]}]}',
      );
      await assert.rejects(
        OsvExport.load(flat),
        (e: unknown) =>
          e instanceof ScanError && e.code === 'INVALID_OSV_RECORD' && e.message.includes('BROKEN-1.json'),
      );
      const missing = join(flat, 'missing');
      await assert.rejects(
        OsvExport.load(missing),
        (e: unknown) =>
          e instanceof ScanError &&
          e.code === 'VULN_SOURCE_UNAVAILABLE' &&
          e.message.startsWith(`osv-db ${missing} is unreadable: `) &&
          /ENOENT/.test(e.message),
      );
    });

    it('reads several directories (one unpacked export per ecosystem) as one source, a shared record once', async () => {
      const root = await mkdtemp(join(tmpdir(), 'osv-dirs-'));
      onTestFinished(() => rm(root, { recursive: true, force: true }));
      const npm = join(root, 'npm');
      const pypi = join(root, 'pypi');
      await mkdir(npm);
      await mkdir(pypi);
      await copyFile(
        join(FIXTURES, 'npm', 'GHSA-t001-0001-0001.json'),
        join(npm, 'GHSA-t001-0001-0001.json'),
      );
      await copyFile(join(FIXTURES, 'PyPI', 'PYSEC-9001-1.json'), join(pypi, 'PYSEC-9001-1.json'));
      // An advisory of two ecosystems is in both exports.
      await copyFile(
        join(FIXTURES, 'npm', 'GHSA-t001-0001-0001.json'),
        join(pypi, 'GHSA-t001-0001-0001.json'),
      );
      const source = await OsvExport.load([npm, pypi], { description: 'OSV exports npm, PyPI' });
      assert.equal(source.size, 2);
      assert.equal(source.description, 'OSV exports npm, PyPI (2 records)');
      const r = await scanPackages(PACKAGES, { source });
      assert.deepEqual(r.findings.map((f) => `${f.id} ${f.package.version}`).sort(), [
        'GHSA-t001-0001-0001 4.17.20',
        'PYSEC-9001-1 3.1.2',
      ]);
    });
  });
}
