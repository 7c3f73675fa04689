/**
 * Key inputs, read one way in every action: `cosign-key` (build-sign, sbom) and the verifying
 * actions' `key` (verify-image, promote) take PEM text or the path of a PEM file (relative paths
 * from the working directory, the workspace on a runner).
 *
 * Key references that cosign resolves elsewhere are recognised and refused with
 * KEY_REFERENCE_UNSUPPORTED, never taken for a path or for broken PEM. The list is cosign's
 * (`SignerVerifierFromKeyRef` and `LoadFileOrURL` in cosign, the KMS providers in sigstore):
 * `awskms://`, `gcpkms://`, `azurekms://`, `hashivault://` (KMS), `k8s://` (a Kubernetes secret),
 * `gitlab://` (GitLab CI variables), `pkcs11:` (a hardware token), `env://` (an environment
 * variable), `http(s)://` (a download), and any other `<scheme>://`, which cosign hands to a
 * `sigstore-kms-<scheme>` plugin.
 *
 * Every problem is an {@link InputError} naming the input (and, for the password, `cosign-password`
 * or whatever the caller calls it), with the library code in the problem. No runner access: the
 * action passes the raw value and an `onSecret` callback that masks key material.
 *
 *     const pem = check.field('cosign-key', () =>
 *       readPrivateKeyInput(core.getInput('cosign-key'), { input: 'cosign-key', onSecret: core.setSecret }), '');
 *     …
 *     const key = await loadSigningKeyInput(pem, password, { keyInput: 'cosign-key', passwordInput: 'cosign-password' });
 */
import { readFileSync } from 'node:fs';
import { errorMessage, ReleaseError } from '../errors.ts';
import { InputError } from '../github/errors.ts';
import { parseList } from '../github/inputs.ts';
import { SignError, type SignErrorCode } from './errors.ts';
import {
  decodePem,
  loadPrivateKey,
  loadPublicKey,
  PRIVATE_KEY_PEM_LABELS,
  type Password,
  type SigningKey,
} from './keys.ts';

/** A key reference scheme cosign understands and we do not (yet). */
export interface KeyReferenceScheme {
  /** As the reference starts, e.g. `awskms://`. */
  prefix: string;
  /** `kms` for a key management service, `other` for the rest. */
  kind: 'kms' | 'other';
  /** What it names, for messages: "an AWS KMS key". */
  names: string;
}

/** The key references cosign resolves itself, in the order they are matched. */
export const KEY_REFERENCE_SCHEMES: readonly KeyReferenceScheme[] = [
  { prefix: 'awskms://', kind: 'kms', names: 'an AWS KMS key' },
  { prefix: 'gcpkms://', kind: 'kms', names: 'a Google Cloud KMS key' },
  { prefix: 'azurekms://', kind: 'kms', names: 'an Azure Key Vault key' },
  { prefix: 'hashivault://', kind: 'kms', names: 'a HashiCorp Vault transit key' },
  { prefix: 'k8s://', kind: 'other', names: 'a key in a Kubernetes secret' },
  { prefix: 'gitlab://', kind: 'other', names: 'a key in GitLab CI variables' },
  { prefix: 'pkcs11:', kind: 'other', names: 'a key on a PKCS#11 token' },
  { prefix: 'env://', kind: 'other', names: 'a key in an environment variable' },
  { prefix: 'https://', kind: 'other', names: 'a key to download' },
  { prefix: 'http://', kind: 'other', names: 'a key to download' },
];

const ANY_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * The key reference scheme `value` starts with, or undefined for PEM text or a path. Any other
 * `<scheme>://` is a KMS plugin reference to cosign (`sigstore-kms-<scheme>`), and so a KMS key.
 */
export function keyReferenceScheme(value: string): KeyReferenceScheme | undefined {
  const text = value.trim();
  const lower = text.toLowerCase();
  const known = KEY_REFERENCE_SCHEMES.find((s) => lower.startsWith(s.prefix));
  if (known) return known;
  const scheme = ANY_SCHEME.exec(text)?.[1];
  return scheme === undefined
    ? undefined
    : { prefix: `${scheme}://`, kind: 'kms', names: `a KMS key (cosign's sigstore-kms-${scheme} plugin)` };
}

/** Options of the key-input readers. */
export interface KeyInputOptions {
  /** The input's name as action.yml spells it, e.g. `cosign-key`: every problem is reported against it. */
  input: string;
  /** Reads a key file (default: `readFileSync(path, 'utf8')`). */
  readFile?: (path: string) => string;
  /**
   * Called with private key material the moment it is read (the whole PEM text, then each line of
   * its body), so the action can mask it; never called for public keys or paths.
   */
  onSecret?: (secret: string) => void;
}

type Want = 'private' | 'public';

function problem(input: string, code: SignErrorCode | string, message: string): InputError {
  return new InputError([{ input, message, code }]);
}

/** The refusal of a key reference: what it is, that it is not supported yet, and what to give instead. */
function refuseReference(value: string, scheme: KeyReferenceScheme, input: string, want: Want): InputError {
  const ref = value.trim();
  // A reference names a key; it is not one. Quote only its start, in case a secret was pasted after it.
  const shown = ref.length > 120 ? `${ref.slice(0, 60)}…` : ref;
  const what =
    scheme.kind === 'kms'
      ? 'KMS keys are not supported yet'
      : `KMS keys and other key references (${scheme.prefix}) are not supported yet`;
  const instead =
    want === 'private'
      ? 'give the PEM text of a cosign private key (e.g. ${{ secrets.COSIGN_PRIVATE_KEY }}) or the path of cosign.key, or sign keyless'
      : scheme.kind === 'kms'
        ? `give the public key as PEM text or the path of cosign.pub (cosign public-key --key ${shown} prints it)`
        : 'give the public key as PEM text or the path of cosign.pub';
  return problem(input, 'KEY_REFERENCE_UNSUPPORTED', `"${shown}" is ${scheme.names}: ${what}; ${instead}`);
}

/**
 * Reads a key file. A value that cannot be read is quoted only when it is short enough to be a
 * path: a long one may be a secret pasted without its PEM armour, so it is masked and not quoted.
 */
function readKeyFile(path: string, options: KeyInputOptions, want: Want): string {
  const read = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  try {
    return read(path);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    const file = want === 'private' ? 'cosign.key' : 'cosign.pub';
    const fix = `give the PEM text of the key${want === 'private' ? ' (e.g. ${{ secrets.COSIGN_PRIVATE_KEY }})' : ''} or the path of ${file}`;
    if (path.length > 255) {
      options.onSecret?.(path);
      throw problem(
        options.input,
        'KEY_FILE_UNREADABLE',
        `is neither PEM text (no -----BEGIN line) nor the path of a readable file: ${fix}`,
      );
    }
    throw problem(
      options.input,
      'KEY_FILE_UNREADABLE',
      `cannot read the key file "${path}" (${code}): ${fix}`,
    );
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Masks a private key's text and each line of its body. */
function reportSecret(text: string, onSecret: ((secret: string) => void) | undefined): void {
  if (!onSecret || text.trim() === '') return;
  onSecret(text.trim());
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t.length >= 8 && !t.startsWith('-----')) onSecret(t);
  }
}

/**
 * The PEM text of a private key from a key input (`cosign-key`): the value itself when it holds
 * PEM, else the file it names. Checks the PEM block and its label (a private key, not a public
 * one) but decrypts nothing: {@link loadSigningKeyInput} does that with the password.
 *
 * Throws an InputError against `options.input`, with the code KEY_REFERENCE_UNSUPPORTED,
 * KEY_FILE_UNREADABLE or KEY_INVALID.
 */
export function readPrivateKeyInput(value: string, options: KeyInputOptions): string {
  const { input } = options;
  const text = value.trim();
  let pem: string;
  let from: string;
  if (text.includes('-----BEGIN') || /\r?\n/.test(text)) {
    reportSecret(text, options.onSecret);
    pem = text;
    from = '';
  } else {
    const scheme = keyReferenceScheme(text);
    if (scheme) throw refuseReference(text, scheme, input, 'private');
    pem = readKeyFile(text, options, 'private');
    reportSecret(pem, options.onSecret);
    from = ` (the file "${text}")`;
  }
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw problem(
      input,
      'KEY_INVALID',
      pem.includes('-----BEGIN')
        ? `holds a PEM block without its END line${from}: paste the whole cosign.key, from -----BEGIN to -----END`
        : `holds no PEM block${from}: give the contents of cosign.key (-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----…) or its path`,
    );
  }
  const privateBlock = blocks.find((b) => PRIVATE_KEY_PEM_LABELS.includes(labelOf(b)));
  if (!privateBlock) {
    const labels = blocks.map(labelOf);
    throw problem(
      input,
      'KEY_INVALID',
      labels.includes('PUBLIC KEY')
        ? `is a public key${from}: give the private key (cosign.key); the public key (cosign.pub) is what verify-image and promote take in key`
        : `holds ${labels.map((l) => `a ${l}`).join(', ')} block${from}, not a private key: give cosign.key (ENCRYPTED SIGSTORE PRIVATE KEY)`,
    );
  }
  try {
    decodePem(privateBlock);
  } catch (err) {
    throw problem(input, codeOf(err), `${errorMessage(err)}${from}: give cosign.key as cosign wrote it`);
  }
  return `${privateBlock}\n`;
}

function labelOf(block: string): string {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(block)?.[1] ?? '';
}

function codeOf(err: unknown): string {
  return err instanceof ReleaseError ? err.code : 'KEY_INVALID';
}

/**
 * The ECDSA P-256 public keys (PEM blocks) of a key input (`key`): PEM text, several blocks
 * allowed, and paths of PEM files, one per line. A private key is refused: a verifier never needs
 * it, and it must not sit in a workflow.
 *
 * Throws an InputError against `options.input`, with the code KEY_REFERENCE_UNSUPPORTED,
 * KEY_FILE_UNREADABLE, KEY_INVALID or KEY_UNSUPPORTED.
 */
export function readPublicKeysInput(value: string, options: KeyInputOptions): string[] {
  const { input } = options;
  const found: Array<{ pem: string; from: string }> = [];
  const rest = value.replace(PEM_BLOCK, (block) => {
    found.push({ pem: block, from: '' });
    return '\n';
  });
  if (rest.includes('-----BEGIN'))
    throw problem(input, 'KEY_INVALID', 'holds a PEM block without its END line: paste the whole cosign.pub');
  for (const line of parseList(rest)) {
    const scheme = keyReferenceScheme(line);
    if (scheme) throw refuseReference(line, scheme, input, 'public');
    const content = readKeyFile(line, options, 'public');
    const blocks = content.match(PEM_BLOCK) ?? [];
    if (blocks.length === 0)
      throw problem(input, 'KEY_INVALID', `"${line}" holds no PEM block: give the path of cosign.pub`);
    for (const pem of blocks) found.push({ pem, from: ` (in "${line}")` });
  }
  for (const [i, { pem, from }] of found.entries()) {
    const n = found.length > 1 ? `key ${i + 1}${from}` : `the key${from}`;
    if (PRIVATE_KEY_PEM_LABELS.includes(labelOf(pem)))
      throw problem(
        input,
        'KEY_INVALID',
        `${n} is a private key: give the public key (cosign.pub), never the private one`,
      );
    try {
      loadPublicKey(pem);
    } catch (err) {
      throw problem(input, codeOf(err), `${n}: ${errorMessage(err)}; give the public key (cosign.pub)`);
    }
  }
  return found.map((f) => f.pem);
}

/** Names of the inputs a signing key comes from, for messages. */
export interface SigningKeyInputs {
  /** E.g. `cosign-key`. */
  keyInput: string;
  /** E.g. `cosign-password`. */
  passwordInput: string;
}

/**
 * Decrypts and loads the private key {@link readPrivateKeyInput} returned. A password that does
 * not open it (an empty one included) is an InputError against `passwordInput` (code
 * WRONG_PASSWORD or PASSWORD_REQUIRED); a key that does not parse or is not ECDSA P-256 one
 * against `keyInput` (KEY_INVALID, KEY_UNSUPPORTED). Call it before any network work, so a wrong
 * password fails the step before anything is built, pushed or signed.
 */
export async function loadSigningKeyInput(
  pem: string,
  password: Password | undefined,
  names: SigningKeyInputs,
): Promise<SigningKey> {
  try {
    return await loadPrivateKey(pem, password);
  } catch (err) {
    if (!(err instanceof SignError)) throw err;
    const { keyInput, passwordInput } = names;
    const empty = password === undefined || password.length === 0;
    if (err.code === 'WRONG_PASSWORD' || err.code === 'PASSWORD_REQUIRED') {
      throw problem(
        passwordInput,
        err.code,
        empty
          ? `is empty, but ${keyInput} is encrypted: pass the key's password from a secret, e.g. \${{ secrets.COSIGN_PASSWORD }}`
          : `does not decrypt ${keyInput}: pass the password the key was generated with (or ${keyInput} is not the key you meant, or it was altered)`,
      );
    }
    throw problem(keyInput, err.code, `${err.message}: give a cosign.key (ECDSA P-256) as cosign wrote it`);
  }
}
