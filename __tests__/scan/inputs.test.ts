/**
 * The shared gate inputs (parseScanInputs), as both scanning actions read them: `osv-db` is a
 * directory or the word `download`, and `osv-export-url` (where the downloaded exports come from)
 * is read and checked by the same parser.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from '@jest/globals';
import { HttpClient } from '@release-actions/shared';
import { InputChecker } from '@release-actions/shared/github';
import { openVulnerabilitySource } from '@release-actions/shared/scan';
import {
  OSV_DB_DOWNLOAD,
  OSV_EXPORT_URL,
  parseScanInputs,
  SCAN_INPUTS,
} from '@release-actions/shared/scan/inputs';

const dir = mkdtempSync(join(tmpdir(), 'scan-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parse(given: Record<string, string>) {
  const check = new InputChecker();
  const inputs = parseScanInputs((name) => given[name] ?? '', check, { failOn: 'high' });
  return { inputs, problems: check.problems };
}

describe('parseScanInputs', () => {
  it('lists osv-export-url among the gate inputs, defaulting to OSV’s bucket', () => {
    assert.ok((SCAN_INPUTS as readonly string[]).includes('osv-export-url'));
    const { inputs, problems } = parse({});
    assert.deepEqual(problems, []);
    assert.equal(inputs['osv-db'], undefined);
    assert.equal(inputs['osv-export-url'], OSV_EXPORT_URL);
    assert.equal(OSV_EXPORT_URL, 'https://osv-vulnerabilities.storage.googleapis.com');
  });

  it('takes osv-db: download as the word, not as a directory of that name', () => {
    const { inputs, problems } = parse({
      'osv-db': ' download ',
      'osv-export-url': 'https://mirror.example/osv/',
    });
    assert.deepEqual(problems, []);
    assert.equal(inputs['osv-db'], OSV_DB_DOWNLOAD);
    assert.equal(inputs['osv-export-url'], 'https://mirror.example/osv');
  });

  it('reads a directory called download when written as a path', () => {
    mkdirSync(join(dir, 'download'));
    const { inputs, problems } = parse({ 'osv-db': join(dir, 'download') });
    assert.deepEqual(problems, []);
    assert.equal(inputs['osv-db'], join(dir, 'download'));
  });

  it('names osv-export-url when it is not an http(s) URL', () => {
    const { problems } = parse({ 'osv-db': 'download', 'osv-export-url': 'gs://osv-vulnerabilities' });
    assert.deepEqual(
      problems.map((p) => p.input),
      ['osv-export-url'],
    );
    assert.match(problems[0]!.message, /uses gs: use an http:\/\/ or https:\/\/ URL/);
  });

  it('osv-db: download is not opened as a directory called download', async () => {
    const http = new HttpClient();
    try {
      const { inputs } = parse({ 'osv-db': 'download' });
      await assert.rejects(openVulnerabilitySource(inputs, { http }), /loadOsvExports/);
    } finally {
      await http.close();
    }
  });
});
