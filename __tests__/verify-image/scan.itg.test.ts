/**
 * verify-image's deploy-time vulnerability gate (`scan: true`), through the committed bundle run
 * as the runner runs it. A real docker-registry on loopback holds one image (glibc 2.36-9 with
 * DSA-9001-1, critical; lodash 4.17.20 and 4.17.15 with GHSA-t001, high; minimist with GHSA-t002,
 * medium; ms with none), signed by a key with `signImage`; the sbom library catalogs it and
 * `attestSbom` attests the SBOM. The vulnerability source is the loopback OSV API stand-in
 * (`__tests__/scan/osv-stand-in.ts`) serving the scan tests' export, or that export itself as
 * `osv-db`. Every request the stand-in gets is logged, so a run that must not scan is seen not to.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { type Repository } from '@release-actions/shared/oci';
import { attestSbom, generateSbom, type SbomFormat } from '@release-actions/shared/sbom';
import {
  createKeySigner,
  signImage,
  type ImageSigner,
  type SignatureFormat,
} from '@release-actions/shared/sign';
import { distOf, runAction, type ActionRun } from '../action-runner.ts';
import { exportAnswers, startOsvStandIn, type OsvStandIn } from '../scan/osv-stand-in.ts';
import { makeImage, push, type TarEntry } from '../images.ts';
import { newKey, pem } from '../verify/fixtures.ts';
import { useRegistry } from '../registry-fixture.ts';

const DIST = distOf('verify-image');
const OSV_DB = resolve('__tests__/scan/fixtures/osv');

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
    { name: 'srv/app/node_modules/minimist/package.json', content: pkgJson('minimist', '1.2.5') },
    { name: 'srv/old/node_modules/lodash/package.json', content: pkgJson('lodash', '4.17.15') },
    { name: 'srv/old/node_modules/ms/package.json', content: pkgJson('ms', '2.1.3') },
  ],
];

interface ScanJson {
  sboms: Array<{ predicateType: string; location: string }>;
  packages: number;
  counts: Record<string, number>;
  gate: string;
  failOn: string;
  failing: Array<{ id: string; package: string; version: string; severity: string }>;
  suppressed: Array<{ id: string; reason: string }>;
}
interface ResultJson {
  verified: boolean;
  digest: string | null;
  scan: ScanJson | null;
  error: { code: string; message: string } | null;
}

function assertRan(run: ActionRun, exitCode: number): void {
  assert.equal(run.exitCode, exitCode, `exit ${run.exitCode}\n${run.stdout}\n${run.stderr}`);
}
const resultOf = (run: ActionRun): ResultJson => (JSON.parse(run.outputs.results!) as ResultJson[])[0]!;

describe('verify-image scan: the deploy-time vulnerability gate (committed dist/)', () => {
  const reg = useRegistry();
  let osv: OsvStandIn;
  let dir: string;
  const key = newKey();
  const signer = createKeySigner(key);
  let spdx: Record<string, unknown>;
  let cyclonedx: Record<string, unknown>;

  /** Pushes the image to `repository`, signs it with the trusted key, and attests `sboms` (by `attester`). */
  async function image(
    repository: string,
    sboms: { formats: SbomFormat[]; attester?: ImageSigner; format?: SignatureFormat } | undefined,
  ): Promise<{ store: Repository; digest: string; name: string }> {
    const store = reg.client.repository({ registry: reg.registry.host, repository });
    const { digest } = await push(store, makeImage({ layers: LAYERS }), 'v1');
    const name = `${reg.registry.host}/${repository}`;
    await signImage({
      store,
      image: { registry: reg.registry.host, repository },
      digest,
      signer,
      format: 'both',
    });
    if (sboms)
      await attestSbom({
        store,
        name,
        digest,
        signer: sboms.attester ?? signer,
        format: sboms.format ?? 'both',
        documents: sboms.formats.map((format) => ({
          format,
          document: format === 'spdx-json' ? spdx : cyclonedx,
        })),
      });
    return { store, digest, name };
  }

  const clearLog = () => {
    osv.log.batches.length = 0;
    osv.log.queries.length = 0;
    osv.log.vulnGets.clear();
  };

  beforeAll(async () => {
    osv = await startOsvStandIn(exportAnswers(OSV_DB));
    dir = mkdtempSync(join(tmpdir(), 'verify-image-scan-'));
    // Cataloged once, as the sbom action would have at build time.
    const store = reg.repo('acme/build');
    const { digest } = await push(store, makeImage({ layers: LAYERS }), 'v1');
    const sbom = await generateSbom({ store, reference: digest });
    assert.equal(sbom.packages.length, 5);
    spdx = sbom.spdx;
    cyclonedx = sbom.cyclonedx;
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await osv?.stop();
  });

  it('a trusted SPDX attestation with a critical advisory fails the gate, naming the advisories', async () => {
    const { name, digest } = await image('acme/gate', { formats: ['spdx-json'] });
    clearLog();
    const run = await runAction(DIST, {
      image: `${name}:v1`,
      key: pem(key),
      scan: 'true',
      'osv-url': osv.url,
    });
    assertRan(run, 1);
    assert.equal(run.outputs.verified, 'false');
    assert.equal(run.outputs.image, '', 'an image that failed the gate is not handed on');
    const result = resultOf(run);
    assert.equal(result.verified, false);
    assert.equal(result.digest, digest);
    assert.equal(result.error?.code, 'GATE_FAILED');
    const scan = result.scan!;
    assert.deepEqual(
      scan.sboms.map((s) => s.predicateType),
      ['https://spdx.dev/Document', 'https://spdx.dev/Document'],
      'the SPDX attestation, stored both ways (.att layer and bundle referrer)',
    );
    assert.equal(scan.packages, 5);
    assert.equal(scan.gate, 'failed');
    assert.equal(scan.failOn, 'high', 'verify-image gates on high by default');
    assert.deepEqual(
      { critical: scan.counts.critical, high: scan.counts.high, medium: scan.counts.medium },
      { critical: 1, high: 2, medium: 1 },
    );
    assert.deepEqual(scan.failing.map((f) => `${f.id} ${f.package}@${f.version} ${f.severity}`).sort(), [
      'DSA-9001-1 libc6@2.36-9 critical',
      'GHSA-t001-0001-0001 lodash@4.17.15 high',
      'GHSA-t001-0001-0001 lodash@4.17.20 high',
    ]);
    // The step fails naming the advisory; the summary has the image's gate row and the failing findings.
    assert.match(
      run.stdout,
      /^::error::1 of 1 image\(s\) not verified: .*GATE_FAILED: .*DSA-9001-1 in libc6@2\.36-9/m,
    );
    assert.match(run.summary, /Vulnerability gate/);
    assert.match(run.summary, /❌ failed: 3 finding\(s\) at or above high/);
    assert.match(run.summary, /Findings failing the gate/);
    assert.match(run.summary, /<a href="https:\/\/security\.example\/DSA-9001-1">DSA-9001-1<\/a>/);
    // The SBOM's packages, queried as OSV names them; no cataloging of the image.
    assert.deepEqual(
      osv.log.queries.map((q) => `${q.package.ecosystem} ${q.package.name} ${q.version}`).sort(),
      [
        'Debian:12 glibc 2.36-9',
        'npm lodash 4.17.15',
        'npm lodash 4.17.20',
        'npm minimist 1.2.5',
        'npm ms 2.1.3',
      ],
    );
  });

  it('allowlisted advisories pass the gate and are listed with their reasons (osv-db)', async () => {
    const { name, digest } = await image('acme/allowed', { formats: ['spdx-json', 'cyclonedx-json'] });
    const allowlist = join(dir, 'allowlist.yaml');
    writeFileSync(
      allowlist,
      [
        'ignore:',
        '  - id: CVE-2099-1001',
        '    reason: glibc is rebuilt with the next base image',
        '    expires: 2099-12-31',
        '  - id: GHSA-t001-0001-0001',
        '    package: lodash',
        '    reason: the vulnerable function is never called',
        '    expires: 2099-12-31',
        '',
      ].join('\n'),
    );
    const run = await runAction(DIST, {
      image: `${name}@${digest}`,
      key: pem(key),
      scan: 'true',
      'osv-db': OSV_DB,
      allowlist,
    });
    assertRan(run, 0);
    assert.equal(run.outputs.verified, 'true');
    assert.equal(run.outputs.image, `${name}@${digest}`);
    const scan = resultOf(run).scan!;
    assert.equal(scan.gate, 'passed');
    assert.deepEqual(scan.failing, []);
    assert.deepEqual(scan.suppressed.map((s) => s.id).sort(), [
      'DSA-9001-1',
      'GHSA-t001-0001-0001',
      'GHSA-t001-0001-0001',
    ]);
    assert.equal(scan.counts.critical, 1, 'allowlisted findings are still counted');
    assert.ok(scan.sboms.some((s) => s.predicateType === 'https://cyclonedx.org/bom'));
    assert.match(run.summary, /✅ passed: nothing at or above high \(3 allowlisted\)/);
    assert.match(run.summary, /Allowlisted/);
    assert.match(run.summary, /the vulnerable function is never called/);
  });

  it('a CycloneDX attestation alone, in the legacy format, is read', async () => {
    const { name } = await image('acme/cdx', { formats: ['cyclonedx-json'], format: 'legacy' });
    const run = await runAction(DIST, {
      image: `${name}:v1`,
      key: pem(key),
      scan: 'true',
      'osv-db': OSV_DB,
      'fail-on-severity': 'off',
    });
    assertRan(run, 0);
    const scan = resultOf(run).scan!;
    assert.deepEqual(
      scan.sboms.map((s) => s.predicateType),
      ['https://cyclonedx.org/bom'],
    );
    assert.equal(scan.gate, 'off');
    assert.equal(scan.counts.critical, 1);
  });

  it('no SBOM attestation: ATTESTATION_MISSING, and no package is queried', async () => {
    const { name } = await image('acme/no-sbom', undefined);
    clearLog();
    const run = await runAction(DIST, {
      image: `${name}:v1`,
      key: pem(key),
      scan: 'true',
      'osv-url': osv.url,
    });
    assertRan(run, 1);
    const result = resultOf(run);
    assert.equal(result.error?.code, 'ATTESTATION_MISSING');
    assert.equal(result.scan, null);
    assert.match(run.stdout, /::error::.*ATTESTATION_MISSING/);
    assert.match(run.summary, /ATTESTATION_MISSING/);
    assert.deepEqual(osv.log.queries, []);
  });

  it('an SBOM attested by another key does not count: ATTESTATION_MISSING', async () => {
    const other = newKey();
    const { name } = await image('acme/other-key', {
      formats: ['spdx-json'],
      attester: createKeySigner(other),
    });
    clearLog();
    const run = await runAction(DIST, {
      image: `${name}:v1`,
      key: pem(key),
      scan: 'true',
      'osv-url': osv.url,
    });
    assertRan(run, 1);
    const result = resultOf(run);
    assert.equal(result.error?.code, 'ATTESTATION_MISSING');
    assert.match(result.error!.message, /refused, e\.g\. UNTRUSTED_KEY/);
    assert.deepEqual(osv.log.queries, [], 'the untrusted SBOM was not scanned');
    // Trusting the other key too makes it count (and the signature still verifies with ours).
    const both = await runAction(DIST, {
      image: `${name}:v1`,
      key: `${pem(key)}\n${pem(other)}`,
      scan: 'true',
      'osv-url': osv.url,
    });
    assertRan(both, 1);
    assert.equal(resultOf(both).error?.code, 'GATE_FAILED');
  });

  it('scan false (the default): verified as before, and the OSV API is never asked', async () => {
    const { name, digest } = await image('acme/no-scan', { formats: ['spdx-json'] });
    clearLog();
    for (const scan of [undefined, 'false']) {
      const run = await runAction(DIST, {
        image: `${name}:v1`,
        key: pem(key),
        'osv-url': osv.url,
        ...(scan !== undefined && { scan }),
      });
      assertRan(run, 0);
      assert.equal(run.outputs.image, `${name}@${digest}`);
      assert.equal(resultOf(run).scan, null);
      assert.doesNotMatch(run.summary, /Vulnerability gate/);
    }
    assert.deepEqual(osv.log.batches, []);
    assert.equal(osv.log.vulnGets.size, 0);
  });
});
