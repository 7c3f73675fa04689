/**
 * verify-image's gate with `osv-db: download`, through the committed bundle run as the runner runs
 * it (RUNNER_TOOL_CACHE and RUNNER_TEMP set). The exports needed are those of the ecosystems in
 * each image's trusted SBOM attestation, so they are fetched only after it verified, from the
 * loopback stand-in of OSV's export bucket (`__tests__/scan/osv-export-bucket.ts`, real zip
 * archives, requests recorded). The images, on a loopback docker-registry, hold glibc from Debian 12
 * (DSA-9001-1, critical) and npm packages, signed and SBOM-attested by one key, so exactly the
 * `Debian` and `npm` exports are fetched: once for two images, and not at all by a second run with
 * the same tool cache. A refused download fails the image's verification naming `osv-db` and
 * `osv-export-url`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { attestSbom, generateSbom } from '@release-actions/shared/sbom';
import { createKeySigner, signImage } from '@release-actions/shared/sign';
import { distOf, runAction, type ActionRun } from '../action-runner.ts';
import { osvExportToday, startOsvExportBucket, type OsvExportBucket } from '../scan/osv-export-bucket.ts';
import { makeImage, push, type TarEntry } from '../images.ts';
import { newKey, pem } from '../verify/fixtures.ts';
import { useRegistry } from '../registry-fixture.ts';

const DIST = distOf('verify-image');

const pkgJson = (name: string, version: string) => JSON.stringify({ name, version, license: 'MIT' });
const LAYERS: TarEntry[][] = [
  [
    { name: 'etc/os-release', content: 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n' },
    {
      name: 'var/lib/dpkg/status',
      content:
        'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9\nDescription: GNU C Library\n\n',
    },
    { name: 'srv/app/node_modules/lodash/package.json', content: pkgJson('lodash', '4.17.20') },
    { name: 'srv/app/node_modules/ms/package.json', content: pkgJson('ms', '2.1.3') },
  ],
];
/** An image of npm packages only: lodash 4.17.20 (GHSA-t001, high). */
const NPM_LAYERS: TarEntry[][] = [
  [{ name: 'srv/app/node_modules/lodash/package.json', content: pkgJson('lodash', '4.17.20') }],
];

interface ResultJson {
  image: string;
  verified: boolean;
  digest: string | null;
  scan: {
    source: string;
    gate: string;
    failing: Array<{ id: string; package: string; version: string; severity: string }>;
  } | null;
  error: { code: string; message: string } | null;
}

function assertRan(run: ActionRun, exitCode: number): void {
  assert.equal(run.exitCode, exitCode, `exit ${run.exitCode}\n${run.stdout}\n${run.stderr}`);
}
const resultsOf = (run: ActionRun): ResultJson[] => JSON.parse(run.outputs.results!) as ResultJson[];

describe('verify-image scan with osv-db: download (loopback OSV export bucket, committed dist/)', () => {
  const reg = useRegistry();
  let bucket: OsvExportBucket;
  const key = newKey();
  const signer = createKeySigner(key);
  const caches: string[] = [];
  const newCache = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tool-cache-'));
    caches.push(dir);
    return dir;
  };

  /** Pushes the image, signs it with the trusted key and, unless `sbom` is false, attests its SPDX SBOM. */
  async function image(
    repository: string,
    sbom = true,
    layers = LAYERS,
  ): Promise<{ name: string; digest: string }> {
    const store = reg.client.repository({ registry: reg.registry.host, repository });
    const { digest } = await push(store, makeImage({ layers }), 'v1');
    const name = `${reg.registry.host}/${repository}`;
    await signImage({
      store,
      image: { registry: reg.registry.host, repository },
      digest,
      signer,
      format: 'both',
    });
    if (sbom) {
      const { spdx } = await generateSbom({ store, reference: digest });
      await attestSbom({
        store,
        name,
        digest,
        signer,
        format: 'both',
        documents: [{ format: 'spdx-json', document: spdx }],
      });
    }
    return { name, digest };
  }

  const verify = (images: string[], cache: string, extra: Record<string, string> = {}) =>
    runAction(
      DIST,
      {
        images: images.join('\n'),
        key: pem(key),
        scan: 'true',
        'fail-on-severity': 'critical',
        'osv-db': 'download',
        'osv-export-url': bucket.url,
        ...extra,
      },
      { env: { RUNNER_TOOL_CACHE: cache }, timeoutMs: 90_000 },
    );

  beforeAll(async () => {
    bucket = await startOsvExportBucket();
  });
  afterAll(async () => {
    for (const dir of caches) rmSync(dir, { recursive: true, force: true });
    await bucket?.stop();
  });

  it('fetches each export the trusted SBOMs need once for several images; the critical advisory fails the gate naming it; a second run makes no request', async () => {
    const a = await image('acme/dl-a');
    const b = await image('acme/dl-b');
    const c = await image('acme/dl-npm', true, NPM_LAYERS);
    const cache = newCache();
    bucket.requests.length = 0;
    const first = await verify([`${a.name}:v1`, `${b.name}:v1`, `${c.name}:v1`], cache);
    assertRan(first, 1);
    // Three images verified concurrently, two needing Debian and npm, one npm: each export fetched once.
    assert.deepEqual([...bucket.requests].sort(), ['/Debian/all.zip', '/npm/all.zip']);
    const version = osvExportToday();
    for (const ecosystem of ['Debian', 'npm'])
      assert.ok(
        existsSync(join(cache, `osv-${ecosystem}`, version)),
        `osv-${ecosystem} not in the tool cache`,
      );
    const results = resultsOf(first);
    assert.deepEqual(
      results.map((r) => [r.verified, r.digest, r.error?.code ?? null]),
      [
        [false, a.digest, 'GATE_FAILED'],
        [false, b.digest, 'GATE_FAILED'],
        [true, c.digest, null],
      ],
    );
    const exports = (list: string) =>
      new RegExp(`^OSV exports of ${version.replaceAll('.', '\\.')}: ${list} \\(\\d+ records\\)$`);
    for (const r of results.slice(0, 2)) {
      assert.match(r.error!.message, /DSA-9001-1 in libc6@2\.36-9/);
      assert.equal(r.scan?.gate, 'failed');
      assert.deepEqual(
        r.scan!.failing.map((f) => `${f.id} ${f.package}@${f.version} ${f.severity}`),
        ['DSA-9001-1 libc6@2.36-9 critical'],
      );
      assert.match(r.scan!.source, exports('Debian, npm'));
    }
    // The npm-only image is scanned against the npm export alone; its high finding is under the gate.
    assert.equal(results[2]!.scan?.gate, 'passed');
    assert.match(results[2]!.scan!.source, exports('npm'));
    assert.equal(first.outputs.image, `\n\n${c.name}@${c.digest}`, 'only the image that passed is handed on');
    assert.match(
      first.stdout,
      /^::error::2 of 3 image\(s\) not verified: .*GATE_FAILED: .*DSA-9001-1 in libc6@2\.36-9/m,
    );

    // The next job on the runner that day: the same verdict from the tool cache, without a request.
    const before = bucket.requests.length;
    const second = await verify([`${a.name}:v1`], cache);
    assertRan(second, 1);
    assert.equal(bucket.requests.length, before, 'the second run made a request');
    assert.equal(resultsOf(second)[0]!.error?.code, 'GATE_FAILED');
    assert.match(second.stdout, /^OSV export npm of \S+: in the tool cache /m);
  });

  it('an image without a trusted SBOM fetches nothing: ATTESTATION_MISSING', async () => {
    const { name } = await image('acme/dl-no-sbom', false);
    const cache = newCache();
    bucket.requests.length = 0;
    const run = await verify([`${name}:v1`], cache);
    assertRan(run, 1);
    assert.equal(resultsOf(run)[0]!.error?.code, 'ATTESTATION_MISSING');
    assert.deepEqual(bucket.requests, []);
    assert.deepEqual([...readdirSync(cache)], []);
  });

  it('a refused download fails the verification naming osv-db and osv-export-url, and caches nothing', async () => {
    const { name, digest } = await image('acme/dl-refused');
    const cache = newCache();
    bucket.requests.length = 0;
    const run = await verify([`${name}:v1`], cache, { 'osv-export-url': `${bucket.url}/no-such-mirror` });
    assertRan(run, 1);
    assert.deepEqual(bucket.requests, ['/no-such-mirror/Debian/all.zip']);
    assert.equal(run.outputs.verified, 'false');
    assert.equal(run.outputs.image, '', 'an image that was not scanned is not handed on');
    const [result] = resultsOf(run);
    assert.equal(result!.verified, false);
    assert.equal(result!.digest, digest, 'the signature verified; the scan could not run');
    assert.equal(result!.scan, null);
    assert.equal(result!.error?.code, 'VULN_SOURCE_UNAVAILABLE');
    assert.match(
      result!.error!.message,
      new RegExp(
        `^osv-db download: ${bucket.url}/no-such-mirror/Debian/all\\.zip answered 404 .*Fix: check osv-export-url`,
      ),
    );
    assert.match(run.stdout, /^::error::1 of 1 image\(s\) not verified: .*\(VULN_SOURCE_UNAVAILABLE\)/m);
    assert.match(run.summary, /VULN_SOURCE_UNAVAILABLE/);
    assert.deepEqual([...readdirSync(cache)], [], 'a refused download left something in the tool cache');
  });
});
