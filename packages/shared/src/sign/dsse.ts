/**
 * DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse v1): the pre-authentication encoding
 * that is actually signed, and the JSON envelope.
 *
 *     PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 *
 * where LEN is the byte length in ASCII decimal and SP a single space. The envelope is written as
 * cosign v3 writes it (protobuf-specs' Envelope through Go's encoding/json):
 * `{"payload":"<b64>","payloadType":"…","signatures":[{"sig":"<b64>","keyid":"…"}]}` (an empty
 * keyid is left out).
 */
import type { Bundle } from '@sigstore/bundle';
import { SignError } from './errors.ts';
import { goJson } from './go-json.ts';

/** The payload type of in-toto statements. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseSignature {
  sig: string;
  keyid?: string;
}

export interface DsseEnvelope {
  /** Base64 of the payload bytes. */
  payload: string;
  payloadType: string;
  signatures: DsseSignature[];
}

/** The bytes a DSSE signature covers. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    Buffer.from(payload),
  ]);
}

/** The envelope's JSON as cosign writes it into an `.att` layer. */
export function serializeEnvelope(envelope: DsseEnvelope): Buffer {
  return Buffer.from(
    goJson({
      payload: envelope.payload,
      payloadType: envelope.payloadType,
      signatures: envelope.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid || undefined })),
    }),
  );
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses and checks an envelope's JSON; PAYLOAD_INVALID when it is not one. */
export function parseEnvelope(bytes: Uint8Array): DsseEnvelope {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new SignError('PAYLOAD_INVALID', 'the DSSE envelope is not JSON', { cause: err });
  }
  const e = doc as Partial<DsseEnvelope> | null;
  if (!e || typeof e.payload !== 'string' || !B64.test(e.payload))
    throw new SignError('PAYLOAD_INVALID', 'the DSSE envelope has no base64 "payload"');
  if (typeof e.payloadType !== 'string' || e.payloadType === '')
    throw new SignError('PAYLOAD_INVALID', 'the DSSE envelope has no "payloadType"');
  if (!Array.isArray(e.signatures) || e.signatures.length === 0)
    throw new SignError('PAYLOAD_INVALID', 'the DSSE envelope has no signatures');
  const signatures = e.signatures.map((s: Partial<DsseSignature>) => {
    if (!s || typeof s.sig !== 'string' || !B64.test(s.sig))
      throw new SignError('PAYLOAD_INVALID', 'a DSSE signature has no base64 "sig"');
    return { sig: s.sig, ...(typeof s.keyid === 'string' && s.keyid !== '' && { keyid: s.keyid }) };
  });
  return { payload: e.payload, payloadType: e.payloadType, signatures };
}

/** The envelope of a DSSE bundle, in our JSON shape. */
export function envelopeFromBundle(bundle: Bundle): DsseEnvelope {
  if (bundle.content.$case !== 'dsseEnvelope')
    throw new SignError('PAYLOAD_INVALID', 'the bundle holds no DSSE envelope');
  const env = bundle.content.dsseEnvelope;
  return {
    payload: Buffer.from(env.payload).toString('base64'),
    payloadType: env.payloadType,
    signatures: env.signatures.map((s) => ({
      sig: Buffer.from(s.sig).toString('base64'),
      ...(s.keyid && { keyid: s.keyid }),
    })),
  };
}
