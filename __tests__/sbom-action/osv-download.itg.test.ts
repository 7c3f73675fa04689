/**
 * The committed bundle with `osv-db: download`: OSV's per-ecosystem exports fetched from
 * `osv-export-url` into the runner's tool cache (`@actions/tool-cache`), run as the runner runs it.
 * The bucket is a loopback stand-in (`__tests__/scan/osv-export-bucket.ts`) serving real zip
 * archives of the scan tests' OSV records at `/<Ecosystem>/all.zip`, counting requests. The image,
 * pushed to a loopback docker-registry, holds glibc from Debian 12 and three npm packages, so
 * exactly the `Debian` and `npm` exports are fetched. A second run with the same RUNNER_TOOL_CACHE makes no request and
 * finds the same; a refused or broken download keeps the SBOM and fails the step naming `osv-db`
 * and `osv-export-url`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startOsvExportBucket, osvExportToday, type OsvExportBucket } from '../scan/osv-export-bucket.ts';
import { makeImage, push, type TarEntry } from '../images.ts';
import { DIST, runAction, type ActionRun } from './runner.ts';
import { useRegistry } from '../registry-fixture.ts';

const DPKG_STATUS = `Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Architecture: amd64
Source: glibc
Version: 2.36-9
Description: GNU C Library: Shared libraries

`;
const pkgJson = (name: string, version: string) => JSON.stringify({ name, version, license: 'MIT' });
const LAYERS: TarEntry[][] = [
  [
    { name: 'etc/os-release', content: 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n' },
    { name: 'var/lib/dpkg/status', content: DPKG_STATUS },
    { name: 'srv/app/node_modules/lodash/package.json', content: pkgJson('lodash', '4.17.20') },
    { name: 'srv/app/node_modules/minimist/package.json', content: pkgJson('minimist', '1.2.5') },
    { name: 'srv/old/node_modules/ms/package.json', content: pkgJson('ms', '2.1.3') },
  ],
];

function assertRan(run: ActionRun, exitCode: number): void {
  assert.equal(run.exitCode, exitCode, `exit ${run.exitCode}\n${run.stdout}\n${run.stderr}`);
}

describe('actions/sbom dist/index.js with osv-db: download (loopback OSV export bucket)', () => {
  const reg = useRegistry();
  let bucket: OsvExportBucket;
  let image: string;
  const toolCache = mkdtempSync(join(tmpdir(), 'tool-cache-'));
  const runs: ActionRun[] = [];

  beforeAll(async () => {
    assert.ok(existsSync(DIST), `${DIST} is missing: run npm run build`);
    bucket = await startOsvExportBucket();
    const store = reg.repo('acme/export-app');
    const { digest } = await push(store, makeImage({ layers: LAYERS }), 'v1');
    image = `${reg.registry.host}/acme/export-app@${digest}`;
  });
  afterAll(async () => {
    for (const r of runs) r.dispose();
    rmSync(toolCache, { recursive: true, force: true });
    await bucket?.stop();
  });

  const download = (extra: Record<string, string> = {}, cache = toolCache) =>
    runAction(
      { image, 'osv-db': 'download', 'osv-export-url': bucket.url, 'upload-artifact': 'false', ...extra },
      { RUNNER_TOOL_CACHE: cache },
    );

  it('downloads the exports of the SBOM’s ecosystems once, into the tool cache, and scans against them', async () => {
    bucket.requests.length = 0;
    const first = await download();
    runs.push(first);
    // glibc's DSA-9001-1 is critical: the default gate fails, after everything is written.
    assertRan(first, 1);
    assert.deepEqual(bucket.requests, ['/Debian/all.zip', '/npm/all.zip']);
    assert.deepEqual(JSON.parse(first.outputs.vulnerabilities!), {
      total: 3,
      unknown: 0,
      none: 0,
      low: 0,
      medium: 1,
      high: 1,
      critical: 1,
    });
    assert.match(
      first.stdout,
      /^::error::1 vulnerability is at or above critical: DSA-9001-1 in libc6@2\.36-9/m,
    );
    const version = osvExportToday();
    for (const ecosystem of ['Debian', 'npm']) {
      assert.match(
        first.stdout,
        new RegExp(
          `^OSV export ${ecosystem} of ${version.replaceAll('.', '\\.')}: downloaded from ${bucket.url}/${ecosystem}/all\\.zip`,
          'm',
        ),
      );
      const kept = join(toolCache, `osv-${ecosystem}`, version);
      assert.ok(existsSync(kept), `${kept} missing`);
    }
    assert.ok(first.summary.includes(`OSV exports of ${version}: Debian, npm (5 records)`), first.summary);

    // The next job on the runner that day: no request at all, and the same findings.
    const second = await download();
    runs.push(second);
    assertRan(second, 1);
    assert.deepEqual(bucket.requests, ['/Debian/all.zip', '/npm/all.zip'], 'the second run made a request');
    assert.equal(second.outputs.vulnerabilities, first.outputs.vulnerabilities);
    assert.match(second.stdout, /^OSV export npm of \S+: in the tool cache /m);
  });

  it('keeps the SBOM and fails the step naming osv-db and osv-export-url when the bucket refuses', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'tool-cache-'));
    try {
      const r = await download({ 'osv-export-url': `${bucket.url}/no-such-mirror` }, cache);
      runs.push(r);
      assertRan(r, 1);
      assert.match(
        r.stdout,
        new RegExp(
          `^::error::VULN_SOURCE_UNAVAILABLE: osv-db download: ${bucket.url}/no-such-mirror/Debian/all\\.zip answered 404 .*Fix: check osv-export-url`,
          'm',
        ),
      );
      // The SBOM part is all there; the summary says why there is no scan.
      assert.equal(r.outputs.packages, '4');
      assert.ok(existsSync(r.outputs.spdx!) && existsSync(r.outputs.cyclonedx!));
      assert.equal(r.outputs.gate, 'failed');
      assert.equal(r.outputs.vulnerabilities, '');
      assert.match(r.summary, /The vulnerability scan failed/);
      assert.ok(r.summary.includes('osv-export-url'), r.summary);
      assert.deepEqual([...readdirSync(cache)], [], 'a refused download left something in the tool cache');
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('fails naming osv-export-url when an archive does not unpack, and caches nothing of it', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'tool-cache-'));
    try {
      const r = await download({ 'osv-export-url': `${bucket.url}/broken` }, cache);
      runs.push(r);
      assertRan(r, 1);
      assert.match(
        r.stdout,
        /^::error::VULN_SOURCE_UNAVAILABLE: osv-db download: \S+\/broken\/Debian\/all\.zip is not a zip archive that unpacks .*osv-export-url/m,
      );
      assert.ok(existsSync(r.outputs.spdx!));
      assert.deepEqual([...readdirSync(cache)], []);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
