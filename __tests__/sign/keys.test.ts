/**
 * cosign's key formats: our writer and reader, a key sealed by an independent secretbox
 * implementation, both PEM labels, every scrypt N, wrong passwords, tampering, and the
 * generate-key-pair command.
 */
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, scryptSync } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import {
  decodePem,
  encodePem,
  encryptPrivateKey,
  ENCRYPTED_KEY_PEM_LABELS,
  formatFingerprint,
  generateKeyPair,
  hintFingerprint,
  keyFingerprint,
  keyHint,
  loadPrivateKey,
  loadPublicKey,
  SCRYPT_N_VALUES,
  SignError,
  signBytes,
  verifyBytes,
  writeKeyPair,
  type EncryptedKeyDocument,
} from '@release-actions/shared/sign';
import { runGenerateKeyPair } from '../../packages/shared/src/sign/generate-key-pair-cli.ts';
import { referenceOpen, referenceSeal } from './secretbox-reference.ts';
import { withCode } from '../codes.ts';

const signCode = (code: string) => withCode(SignError, code);

const documentOf = (pem: string): EncryptedKeyDocument => JSON.parse(decodePem(pem).der.toString('utf8'));

/** Seals a PKCS#8 key the way go-securesystemslib does, with the test's own secretbox. */
function independentlyEncrypted(pkcs8: Buffer, password: string, N: number, label: string): string {
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const key = scryptSync(password, salt, 32, { N, r: 8, p: 1, maxmem: 512 * 1024 * 1024 });
  const body = JSON.stringify({
    kdf: { name: 'scrypt', params: { N, r: 8, p: 1 }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(referenceSeal(pkcs8, nonce, key)).toString('base64'),
  });
  return encodePem(label, Buffer.from(body));
}

describe('cosign encrypted keys', () => {
  it('round-trips a generated key for every scrypt N and both PEM labels', async () => {
    for (const N of SCRYPT_N_VALUES) {
      for (const label of ['sigstore', 'cosign'] as const) {
        const pair = await generateKeyPair('correct horse', { scryptN: N, label });
        assert.match(pair.privateKeyPem, new RegExp(`^-----BEGIN ${ENCRYPTED_KEY_PEM_LABELS[label]}-----\n`));
        const doc = documentOf(pair.privateKeyPem);
        assert.deepEqual(doc.kdf.params, { N, r: 8, p: 1 });
        assert.equal(Buffer.from(doc.kdf.salt, 'base64').length, 32);
        assert.equal(Buffer.from(doc.cipher.nonce, 'base64').length, 24);
        const loaded = await loadPrivateKey(pair.privateKeyPem, 'correct horse');
        assert.equal(keyFingerprint(loaded.publicKey), keyFingerprint(pair.key.publicKey));
        const sig = signBytes(loaded, Buffer.from('payload'));
        assert.ok(verifyBytes(loadPublicKey(pair.publicKeyPem), Buffer.from('payload'), sig));
      }
    }
  });

  it('writes the document with go-securesystemslib field names and order, and PEM as Go does', async () => {
    const pair = await generateKeyPair('pw');
    const body = decodePem(pair.privateKeyPem).der.toString('utf8');
    assert.match(
      body,
      /^\{"kdf":\{"name":"scrypt","params":\{"N":65536,"r":8,"p":1\},"salt":"[A-Za-z0-9+/=]{44}"\},"cipher":\{"name":"nacl\/secretbox","nonce":"[A-Za-z0-9+/=]{32}"\},"ciphertext":"[A-Za-z0-9+/=]+"\}$/,
    );
    const lines = pair.privateKeyPem.trimEnd().split('\n');
    assert.ok(lines.slice(1, -2).every((l) => l.length === 64));
    assert.match(pair.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
  });

  it('our writer output opens with an independent secretbox implementation (PKCS#8 P-256 inside)', async () => {
    const pair = await generateKeyPair('s3cret', { scryptN: 32768 });
    const doc = documentOf(pair.privateKeyPem);
    const key = scryptSync('s3cret', Buffer.from(doc.kdf.salt, 'base64'), 32, {
      N: 32768,
      r: 8,
      p: 1,
      maxmem: 64 * 1024 * 1024,
    });
    const pkcs8 = referenceOpen(
      Buffer.from(doc.ciphertext, 'base64'),
      Buffer.from(doc.cipher.nonce, 'base64'),
      key,
    );
    assert.ok(pkcs8, 'the reference implementation must authenticate the box');
    const inner = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
    assert.equal(inner.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });

  it('loads keys sealed by the independent implementation, under both labels and every N', async () => {
    for (const N of SCRYPT_N_VALUES) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
      for (const label of Object.values(ENCRYPTED_KEY_PEM_LABELS)) {
        const pem = independentlyEncrypted(pkcs8, 'päss wörd', N, label);
        const loaded = await loadPrivateKey(pem, 'päss wörd');
        assert.equal(keyFingerprint(loaded.publicKey), keyFingerprint(publicKey));
      }
    }
  });

  it('accepts an empty password, as cosign does with COSIGN_PASSWORD=""', async () => {
    const pair = await generateKeyPair('', { scryptN: 32768 });
    await loadPrivateKey(pair.privateKeyPem, '');
    await assert.rejects(loadPrivateKey(pair.privateKeyPem, 'x'), signCode('WRONG_PASSWORD'));
  });

  it('a wrong password is WRONG_PASSWORD, never a crash or a garbage key', async () => {
    const pair = await generateKeyPair('right', { scryptN: 32768 });
    await assert.rejects(loadPrivateKey(pair.privateKeyPem, 'wrong'), signCode('WRONG_PASSWORD'));
    await assert.rejects(loadPrivateKey(pair.privateKeyPem, 'Right'), signCode('WRONG_PASSWORD'));
    await assert.rejects(loadPrivateKey(pair.privateKeyPem), signCode('PASSWORD_REQUIRED'));
  });

  it('a tampered ciphertext, nonce or salt fails authentication', async () => {
    const pair = await generateKeyPair('pw', { scryptN: 32768 });
    const doc = documentOf(pair.privateKeyPem);
    const flip = (b64: string) => {
      const b = Buffer.from(b64, 'base64');
      b[b.length - 1]! ^= 1;
      return b.toString('base64');
    };
    for (const tampered of [
      { ...doc, ciphertext: flip(doc.ciphertext) },
      { ...doc, cipher: { ...doc.cipher, nonce: flip(doc.cipher.nonce) } },
      { ...doc, kdf: { ...doc.kdf, salt: flip(doc.kdf.salt) } },
    ]) {
      const pem = encodePem(ENCRYPTED_KEY_PEM_LABELS.sigstore, Buffer.from(JSON.stringify(tampered)));
      await assert.rejects(loadPrivateKey(pem, 'pw'), signCode('WRONG_PASSWORD'));
    }
  });

  it('refuses scrypt parameters cosign refuses, before deriving anything', async () => {
    const pair = await generateKeyPair('pw', { scryptN: 32768 });
    const doc = documentOf(pair.privateKeyPem);
    for (const params of [
      { N: 1 << 24, r: 8, p: 1 },
      { N: 16384, r: 8, p: 1 },
      { N: 32768, r: 16, p: 1 },
      { N: 32768, r: 8, p: 2 },
    ]) {
      const pem = encodePem(
        ENCRYPTED_KEY_PEM_LABELS.sigstore,
        Buffer.from(JSON.stringify({ ...doc, kdf: { ...doc.kdf, params } })),
      );
      const started = Date.now();
      await assert.rejects(loadPrivateKey(pem, 'pw'), signCode('KEY_INVALID'));
      assert.ok(Date.now() - started < 1000);
    }
  });

  it('reports malformed documents as KEY_INVALID', async () => {
    const label = ENCRYPTED_KEY_PEM_LABELS.sigstore;
    for (const body of [
      'not json',
      '{}',
      JSON.stringify({ kdf: { name: 'argon2' }, cipher: { name: 'nacl/secretbox' } }),
      JSON.stringify({
        kdf: { name: 'scrypt', params: { N: 32768, r: 8, p: 1 }, salt: 'AAAA' },
        cipher: { name: 'nacl/secretbox', nonce: 'AAAA' },
        ciphertext: 'AAAA',
      }),
      JSON.stringify({
        kdf: { name: 'scrypt', params: { N: 32768, r: 8, p: 1 }, salt: 'not base64!' },
        cipher: { name: 'nacl/secretbox', nonce: randomBytes(24).toString('base64') },
        ciphertext: randomBytes(64).toString('base64'),
      }),
    ]) {
      await assert.rejects(
        loadPrivateKey(encodePem(label, Buffer.from(body)), 'pw'),
        signCode('KEY_INVALID'),
      );
    }
    await assert.rejects(loadPrivateKey('no pem here', 'pw'), signCode('KEY_INVALID'));
    await assert.rejects(
      loadPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'),
      signCode('KEY_INVALID'),
    );
  });

  it('refuses a sealed key that is not PKCS#8 (cosign refuses SEC1 inside too)', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const sec1 = privateKey.export({ format: 'der', type: 'sec1' });
    const pem = independentlyEncrypted(sec1, 'pw', 32768, ENCRYPTED_KEY_PEM_LABELS.cosign);
    await assert.rejects(loadPrivateKey(pem, 'pw'), signCode('KEY_INVALID'));
  });
});

describe('unencrypted and public keys', () => {
  it('loads unencrypted PKCS#8 and SEC1 P-256 keys', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (const type of ['pkcs8', 'sec1'] as const) {
      const pem = privateKey.export({ format: 'pem', type }) as string;
      const loaded = await loadPrivateKey(pem);
      assert.equal(keyFingerprint(loaded.publicKey), keyFingerprint(publicKey));
    }
  });

  it('loads OpenSSL-encrypted PKCS#8, with WRONG_PASSWORD on a bad password', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = privateKey.export({
      format: 'pem',
      type: 'pkcs8',
      cipher: 'aes-256-cbc',
      passphrase: 'pw',
    }) as string;
    await loadPrivateKey(pem, 'pw');
    await assert.rejects(loadPrivateKey(pem, 'nope'), signCode('WRONG_PASSWORD'));
    await assert.rejects(loadPrivateKey(pem), signCode('PASSWORD_REQUIRED'));
  });

  it('refuses keys that are not ECDSA P-256, naming what they are', async () => {
    const others = [
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
      generateKeyPairSync('ed25519'),
      generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ];
    for (const { privateKey, publicKey } of others) {
      await assert.rejects(
        loadPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })),
        signCode('KEY_UNSUPPORTED'),
      );
      assert.throws(
        () => loadPublicKey(publicKey.export({ format: 'pem', type: 'spki' })),
        signCode('KEY_UNSUPPORTED'),
      );
      await assert.rejects(encryptPrivateKey(privateKey, 'pw'), signCode('KEY_UNSUPPORTED'));
    }
  });

  it('loadPublicKey wants a PUBLIC KEY block', async () => {
    const pair = await generateKeyPair('pw', { scryptN: 32768 });
    assert.throws(() => loadPublicKey(pair.privateKeyPem), signCode('KEY_INVALID'));
  });

  it('verifyBytes is false (not a throw) for garbage signatures', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    assert.equal(verifyBytes(publicKey, Buffer.from('x'), Buffer.from('not a signature')), false);
  });
});

describe('key fingerprints', () => {
  it('are written one way: sha256:<hex> of the PKIX DER, from the key or from a bundle key hint', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const hex = createHash('sha256')
      .update(publicKey.export({ format: 'der', type: 'spki' }))
      .digest('hex');
    assert.equal(keyFingerprint(publicKey), `sha256:${hex}`);
    assert.equal(formatFingerprint(Buffer.from(hex, 'hex')), `sha256:${hex}`);
    // cosign's hint is the same SHA-256 in base64: a message shows it as the same fingerprint.
    assert.equal(hintFingerprint(keyHint(publicKey)), keyFingerprint(publicKey));
    assert.equal(hintFingerprint('not a sha-256'), undefined);
    assert.equal(hintFingerprint(Buffer.from('short').toString('base64')), undefined);
    assert.throws(() => formatFingerprint(Buffer.alloc(20)), signCode('KEY_INVALID'));
  });
});

describe('writing key pairs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ra-keys-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes cosign.key (0600) and cosign.pub, and refuses to overwrite without force', async () => {
    const out = join(dir, 'lib');
    const written = await writeKeyPair(out, 'pw', { scryptN: 32768 });
    assert.equal((await stat(written.privateKeyPath)).mode & 0o777, 0o600);
    assert.equal(written.privateKeyPath, join(out, 'cosign.key'));
    const loaded = await loadPrivateKey(await readFile(written.privateKeyPath), 'pw');
    const pub = loadPublicKey(await readFile(join(out, 'cosign.pub')));
    assert.equal(keyFingerprint(loaded.publicKey), keyFingerprint(pub));
    await assert.rejects(writeKeyPair(out, 'pw', { scryptN: 32768 }), signCode('KEY_EXISTS'));
    const again = await writeKeyPair(out, 'pw2', { scryptN: 32768, force: true });
    await loadPrivateKey(await readFile(again.privateKeyPath), 'pw2');
  });

  it('the generate-key-pair command writes a loadable pair from COSIGN_PASSWORD', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const io = {
      env: { COSIGN_PASSWORD: 'from-env' },
      cwd: dir,
      out: (l: string) => lines.push(l),
      err: (l: string) => errors.push(l),
    };
    assert.equal(
      await runGenerateKeyPair(['--output-dir', 'cli', '--scrypt-n', '32768'], io),
      0,
      errors.join('\n'),
    );
    assert.ok(lines.some((l) => l.includes('Public key fingerprint: sha256:')));
    assert.ok(!lines.join('\n').includes('from-env'));
    await loadPrivateKey(await readFile(join(dir, 'cli', 'cosign.key')), 'from-env');
    // Existing files are kept.
    assert.equal(await runGenerateKeyPair(['--output-dir', 'cli'], io), 1);
    assert.match(errors.at(-1)!, /KEY_EXISTS/);
  });

  it('the command refuses to overwrite existing key files, saying --force, before asking for a password', async () => {
    const out = join(dir, 'existing');
    await writeKeyPair(out, 'first', { scryptN: 32768 });
    const before = await readFile(join(out, 'cosign.key'), 'utf8');
    const errors: string[] = [];
    let asked = 0;
    const io = {
      env: {},
      cwd: dir,
      out: () => {},
      err: (l: string) => errors.push(l),
      askSecret: async () => {
        asked++;
        return 'second';
      },
    };
    assert.equal(await runGenerateKeyPair(['--output-dir', 'existing', '--scrypt-n', '32768'], io), 1);
    assert.equal(asked, 0, 'no password is asked for when nothing will be written');
    assert.match(errors.at(-1)!, /--force/);
    assert.match(errors.at(-1)!, /cosign\.key and .*cosign\.pub already exist/);
    assert.doesNotMatch(errors.at(-1)!, /pass force\b/);
    assert.equal(await readFile(join(out, 'cosign.key'), 'utf8'), before, 'the old key is kept');
    // --force overwrites.
    assert.equal(
      await runGenerateKeyPair(['--output-dir', 'existing', '--scrypt-n', '32768', '--force'], io),
      0,
      errors.join('\n'),
    );
    await loadPrivateKey(await readFile(join(out, 'cosign.key')), 'second');
  });

  it('writes neither file when only cosign.pub exists (no new key beside an old public key)', async () => {
    const out = join(dir, 'pub-only');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'cosign.pub'), 'an older public key\n');
    await assert.rejects(writeKeyPair(out, 'pw', { scryptN: 32768 }), (err: unknown) => {
      signCode('KEY_EXISTS')(err);
      assert.match((err as Error).message, /cosign\.pub already exists: nothing was written/);
      return true;
    });
    await assert.rejects(access(join(out, 'cosign.key')), /ENOENT/);
    assert.equal(await readFile(join(out, 'cosign.pub'), 'utf8'), 'an older public key\n');
  });

  it('the command asks twice on a terminal, and fails without a password source', async () => {
    const prompts: string[] = [];
    const answers = ['typed', 'typed'];
    const io = {
      env: {},
      cwd: dir,
      out: () => {},
      err: () => {},
      askSecret: async (p: string) => {
        prompts.push(p);
        return answers.shift()!;
      },
    };
    assert.equal(
      await runGenerateKeyPair(['--output-dir', 'tty', '--prefix', 'release', '--scrypt-n=32768'], io),
      0,
    );
    assert.equal(prompts.length, 2);
    await loadPrivateKey(await readFile(join(dir, 'tty', 'release.key')), 'typed');
    assert.equal(await runGenerateKeyPair(['--output-dir', 'none'], { ...io, askSecret: undefined }), 2);
    assert.equal(await runGenerateKeyPair(['--scrypt-n', '1024'], io), 2);
  });
});
