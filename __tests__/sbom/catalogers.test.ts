/**
 * Catalogers against syft's own test data (../shared/fixtures/syft, see __tests__/fixtures.ts), with
 * the expectations of syft's tests (syft/pkg/cataloger/<ecosystem>/*_test.go,
 * syft/linux/identify_release_test.go).
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  apkCataloger,
  catalog,
  dpkgCataloger,
  globMatcher,
  identifyDistro,
  IMAGE_CATALOGERS,
  npmCataloger,
  OS_RELEASE_GLOBS,
  parseCopyright,
  parseOsRelease,
  pythonCataloger,
  splitLicenseField,
  walkDirectory,
  type Cataloger,
  type FileRecord,
  type Inventory,
} from '@release-actions/shared/sbom';
import { silentLogger } from '@release-actions/shared';
import { fixture, needsFixtures } from '../fixtures.ts';
import { skipIf } from '../jest-helpers.ts';

const SYFT = fixture('syft');
const NO_SYFT = needsFixtures('syft');
const CAT = `${SYFT}/pkg/cataloger`;

async function catalogDir(
  dir: string,
  catalogers: readonly Cataloger[] = IMAGE_CATALOGERS,
): Promise<Inventory> {
  const wanted = globMatcher([...OS_RELEASE_GLOBS, ...catalogers.flatMap((c) => c.globs)]);
  const files = await walkDirectory(dir, wanted);
  return catalog(files, { type: 'directory', name: dir }, catalogers, silentLogger);
}

async function fileAt(path: string, as = path): Promise<FileRecord> {
  return { path: as, content: await readFile(path) };
}

function deps(inv: Inventory): Record<string, string[]> {
  const name = new Map(inv.packages.map((p) => [p.id, p.name]));
  const out: Record<string, string[]> = {};
  for (const r of inv.relationships) (out[name.get(r.from)!] ??= []).push(name.get(r.to)!);
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

skipIf(NO_SYFT).describe('os-release', () => {
  it('identifies distros as syft does', async () => {
    const osDir = `${SYFT}/linux/testdata/os`;
    const read = async (dir: string) =>
      identifyDistro(await walkDirectory(`${osDir}/${dir}`, globMatcher([...OS_RELEASE_GLOBS])));
    assert.deepEqual(
      { ...(await read('alpine')) },
      { id: 'alpine', versionId: '3.11.6', prettyName: 'Alpine Linux v3.11', idLike: [] },
    );
    assert.deepEqual((await read('amazon'))?.idLike, ['centos', 'rhel', 'fedora']);
    assert.equal((await read('debian/from-os-release'))?.versionId, '8');
    // debian_version supplies the point release (syft/linux/supplement_release.go)
    assert.equal((await read('debian/with-point-release'))?.versionId, '13.5');
    assert.equal((await read('debian/from-debian_version'))?.versionId, '10.8');
    assert.equal((await read('fedora'))?.versionId, '36');
    assert.equal(parseOsRelease('# nothing\n'), undefined);
  });
});

skipIf(NO_SYFT).describe('dpkg', () => {
  it("asks for syft's dpkg files by glob (debian cataloger_test.go glob-paths, opkg aside)", async () => {
    const files = await walkDirectory(`${CAT}/debian/testdata/glob-paths`, globMatcher(dpkgCataloger.globs));
    // syft's list also has usr/lib/opkg/status and opkg info/*.control (OpenWrt's opkg, which
    // this cataloger does not read) and the info/*.conffiles and *.md5sums it reads for file lists.
    assert.deepEqual([...files.keys()].sort(), [
      '/usr/lib/dpkg/status',
      '/usr/lib/dpkg/status.d/pkg-1.0',
      '/usr/share/doc/libpam-runtime/copyright',
      '/var/lib/dpkg/status',
      '/var/lib/dpkg/status.d/pkg-1.0',
    ]);
  });

  it('image-dpkg: libpam-runtime with licenses from copyright and the distro purl', async () => {
    const inv = await catalogDir(`${CAT}/debian/testdata/image-dpkg`, [dpkgCataloger]);
    assert.equal(inv.packages.length, 1);
    const p = inv.packages[0]!;
    assert.equal(p.name, 'libpam-runtime');
    assert.equal(p.version, '1.1.8-3.6');
    assert.deepEqual(p.licenses, ['GPL-1', 'GPL-2', 'LGPL-2.1']);
    assert.equal(p.purl, 'pkg:deb/debian/libpam-runtime@1.1.8-3.6?arch=all&distro=debian-12&upstream=pam');
    assert.deepEqual(
      p.locations.map((l) => l.path),
      ['/var/lib/dpkg/status', '/usr/share/doc/libpam-runtime/copyright'],
    );
  });

  it('image-distroless-deb: status.d files', async () => {
    const inv = await catalogDir(`${CAT}/debian/testdata/image-distroless-deb`, [dpkgCataloger]);
    assert.deepEqual(
      inv.packages.map((p) => [p.name, p.version, p.licenses]),
      [['libsqlite3-0', '3.34.1-3', ['GPL-2', 'GPL-2+', 'public-domain']]],
    );
  });

  it('relationships through Depends, Pre-Depends, alternatives and Provides', async () => {
    const run = async (name: string) => {
      const file = await fileAt(
        `${CAT}/debian/testdata/var/lib/dpkg/status.d/${name}`,
        '/var/lib/dpkg/status',
      );
      const r = dpkgCataloger.catalog([file], { logger: silentLogger });
      return deps({ source: { type: 'directory', name }, ...r });
    };
    assert.deepEqual(await run('coreutils-relationships'), {
      coreutils: ['libacl1', 'libattr1', 'libc6', 'libgmp10', 'libselinux1'],
      libacl1: ['libc6'],
      libattr1: ['libc6'],
      libc6: ['libgcc-s1'],
      'libgcc-s1': ['gcc-12-base', 'libc6'],
      libgmp10: ['libc6'],
      'libpcre2-8-0': ['libc6'],
      libselinux1: ['libc6', 'libpcre2-8-0'],
    });
    assert.deepEqual(await run('doc-examples'), {
      'made-up-package-1': ['gnumach-dev', 'hurd-dev', 'kernel-headers-2.2.10'],
      'made-up-package-2': ['liblua5.1-dev', 'libluajit5.1-dev'],
      'made-up-package-3': ['bar', 'foo'],
      'made-up-package-4': ['made-up-package-5'],
      mutt: ['default-mta', 'libc6', 'mail-transport-agent'],
    });
  });

  it('leaves out deinstalled entries', async () => {
    const file = await fileAt(
      `${CAT}/debian/testdata/var/lib/dpkg/status.d/deinstall`,
      '/var/lib/dpkg/status',
    );
    const text = file.content.toString();
    assert.match(text, /deinstall/);
    const r = dpkgCataloger.catalog([file], { logger: silentLogger });
    assert.ok(r.packages.every((p) => !new RegExp(`Package: ${p.name}\\nStatus: deinstall`).test(text)));
  });

  it('reads copyright files as syft does', async () => {
    const read = async (n: string) =>
      parseCopyright(await readFile(`${CAT}/debian/testdata/copyright/${n}`, 'utf8'));
    assert.deepEqual(await read('libaudit-common'), ['GPL-1', 'GPL-2', 'LGPL-2.1']);
    assert.deepEqual(await read('libc6'), []);
    assert.deepEqual(await read('liblzma5'), [
      'Autoconf',
      'GPL-2',
      'GPL-2+',
      'GPL-3',
      'LGPL-2',
      'LGPL-2.1',
      'LGPL-2.1+',
      'PD',
      'PD-debian',
      'config-h',
      'noderivs',
      'permissive-fsf',
      'permissive-nowarranty',
      'probably-PD',
    ]);
  });
});

describe('apk', () => {
  skipIf(NO_SYFT).it('single: musl-utils with split licenses and the distro purl', async () => {
    const file = await fileAt(`${CAT}/alpine/testdata/single`, '/lib/apk/db/installed');
    const r = apkCataloger.catalog([file], {
      logger: silentLogger,
      distro: { id: 'alpine', versionId: '3.12.0', idLike: [] },
    });
    const p = r.packages[0]!;
    assert.equal(p.name, 'musl-utils');
    assert.equal(p.version, '1.1.24-r2');
    assert.deepEqual(p.licenses, ['MIT', 'BSD', 'GPL2+']);
    assert.equal(
      p.purl,
      'pkg:apk/alpine/musl-utils@1.1.24-r2?arch=x86_64&distro=alpine-3.12.0&upstream=musl',
    );
  });

  skipIf(NO_SYFT).it(
    'multiple-2: the dependency tree syft expects (through so: and cmd: provides)',
    async () => {
      const inv = await catalogDir(`${CAT}/alpine/testdata/multiple-2`, [apkCataloger]);
      assert.equal(inv.packages.length, 14);
      const sorted = (o: Record<string, string[]>) =>
        Object.fromEntries(Object.entries(o).map(([k, v]) => [k, [...v].sort()]));
      assert.deepEqual(
        deps(inv),
        sorted({
          'alpine-baselayout': ['busybox', 'alpine-baselayout-data', 'musl'],
          'apk-tools': ['ca-certificates-bundle', 'musl', 'libcrypto1.1', 'libssl1.1', 'zlib'],
          busybox: ['musl'],
          'libc-utils': ['musl-utils'],
          'libcrypto1.1': ['musl'],
          'libssl1.1': ['musl', 'libcrypto1.1'],
          'musl-utils': ['scanelf', 'musl'],
          scanelf: ['musl'],
          ssl_client: ['musl', 'libcrypto1.1', 'libssl1.1'],
          zlib: ['musl'],
        }),
      );
    },
  );

  it('keeps SPDX expressions whole', () => {
    assert.deepEqual(splitLicenseField('MIT OR Apache-2.0'), ['MIT OR Apache-2.0']);
    assert.deepEqual(splitLicenseField('GPL-2.0-only'), ['GPL-2.0-only']);
    assert.deepEqual(splitLicenseField(''), []);
  });

  skipIf(NO_SYFT).it('asks for the database by syft glob', async () => {
    const files = await walkDirectory(`${CAT}/alpine/testdata/glob-paths`, globMatcher(apkCataloger.globs));
    assert.deepEqual([...files.keys()], ['/lib/apk/db/installed']);
  });
});

skipIf(NO_SYFT).describe('npm (installed)', () => {
  it('package.json in node_modules: name, version, purl, licenses in every form', async () => {
    const dir = `${CAT}/javascript/testdata/pkg-json`;
    const run = async (fixture: string) =>
      npmCataloger.catalog([await fileAt(join(dir, fixture), '/app/node_modules/npm/package.json')], {
        logger: silentLogger,
      }).packages[0];
    const main = (await run('package.json'))!;
    assert.deepEqual(
      [main.name, main.version, main.purl, main.licenses],
      ['npm', '6.14.6', 'pkg:npm/npm@6.14.6', ['Artistic-2.0']],
    );
    assert.deepEqual((await run('package-license-object.json'))!.licenses, ['ISC']);
    assert.deepEqual((await run('package-license-objects.json'))!.licenses, ['MIT', 'Apache-2.0']);
    assert.deepEqual((await run('package-no-license.json'))!.licenses, []);
    assert.deepEqual((await run('package-private.json'))!.licenses, ['Artistic-2.0']);
  });

  it('skips package.json files that are not a package directory in node_modules', async () => {
    const file = await fileAt(`${CAT}/javascript/testdata/pkg-json/package.json`);
    const at = (path: string) =>
      npmCataloger.catalog([{ ...file, path }], { logger: silentLogger }).packages.length;
    assert.equal(at('/app/node_modules/npm/package.json'), 1);
    assert.equal(at('/app/node_modules/@scope/npm/package.json'), 1);
    assert.equal(at('/app/node_modules/a/node_modules/npm/package.json'), 1);
    assert.equal(at('/app/node_modules/npm/test/fixture/package.json'), 0);
    assert.equal(at('/app/node_modules/.bin/package.json'), 0);
    assert.equal(at('/app/package.json'), 0);
  });

  it('scoped purls', async () => {
    const file = await fileAt(
      `${CAT}/javascript/testdata/pkg-lock/node_modules/@actions/core/package.json`,
      '/node_modules/@actions/core/package.json',
    );
    const p = npmCataloger.catalog([file], { logger: silentLogger }).packages[0]!;
    assert.equal(p.name, '@actions/core');
    assert.equal(p.purl, `pkg:npm/%40actions/core@${p.version}`);
  });
});

skipIf(NO_SYFT).describe('python (installed)', () => {
  const site = `${CAT}/python/testdata/site-packages`;
  it('nested: dist-info and egg-info', async () => {
    const inv = await catalogDir(`${site}/nested`, [pythonCataloger]);
    assert.deepEqual(
      inv.packages.map((p) => [p.name, p.version, p.purl, p.licenses]),
      [
        ['pygments', '2.6.1', 'pkg:pypi/pygments@2.6.1', ['BSD License']],
        ['requests', '2.22.0', 'pkg:pypi/requests@2.22.0', ['Apache 2.0']],
      ],
    );
  });
  it('no-version egg-info file, uppercase DIST-INFO, partial dist-info', async () => {
    assert.deepEqual(
      (await catalogDir(`${site}/no-version`, [pythonCataloger])).packages.map((p) => [
        p.name,
        p.version,
        p.purl,
      ]),
      [['no-version', '', 'pkg:pypi/no-version']],
    );
    assert.deepEqual(
      (await catalogDir(`${site}/uppercase`, [pythonCataloger])).packages.map((p) => p.name).sort(),
      ['pygments', 'requests'],
    );
    const partial = await fileAt(
      `${site}/partial.dist-info/METADATA`,
      '/site-packages/partial.dist-info/METADATA',
    );
    assert.deepEqual(
      pythonCataloger.catalog([partial], { logger: silentLogger }).packages.map((p) => [p.name, p.licenses]),
      [['pygments', ['BSD License']]],
    );
    assert.deepEqual(
      (await catalogDir(`${site}/test`, [pythonCataloger])).packages.map((p) => [
        p.name,
        p.version,
        p.licenses,
      ]),
      [['requests', '2.22.0', ['Apache 2.0']]],
    );
  });
});
