/**
 * Signing keys in the formats cosign users already have.
 *
 * - cosign's encrypted private keys: a PEM block labelled `ENCRYPTED SIGSTORE PRIVATE KEY` (what
 *   cosign writes today) or `ENCRYPTED COSIGN PRIVATE KEY` (older cosign), whose body is the JSON
 *   document of go-securesystemslib's `encrypted` package:
 *
 *       {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"<base64>"},
 *        "cipher":{"name":"nacl/secretbox","nonce":"<base64>"},"ciphertext":"<base64>"}
 *
 *   scrypt (N 32768, 65536 or 131072; r 8; p 1; 32-byte salt) derives a 32-byte key from the
 *   password, and NaCl secretbox (XSalsa20-Poly1305, 24-byte nonce) seals a PKCS#8 private key.
 *   Other scrypt parameters are refused before any work is done, as cosign does, so a tampered
 *   file cannot make us spend gigabytes of memory.
 * - Unencrypted PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) and OpenSSL-encrypted PKCS#8
 *   (`ENCRYPTED PRIVATE KEY`) PEM, and public keys (`PUBLIC KEY`, PKIX).
 *
 * Only ECDSA P-256 keys sign (with SHA-256), as cosign does by default.
 *
 * scrypt is Node's (native); secretbox comes from `tweetnacl`, the audited, dependency-free port of
 * the NaCl reference implementation that golang.org/x/crypto's secretbox is also compatible with.
 * Node's crypto has neither XSalsa20 nor Poly1305, and a hand-rolled cipher is the riskier choice.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  scrypt,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { errorMessage } from '../errors.ts';
import { SignError } from './errors.ts';

/** The PEM label cosign writes (`sigstore`) and the older one it still reads (`cosign`). */
export const ENCRYPTED_KEY_PEM_LABELS = {
  sigstore: 'ENCRYPTED SIGSTORE PRIVATE KEY',
  cosign: 'ENCRYPTED COSIGN PRIVATE KEY',
} as const;
export type EncryptedKeyLabel = keyof typeof ENCRYPTED_KEY_PEM_LABELS;

/** Every PEM label {@link loadPrivateKey} reads. */
export const PRIVATE_KEY_PEM_LABELS: readonly string[] = [
  ENCRYPTED_KEY_PEM_LABELS.sigstore,
  ENCRYPTED_KEY_PEM_LABELS.cosign,
  'PRIVATE KEY',
  'EC PRIVATE KEY',
  'ENCRYPTED PRIVATE KEY',
];

/** scrypt work factors cosign accepts: legacy (2^15), standard (2^16, cosign's default), OWASP (2^17). */
export const SCRYPT_N_VALUES = [32768, 65536, 131072] as const;
export type ScryptN = (typeof SCRYPT_N_VALUES)[number];
export const DEFAULT_SCRYPT_N: ScryptN = 65536;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_BYTES = 32;
const BOX_KEY_BYTES = 32;
const BOX_NONCE_BYTES = 24;

/** The file names `cosign generate-key-pair` writes, which users' workflows expect. */
export const COSIGN_KEY_FILE = 'cosign.key';
export const COSIGN_PUB_FILE = 'cosign.pub';

/** A private key we can sign with: ECDSA P-256, and its public half. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export type Password = string | Uint8Array;

/** The JSON document inside a cosign encrypted key (go-securesystemslib `encrypted`). */
export interface EncryptedKeyDocument {
  kdf: { name: 'scrypt'; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: 'nacl/secretbox'; nonce: string };
  ciphertext: string;
}

// ---------------------------------------------------------------------------------------------
// PEM

export interface PemBlock {
  label: string;
  /** The decoded body. */
  der: Buffer;
}

/** The first PEM block in `text` (headers such as `Proc-Type` are skipped), or KEY_INVALID. */
export function decodePem(text: string | Uint8Array): PemBlock {
  const str = typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
  const match = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END ([A-Z0-9 ]+)-----/.exec(str);
  if (!match)
    throw new SignError('KEY_INVALID', 'no PEM block found: expected -----BEGIN …----- … -----END …-----');
  const [, label, rawBody, endLabel] = match as unknown as [string, string, string, string];
  if (label !== endLabel)
    throw new SignError('KEY_INVALID', `PEM block begins as "${label}" but ends as "${endLabel}"`);
  // Drop RFC 1421 headers ("Name: value" lines before a blank line), as Go's pem.Decode does.
  const body = rawBody.includes(':') ? rawBody.replace(/^[\s\S]*?\r?\n\r?\n/, '') : rawBody;
  const b64 = body.replace(/\s+/g, '');
  if (!isBase64(b64)) throw new SignError('KEY_INVALID', `the body of PEM block "${label}" is not base64`);
  return { label, der: Buffer.from(b64, 'base64') };
}

/** PEM as Go's `pem.EncodeToMemory` writes it: 64-character lines, a trailing newline. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function isBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}

function decodeBase64Field(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !isBase64(value))
    throw new SignError('KEY_INVALID', `encrypted key: ${what} is not a base64 string`);
  return Buffer.from(value, 'base64');
}

// ---------------------------------------------------------------------------------------------
// Encryption (go-securesystemslib `encrypted`)

function passwordBytes(password: Password): Buffer {
  return typeof password === 'string' ? Buffer.from(password, 'utf8') : Buffer.from(password);
}

function deriveKey(password: Password, salt: Buffer, N: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // scrypt needs 128·N·r bytes; Node refuses more than 32 MiB unless maxmem is raised.
    const maxmem = 128 * N * SCRYPT_R * (SCRYPT_P + 1) + 16 * 1024 * 1024;
    scrypt(
      passwordBytes(password),
      salt,
      BOX_KEY_BYTES,
      { N, r: SCRYPT_R, p: SCRYPT_P, maxmem },
      (err, key) =>
        err
          ? reject(new SignError('KEY_INVALID', `scrypt failed: ${err.message}`, { cause: err }))
          : resolve(key),
    );
  });
}

/**
 * Seals `plaintext` (a PKCS#8 DER key) with a password, returning the JSON document cosign stores
 * inside its PEM block. Fresh random salt and nonce every call.
 */
export async function encryptWithPassword(
  plaintext: Uint8Array,
  password: Password,
  scryptN: ScryptN = DEFAULT_SCRYPT_N,
): Promise<Buffer> {
  if (!SCRYPT_N_VALUES.includes(scryptN))
    throw new SignError(
      'KEY_INVALID',
      `scrypt N must be one of ${SCRYPT_N_VALUES.join(', ')}, not ${scryptN}`,
    );
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(BOX_NONCE_BYTES);
  const key = await deriveKey(password, salt, scryptN);
  try {
    const ciphertext = nacl.secretbox(new Uint8Array(plaintext), new Uint8Array(nonce), new Uint8Array(key));
    // Field order and names as Go's json.Marshal writes the `encrypted` package's struct.
    const doc: EncryptedKeyDocument = {
      kdf: {
        name: 'scrypt',
        params: { N: scryptN, r: SCRYPT_R, p: SCRYPT_P },
        salt: salt.toString('base64'),
      },
      cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
      ciphertext: Buffer.from(ciphertext).toString('base64'),
    };
    return Buffer.from(JSON.stringify(doc));
  } finally {
    key.fill(0);
  }
}

/** Reads a field the way Go's encoding/json does: exact name first, then case-insensitively. */
function field(obj: unknown, name: string): unknown {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const record = obj as Record<string, unknown>;
  if (name in record) return record[name];
  const key = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : record[key];
}

/**
 * Opens the JSON document of a cosign encrypted key. WRONG_PASSWORD when the password does not
 * open it (secretbox authentication fails: never garbage), KEY_INVALID when the document is
 * malformed or uses parameters cosign would refuse.
 */
export async function decryptWithPassword(document: Uint8Array, password: Password): Promise<Buffer> {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(document).toString('utf8'));
  } catch (err) {
    throw new SignError('KEY_INVALID', 'encrypted key: the PEM body is not a JSON document', { cause: err });
  }
  const kdf = field(doc, 'kdf');
  const cipher = field(doc, 'cipher');
  const kdfName = field(kdf, 'name');
  const cipherName = field(cipher, 'name');
  if (kdfName !== 'scrypt')
    throw new SignError('KEY_INVALID', `encrypted key: unknown kdf name ${JSON.stringify(kdfName)}`);
  if (cipherName !== 'nacl/secretbox')
    throw new SignError('KEY_INVALID', `encrypted key: unknown cipher name ${JSON.stringify(cipherName)}`);
  const params = field(kdf, 'params');
  const N = field(params, 'N');
  const r = field(params, 'r');
  const p = field(params, 'p');
  if (!SCRYPT_N_VALUES.includes(N as ScryptN) || r !== SCRYPT_R || p !== SCRYPT_P) {
    throw new SignError(
      'KEY_INVALID',
      `encrypted key: unsupported scrypt parameters N=${String(N)} r=${String(r)} p=${String(p)} (cosign uses N 32768, 65536 or 131072 with r 8, p 1)`,
    );
  }
  const salt = decodeBase64Field(field(kdf, 'salt'), 'kdf.salt');
  const nonce = decodeBase64Field(field(cipher, 'nonce'), 'cipher.nonce');
  const ciphertext = decodeBase64Field(field(doc, 'ciphertext'), 'ciphertext');
  if (nonce.length !== BOX_NONCE_BYTES)
    throw new SignError(
      'KEY_INVALID',
      `encrypted key: the nonce has ${nonce.length} bytes, not ${BOX_NONCE_BYTES}`,
    );
  if (ciphertext.length < nacl.secretbox.overheadLength)
    throw new SignError('KEY_INVALID', 'encrypted key: the ciphertext is shorter than its authenticator');
  const key = await deriveKey(password, salt, N as number);
  try {
    const opened = nacl.secretbox.open(
      new Uint8Array(ciphertext),
      new Uint8Array(nonce),
      new Uint8Array(key),
    );
    if (!opened) {
      throw new SignError(
        'WRONG_PASSWORD',
        'the password does not decrypt this key (or the key file was altered): check the password secret',
      );
    }
    return Buffer.from(opened);
  } finally {
    key.fill(0);
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

function requireP256(key: KeyObject, what: string): void {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    const kind = key.asymmetricKeyType === 'ec' ? `ECDSA ${curve}` : (key.asymmetricKeyType ?? 'unknown');
    throw new SignError('KEY_UNSUPPORTED', `${what} is ${kind}; only ECDSA P-256 keys are supported`);
  }
}

function parsePkcs8(der: Buffer, what: string): KeyObject {
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (err) {
    throw new SignError('KEY_INVALID', `${what} does not hold a PKCS#8 private key: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

function toSigningKey(privateKey: KeyObject, what: string): SigningKey {
  requireP256(privateKey, what);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/**
 * Loads a private key from PEM: cosign's encrypted keys (both labels, `password` required),
 * unencrypted PKCS#8 or SEC1, or OpenSSL-encrypted PKCS#8. Only ECDSA P-256 is accepted.
 *
 * Errors (SignError): PASSWORD_REQUIRED, WRONG_PASSWORD, KEY_INVALID, KEY_UNSUPPORTED.
 */
export async function loadPrivateKey(pem: string | Uint8Array, password?: Password): Promise<SigningKey> {
  const block = decodePem(pem);
  switch (block.label) {
    case ENCRYPTED_KEY_PEM_LABELS.sigstore:
    case ENCRYPTED_KEY_PEM_LABELS.cosign: {
      if (password === undefined)
        throw new SignError(
          'PASSWORD_REQUIRED',
          `the key is encrypted (${block.label}): a password is required`,
        );
      const pkcs8 = await decryptWithPassword(block.der, password);
      try {
        return toSigningKey(parsePkcs8(pkcs8, 'the decrypted key'), 'the decrypted key');
      } finally {
        pkcs8.fill(0);
      }
    }
    case 'PRIVATE KEY':
      return toSigningKey(parsePkcs8(block.der, 'the PRIVATE KEY block'), 'the private key');
    case 'EC PRIVATE KEY':
      try {
        return toSigningKey(
          createPrivateKey({ key: block.der, format: 'der', type: 'sec1' }),
          'the private key',
        );
      } catch (err) {
        if (err instanceof SignError) throw err;
        throw new SignError('KEY_INVALID', `the EC PRIVATE KEY block does not parse: ${errorMessage(err)}`, {
          cause: err,
        });
      }
    case 'ENCRYPTED PRIVATE KEY': {
      if (password === undefined)
        throw new SignError(
          'PASSWORD_REQUIRED',
          'the key is encrypted (ENCRYPTED PRIVATE KEY): a password is required',
        );
      let key: KeyObject;
      try {
        key = createPrivateKey({
          key: block.der,
          format: 'der',
          type: 'pkcs8',
          passphrase: passwordBytes(password),
        });
      } catch (err) {
        throw new SignError('WRONG_PASSWORD', 'the password does not decrypt this PKCS#8 key', {
          cause: err,
        });
      }
      return toSigningKey(key, 'the private key');
    }
    default:
      throw new SignError(
        'KEY_INVALID',
        `unsupported PEM block "${block.label}": expected ${ENCRYPTED_KEY_PEM_LABELS.sigstore}, ${ENCRYPTED_KEY_PEM_LABELS.cosign}, PRIVATE KEY or EC PRIVATE KEY`,
      );
  }
}

/** Loads an ECDSA P-256 public key from PEM (`PUBLIC KEY`, PKIX), as `cosign.pub` holds it. */
export function loadPublicKey(pem: string | Uint8Array): KeyObject {
  const block = decodePem(pem);
  if (block.label !== 'PUBLIC KEY')
    throw new SignError('KEY_INVALID', `expected a PUBLIC KEY PEM block, found "${block.label}"`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: block.der, format: 'der', type: 'spki' });
  } catch (err) {
    throw new SignError('KEY_INVALID', `the PUBLIC KEY block does not parse: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  requireP256(key, 'the public key');
  return key;
}

/** A public key as `cosign.pub` holds it (`PUBLIC KEY` PEM, PKIX DER). */
export function publicKeyToPem(publicKey: KeyObject): string {
  return encodePem('PUBLIC KEY', publicKey.export({ format: 'der', type: 'spki' }));
}

/**
 * The one way a key fingerprint is written, in every message, log, output and summary:
 * `sha256:<64 lowercase hex>`, from the SHA-256 of the key's PKIX DER encoding.
 */
export function formatFingerprint(sha256: Uint8Array): string {
  if (sha256.length !== 32)
    throw new SignError('KEY_INVALID', `a SHA-256 fingerprint has 32 bytes, not ${sha256.length}`);
  return `sha256:${Buffer.from(sha256).toString('hex')}`;
}

function pkixSha256(publicKey: KeyObject): Buffer {
  return createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest();
}

/**
 * The key's fingerprint for people and logs: `sha256:<hex>` of its PKIX DER encoding (what
 * `openssl pkey -pubin -outform DER | sha256sum` prints). See {@link formatFingerprint}.
 */
export function keyFingerprint(publicKey: KeyObject): string {
  return formatFingerprint(pkixSha256(publicKey));
}

/** The key hint sigstore-go and cosign put in bundles signed by a key: base64 SHA-256 of the PKIX DER. */
export function keyHint(publicKey: KeyObject): string {
  return pkixSha256(publicKey).toString('base64');
}

/**
 * A bundle's key hint written as a fingerprint (`sha256:<hex>`, as {@link keyFingerprint} writes
 * the same key), or undefined when the hint is not a base64 SHA-256 (another signer's own naming).
 */
export function hintFingerprint(hint: string): string | undefined {
  if (!isBase64(hint)) return undefined;
  const bytes = Buffer.from(hint, 'base64');
  return bytes.length === 32 ? formatFingerprint(bytes) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Writing and generating

export interface EncryptKeyOptions {
  /** scrypt work factor; default 65536, what cosign writes. */
  scryptN?: ScryptN;
  /** PEM label; default `sigstore` (`ENCRYPTED SIGSTORE PRIVATE KEY`), what cosign writes. */
  label?: EncryptedKeyLabel;
}

/** The private key as cosign stores it: PKCS#8, sealed with the password, in an encrypted-key PEM block. */
export async function encryptPrivateKey(
  privateKey: KeyObject,
  password: Password,
  options: EncryptKeyOptions = {},
): Promise<string> {
  requireP256(privateKey, 'the private key');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  try {
    const doc = await encryptWithPassword(pkcs8, password, options.scryptN ?? DEFAULT_SCRYPT_N);
    return encodePem(ENCRYPTED_KEY_PEM_LABELS[options.label ?? 'sigstore'], doc);
  } finally {
    pkcs8.fill(0);
  }
}

export interface GeneratedKeyPair {
  key: SigningKey;
  /** `cosign.key`: the encrypted private key PEM. */
  privateKeyPem: string;
  /** `cosign.pub`: the public key PEM. */
  publicKeyPem: string;
}

/** A new ECDSA P-256 key pair, encrypted as `cosign generate-key-pair` does. */
export async function generateKeyPair(
  password: Password,
  options: EncryptKeyOptions = {},
): Promise<GeneratedKeyPair> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    key: { privateKey, publicKey },
    privateKeyPem: await encryptPrivateKey(privateKey, password, options),
    publicKeyPem: publicKeyToPem(publicKey),
  };
}

export interface WriteKeyPairOptions extends EncryptKeyOptions {
  /** Overwrite existing files instead of failing with KEY_EXISTS. */
  force?: boolean;
  /** File name prefix instead of `cosign` (`<prefix>.key`, `<prefix>.pub`). */
  prefix?: string;
}

/**
 * Generates a key pair and writes `cosign.key` (mode 0600) and `cosign.pub` into `dir`, refusing
 * to overwrite either unless `force` is set: when either file exists, KEY_EXISTS and neither is
 * written (a new private key beside an old public key would be a pair that does not match).
 * Returns the paths and the pair.
 */
export async function writeKeyPair(
  dir: string,
  password: Password,
  options: WriteKeyPairOptions = {},
): Promise<GeneratedKeyPair & { privateKeyPath: string; publicKeyPath: string }> {
  const prefix = options.prefix ?? 'cosign';
  const privateKeyPath = join(dir, `${prefix}.key`);
  const publicKeyPath = join(dir, `${prefix}.pub`);
  if (!options.force) {
    const present: string[] = [];
    for (const path of [privateKeyPath, publicKeyPath]) if (await exists(path)) present.push(path);
    if (present.length > 0) throw keyExists(present);
  }
  const pair = await generateKeyPair(password, options);
  await mkdir(dir, { recursive: true });
  const flag = options.force ? 'w' : fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL;
  let wrotePrivate = false;
  try {
    await writeFile(privateKeyPath, pair.privateKeyPem, { mode: 0o600, flag });
    wrotePrivate = true;
    await writeFile(publicKeyPath, pair.publicKeyPem, { mode: 0o644, flag });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      // Another process made a file between the check and the write: leave no half pair behind.
      if (wrotePrivate) await rm(privateKeyPath, { force: true });
      throw keyExists([(err as NodeJS.ErrnoException).path ?? publicKeyPath], err);
    }
    throw err;
  }
  return { ...pair, privateKeyPath, publicKeyPath };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function keyExists(paths: string[], cause?: unknown): SignError {
  const list = paths.join(' and ');
  return new SignError(
    'KEY_EXISTS',
    `${list} already exist${paths.length === 1 ? 's' : ''}: nothing was written; remove ${paths.length === 1 ? 'it' : 'them'} first to write a new pair there`,
    cause === undefined ? undefined : { cause },
  );
}

// ---------------------------------------------------------------------------------------------
// Signing primitives

/** ECDSA P-256 / SHA-256 over `data`, ASN.1 DER encoded (what cosign stores, base64, in its annotation). */
export function signBytes(key: SigningKey | KeyObject, data: Uint8Array): Buffer {
  const privateKey = 'privateKey' in key ? key.privateKey : key;
  return cryptoSign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
}

/** Whether `signature` (ASN.1 DER) is an ECDSA/SHA-256 signature of `data` by `publicKey`. Never throws on bad input. */
export function verifyBytes(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return cryptoVerify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}
