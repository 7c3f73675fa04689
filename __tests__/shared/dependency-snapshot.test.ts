/**
 * buildDependencySnapshot: the body of GitHub's dependency submission API from an SBOM's
 * inventory. A directory's SBOM (cataloged for real from two lockfiles) gives one manifest per
 * lockfile at its repository path, without the lockfile's own project; an image gives one manifest
 * named after the image.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from '@jest/globals';
import { buildDependencySnapshot, snapshotPackageCount } from '@release-actions/shared/github';
import { generateSbom, type Inventory } from '@release-actions/shared/sbom';

const OPTIONS = {
  sha: 'c27d339ee6075c1f744c5d4b200f7901aad2c369',
  ref: 'refs/heads/main',
  correlator: 'release_sbom_services',
  jobId: '42',
  jobUrl: 'https://github.com/acme/app/actions/runs/42',
  detector: { name: 'release-actions/sbom', version: 'v1', url: 'https://github.com/acme/release-actions' },
  scanned: new Date('2025-03-04T05:06:07Z'),
};

const PACKAGE_LOCK = {
  name: 'web',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'web', version: '1.0.0', dependencies: { express: '^4.18.0' } },
    'node_modules/express': { version: '4.18.2', dependencies: { debug: '2.6.9' } },
    'node_modules/debug': { version: '2.6.9', dependencies: { ms: '2.0.0' } },
    'node_modules/ms': { version: '2.0.0' },
  },
};

describe('buildDependencySnapshot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapshot-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a directory: one manifest per lockfile at its repository path, the project itself left out', async () => {
    mkdirSync(join(dir, 'web'));
    mkdirSync(join(dir, 'api'));
    writeFileSync(join(dir, 'web', 'package-lock.json'), JSON.stringify(PACKAGE_LOCK));
    writeFileSync(join(dir, 'api', 'requirements.txt'), 'requests==2.30.0\nurllib3==2.0.7\n');
    const sbom = await generateSbom({ path: dir });
    const snapshot = buildDependencySnapshot(sbom.inventory, {
      ...OPTIONS,
      directoryInRepository: 'services',
    });

    assert.deepEqual(
      { ...snapshot, manifests: undefined },
      {
        version: 0,
        sha: OPTIONS.sha,
        ref: 'refs/heads/main',
        job: { correlator: 'release_sbom_services', id: '42', html_url: OPTIONS.jobUrl },
        detector: OPTIONS.detector,
        scanned: '2025-03-04T05:06:07.000Z',
        manifests: undefined,
      },
    );
    assert.deepEqual(Object.keys(snapshot.manifests), [
      'services/api/requirements.txt',
      'services/web/package-lock.json',
    ]);
    const web = snapshot.manifests['services/web/package-lock.json']!;
    assert.equal(web.name, 'services/web/package-lock.json');
    assert.deepEqual(web.file, { source_location: 'services/web/package-lock.json' });
    // web@1.0.0 is the lockfile's own project: not a dependency, so express is the direct one.
    assert.deepEqual(web.resolved, {
      'pkg:npm/debug@2.6.9': {
        package_url: 'pkg:npm/debug@2.6.9',
        relationship: 'indirect',
        dependencies: ['pkg:npm/ms@2.0.0'],
      },
      'pkg:npm/express@4.18.2': {
        package_url: 'pkg:npm/express@4.18.2',
        relationship: 'direct',
        dependencies: ['pkg:npm/debug@2.6.9'],
      },
      'pkg:npm/ms@2.0.0': { package_url: 'pkg:npm/ms@2.0.0', relationship: 'indirect', dependencies: [] },
    });
    assert.deepEqual(
      Object.values(snapshot.manifests['services/api/requirements.txt']!.resolved).map(
        (d) => `${d.package_url} ${d.relationship}`,
      ),
      ['pkg:pypi/requests@2.30.0 direct', 'pkg:pypi/urllib3@2.0.7 direct'],
    );
    assert.equal(snapshotPackageCount(snapshot), 5);
    // At the repository root the paths carry no prefix.
    const atRoot = buildDependencySnapshot(sbom.inventory, OPTIONS);
    assert.deepEqual(Object.keys(atRoot.manifests), ['api/requirements.txt', 'web/package-lock.json']);
  });

  it('an image: one manifest named after the image; packages without a purl left out, a purl twice once', () => {
    const inventory: Inventory = {
      source: {
        type: 'image',
        name: 'ghcr.io/acme/app:v1',
        digest: 'sha256:' + 'a'.repeat(64),
        platform: 'linux/amd64',
      },
      packages: [
        {
          id: 'a1',
          name: 'lodash',
          version: '4.17.20',
          type: 'npm',
          purl: 'pkg:npm/lodash@4.17.20',
          licenses: [],
          locations: [{ path: '/srv/a/node_modules/lodash/package.json' }],
          foundBy: 'npm',
        },
        {
          id: 'a2',
          name: 'lodash',
          version: '4.17.20',
          type: 'npm',
          purl: 'pkg:npm/lodash@4.17.20',
          licenses: [],
          locations: [{ path: '/srv/b/node_modules/lodash/package.json' }],
          foundBy: 'npm',
        },
        {
          id: 'b',
          name: 'libc6',
          version: '2.36-9',
          type: 'deb',
          purl: 'pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12',
          licenses: [],
          locations: [{ path: '/var/lib/dpkg/status' }],
          foundBy: 'dpkg',
        },
        { id: 'c', name: 'mystery', version: '1', type: 'npm', licenses: [], locations: [], foundBy: 'npm' },
      ],
      relationships: [],
    };
    const snapshot = buildDependencySnapshot(inventory, { ...OPTIONS, imageName: 'ghcr.io/acme/app' });
    assert.deepEqual(Object.keys(snapshot.manifests), ['ghcr.io/acme/app']);
    const manifest = snapshot.manifests['ghcr.io/acme/app']!;
    assert.equal(manifest.name, 'ghcr.io/acme/app');
    assert.equal(manifest.file, undefined);
    assert.deepEqual(manifest.metadata, { digest: 'sha256:' + 'a'.repeat(64), platform: 'linux/amd64' });
    assert.deepEqual(Object.keys(manifest.resolved), [
      'pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12',
      'pkg:npm/lodash@4.17.20',
    ]);
    assert.ok(Object.values(manifest.resolved).every((d) => d.relationship === 'direct'));
  });
});
