import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import {
  ecosystemsMatch,
  normalizeName,
  osvEcosystems,
  ScanError,
  toOsvPackage,
} from '@release-actions/shared/scan';
import { PACKAGES } from './packages.ts';

const osv = (purl: string) => toOsvPackage({ name: 'x', version: '0', purl });

describe('purl → OSV package', () => {
  it('maps distribution packages to their source package and release ecosystem', () => {
    assert.deepEqual(osv('pkg:deb/debian/libc6@2.36-9?arch=amd64&upstream=glibc&distro=debian-12'), {
      ecosystem: 'Debian:12',
      name: 'glibc',
      version: '2.36-9',
    });
    // syft writes source@version when the source version differs (binNMUs).
    assert.deepEqual(osv('pkg:deb/debian/libfoo1@1.0-1%2Bb1?upstream=foo%401.0-1&distro=debian-12.5'), {
      ecosystem: 'Debian:12',
      name: 'foo',
      version: '1.0-1',
    });
    assert.equal(osv('pkg:deb/debian/bash@5.2-2?distro=bookworm')?.ecosystem, 'Debian:12');
    assert.equal(osv('pkg:deb/debian/bash@5.2-2')?.ecosystem, 'Debian');
    assert.equal(osv('pkg:deb/ubuntu/bash@5.1-6ubuntu1?distro=ubuntu-22.04')?.ecosystem, 'Ubuntu:22.04:LTS');
    assert.equal(osv('pkg:deb/ubuntu/bash@5.1?distro=ubuntu-23.10')?.ecosystem, 'Ubuntu:23.10');
    assert.equal(osv('pkg:deb/ubuntu/bash@5.1?distro=ubuntu-noble')?.ecosystem, 'Ubuntu:24.04:LTS');
    assert.deepEqual(
      osv('pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&upstream=openssl&distro=alpine-3.19.1'),
      {
        ecosystem: 'Alpine:v3.19',
        name: 'openssl',
        version: '3.1.4-r5',
      },
    );
    assert.equal(osv('pkg:apk/alpine/busybox@1.36.1-r15?distro=alpine-edge')?.ecosystem, 'Alpine:edge');
    assert.equal(osv('pkg:apk/wolfi/busybox@1.36.1-r15')?.ecosystem, 'Wolfi');
    assert.deepEqual(
      osv(
        'pkg:rpm/rocky/openssl-libs@3.0.7-25.el9_3?arch=x86_64&epoch=1&upstream=openssl-3.0.7-25.el9_3.src.rpm&distro=rocky-9.3',
      ),
      { ecosystem: 'Rocky Linux:9', name: 'openssl', version: '1:3.0.7-25.el9_3' },
    );
    assert.equal(osv('pkg:rpm/almalinux/bash@5.1.8-6.el9?distro=almalinux-9.3')?.ecosystem, 'AlmaLinux:9');
    assert.deepEqual(osv('pkg:rpm/redhat/openssl-libs@3.0.7-1.el9?distro=rhel-9.2'), {
      ecosystem: 'Red Hat',
      name: 'openssl-libs',
      version: '3.0.7-1.el9',
    });
  });

  it('maps language packages with namespaces as OSV names them', () => {
    assert.deepEqual(osv('pkg:npm/%40babel/traverse@7.22.0'), {
      ecosystem: 'npm',
      name: '@babel/traverse',
      version: '7.22.0',
    });
    assert.deepEqual(osv('pkg:pypi/Django_REST.framework@3.14.0'), {
      ecosystem: 'PyPI',
      name: 'django-rest-framework',
      version: '3.14.0',
    });
    assert.deepEqual(osv('pkg:golang/golang.org/x/net@v0.17.0'), {
      ecosystem: 'Go',
      name: 'golang.org/x/net',
      version: 'v0.17.0',
    });
    assert.equal(osv('pkg:golang/stdlib@go1.21.3')?.name, 'stdlib');
    assert.deepEqual(osv('pkg:cargo/openssl@0.10.55'), {
      ecosystem: 'crates.io',
      name: 'openssl',
      version: '0.10.55',
    });
    assert.equal(
      osv('pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1')?.name,
      'org.apache.logging.log4j:log4j-core',
    );
    assert.equal(osv('pkg:gem/rack@2.2.3')?.ecosystem, 'RubyGems');
  });

  it('has no ecosystem for types OSV does not cover, and refuses a malformed purl with a code', () => {
    assert.equal(osv('pkg:generic/openssl@3.0.0'), undefined);
    assert.equal(osv('pkg:deb/kali/bash@5.2'), undefined);
    assert.throws(
      () => osv('not a purl'),
      (err: unknown) => err instanceof ScanError && err.code === 'INVALID_PURL',
    );
  });

  it('honours an explicit ecosystem from the SBOM', () => {
    assert.equal(
      toOsvPackage({ name: 'bash', version: '1', purl: 'pkg:deb/debian/bash@1', ecosystem: 'Debian:11' })
        ?.ecosystem,
      'Debian:11',
    );
  });

  it('normalises PyPI names per PEP 503 and matches ecosystem suffixes as osv-scalibr does', () => {
    assert.equal(normalizeName('PyPI', 'Friendly.Bard__Baz'), 'friendly-bard-baz');
    assert.equal(normalizeName('npm', 'Foo_Bar'), 'Foo_Bar');
    assert.ok(ecosystemsMatch('Debian', 'Debian:12'));
    assert.ok(ecosystemsMatch('Debian:12', 'Debian:12'));
    assert.ok(!ecosystemsMatch('Debian:11', 'Debian:12'));
    assert.ok(!ecosystemsMatch('Ubuntu:22.04:LTS', 'Ubuntu:Pro:22.04:LTS'));
    assert.ok(!ecosystemsMatch('npm', 'PyPI'));
  });
});

describe('osvEcosystems', () => {
  it('lists the base ecosystems OSV exports a folder for, once each, by code point; none for uncovered purls', () => {
    assert.deepEqual(osvEcosystems(PACKAGES), ['Alpine', 'Debian', 'Go', 'PyPI', 'crates.io', 'npm']);
    assert.deepEqual(osvEcosystems([{ name: 'thing', version: '1', purl: 'pkg:generic/thing@1' }]), []);
    assert.deepEqual(
      osvEcosystems([{ name: 'bash', version: '5', purl: 'pkg:deb/ubuntu/bash@5?distro=ubuntu-22.04' }]),
      ['Ubuntu'],
    );
  });
});
