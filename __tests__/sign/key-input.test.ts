/**
 * The one key-input loader every action uses: PEM text or a path, KMS and other cosign key
 * references refused as such (never as "not a path" or "not PEM"), and a wrong password reported
 * against the password input.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { InputChecker, InputError, type InputProblem } from '@release-actions/shared/github';
import {
  generateKeyPair,
  KEY_REFERENCE_SCHEMES,
  keyFingerprint,
  keyReferenceScheme,
  loadSigningKeyInput,
  publicKeyToPem,
  readPrivateKeyInput,
  readPublicKeysInput,
  type GeneratedKeyPair,
} from '@release-actions/shared/sign';

/** The one problem an InputError reports. */
function problemOf(fn: () => unknown): InputProblem {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    assert.equal(err.problems.length, 1);
    return err.problems[0]!;
  }
  assert.fail('expected an InputError');
}

async function rejectedProblem(promise: Promise<unknown>): Promise<InputProblem & { text: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    assert.equal(err.problems.length, 1);
    return { ...err.problems[0]!, text: err.message };
  }
  assert.fail('expected an InputError');
}

/** One reference per scheme cosign resolves itself, as its docs write them. */
const REFERENCES: Record<string, string> = {
  'awskms://': 'awskms:///alias/release-signing',
  'gcpkms://': 'gcpkms://projects/acme/locations/global/keyRings/release/cryptoKeys/cosign',
  'azurekms://': 'azurekms://acme-vault.vault.azure.net/cosign',
  'hashivault://': 'hashivault://cosign',
  'k8s://': 'k8s://release/cosign-keys',
  'gitlab://': 'gitlab://acme/app',
  'pkcs11:': 'pkcs11:token=release;slot-id=0;object=cosign?module-path=/usr/lib/softhsm/libsofthsm2.so',
  'env://': 'env://COSIGN_PRIVATE_KEY',
  'https://': 'https://keys.acme.example/cosign.key',
  'http://': 'http://keys.acme.example/cosign.key',
};

describe('key inputs', () => {
  let dir: string;
  let pair: GeneratedKeyPair;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'key-input-'));
    pair = await generateKeyPair('correct horse', { scryptN: 32768 });
    writeFileSync(join(dir, 'cosign.key'), pair.privateKeyPem);
    writeFileSync(join(dir, 'cosign.pub'), pair.publicKeyPem);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('take PEM text, masking it whole and line by line', () => {
    const secrets: string[] = [];
    const pem = readPrivateKeyInput(`  ${pair.privateKeyPem}\n`, {
      input: 'cosign-key',
      onSecret: (s) => secrets.push(s),
    });
    assert.equal(pem.trim(), pair.privateKeyPem.trim());
    assert.ok(secrets.includes(pair.privateKeyPem.trim()));
    const bodyLines = pair.privateKeyPem.split('\n').filter((l) => l.length > 8 && !l.startsWith('-----'));
    for (const line of bodyLines) assert.ok(secrets.includes(line), 'each body line is masked');
    assert.ok(!secrets.some((s) => s.startsWith('-----BEGIN') && !s.includes('\n')), 'armour is not masked');
  });

  it('take the path of a key file, masking its contents but not the path', async () => {
    const secrets: string[] = [];
    const path = join(dir, 'cosign.key');
    const pem = readPrivateKeyInput(path, { input: 'cosign-key', onSecret: (s) => secrets.push(s) });
    assert.equal(pem.trim(), pair.privateKeyPem.trim());
    assert.ok(secrets.includes(pair.privateKeyPem.trim()));
    assert.ok(!secrets.includes(path));
    const key = await loadSigningKeyInput(pem, 'correct horse', {
      keyInput: 'cosign-key',
      passwordInput: 'cosign-password',
    });
    assert.equal(keyFingerprint(key.publicKey), keyFingerprint(pair.key.publicKey));
  });

  it('say which file cannot be read, naming the input', () => {
    const missing = join(dir, 'nope', 'cosign.key');
    const p = problemOf(() => readPrivateKeyInput(missing, { input: 'cosign-key' }));
    assert.equal(p.input, 'cosign-key');
    assert.equal(p.code, 'KEY_FILE_UNREADABLE');
    assert.ok(p.message.includes(`"${missing}" (ENOENT)`), p.message);
    const pub = problemOf(() => readPublicKeysInput(missing, { input: 'key' }));
    assert.equal(pub.input, 'key');
    assert.equal(pub.code, 'KEY_FILE_UNREADABLE');
  });

  it('never quote a long value that is no file (it may be a key pasted without its armour), and mask it', () => {
    const pasted = 'A'.repeat(400);
    const secrets: string[] = [];
    const p = problemOf(() =>
      readPrivateKeyInput(pasted, { input: 'cosign-key', onSecret: (s) => secrets.push(s) }),
    );
    assert.equal(p.code, 'KEY_FILE_UNREADABLE');
    assert.ok(!p.message.includes(pasted.slice(0, 40)), p.message);
    assert.deepEqual(secrets, [pasted]);
  });

  for (const scheme of KEY_REFERENCE_SCHEMES) {
    it(`refuse a ${scheme.prefix} reference as not supported yet, in cosign-key and in key`, () => {
      const ref = REFERENCES[scheme.prefix];
      assert.ok(ref, `the test has an example for ${scheme.prefix}`);
      assert.equal(keyReferenceScheme(ref), scheme);
      for (const [input, read] of [
        ['cosign-key', () => readPrivateKeyInput(ref, { input: 'cosign-key' })],
        ['key', () => readPublicKeysInput(`${pair.publicKeyPem}\n${ref}`, { input: 'key' })],
      ] as const) {
        const p = problemOf(read);
        assert.equal(p.input, input);
        assert.equal(p.code, 'KEY_REFERENCE_UNSUPPORTED');
        assert.match(
          p.message,
          scheme.kind === 'kms' ? /KMS keys are not supported yet/ : /not supported yet/,
        );
        assert.doesNotMatch(p.message, /not a path|holds no PEM|not PEM|cannot read/i);
      }
    });
  }

  it('take any other scheme:// as a KMS plugin reference, as cosign does', () => {
    const p = problemOf(() => readPrivateKeyInput('acmekms://release', { input: 'cosign-key' }));
    assert.equal(p.code, 'KEY_REFERENCE_UNSUPPORTED');
    assert.match(p.message, /sigstore-kms-acmekms plugin\): KMS keys are not supported yet/);
    // For verification, the way out: export the public key from the KMS.
    const q = problemOf(() => readPublicKeysInput('gcpkms://projects/p/keys/k', { input: 'key' }));
    assert.match(q.message, /cosign public-key --key gcpkms:\/\/projects\/p\/keys\/k prints it/);
    // A path is no reference.
    assert.equal(keyReferenceScheme('./keys/cosign.key'), undefined);
    assert.equal(keyReferenceScheme('C:\\keys\\cosign.key'), undefined);
  });

  it('refuse a public key as cosign-key and a private key as key, saying which is which', () => {
    const p = problemOf(() => readPrivateKeyInput(pair.publicKeyPem, { input: 'cosign-key' }));
    assert.equal(p.code, 'KEY_INVALID');
    assert.match(p.message, /is a public key: give the private key \(cosign\.key\)/);
    const q = problemOf(() => readPublicKeysInput(join(dir, 'cosign.key'), { input: 'key' }));
    assert.equal(q.code, 'KEY_INVALID');
    assert.match(q.message, /is a private key: give the public key \(cosign\.pub\)/);
    const cut = pair.privateKeyPem.split('\n').slice(0, 3).join('\n');
    assert.match(
      problemOf(() => readPrivateKeyInput(cut, { input: 'cosign-key' })).message,
      /without its END line/,
    );
  });

  it('read public keys from PEM text with several blocks and paths, one per line', () => {
    const other = publicKeyToPem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
    const pems = readPublicKeysInput(`${other}\n${join(dir, 'cosign.pub')}\n`, { input: 'key' });
    assert.deepEqual(
      pems.map((p) => p.trim()),
      [other.trim(), pair.publicKeyPem.trim()],
    );
  });

  it('name cosign-password when the password does not decrypt the key, and when it is empty', async () => {
    const names = { keyInput: 'cosign-key', passwordInput: 'cosign-password' };
    const wrong = await rejectedProblem(loadSigningKeyInput(pair.privateKeyPem, 'battery staple', names));
    assert.equal(wrong.input, 'cosign-password');
    assert.equal(wrong.code, 'WRONG_PASSWORD');
    assert.match(wrong.text, /^input "cosign-password": does not decrypt cosign-key/);
    const empty = await rejectedProblem(loadSigningKeyInput(pair.privateKeyPem, '', names));
    assert.equal(empty.input, 'cosign-password');
    assert.match(empty.message, /is empty, but cosign-key is encrypted/);
    const none = await rejectedProblem(loadSigningKeyInput(pair.privateKeyPem, undefined, names));
    assert.equal(none.input, 'cosign-password');
    assert.equal(none.code, 'PASSWORD_REQUIRED');
  });

  it('name cosign-key when the key is not ECDSA P-256', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    }) as string;
    const pem = readPrivateKeyInput(rsa, { input: 'cosign-key' });
    const p = await rejectedProblem(
      loadSigningKeyInput(pem, '', { keyInput: 'cosign-key', passwordInput: 'cosign-password' }),
    );
    assert.equal(p.input, 'cosign-key');
    assert.equal(p.code, 'KEY_UNSUPPORTED');
  });

  it('keep their input and code when read through an InputChecker', () => {
    const check = new InputChecker();
    check.field('cosign-key', () => readPrivateKeyInput('awskms:///alias/x', { input: 'cosign-key' }), '');
    check.field(
      'format',
      () => {
        throw new Error('"xml" is not one of spdx-json, cyclonedx-json');
      },
      '',
    );
    assert.deepEqual(
      check.problems.map((p) => [p.input, p.code]),
      [
        ['cosign-key', 'KEY_REFERENCE_UNSUPPORTED'],
        ['format', undefined],
      ],
    );
  });
});
