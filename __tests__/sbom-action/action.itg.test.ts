/**
 * The committed bundle, run as the Actions runner runs it, against an image assembled here (a
 * Debian dpkg status, an apk database, an npm node_modules tree) pushed to a loopback
 * docker-registry and written to an OCI layout, scanned against the hand-written OSV export of the
 * scan tests (`__tests__/scan/fixtures/osv`: DSA-9001-1 critical on glibc, GHSA-t001 high on
 * lodash, GHSA-t002 medium and unfixed on minimist). Asserts what a workflow sees: exit code,
 * outputs, files (schema-valid), SARIF, summary, and the attestations on the image.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { LayoutStore, type ImageStore } from '@release-actions/shared/oci';
import { SBOM_PREDICATE_TYPES } from '@release-actions/shared/sbom';
import {
  generateKeyPair,
  parseStatement,
  readCosignImage,
  statementCovers,
  type GeneratedKeyPair,
  type Statement,
} from '@release-actions/shared/sign';
import {
  findLegacy,
  findReferrerBundles,
  trustedKeys,
  verifyCandidate,
  VerifyError,
} from '@release-actions/shared/verify';
import { makeImage, push, type TarEntry } from '../images.ts';
import { assertOfficialSpdx, cdxValidator, sarifValidator, spdxValidator } from '../sbom/schemas.ts';
import { DIST, runAction, type ActionRun } from './runner.ts';
import { useRegistry } from '../registry-fixture.ts';

const OSV_DB = resolve('__tests__/scan/fixtures/osv');

const DPKG_STATUS = `Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9
Description: GNU C Library: Shared libraries

Package: base-files
Status: install ok installed
Priority: required
Section: admin
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files

`;

const APK_DB = `C:Q1aaaaaaaaaaaaaaaaaaaaaaaaaaa=
P:musl
V:1.2.4-r2
A:x86_64
S:383152
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl

`;

const pkgJson = (name: string, version: string) =>
  JSON.stringify({ name, version, license: 'MIT', description: `${name} for the tests` });

const LAYERS: TarEntry[][] = [
  [
    { name: 'etc/', type: 'directory' },
    {
      name: 'etc/os-release',
      content:
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n',
    },
    { name: 'var/lib/dpkg/status', content: DPKG_STATUS },
  ],
  [
    { name: 'lib/apk/db/installed', content: APK_DB },
    { name: 'srv/app/node_modules/lodash/package.json', content: pkgJson('lodash', '4.17.20') },
    { name: 'srv/app/node_modules/minimist/package.json', content: pkgJson('minimist', '1.2.5') },
  ],
];

function allowlist(dir: string, expires: string): string {
  const file = join(dir, `allow-${expires}.yml`);
  writeFileSync(
    file,
    `ignore:\n  - id: CVE-2099-1001\n    package: glibc\n    reason: the image never resolves hosts\n    expires: ${expires}\n`,
  );
  return file;
}

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

/**
 * The SBOM attestations stored on `digest` (legacy `.att` layers and bundle referrers), each
 * verified with `publicKeyPem` as verify-image verifies it, with its statement.
 */
async function verifiedSboms(
  store: ImageStore,
  digest: string,
  publicKeyPem: string,
): Promise<Array<{ format: 'legacy' | 'bundle'; statement: Statement }>> {
  const trust = { kind: 'keys' as const, keys: trustedKeys({ kind: 'keys', keys: [publicKeyPem] }) };
  const [att, referrers] = await Promise.all([
    findLegacy(store, digest, 'att'),
    findReferrerBundles(store, digest),
  ]);
  assert.deepEqual([...att.unreadable, ...referrers.unreadable], []);
  return [...att.candidates, ...referrers.candidates]
    .filter((c) => c.role === 'attestation')
    .map((c) => {
      verifyCandidate(c, trust, new Date());
      assert.equal(c.bundle.content.$case, 'dsseEnvelope', c.location);
      if (c.bundle.content.$case !== 'dsseEnvelope') throw new Error('unreachable');
      const statement = parseStatement(c.bundle.content.dsseEnvelope.payload);
      assert.equal(statement.predicateType, c.predicateTypeHint, c.location);
      assert.ok(statementCovers(statement, digest), `${c.location} is not about ${digest}`);
      return { format: c.format, statement };
    });
}

function assertRan(run: ActionRun, exitCode: number): void {
  assert.equal(run.exitCode, exitCode, `exit ${run.exitCode}\n${run.stdout}\n${run.stderr}`);
}

describe('actions/sbom dist/index.js', () => {
  const reg = useRegistry();
  let store: ImageStore;
  let image: string;
  let digest: string;
  let layoutDir: string;
  let layoutDigest: string;
  let keys: GeneratedKeyPair;
  const work = mkdtempSync(join(tmpdir(), 'sbom-action-itg-'));
  const runs: ActionRun[] = [];
  const run = async (inputs: Record<string, string>) => {
    const r = await runAction({ 'osv-db': OSV_DB, 'upload-artifact': 'false', ...inputs });
    runs.push(r);
    return r;
  };

  beforeAll(async () => {
    assert.ok(existsSync(DIST), `${DIST} is missing: run npm run build`);
    store = reg.repo('acme/web-app');
    const built = makeImage({ layers: LAYERS });
    digest = (await push(store, built, 'v1')).digest;
    image = `${reg.registry.host}/acme/web-app@${digest}`;
    layoutDir = join(work, 'layout');
    layoutDigest = (await push(await LayoutStore.open(layoutDir, { create: true }), built, 'v1')).digest;
    keys = await generateKeyPair('test-password', { scryptN: 32768 });
  });
  afterAll(async () => {
    for (const r of runs) r.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('writes valid SBOMs and SARIF, counts by severity, and fails the gate on a critical finding', async () => {
    const r = await run({ image });
    assertRan(r, 1);
    assert.equal(r.outputs.digest, digest);
    assert.equal(r.outputs.packages, '5');
    assert.deepEqual(
      [r.outputs.critical, r.outputs.high, r.outputs.medium, r.outputs.low],
      ['1', '1', '1', '0'],
    );
    assert.deepEqual(JSON.parse(r.outputs.vulnerabilities!), {
      total: 3,
      unknown: 0,
      none: 0,
      low: 0,
      medium: 1,
      high: 1,
      critical: 1,
    });
    assert.equal(r.outputs.gate, 'failed');
    assert.match(
      r.stdout,
      /^::error::1 vulnerability is at or above critical: DSA-9001-1 in libc6@2\.36-9 \(critical 9\.8\)/m,
    );

    // Files: named for the repository, in RUNNER_TEMP/<artifact name>, valid against the schemas.
    assert.match(r.outputs.spdx!, /\/sbom-sbom-[0-9a-f]{8}\/web-app\.spdx\.json$/);
    assert.ok(r.outputs.spdx!.startsWith(r.dir));
    assert.match(r.outputs.cyclonedx!, /\/web-app\.cdx\.json$/);
    assert.match(r.outputs.sarif!, /\/web-app\.sarif$/);
    const spdx = json(r.outputs.spdx!);
    const validateSpdx = spdxValidator();
    assert.ok(validateSpdx(spdx), JSON.stringify(validateSpdx.errors?.slice(0, 3)));
    console.log(assertOfficialSpdx(spdx));
    const cdx = json(r.outputs.cyclonedx!);
    const validateCdx = cdxValidator();
    assert.ok(validateCdx(cdx), JSON.stringify(validateCdx.errors?.slice(0, 3)));
    const purls = (cdx.components as Array<{ purl?: string }>)
      .map((c) => c.purl)
      .filter(Boolean)
      .sort();
    assert.deepEqual(purls, [
      'pkg:apk/debian/musl@1.2.4-r2?arch=x86_64&distro=debian-12',
      'pkg:deb/debian/base-files@12.4+deb12u5?arch=amd64&distro=debian-12',
      'pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12&upstream=glibc',
      'pkg:npm/lodash@4.17.20',
      'pkg:npm/minimist@1.2.5',
    ]);

    // SARIF: valid against the official schema, one rule per advisory, results located at the image by digest.
    const validateSarif = sarifValidator();
    assert.ok(validateSarif(json(r.outputs.sarif!)), JSON.stringify(validateSarif.errors?.slice(0, 3)));
    const sarif = json(r.outputs.sarif!) as {
      version: string;
      runs: Array<{
        tool: { driver: { rules: Array<{ id: string }> } };
        results: Array<Record<string, unknown>>;
      }>;
    };
    assert.equal(sarif.version, '2.1.0');
    assert.deepEqual(sarif.runs[0]!.tool.driver.rules.map((rule) => rule.id).sort(), [
      'DSA-9001-1',
      'GHSA-t001-0001-0001',
      'GHSA-t002-0002-0002',
    ]);
    assert.match(JSON.stringify(sarif.runs[0]!.results[0]), new RegExp(`acme/web-app@${digest}`));

    // The summary: packages by type, the severity table, the worst finding first with its link.
    assert.match(r.summary, /<h2>❌ SBOM: 5 packages in /);
    assert.match(
      r.summary,
      /<tr><td><code>deb<\/code><\/td><td>2<\/td><\/tr><tr><td><code>npm<\/code><\/td><td>2<\/td><\/tr><tr><td><code>apk<\/code><\/td><td>1<\/td><\/tr>/,
    );
    assert.match(r.summary, /Gate: ❌ failed: 1 finding\(s\) at or above critical/);
    assert.match(r.summary, /<tr><td>1<\/td><td>1<\/td><td>1<\/td><td>0<\/td><td>0<\/td><td>2<\/td><\/tr>/);
    const worst = [...r.summary.matchAll(/<tr><td><a href="([^"]+)">([^<]+)<\/a>/g)].map((m) => m[2]);
    assert.deepEqual(worst, ['DSA-9001-1', 'GHSA-t001-0001-0001', 'GHSA-t002-0002-0002']);
    assert.match(r.summary, /<a href="https:\/\/[^"]+">DSA-9001-1<\/a>/);
    assert.match(r.summary, /not uploaded: upload-artifact is false/);
  });

  it('passes when the critical finding is allowlisted, and attests both SBOMs on the registry image with the key', async () => {
    const r = await run({
      image,
      allowlist: allowlist(work, '2099-12-31'),
      attest: 'true',
      'cosign-key': keys.privateKeyPem,
      'cosign-password': 'test-password',
    });
    assertRan(r, 0);
    assert.equal(r.outputs.gate, 'passed');
    assert.equal(r.outputs.critical, '1', 'allowlisted findings are still counted');
    assert.match(r.summary, /DSA-9001-1<\/a> \(allowlisted\)/);
    // Masked the moment it is read; otherwise never in the log, the outputs or the summary.
    assert.match(r.stdout, /^::add-mask::test-password$/m);
    const log = r.stdout.replace(/^::add-mask::.*$/gm, '');
    for (const text of [log, r.stderr, r.summary, JSON.stringify(r.outputs)]) {
      assert.ok(!text.includes('test-password'), 'the password never appears');
      assert.ok(!text.includes('ENCRYPTED SIGSTORE PRIVATE KEY'), 'the key never appears');
    }

    const att = await readCosignImage(store, digest, 'att');
    assert.ok(att, 'the .att image exists');
    assert.equal(att.layers.length, 2);
    const sboms = await verifiedSboms(store, digest, keys.publicKeyPem);
    console.log(assertOfficialSpdx(json(r.outputs.spdx!)));
    for (const [format, file] of [
      ['spdx-json', r.outputs.spdx!],
      ['cyclonedx-json', r.outputs.cyclonedx!],
    ] as const) {
      const predicateType = SBOM_PREDICATE_TYPES[format];
      const stored = sboms.filter((a) => a.statement.predicateType === predicateType);
      assert.deepEqual(
        stored.map((a) => a.format).sort(),
        ['bundle', 'legacy'],
        `${format}: one .att layer and one bundle referrer`,
      );
      for (const { statement } of stored) {
        assert.deepEqual(statement.predicate, json(file), `${format}: the predicate is the SBOM written`);
        assert.equal(statement.subject[0]!.name, `${reg.registry.host}/acme/web-app`);
      }
    }
    assert.equal(r.outputs.attestations!.split('\n').length, 4);
    assert.ok(
      r.outputs.attestations!.includes(`${reg.registry.host}/acme/web-app:sha256-${digest.slice(7)}.att`),
    );
    assert.ok(SBOM_PREDICATE_TYPES['spdx-json'] === 'https://spdx.dev/Document');
    assert.ok(SBOM_PREDICATE_TYPES['cyclonedx-json'] === 'https://cyclonedx.org/bom');

    // A wrong key does not verify them.
    const other = await generateKeyPair('x', { scryptN: 32768 });
    await assert.rejects(
      verifiedSboms(store, digest, other.publicKeyPem),
      (err: unknown) => err instanceof VerifyError,
    );

    // The SARIF file: the allowlisted finding is suppressed (accepted, with the entry's reason and
    // expiry), so code scanning opens no alert for it; the others are plain results.
    const validateSarif = sarifValidator();
    const sarif = json(r.outputs.sarif!);
    assert.ok(validateSarif(sarif), JSON.stringify(validateSarif.errors?.slice(0, 3)));
    const results = (
      sarif as {
        runs: Array<{ results: Array<{ ruleId: string; suppressions?: Array<Record<string, unknown>> }> }>;
      }
    ).runs[0]!.results;
    assert.deepEqual(results.map((x) => [x.ruleId, x.suppressions?.length ?? 0]).sort(), [
      ['DSA-9001-1', 1],
      ['GHSA-t001-0001-0001', 0],
      ['GHSA-t002-0002-0002', 0],
    ]);
    const [suppression] = results.find((x) => x.ruleId === 'DSA-9001-1')!.suppressions!;
    assert.equal(suppression!.kind, 'external');
    assert.equal(suppression!.status, 'accepted');
    assert.match(
      String(suppression!.justification),
      /^the image never resolves hosts \(allowlist .*allow-2099-12-31\.yml line 2: CVE-2099-1001 in glibc, accepted until 2099-12-31\)$/,
    );
  });

  it('fails again once the allowlist entry has expired, and says so', async () => {
    const r = await run({ image, allowlist: allowlist(work, '2024-01-31') });
    assertRan(r, 1);
    console.log(assertOfficialSpdx(json(r.outputs.spdx!)));
    assert.equal(r.outputs.gate, 'failed');
    assert.match(
      r.stdout,
      /^::warning::allowlist entry CVE-2099-1001 \(.*allow-2024-01-31\.yml line 2\) expired on 2024-01-31: DSA-9001-1/m,
    );
    assert.match(r.stdout, /^::error::1 vulnerability is at or above critical: DSA-9001-1/m);
  });

  it('reads an OCI layout, writes only SPDX, attests in the layout, and warns when the artifact upload fails', async () => {
    const r = await run({
      image: `oci-layout:${layoutDir}:v1`,
      format: 'spdx-json',
      'fail-on-severity': 'high',
      'ignore-unfixed': 'true',
      allowlist: allowlist(work, '2099-12-31'),
      attest: 'true',
      'attestation-format': 'legacy',
      'cosign-key': keys.privateKeyPem,
      'cosign-password': 'test-password',
      'upload-artifact': 'true',
    });
    // lodash (high, fixed in 4.17.21) remains at or above high.
    assertRan(r, 1);
    assert.match(
      r.stdout,
      /^::error::1 vulnerability is at or above high: GHSA-t001-0001-0001 in lodash@4\.17\.20/m,
    );
    assert.equal(r.outputs.packages, '5');
    assert.match(r.outputs.spdx!, /\/layout\.spdx\.json$/);
    console.log(assertOfficialSpdx(json(r.outputs.spdx!)));
    assert.equal(r.outputs.cyclonedx, '');
    // No runtime token here: the real @actions/artifact client fails, and the run says so.
    assert.match(
      r.stdout,
      /^::warning::the artifact sbom-sbom-[0-9a-f]{8} was not uploaded: .*ACTIONS_RUNTIME_TOKEN/m,
    );
    assert.equal(r.outputs['artifact-name'], '');
    assert.match(r.summary, /⚠️ <code>sbom-sbom-[0-9a-f]{8}<\/code> not uploaded/);

    const layout = await LayoutStore.open(layoutDir);
    const att = await readCosignImage(layout, layoutDigest, 'att');
    assert.equal(att?.layers.length, 1);
    const sboms = await verifiedSboms(layout, layoutDigest, keys.publicKeyPem);
    assert.deepEqual(
      sboms.map((a) => [a.format, a.statement.predicateType]),
      [['legacy', 'https://spdx.dev/Document']],
      'legacy only: no bundle',
    );
    assert.deepEqual(sboms[0]!.statement.predicate, json(r.outputs.spdx!));
  });

  it('refuses bad inputs before any request, naming each input', async () => {
    const r = await run({
      image: `127.0.0.1:1/nothing@sha256:${'0'.repeat(64)}`,
      format: 'xml',
      'fail-on-severity': 'severe',
    });
    assertRan(r, 1);
    assert.match(
      r.stdout,
      /^::error::2 inputs are invalid:%0A- input "format": "xml" is not one of both, spdx-json, cyclonedx-json%0A- input "fail-on-severity"/m,
    );
  });
});
