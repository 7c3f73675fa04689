/**
 * in-toto attestations (Statement v1) about an image, signed in DSSE envelopes and stored as
 * cosign stores them: layers of the `sha256-<hex>.att` image with media type
 * `application/vnd.dsse.envelope.v1+json`, a `predicateType` annotation and an empty
 * `dev.cosignproject.cosign/signature` (the signature is inside the envelope), plus the
 * certificate and Rekor annotations when keyless. The same signed bundle can also be pushed as an
 * OCI 1.1 referrer (bundle.ts), as cosign v3 does; attach.ts stores them.
 */
import type { Bundle } from '@sigstore/bundle';
import { parseDigest } from '../oci/digest.ts';
import { SignError } from './errors.ts';
import { envelopeFromBundle, serializeEnvelope } from './dsse.ts';
import {
  CosignAnnotation,
  DSSE_ENVELOPE_MEDIA_TYPE,
  verificationAnnotations,
  type CosignLayer,
} from './legacy.ts';

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
