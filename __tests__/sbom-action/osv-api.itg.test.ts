/**
 * The committed bundle with `osv-url` (the default source, the OSV API) instead of `osv-db`.
 * api.osv.dev cannot be reached from here, so `osv-url` points at a loopback stand-in of the API
 * (`__tests__/scan/osv-stand-in.ts`: `POST /v1/querybatch`, `GET /v1/vulns/{id}`) serving the
 * hand-written export of the scan tests (`__tests__/scan/fixtures/osv`). The image, pushed to a
 * loopback docker-registry, holds glibc (DSA-9001-1, critical), two lodash copies at different
 * versions (both GHSA-t001, high), minimist (GHSA-t002, medium) and ms (none). Asserts the counts, the gate's
 * exit code, and what the stand-in was asked: every package in one batch, each advisory's details
 * fetched once; and that an API refusing or unreachable fails the step naming `osv-url`, after
 * the SBOM's files, outputs and summary are written.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { exportAnswers, startOsvStandIn, type OsvStandIn } from '../scan/osv-stand-in.ts';
import { makeImage, push, type TarEntry } from '../images.ts';
import { assertOfficialSpdx, spdxValidator } from '../sbom/schemas.ts';
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
    { name: 'srv/old/node_modules/lodash/package.json', content: pkgJson('lodash', '4.17.15') },
    { name: 'srv/old/node_modules/ms/package.json', content: pkgJson('ms', '2.1.3') },
  ],
];

function assertRan(run: ActionRun, exitCode: number): void {
  assert.equal(run.exitCode, exitCode, `exit ${run.exitCode}\n${run.stdout}\n${run.stderr}`);
}

describe('actions/sbom dist/index.js with osv-url (loopback OSV API stand-in)', () => {
  const reg = useRegistry();
  let osv: OsvStandIn;
  let image: string;
  const runs: ActionRun[] = [];

  beforeAll(async () => {
    assert.ok(existsSync(DIST), `${DIST} is missing: run npm run build`);
    osv = await startOsvStandIn(exportAnswers(resolve('__tests__/scan/fixtures/osv')));
    const store = reg.repo('acme/api-app');
    const { digest } = await push(store, makeImage({ layers: LAYERS }), 'v1');
    image = `${reg.registry.host}/acme/api-app@${digest}`;
  });
  afterAll(async () => {
    for (const r of runs) r.dispose();
    await osv?.stop();
  });

  it('queries the API in one batch, fetches each advisory once, counts and fails the gate', async () => {
    osv.log.batches.length = 0;
    osv.log.queries.length = 0;
    osv.log.vulnGets.clear();
    const r = await runAction({ image, 'osv-url': osv.url, 'upload-artifact': 'false' });
    runs.push(r);
    assertRan(r, 1);
    console.log(assertOfficialSpdx(JSON.parse(readFileSync(r.outputs.spdx!, 'utf8'))));
    assert.equal(r.outputs.packages, '5');
    assert.deepEqual(JSON.parse(r.outputs.vulnerabilities!), {
      total: 4,
      unknown: 0,
      none: 0,
      low: 0,
      medium: 1,
      high: 2,
      critical: 1,
    });
    assert.equal(r.outputs.gate, 'failed');
    assert.match(r.stdout, /^::error::1 vulnerability is at or above critical: DSA-9001-1 in libc6@2\.36-9/m);

    // One querybatch request carrying every package, as osv.dev's ecosystems name them.
    assert.deepEqual(osv.log.batches, [5]);
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
    // Each advisory fetched once, GHSA-t001 too though two packages matched it; none for ms.
    assert.deepEqual(Object.fromEntries([...osv.log.vulnGets].sort()), {
      'DSA-9001-1': 1,
      'GHSA-t001-0001-0001': 1,
      'GHSA-t002-0002-0002': 1,
    });
  });

  it('reports without failing when the gate is off, and fails when the API refuses', async () => {
    const passed = await runAction({
      image,
      'osv-url': osv.url,
      'upload-artifact': 'false',
      'fail-on-severity': 'off',
    });
    runs.push(passed);
    assertRan(passed, 0);
    console.log(assertOfficialSpdx(JSON.parse(readFileSync(passed.outputs.spdx!, 'utf8'))));
    assert.equal(passed.outputs.gate, 'off');
    assert.equal(passed.outputs.critical, '1');

    const refused = await runAction({ image, 'osv-url': `${osv.url}/nope`, 'upload-artifact': 'false' });
    runs.push(refused);
    assertRan(refused, 1);
    console.log(assertOfficialSpdx(JSON.parse(readFileSync(refused.outputs.spdx!, 'utf8'))));
    assert.match(
      refused.stdout,
      new RegExp(
        `^::error::.*osv-url ${osv.url}/nope refused the request: .*/nope/v1/querybatch answered 404`,
        'm',
      ),
    );
  });

  it('keeps the SBOM when osv-url is unreachable: files, outputs and summary, then fails naming osv-url', async () => {
    // A loopback port nothing listens on.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const unreachable = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const r = await runAction({ image, 'osv-url': unreachable, 'upload-artifact': 'false' });
    runs.push(r);
    assertRan(r, 1);
    assert.match(
      r.stdout,
      new RegExp(
        `^::error::.*osv-url ${unreachable} is unreachable: POST /v1/querybatch: connect ECONNREFUSED.*Fix: .*osv-db`,
        'm',
      ),
    );
    // The SBOM is all there: its files (valid), its outputs, and the summary saying why no scan.
    assert.equal(r.outputs.packages, '5');
    assert.match(r.outputs.digest!, /^sha256:[0-9a-f]{64}$/);
    const validate = spdxValidator();
    assert.ok(
      validate(JSON.parse(readFileSync(r.outputs.spdx!, 'utf8'))),
      JSON.stringify(validate.errors?.slice(0, 3)),
    );
    console.log(assertOfficialSpdx(JSON.parse(readFileSync(r.outputs.spdx!, 'utf8'))));
    assert.ok(existsSync(r.outputs.cyclonedx!));
    assert.equal(r.outputs.sarif, '');
    assert.equal(r.outputs.vulnerabilities, '');
    assert.equal(r.outputs.gate, 'failed');
    assert.match(r.summary, /<h2>❌ SBOM: 5 packages in .* \(the scan failed\)<\/h2>/);
    assert.match(r.summary, /The vulnerability scan failed: no package was checked/);
    assert.ok(r.summary.includes(`osv-url ${unreachable} is unreachable`));
    assert.ok(r.summary.includes(`<code>${r.outputs.spdx}</code>`), 'the summary lists the SBOM files');
  });
});
