/** parseTrustInputs: the trust inputs verify-image and promote share. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { InputChecker, InputError } from '@release-actions/shared/github';
import { parseTrustInputs, trustedKeys, verifyWithKeys, VerifyError } from '@release-actions/shared/verify';
import {
  createKeySigner,
  generateKeyPair,
  keyFingerprint,
  keyHint,
  publicKeyToPem,
} from '@release-actions/shared/sign';

const pub = () => publicKeyToPem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);

function parse(inputs: Record<string, string>) {
  const check = new InputChecker();
  const result = parseTrustInputs((name) => inputs[name] ?? '', check);
  return { result, problems: check.problems, check };
}

function problemsOf(inputs: Record<string, string>): string[] {
  const { check } = parse(inputs);
  try {
    check.throwIfAny();
    return [];
  } catch (err) {
    assert.ok(err instanceof InputError);
    return err.problems.map((p) => p.input);
  }
}

describe('parseTrustInputs', () => {
  it('keys: PEM text with several blocks, and paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trust-'));
    try {
      const [a, b, c] = [pub(), pub(), pub()];
      writeFileSync(join(dir, 'cosign.pub'), c);
      const { result, problems } = parse({ key: `${a}\n${b}\n${join(dir, 'cosign.pub')}` });
      assert.deepEqual(problems, []);
      assert.equal(result.trust.kind, 'keys');
      assert.equal(result.trust.kind === 'keys' && result.trust.keys.length, 3);
      assert.equal(result.signatureFormat, 'auto');
      assert.deepEqual(result.requireAttestations, []);
      assert.equal(result.provenance, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keyless: exact or regexp identity and issuer, format, attestations and pins', () => {
    const { result, problems } = parse({
      'certificate-identity-regexp': '^https://github.com/acme/',
      'certificate-oidc-issuer': 'https://token.actions.githubusercontent.com',
      'signature-format': 'Bundle',
      'require-attestations': 'slsa-provenance, spdx\nhttps://example.com/custom/v1',
      'source-repository': 'acme/app',
      'source-ref': '/^refs/tags/v/',
    });
    assert.deepEqual(problems, []);
    assert.equal(result.trust.kind, 'keyless');
    if (result.trust.kind !== 'keyless') return;
    assert.ok(result.trust.identity instanceof RegExp);
    assert.equal(result.trust.issuer, 'https://token.actions.githubusercontent.com');
    assert.equal(
      result.trust.trustedRoot,
      undefined,
      'public-good root, fetched through TUF at verification',
    );
    assert.equal(result.signatureFormat, 'bundle');
    assert.deepEqual(result.requireAttestations, [
      'slsa-provenance',
      'spdx',
      'https://example.com/custom/v1',
    ]);
    assert.equal(result.provenance?.sourceRepository, 'acme/app');
    assert.ok(result.provenance?.sourceRef instanceof RegExp);
  });

  it('names the input at fault for every problem at once', () => {
    assert.deepEqual(problemsOf({}), ['key']);
    assert.deepEqual(problemsOf({ key: 'not a key' }), ['key']);
    assert.deepEqual(problemsOf({ key: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }), [
      'key',
    ]);
    assert.deepEqual(problemsOf({ key: pub(), 'certificate-identity': 'x' }).sort(), ['key']);
    assert.deepEqual(problemsOf({ 'certificate-identity': 'x' }), ['certificate-oidc-issuer']);
    assert.deepEqual(problemsOf({ 'certificate-oidc-issuer': 'x' }), ['certificate-identity']);
    assert.deepEqual(
      problemsOf({
        'certificate-identity': 'x',
        'certificate-identity-regexp': 'y',
        'certificate-oidc-issuer': 'z',
      }),
      ['certificate-identity'],
    );
    assert.deepEqual(problemsOf({ 'certificate-identity-regexp': '(', 'certificate-oidc-issuer': 'z' }), [
      'certificate-identity-regexp',
    ]);
    assert.deepEqual(
      problemsOf({
        key: pub(),
        'signature-format': 'both',
        'require-attestations': 'sbom',
        'builder-id': '/(/',
      }).sort(),
      ['builder-id', 'require-attestations', 'signature-format'],
    );
    assert.deepEqual(problemsOf({ key: pub(), 'trusted-root': '{}' }), ['trusted-root']);
    assert.deepEqual(
      problemsOf({
        'certificate-identity': 'x',
        'certificate-oidc-issuer': 'y',
        'trusted-root': '{"mediaType":"x"}',
      }),
      ['trusted-root'],
    );
    assert.deepEqual(
      problemsOf({
        'certificate-identity': 'x',
        'certificate-oidc-issuer': 'y',
        'trusted-root': '/nonexistent/root.json',
      }),
      ['trusted-root'],
    );
  });
});

describe('key trust in messages', () => {
  it('refuses a KMS key reference in key as not supported yet, with its code', () => {
    const { problems } = parse({ key: 'awskms:///alias/release' });
    assert.deepEqual(
      problems.map((p) => [p.input, p.code]),
      [['key', 'KEY_REFERENCE_UNSUPPORTED']],
    );
    assert.match(problems[0]!.message, /KMS keys are not supported yet/);
  });

  it('names another signing key by its sha256:<hex> fingerprint, never by its base64 hint', async () => {
    const signing = await generateKeyPair('', { scryptN: 32768 });
    const trusted = await generateKeyPair('', { scryptN: 32768 });
    const bundle = await createKeySigner(signing.key).signMessage(Buffer.from('payload'));
    const candidate = {
      role: 'signature' as const,
      format: 'bundle' as const,
      location: 'localhost:5000/acme/app@sha256:' + '0'.repeat(64),
      bundle,
      artifact: Buffer.from('payload'),
    };
    const keys = trustedKeys({ kind: 'keys', keys: [trusted.publicKeyPem] });
    assert.throws(
      () => verifyWithKeys(candidate, keys),
      (err: unknown) => {
        assert.ok(err instanceof VerifyError);
        assert.equal(err.code, 'UNTRUSTED_KEY');
        assert.ok(err.message.includes(`(${keyFingerprint(signing.key.publicKey)})`), err.message);
        assert.ok(err.message.includes(keyFingerprint(trusted.key.publicKey)), err.message);
        assert.ok(!err.message.includes(keyHint(signing.key.publicKey)), 'no base64 hint in the message');
        return true;
      },
    );
  });
});
