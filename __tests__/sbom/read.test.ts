/**
 * sbomDocumentPackages: the purl packages of an SPDX 2.x or CycloneDX JSON document, whoever wrote
 * it: this library's own writers (round trip), an SPDX 2.2 document with syft's `PACKAGE_MANAGER`
 * spelling, CycloneDX nested components; anything else refused with what it lacks.
 */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { sbomDocumentKind, sbomDocumentPackages, toCycloneDx, toSpdx } from '@release-actions/shared/sbom';
import type { Inventory } from '@release-actions/shared/sbom';

const inventory = {
  source: { type: 'image', name: 'registry.example/app', digest: `sha256:${'1'.repeat(64)}` },
  packages: [
    {
      id: 'deb-libc6',
      name: 'libc6',
      version: '2.36-9',
      type: 'deb',
      purl: 'pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12&upstream=glibc',
      licenses: [],
      foundBy: 'dpkg',
      locations: [{ path: '/var/lib/dpkg/status' }],
    },
    {
      id: 'npm-lodash',
      name: 'lodash',
      version: '4.17.20',
      type: 'npm',
      purl: 'pkg:npm/lodash@4.17.20',
      licenses: ['MIT'],
      foundBy: 'npm',
      locations: [{ path: '/srv/app/node_modules/lodash/package.json' }],
    },
    {
      id: 'bin-nopurl',
      name: 'mystery',
      version: '1',
      type: 'binary',
      licenses: [],
      foundBy: 'binary',
      locations: [{ path: '/usr/bin/mystery' }],
    },
  ],
  relationships: [],
} as unknown as Inventory;

const purls = [
  'pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12&upstream=glibc',
  'pkg:npm/lodash@4.17.20',
];

describe('sbomDocumentPackages', () => {
  it("reads back this library's SPDX and CycloneDX documents: every purl, nothing without one", () => {
    for (const document of [toSpdx(inventory), toCycloneDx(inventory)]) {
      const packages = sbomDocumentPackages(document);
      assert.deepEqual(
        packages.map((p) => p.purl),
        purls,
      );
      assert.deepEqual(packages[0], {
        name: 'libc6',
        version: '2.36-9',
        purl: purls[0],
        type: 'deb',
      });
    }
    assert.equal(sbomDocumentKind(toSpdx(inventory)), 'spdx');
    assert.equal(sbomDocumentKind(toCycloneDx(inventory)), 'cyclonedx');
  });

  it('reads SPDX 2.2 PACKAGE_MANAGER references and CycloneDX nested components, each purl once', () => {
    const spdx = {
      spdxVersion: 'SPDX-2.2',
      packages: [
        {
          name: 'openssl',
          versionInfo: '3.1.4-r5',
          externalRefs: [
            {
              referenceCategory: 'SECURITY',
              referenceType: 'cpe23Type',
              referenceLocator: 'cpe:2.3:a:openssl',
            },
            {
              referenceCategory: 'PACKAGE_MANAGER',
              referenceType: 'purl',
              referenceLocator: 'pkg:apk/alpine/openssl@3.1.4-r5?distro=alpine-3.19',
            },
          ],
        },
        {
          name: 'openssl',
          externalRefs: [
            {
              referenceCategory: 'PACKAGE-MANAGER',
              referenceType: 'purl',
              referenceLocator: 'pkg:apk/alpine/openssl@3.1.4-r5?distro=alpine-3.19',
            },
          ],
        },
      ],
    };
    assert.deepEqual(
      sbomDocumentPackages(spdx).map((p) => `${p.type} ${p.name} ${p.version}`),
      ['apk openssl 3.1.4-r5'],
    );
    const cdx = {
      bomFormat: 'CycloneDX',
      metadata: { component: { name: 'app', purl: 'pkg:oci/app@sha256%3Aabc' } },
      components: [
        {
          name: 'app.jar',
          purl: 'pkg:maven/acme/app@1.0',
          components: [
            {
              name: 'log4j-core',
              version: '2.14.1',
              purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
            },
          ],
        },
      ],
    };
    assert.deepEqual(
      sbomDocumentPackages(cdx).map((p) => p.purl),
      ['pkg:maven/acme/app@1.0', 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1'],
    );
  });

  it('refuses what is neither SPDX nor CycloneDX, saying what it lacks', () => {
    assert.throws(() => sbomDocumentPackages({ packages: [] }), /neither SPDX JSON .*nor CycloneDX JSON/);
    assert.throws(
      () => sbomDocumentPackages('SPDXVersion: SPDX-2.3'),
      /is string, not an SPDX or CycloneDX JSON object/,
    );
    assert.throws(() => sbomDocumentPackages([]), /is an array/);
  });
});
