/** actions/verify-image inputs: the trusted `key`, read as every key input is (PEM text or paths). */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, it } from '@jest/globals';
import { KEY_REFERENCE_SCHEMES, publicKeyToPem } from '@release-actions/shared/sign';
import { getInputs } from '../../actions/verify-image/src/context.ts';
import { inputProblems, setInputs } from '../inputs.ts';

const IMAGE = `localhost:5000/acme/app@sha256:${'e'.repeat(64)}`;

describe('verify-image key input', () => {
  let dir: string;
  let pub: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verify-image-key-'));
    pub = publicKeyToPem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
    writeFileSync(join(dir, 'cosign.pub'), pub);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => setInputs({}));

  it('takes PEM text or the path of cosign.pub', () => {
    setInputs({ image: IMAGE, key: join(dir, 'cosign.pub') });
    const fromFile = getInputs().trust.trust;
    setInputs({ image: IMAGE, key: pub });
    const fromText = getInputs().trust.trust;
    assert.equal(fromFile.kind, 'keys');
    assert.deepEqual(fromFile, fromText);
  });

  it('refuses KMS and other key references as not supported yet, naming key', () => {
    for (const { prefix, kind } of KEY_REFERENCE_SCHEMES) {
      const found = inputProblems(getInputs, { image: IMAGE, key: `${prefix}release/cosign` });
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.equal(found[0]!.input, 'key');
      assert.equal(found[0]!.code, 'KEY_REFERENCE_UNSUPPORTED');
      assert.match(
        found[0]!.message,
        kind === 'kms' ? /KMS keys are not supported yet/ : /not supported yet/,
      );
      assert.doesNotMatch(found[0]!.message, /cannot read|holds no PEM/);
    }
  });

  it('names a key file that cannot be read', () => {
    const missing = join(dir, 'missing.pub');
    const found = inputProblems(getInputs, { image: IMAGE, key: missing });
    assert.deepEqual(
      found.map((p) => [p.input, p.code]),
      [['key', 'KEY_FILE_UNREADABLE']],
    );
    assert.ok(found[0]!.message.includes(`"${missing}" (ENOENT)`), found[0]!.message);
  });
});
