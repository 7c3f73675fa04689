/**
 * The sbom action's job summary when there is no scan result: a real SBOM of a directory, and the
 * real error of an OSV API nothing answers on. The summary keeps the whole SBOM part (packages,
 * files, artifact) and says plainly that the scan failed and why, naming `osv-url`; with the scan
 * off, it says so instead.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, it } from '@jest/globals';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import { generateSbom, type SbomResult } from '@release-actions/shared/sbom';
import { OsvApiClient, scanPackages } from '@release-actions/shared/scan';
import { getInputs } from '../../actions/sbom/src/context.ts';
import { writeSummary, type Report } from '../../actions/sbom/src/report.ts';
import { setInputs } from '../inputs.ts';
import { assertOfficialSpdx } from '../sbom/schemas.ts';

const dir = mkdtempSync(join(tmpdir(), 'sbom-report-'));
const project = join(dir, 'app');
const summaryFile = join(dir, 'summary.md');
const saved = process.env.GITHUB_STEP_SUMMARY;

describe('sbom job summary without a scan result', () => {
  let sbom: SbomResult;
  let scanError: unknown;
  let osvUrl: string;

  beforeAll(async () => {
    mkdirSync(project, { recursive: true });
    writeFileSync(
      join(project, 'package-lock.json'),
      JSON.stringify({
        name: 'app',
        lockfileVersion: 3,
        packages: {
          '': { name: 'app', dependencies: { 'left-pad': '1.3.0' } },
          'node_modules/left-pad': { version: '1.3.0', license: 'WTFPL' },
        },
      }),
    );
    sbom = await generateSbom({ path: project });
    assertOfficialSpdx(sbom.spdx);
    assert.deepEqual(
      sbom.packages.map((p) => p.purl),
      ['pkg:npm/app', 'pkg:npm/left-pad@1.3.0'],
    );
    // A loopback port nothing listens on: the OSV API is unreachable.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    osvUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const http = new HttpClient({ retry: immediateRetryPolicy(1) });
    scanError = await scanPackages(
      sbom.packages.map((p) => ({ name: p.name, version: p.version, purl: p.purl! })),
      { source: new OsvApiClient({ http, baseUrl: osvUrl }) },
    ).then(
      () => assert.fail('the scan should fail'),
      (err: unknown) => err,
    );
    await http.close();
    process.env.GITHUB_STEP_SUMMARY = summaryFile;
  });
  afterEach(() => setInputs({}));
  afterAll(() => {
    if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
    else process.env.GITHUB_STEP_SUMMARY = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  async function summaryOf(inputs: Record<string, string>, extra: Partial<Report>): Promise<string> {
    setInputs(inputs);
    writeFileSync(summaryFile, '');
    await writeSummary({
      inputs: getInputs({}),
      subject: project,
      sbom,
      files: { spdx: join(dir, 'app.spdx.json'), cyclonedx: join(dir, 'app.cdx.json') },
      attestations: [],
      upload: { status: 'skipped', reason: 'upload-artifact is false' },
      signer: undefined,
      ...extra,
    });
    return readFileSync(summaryFile, 'utf8');
  }

  it('keeps the SBOM part and says the scan failed, naming osv-url, when the source is unreachable', async () => {
    const summary = await summaryOf({ path: project, 'osv-url': osvUrl }, { scanError });
    assert.match(summary, /<h2>❌ SBOM: 2 packages in .*app \(the scan failed\)<\/h2>/);
    assert.match(summary, /<tr><td><code>npm<\/code><\/td><td>2<\/td><\/tr>/);
    assert.match(summary, /<h3>Vulnerabilities<\/h3>/);
    assert.match(summary, /The vulnerability scan failed: no package was checked and the gate did not run/);
    assert.ok(summary.includes(`osv-url ${osvUrl} is unreachable`), summary);
    assert.match(summary, /<code>VULN_SOURCE_UNAVAILABLE<\/code>/);
    assert.match(summary, /The SBOM does not depend on the scan/);
    assert.ok(summary.includes(`<code>${join(dir, 'app.spdx.json')}</code>`), 'the SBOM files are listed');
    assert.ok(summary.includes(`<code>${join(dir, 'app.cdx.json')}</code>`));
    assert.match(summary, /not uploaded: upload-artifact is false/);
    assert.doesNotMatch(summary, /Worst findings|<th>Critical<\/th>/);
  });

  it('says the scan is off when it is', async () => {
    const summary = await summaryOf({ path: project, scan: 'false' }, {});
    assert.match(summary, /<h2>✅ SBOM: 2 packages in /);
    assert.match(summary, /<h3>Vulnerabilities<\/h3>\s*<p>Not scanned: the scan input is false\.<\/p>/);
    assert.ok(summary.includes(`<code>${join(dir, 'app.spdx.json')}</code>`));
  });
});
