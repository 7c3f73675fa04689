/**
 * Verifying one candidate (a bundle, read from either format) under the policy's trust, then what
 * it says: a simple-signing payload or an in-toto statement about the image's digest.
 *
 * - **Keys**: the signature over the payload (message) or over the DSSE PAE (envelope), with plain
 *   Node crypto, by any trusted key. When none verifies, the code says whether we can tell the
 *   signer is another key (the bundle's key hint, a certificate, or the key in its Rekor entry:
 *   UNTRUSTED_KEY) or not (SIGNATURE_INVALID: altered bytes, or another key in cosign's legacy
 *   format, which carries no key id without a Rekor entry).
 * - **Keyless**, as cosign does: the signature with the certificate's key; transparency-log
 *   evidence (Rekor SET or inclusion proof) is required, and `@sigstore/verify` checks it against
 *   the trusted root together with the certificate chain to Fulcio and its SCT, the certificate's
 *   validity being checked at the log's integrated time; then identity and issuer. Without log
 *   evidence the certificate is judged at `now` (cosign's `getBundleIntegratedTime` falls back to
 *   now), so an expired one is CERTIFICATE_EXPIRED, a current one NO_TLOG_EVIDENCE.
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { RFC3161Timestamp } from '@sigstore/core';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type TrustMaterial } from '@sigstore/verify';
import { errorMessage } from '../errors.ts';
import { hintFingerprint, keyFingerprint, verifyBytes } from '../sign/keys.ts';
import { preAuthEncoding } from '../sign/dsse.ts';
import type { Candidate } from './candidates.ts';
import { VerifyError, type VerifyErrorCode } from './errors.ts';
import { describeMatcher, matches, type KeylessTrust, type TrustedKey } from './policy.ts';

/** Who made a verified signature. */
export type VerifiedSigner =
  | {
      kind: 'key';
      /** The key's fingerprint (as `identity`). */
      identity: string;
      fingerprint: string;
    }
  | {
      kind: 'certificate';
      /** The certificate's SAN (as `subject`). */
      identity: string;
      subject: string;
      issuer: string;
    };

/** Transparency-log evidence a verified keyless signature carried. */
export interface TlogEvidence {
  logIndex: string;
  integratedTime: string;
}

export interface VerifiedCandidate {
  signer: VerifiedSigner;
  tlog?: TlogEvidence;
}

/** The trust, prepared once per verification. */
export type PreparedTrust =
  | { kind: 'keys'; keys: TrustedKey[] }
  | (Omit<KeylessTrust, 'trustedRoot'> & { trustedRoot: TrustedRoot; material: TrustMaterial });

export function prepareKeyless(trust: KeylessTrust, trustedRoot: TrustedRoot): PreparedTrust {
  try {
    return { ...trust, trustedRoot, material: toTrustMaterial(trustedRoot) };
  } catch (err) {
    throw new VerifyError('TRUST_ROOT_UNAVAILABLE', `the trusted root does not parse: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/** Whether the signature(s) of `bundle` verify with `key`. */
function signedBy(bundle: Bundle, artifact: Buffer | undefined, key: KeyObject): boolean {
  try {
    if (bundle.content.$case === 'messageSignature') {
      if (!artifact) return false;
      return verifyBytes(key, artifact, bundle.content.messageSignature.signature);
    }
    const env = bundle.content.dsseEnvelope;
    const pae = preAuthEncoding(env.payloadType, env.payload);
    return env.signatures.some((s) => verifyBytes(key, pae, s.sig));
  } catch {
    return false;
  }
}

function leafCertificate(bundle: Bundle): X509Certificate | undefined {
  const m = bundle.verificationMaterial.content;
  const raw =
    m.$case === 'x509CertificateChain'
      ? m.x509CertificateChain.certificates[0]?.rawBytes
      : m.$case === 'certificate'
        ? m.certificate.rawBytes
        : undefined;
  if (!raw) return undefined;
  try {
    return new X509Certificate(Buffer.from(raw));
  } catch {
    return undefined;
  }
}

/** Public keys the candidate's Rekor entries name (hashedrekord `publicKey`, dsse/intoto `verifier`s). */
function keysNamedByTlog(bundle: Bundle): KeyObject[] {
  const out: KeyObject[] = [];
  for (const entry of bundle.verificationMaterial.tlogEntries) {
    try {
      const body = JSON.parse(Buffer.from(entry.canonicalizedBody).toString('utf8')) as {
        spec?: {
          signature?: { publicKey?: { content?: string } };
          signatures?: Array<{ verifier?: string }>;
        };
      };
      const encoded = [
        body.spec?.signature?.publicKey?.content,
        ...(body.spec?.signatures ?? []).map((s) => s.verifier),
      ].filter((v): v is string => typeof v === 'string');
      for (const b64 of encoded) {
        const pem = Buffer.from(b64, 'base64').toString('utf8');
        // A certificate's key is the certificate's business (keyless): only bare keys here.
        if (pem.includes('BEGIN PUBLIC KEY')) out.push(createPublicKey(pem));
      }
    } catch {
      // An unreadable body names no key.
    }
  }
  return out;
}

function identityOf(cert: X509Certificate): string {
  return (cert.subjectAltName ?? '').replace(/^(URI|email):/, '').split(', ')[0] ?? '';
}

/** Verifies a candidate with trusted keys. */
export function verifyWithKeys(c: Candidate, keys: readonly TrustedKey[]): VerifiedCandidate {
  for (const k of keys) {
    if (signedBy(c.bundle, c.artifact, k.key))
      return { signer: { kind: 'key', identity: k.fingerprint, fingerprint: k.fingerprint } };
  }
  const trusted = keys.map((k) => k.fingerprint).join(', ');
  const cert = leafCertificate(c.bundle);
  if (cert)
    throw new VerifyError(
      'UNTRUSTED_KEY',
      `signed keylessly by ${identityOf(cert) || 'a certificate'}, but the policy trusts only the key(s) ${trusted}: give certificate-identity and certificate-oidc-issuer instead of key to trust keyless signatures`,
    );
  const m = c.bundle.verificationMaterial.content;
  const hint = m.$case === 'publicKey' ? m.publicKey.hint : '';
  if (hint && !keys.some((k) => k.hint === hint))
    throw new VerifyError(
      'UNTRUSTED_KEY',
      `signed by another key (${hintFingerprint(hint) ?? `key hint "${hint}"`}), not by a trusted key (${trusted}): pass the signer's public key in key, or re-sign with the trusted key`,
    );
  const named = keysNamedByTlog(c.bundle).map(keyFingerprint);
  const foreign = named.find((f) => !keys.some((k) => k.fingerprint === f));
  if (foreign)
    throw new VerifyError(
      'UNTRUSTED_KEY',
      `signed by another key (${foreign}, as its Rekor entry says), not by a trusted key (${trusted})`,
    );
  throw new VerifyError(
    'SIGNATURE_INVALID',
    `the signature does not verify with the trusted key(s) ${trusted}: its bytes were altered, or another key made it (this format names no key)`,
  );
}

function mapVerifierError(err: unknown, cert: X509Certificate, bundle: Bundle): VerifyError {
  const code = String((err as { code?: unknown }).code ?? '');
  const detail = `${code ? `${code}: ` : ''}${errorMessage(err)}`;
  if (code === 'CERTIFICATE_ERROR') {
    const expired = bundle.verificationMaterial.tlogEntries.some((e) => {
      const t = Number(e.integratedTime) * 1000;
      return t < Date.parse(cert.validFrom) || t > Date.parse(cert.validTo);
    });
    if (expired)
      return new VerifyError(
        'CERTIFICATE_EXPIRED',
        `the certificate (valid ${cert.validFrom} to ${cert.validTo}) was not valid when the transparency log integrated the signature: sign again`,
        { cause: err },
      );
    return new VerifyError(
      'CERTIFICATE_UNTRUSTED',
      `the certificate does not chain to the trusted root's Fulcio CA with CT evidence (${detail}): is trusted-root the root of the Sigstore instance that signed?`,
      { cause: err },
    );
  }
  if (code.startsWith('TLOG') || code === 'TIMESTAMP_ERROR')
    return new VerifyError(
      'NO_TLOG_EVIDENCE',
      `the transparency-log evidence does not verify against the trusted root (${detail})`,
      { cause: err },
    );
  return new VerifyError('SIGNATURE_INVALID', `the signature does not verify (${detail})`, { cause: err });
}

/**
 * The entity `@sigstore/verify` checks. RFC 3161 timestamps are kept when they parse; when one does
 * not (sigstore-js's parser wants exactly three fraction digits in GeneralizedTime, while DER drops
 * trailing zeros, as `@sigstore/mock`'s TSA writes them) they are left out: the log's integrated
 * time is the time that counts here, as with cosign, and log evidence is required anyway.
 */
function signedEntity(c: Candidate): ReturnType<typeof toSignedEntity> {
  const timestamps = c.bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? [];
  const readable = timestamps.every((ts) => {
    try {
      return RFC3161Timestamp.parse(Buffer.from(ts.signedTimestamp)).signingTime instanceof Date;
    } catch {
      return false;
    }
  });
  if (readable) return toSignedEntity(c.bundle, c.artifact);
  const material = { ...c.bundle.verificationMaterial, timestampVerificationData: undefined };
  return toSignedEntity({ ...c.bundle, verificationMaterial: material } as Bundle, c.artifact);
}

/** Verifies a keyless candidate: see the module comment. */
export function verifyKeyless(
  c: Candidate,
  trust: Extract<PreparedTrust, { kind: 'keyless' }>,
  now: Date,
): VerifiedCandidate {
  const cert = leafCertificate(c.bundle);
  if (!cert)
    throw new VerifyError(
      'UNTRUSTED_KEY',
      `signed by a key, not by a certificate for ${describeMatcher(trust.identity)}: the policy is keyless (pass key instead to trust keys)`,
    );
  if (!signedBy(c.bundle, c.artifact, cert.publicKey))
    throw new VerifyError(
      'SIGNATURE_INVALID',
      `the signature does not verify with the key of its certificate (${identityOf(cert)}): its bytes were altered`,
    );
  const evidence = c.bundle.verificationMaterial.tlogEntries.filter(
    (e) => e.inclusionPromise !== undefined || e.inclusionProof !== undefined,
  );
  if (evidence.length === 0) {
    if (now.getTime() > Date.parse(cert.validTo) || now.getTime() < Date.parse(cert.validFrom))
      throw new VerifyError(
        'CERTIFICATE_EXPIRED',
        `the certificate for ${identityOf(cert)} expired at ${cert.validTo} and no transparency-log entry proves the signature was made while it was valid: sign again with Rekor`,
      );
    throw new VerifyError(
      'NO_TLOG_EVIDENCE',
      `the keyless signature by ${identityOf(cert)} has no transparency-log evidence (Rekor SET or inclusion proof): sign with Rekor (build-sign does by default)`,
    );
  }
  const verifier = new Verifier(trust.material, {
    tlogThreshold: 1,
    ctlogThreshold: 1,
    timestampThreshold: 1,
  });
  let identity: { subjectAlternativeName?: string; extensions?: { issuer?: string } } | undefined;
  try {
    identity = verifier.verify(signedEntity(c)).identity;
  } catch (err) {
    throw mapVerifierError(err, cert, c.bundle);
  }
  const subject = identity?.subjectAlternativeName ?? identityOf(cert);
  const issuer = identity?.extensions?.issuer ?? '';
  if (!matches(trust.identity, subject))
    throw new VerifyError(
      'IDENTITY_MISMATCH',
      `certificate identity ${subject} does not match the required ${describeMatcher(trust.identity)}: check certificate-identity${typeof trust.identity === 'string' ? ' (or use certificate-identity-regexp)' : '-regexp'}`,
    );
  if (!matches(trust.issuer, issuer))
    throw new VerifyError(
      'ISSUER_MISMATCH',
      `certificate OIDC issuer ${issuer || '(none)'} does not match the required ${describeMatcher(trust.issuer)}: check certificate-oidc-issuer`,
    );
  const entry = evidence[0]!;
  return {
    signer: { kind: 'certificate', identity: subject, subject, issuer },
    tlog: {
      logIndex: entry.logIndex,
      integratedTime: new Date(Number(entry.integratedTime) * 1000).toISOString(),
    },
  };
}

/** Verifies a candidate's signature under the trust (not yet what it says). */
export function verifyCandidate(c: Candidate, trust: PreparedTrust, now: Date): VerifiedCandidate {
  return trust.kind === 'keys' ? verifyWithKeys(c, trust.keys) : verifyKeyless(c, trust, now);
}

/** Orders failure codes from most to least telling, to pick the one a refusal reports. */
export const FAILURE_PRIORITY: readonly VerifyErrorCode[] = [
  'DIGEST_MISMATCH',
  'ATTESTATION_SUBJECT_MISMATCH',
  'PROVENANCE_MISMATCH',
  'IDENTITY_MISMATCH',
  'ISSUER_MISMATCH',
  'CERTIFICATE_EXPIRED',
  'NO_TLOG_EVIDENCE',
  'CERTIFICATE_UNTRUSTED',
  'UNTRUSTED_KEY',
  'SIGNATURE_INVALID',
  'PAYLOAD_INVALID',
];
