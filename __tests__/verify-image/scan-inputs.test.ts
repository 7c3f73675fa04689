/**
 * verify-image's scan and layout inputs: `scan` off by default, the gate inputs parsed by the
 * shared parseScanInputs (the sbom action's rules and messages) with `high` as verify-image's
 * default threshold, and `oci-layout:` images accepted (a build record matches them by directory).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, it } from '@jest/globals';
import { publicKeyToPem } from '@release-actions/shared/sign';
import { getInputs } from '../../actions/verify-image/src/context.ts';
import { inputProblems, setInputs } from '../inputs.ts';

const IMAGE = `localhost:5000/acme/app@sha256:${'e'.repeat(64)}`;
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('verify-image scan and layout inputs', () => {
  let dir: string;
  let key: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verify-image-scan-inputs-'));
    key = publicKeyToPem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => setInputs({}));

  it('scan is off by default; the gate defaults to high and the public OSV API', () => {
    setInputs({ image: IMAGE, key });
    const inputs = getInputs();
    assert.equal(inputs.scan, false);
    assert.equal(inputs['fail-on-severity'], 'high');
    assert.equal(inputs['ignore-unfixed'], false);
    assert.equal(inputs.allowlist, undefined);
    assert.equal(inputs['osv-url'], 'https://api.osv.dev');
    assert.equal(inputs['osv-db'], undefined);
    assert.equal(inputs['osv-export-url'], 'https://osv-vulnerabilities.storage.googleapis.com');
  });

  it('reads the gate inputs as the sbom action does', () => {
    const allowlist = join(dir, 'allow.yml');
    writeFileSync(allowlist, 'ignore:\n  - id: CVE-1\n    reason: not reachable\n    expires: 2099-01-01\n');
    setInputs({
      image: IMAGE,
      key,
      scan: 'true',
      'fail-on-severity': 'Critical',
      'ignore-unfixed': 'true',
      allowlist,
      'osv-url': 'http://127.0.0.1:9/',
      'osv-db': dir,
    });
    const inputs = getInputs();
    assert.equal(inputs.scan, true);
    assert.equal(inputs['fail-on-severity'], 'critical');
    assert.equal(inputs['ignore-unfixed'], true);
    assert.equal(inputs.allowlist?.entries[0]?.id, 'CVE-1');
    assert.equal(inputs['osv-url'], 'http://127.0.0.1:9');
    assert.equal(inputs['osv-db'], dir);
  });

  it('names every bad gate input at once', () => {
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'ignore:\n  - id: CVE-1\n    expires: 2099-01-01\n');
    const found = inputProblems(getInputs, {
      image: IMAGE,
      key,
      scan: 'yes',
      'fail-on-severity': 'severe',
      allowlist: bad,
      'osv-url': 'ftp://osv',
      'osv-db': join(dir, 'missing'),
    });
    assert.deepEqual(found.map((p) => p.input).sort(), [
      'allowlist',
      'fail-on-severity',
      'osv-db',
      'osv-url',
      'scan',
    ]);
    const message = (input: string) => found.find((p) => p.input === input)!.message;
    assert.match(message('scan'), /not a boolean/);
    assert.match(message('fail-on-severity'), /not one of critical, high, medium, low, off/);
    assert.match(message('allowlist'), /line 2: entry CVE-1 needs a "reason"/);
    assert.match(message('osv-url'), /use an http:\/\/ or https:\/\/ URL/);
    assert.match(message('osv-db'), /does not exist/);
  });

  it('takes osv-db: download as the word, with osv-export-url (default OSV’s bucket), as the sbom action does', () => {
    setInputs({ image: IMAGE, key, scan: 'true', 'osv-db': 'download' });
    const inputs = getInputs();
    assert.equal(inputs['osv-db'], 'download');
    assert.equal(inputs['osv-export-url'], 'https://osv-vulnerabilities.storage.googleapis.com');
    setInputs({
      image: IMAGE,
      key,
      scan: 'true',
      'osv-db': 'download',
      'osv-export-url': 'http://127.0.0.1:9/osv/',
    });
    assert.equal(getInputs()['osv-export-url'], 'http://127.0.0.1:9/osv');
  });

  it('names osv-export-url when it is not an http(s) URL', () => {
    const found = inputProblems(getInputs, {
      image: IMAGE,
      key,
      scan: 'true',
      'osv-db': 'download',
      'osv-export-url': 'gs://osv-vulnerabilities',
    });
    assert.deepEqual(
      found.map((p) => p.input),
      ['osv-export-url'],
    );
    assert.match(found[0]!.message, /use an http:\/\/ or https:\/\/ URL/);
  });

  it('takes oci-layout: images, and matches a build record to one by its directory', () => {
    const record = join(dir, 'build.json');
    writeFileSync(record, JSON.stringify({ digest: DIGEST, image: `oci-layout:${dir}/./out@${DIGEST}` }));
    setInputs({ image: `oci-layout:${dir}/out:v1`, key, 'build-record': record });
    const [target] = getInputs().targets;
    assert.equal(target?.ref.kind, 'oci-layout');
    assert.equal(target?.expectedDigest, DIGEST);
  });

  it('a build record whose image is not a reference is named, not thrown', () => {
    const record = join(dir, 'bad-record.json');
    writeFileSync(record, JSON.stringify({ digest: DIGEST, image: 'UPPER/Case' }));
    const found = inputProblems(getInputs, { image: IMAGE, key, 'build-record': record });
    assert.deepEqual(
      found.map((p) => p.input),
      ['build-record'],
    );
    assert.match(found[0]!.message, /record 1 of .*"image" invalid image reference/);
  });
});
