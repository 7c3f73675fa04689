/**
 * in-toto attestations (Statement v1) about an image, signed in DSSE envelopes and stored as
 * cosign stores them: layers of the `sha256-<hex>.att` image with media type
 * `application/vnd.dsse.envelope.v1+json`, a `predicateType` annotation and an empty
 * `dev.cosignproject.cosign/signature` (the signature is inside the envelope), plus the
 * certificate and Rekor annotations when keyless. The same signed bundle can also be pushed as an
 * OCI 1.1 referrer (bundle.ts), as cosign v3 does.
 */
import type { KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { parseDigest } from '../oci/digest.ts';
import type { ImageStore } from '../oci/store.ts';
import { SignError } from './errors.ts';
import {
  envelopeFromBundle,
  IN_TOTO_PAYLOAD_TYPE,
  parseEnvelope,
  serializeEnvelope,
  verifyEnvelope,
} from './dsse.ts';
import {
  appendCosignLayer,
  CosignAnnotation,
  DSSE_ENVELOPE_MEDIA_TYPE,
  exactDuplicate,
  verificationAnnotations,
  type AppendResult,
  type CosignLayer,
} from './legacy.ts';
import type { ImageSigner } from './signer.ts';

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

/** in-toto ResourceDescriptor (the fields we use). */
export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: Record<string, string>;
  annotations?: Record<string, unknown>;
}

export interface Statement<P = unknown> {
  _type: typeof IN_TOTO_STATEMENT_V1;
  subject: ResourceDescriptor[];
  predicateType: string;
  predicate: P;
}

/** The subject for an image: `{name, digest: {sha256: hex}}`; without `name` as cosign v3's sign statement has it. */
export function imageSubject(digest: string, name?: string): ResourceDescriptor {
  const { algorithm, hex } = parseDigest(digest);
  return { ...(name !== undefined && { name }), digest: { [algorithm]: hex } };
}

/** A Statement v1. */
export function makeStatement<P>(
  subject: ResourceDescriptor[],
  predicateType: string,
  predicate: P,
): Statement<P> {
  if (subject.length === 0)
    throw new SignError('PAYLOAD_INVALID', 'an in-toto statement needs at least one subject');
  if (!predicateType) throw new SignError('PAYLOAD_INVALID', 'an in-toto statement needs a predicateType');
  return { _type: IN_TOTO_STATEMENT_V1, subject, predicateType, predicate };
}

/** The statement's JSON (field order `_type`, `subject`, `predicateType`, `predicate`). */
export function serializeStatement(statement: Statement): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: statement._type,
      subject: statement.subject,
      predicateType: statement.predicateType,
      predicate: statement.predicate,
    }),
  );
}

/** Parses a statement, checking `_type` (v1, or v0.1 as older tools write it), subjects and predicate type. */
export function parseStatement(bytes: Uint8Array): Statement {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new SignError('PAYLOAD_INVALID', 'the in-toto statement is not JSON', { cause: err });
  }
  const s = doc as Partial<Statement> | null;
  const type = s?._type as string | undefined;
  if (type !== IN_TOTO_STATEMENT_V1 && type !== 'https://in-toto.io/Statement/v0.1')
    throw new SignError('PAYLOAD_INVALID', `unknown in-toto statement type ${JSON.stringify(type)}`);
  if (!Array.isArray(s!.subject) || s!.subject.length === 0)
    throw new SignError('PAYLOAD_INVALID', 'the in-toto statement has no subject');
  if (typeof s!.predicateType !== 'string' || s!.predicateType === '')
    throw new SignError('PAYLOAD_INVALID', 'the in-toto statement has no predicateType');
  return s as Statement;
}

/** Whether a statement names `digest` among its subjects. */
export function statementCovers(statement: Statement, digest: string): boolean {
  const { algorithm, hex } = parseDigest(digest);
  return statement.subject.some((s) => s.digest?.[algorithm] === hex);
}

/** The `.att` layer cosign derives from a DSSE bundle. */
export function attestationLayerFromBundle(bundle: Bundle, predicateType: string): CosignLayer {
  return {
    mediaType: DSSE_ENVELOPE_MEDIA_TYPE,
    payload: serializeEnvelope(envelopeFromBundle(bundle)),
    annotations: {
      ...verificationAnnotations(bundle),
      [CosignAnnotation.PredicateType]: predicateType,
      [CosignAnnotation.Signature]: '',
    },
  };
}

export interface AttestOptions {
  store: ImageStore;
  digest: string;
  signer: ImageSigner;
  statement: Statement;
  /** Drop existing layers with the same predicate type first (cosign's `attest --replace`). */
  replace?: boolean;
}

export interface AttestResult extends AppendResult {
  /** The DSSE bundle (v0.3); bundle.ts pushes it as a referrer. */
  bundle: Bundle;
}

/** Signs a statement about `digest` and appends it to `sha256-<hex>.att`, as `cosign attest` does. */
export async function attestLegacy(options: AttestOptions): Promise<AttestResult> {
  if (!statementCovers(options.statement, options.digest))
    throw new SignError('PAYLOAD_INVALID', `the statement's subjects do not include ${options.digest}`);
  const bundle = await options.signer.signDsse(serializeStatement(options.statement), IN_TOTO_PAYLOAD_TYPE);
  const predicateType = options.statement.predicateType;
  const layer = attestationLayerFromBundle(bundle, predicateType);
  const result = await appendCosignLayer(options.store, options.digest, 'att', layer, exactDuplicate, {
    ...(options.replace && {
      remove: (l) => l.annotations[CosignAnnotation.PredicateType] === predicateType,
    }),
  });
  return { ...result, bundle };
}

/**
 * Verifies one `.att` layer with a public key: the envelope's signature over its PAE, an in-toto
 * payload type, and (when given) that the statement covers `digest`. Returns the statement.
 */
export function verifyAttestationLayer(
  layer: Pick<CosignLayer, 'payload' | 'annotations'>,
  publicKey: KeyObject,
  expected: { digest?: string; predicateType?: string } = {},
): Statement {
  const envelope = parseEnvelope(layer.payload);
  const payload = verifyEnvelope(envelope, publicKey);
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    throw new SignError(
      'PAYLOAD_INVALID',
      `the envelope's payload type is ${envelope.payloadType}, not ${IN_TOTO_PAYLOAD_TYPE}`,
    );
  const statement = parseStatement(payload);
  if (expected.digest !== undefined && !statementCovers(statement, expected.digest))
    throw new SignError('PAYLOAD_INVALID', `the attestation is not about ${expected.digest}`);
  if (expected.predicateType !== undefined && statement.predicateType !== expected.predicateType)
    throw new SignError(
      'PAYLOAD_INVALID',
      `the attestation's predicate type is ${statement.predicateType}, not ${expected.predicateType}`,
    );
  return statement;
}
