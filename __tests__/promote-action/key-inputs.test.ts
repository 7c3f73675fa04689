/** actions/promote inputs: the trusted `key`, read as every key input is (PEM text or paths). */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, it } from '@jest/globals';
import { KEY_REFERENCE_SCHEMES, publicKeyToPem } from '@release-actions/shared/sign';
import { getInputs } from '../../actions/promote/src/context.ts';
import { inputProblems, setInputs } from '../inputs.ts';

const promotion = (key: string) => ({
  source: `localhost:5000/acme/app-staging@sha256:${'f'.repeat(64)}`,
  target: 'localhost:5000/acme/app',
  key,
});

describe('promote key input', () => {
  let dir: string;
  let pub: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'promote-key-'));
    pub = publicKeyToPem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
    writeFileSync(join(dir, 'cosign.pub'), pub);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => setInputs({}));

  it('takes PEM text or the path of cosign.pub', () => {
    setInputs(promotion(join(dir, 'cosign.pub')));
    const trust = getInputs().trust?.trust;
    assert.equal(trust?.kind, 'keys');
    assert.equal(trust?.kind === 'keys' && String(trust.keys[0]).trim(), pub.trim());
  });

  it('refuses KMS and other key references as not supported yet, naming key', () => {
    for (const { prefix, kind } of KEY_REFERENCE_SCHEMES) {
      const found = inputProblems(getInputs, promotion(`${prefix}release/cosign`));
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
});
