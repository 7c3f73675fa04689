/**
 * Who signs, behind one interface: an {@link ImageSigner} turns bytes into a Sigstore bundle,
 * either over raw bytes (a message signature: what a legacy `.sig` layer holds) or over a DSSE
 * envelope (attestations, and the v0.3 bundles cosign v3 pushes as referrers). Both signers run
 * sigstore-js's bundle builders, so the key and keyless paths produce the same shapes:
 *
 * - {@link createKeySigner}: one of our ECDSA P-256 keys, optionally witnessed by Rekor and/or a
 *   timestamp authority;
 * - `createKeylessSigner` (keyless.ts): a Fulcio certificate for a GitHub OIDC identity, witnessed
 *   by Rekor (and optionally a timestamp authority).
 *
 * The legacy layers and the referrer manifests are then derived from the bundle, as cosign v3 does.
 */
import type { KeyObject } from 'node:crypto';
import { X509Certificate } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import {
  DSSEBundleBuilder,
  MessageSignatureBundleBuilder,
  RekorWitness,
  TSAWitness,
  type Artifact,
  type Signature,
  type Signer,
  type Witness,
} from '@sigstore/sign';
import { errorMessage } from '../errors.ts';
import { SignError } from './errors.ts';
import { keyFingerprint, keyHint, publicKeyToPem, signBytes, type SigningKey } from './keys.ts';

/** Who a signature is attributable to, for summaries and logs. */
export type SignerIdentity =
  | { kind: 'key'; fingerprint: string; publicKeyPem: string }
  | {
      kind: 'certificate';
      /** The certificate's subject alternative name: for GitHub, the workflow's URL at a ref. */
      subject: string;
      /** The OIDC issuer recorded by Fulcio (extension 1.3.6.1.4.1.57264.1.8 or .1.1). */
      issuer: string | undefined;
      certificatePem: string;
    };

export interface ImageSigner {
  readonly kind: 'key' | 'keyless';
  /** Signs raw bytes (ECDSA/SHA-256), returning a message-signature bundle with its witnesses' material. */
  signMessage(data: Buffer): Promise<Bundle>;
  /** Signs a DSSE envelope over `payload`, returning a DSSE bundle (v0.3) with its witnesses' material. */
  signDsse(payload: Buffer, payloadType: string): Promise<Bundle>;
  /** The identity behind the signatures; for keyless, known once something was signed. */
  identity(): SignerIdentity | undefined;
  /** The verifying key, when it is long-lived (key mode): used to recognise duplicate legacy signatures. */
  readonly publicKey: KeyObject | undefined;
}

/** Where to get signatures witnessed. Public-good URLs are never assumed: pass them explicitly. */
export interface WitnessOptions {
  /** Rekor base URL, e.g. `https://rekor.sigstore.dev`; unset means no transparency log entry. */
  rekorUrl?: string;
  /** RFC 3161 timestamp authority base URL, e.g. `https://timestamp.sigstore.dev`; unset means none. */
  tsaUrl?: string;
  /** Per-request timeout for these services, in milliseconds. Default 30 s. */
  timeoutMs?: number;
  /** Retries on 408/429/5xx and network errors (sigstore-js's own fetch). Default 2. */
  retries?: number;
}

/** The sigstore-js witnesses for these options, in the order cosign uses them (timestamp, then log). */
export function witnessesFor(options: WitnessOptions): Witness[] {
  const fetchOptions = { timeout: options.timeoutMs ?? 30_000, retry: options.retries ?? 2 };
  const witnesses: Witness[] = [];
  if (options.tsaUrl) witnesses.push(new TSAWitness({ tsaBaseURL: options.tsaUrl, ...fetchOptions }));
  if (options.rekorUrl) witnesses.push(new RekorWitness({ rekorBaseURL: options.rekorUrl, ...fetchOptions }));
  return witnesses;
}

/** A sigstore-js `Signer` over one of our keys: ECDSA P-256/SHA-256, DER signature, PEM public key with its hint. */
export class KeySigner implements Signer {
  private readonly key: SigningKey;
  private readonly publicKeyPem: string;
  private readonly hint: string;

  constructor(key: SigningKey) {
    this.key = key;
    this.publicKeyPem = publicKeyToPem(key.publicKey);
    this.hint = keyHint(key.publicKey);
  }

  async sign(data: Buffer): Promise<Signature> {
    return {
      signature: signBytes(this.key, data),
      key: { $case: 'publicKey', publicKey: this.publicKeyPem, hint: this.hint },
    };
  }
}

/** Runs a sigstore-js builder, turning its errors into SIGSTORE_ERROR with `scrub` applied to the message. */
export async function buildBundle(
  create: () => Promise<Bundle>,
  scrub: (text: string) => string = (t) => t,
): Promise<Bundle> {
  try {
    return await create();
  } catch (err) {
    if (err instanceof SignError) throw err;
    const code = (err as { code?: unknown }).code;
    const detail = scrub(errorMessage(err));
    const causeText = (err as { cause?: unknown }).cause
      ? `: ${scrub(errorMessage((err as { cause: unknown }).cause))}`
      : '';
    throw new SignError(
      'SIGSTORE_ERROR',
      `signing failed${typeof code === 'string' ? ` (${code})` : ''}: ${detail}${causeText}`,
      {
        cause: scrubbedCause(err, scrub),
      },
    );
  }
}

/** The underlying error, unless its message would carry a secret: then a copy without it. */
function scrubbedCause(err: unknown, scrub: (text: string) => string): unknown {
  const message = errorMessage(err);
  if (scrub(message) === message) return err;
  const copy = new Error(scrub(message));
  copy.name = err instanceof Error ? err.name : 'Error';
  return copy;
}

/**
 * sigstore-js's DSSE builder writes the key's hint as the envelope signature's `keyid`. cosign
 * (sigstore-go) writes none, and sigstore-go verifies a DSSE signature only when its `keyid` is
 * empty or equals the SSH-style `SHA256:` fingerprint of the key it checks with (go-securesystemslib
 * `dsse.Verify`), so `cosign verify --key` (v3, and v2 on bundles) refused our key-signed bundles:
 * "accepted signatures do not match threshold, Found: 0". The `keyid` is left empty, as cosign
 * leaves it, before any witness sees the envelope (what Rekor logs is what is stored); the key
 * stays named by `verificationMaterial.publicKey.hint`. The signature covers the PAE of payload
 * type and payload only, so nothing signed changes.
 */
class DsseBundleBuilder extends DSSEBundleBuilder {
  protected override async package(artifact: Artifact, signature: Signature) {
    const bundle = await super.package(artifact, signature);
    for (const s of bundle.content.dsseEnvelope.signatures) s.keyid = '';
    return bundle;
  }
}

/** Signs with sigstore-js builders over `signer`, collecting `witnesses`' material. */
export function bundleSigner(init: {
  kind: 'key' | 'keyless';
  signer: Signer;
  witnesses: Witness[];
  identity: () => SignerIdentity | undefined;
  publicKey: KeyObject | undefined;
  scrub?: (text: string) => string;
}): ImageSigner {
  const options = { signer: init.signer, witnesses: init.witnesses };
  const message = new MessageSignatureBundleBuilder(options);
  const dsse = new DsseBundleBuilder(options);
  return {
    kind: init.kind,
    publicKey: init.publicKey,
    identity: init.identity,
    signMessage: (data) => buildBundle(() => message.create({ data }), init.scrub),
    signDsse: (payload, payloadType) =>
      buildBundle(() => dsse.create({ data: payload, type: payloadType }), init.scrub),
  };
}

/**
 * Signs with one of our keys. Without witnesses, the bundles carry the signature and the key's hint
 * only (verifiable against the public key, as `cosign sign --key … --tlog-upload=false`).
 */
export function createKeySigner(key: SigningKey, options: WitnessOptions = {}): ImageSigner {
  const identity: SignerIdentity = {
    kind: 'key',
    fingerprint: keyFingerprint(key.publicKey),
    publicKeyPem: publicKeyToPem(key.publicKey),
  };
  return bundleSigner({
    kind: 'key',
    signer: new KeySigner(key),
    witnesses: witnessesFor(options),
    identity: () => identity,
    publicKey: key.publicKey,
  });
}

const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';

/** The identity a Fulcio certificate binds: its SAN (URI or e-mail) and the OIDC issuer extension. */
export function certificateIdentity(certificatePem: string): SignerIdentity {
  const cert = new X509Certificate(certificatePem);
  const san = cert.subjectAltName ?? '';
  const subject = san.replace(/^(URI|email):/, '').split(', ')[0] ?? '';
  return { kind: 'certificate', subject, issuer: fulcioIssuer(cert.raw), certificatePem };
}

/**
 * Reads Fulcio's issuer extension from DER without a full ASN.1 parser: finds the OID and takes
 * the string that follows (a UTF8String inside the OCTET STRING for v2, the raw bytes for v1).
 */
function fulcioIssuer(der: Buffer): string | undefined {
  for (const oid of [OID_ISSUER_V2, OID_ISSUER_V1]) {
    const encoded = encodeOid(oid);
    const at = der.indexOf(encoded);
    if (at < 0) continue;
    let i = at + encoded.length;
    if (der[i] === 0x01) i += 3; // an optional BOOLEAN "critical" flag
    if (der[i] !== 0x04) continue; // OCTET STRING
    const [len, start] = readLength(der, i + 1);
    let value = der.subarray(start, start + len);
    if (oid === OID_ISSUER_V2 && value[0] === 0x0c) {
      const [innerLen, innerStart] = readLength(value, 1);
      value = value.subarray(innerStart, innerStart + innerLen);
    }
    return value.toString('utf8');
  }
  return undefined;
}

function readLength(buf: Buffer, at: number): [number, number] {
  const first = buf[at] ?? 0;
  if (first < 0x80) return [first, at + 1];
  const n = first & 0x7f;
  let len = 0;
  for (let k = 0; k < n; k++) len = len * 256 + (buf[at + 1 + k] ?? 0);
  return [len, at + 1 + n];
}

function encodeOid(oid: string): Buffer {
  const parts = oid.split('.').map(Number);
  const bytes = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [];
    let v = part;
    do {
      chunk.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let k = 0; k < chunk.length - 1; k++) chunk[k]! |= 0x80;
    bytes.push(...chunk);
  }
  return Buffer.from([0x06, bytes.length, ...bytes]);
}
