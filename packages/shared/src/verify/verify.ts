/**
 * `verifyImage`: the one call verify-image (and promote, canary) makes. Fail-closed: it returns a
 * result only when everything the policy asks for holds, and throws a coded {@link VerifyError}
 * otherwise, including when the registry cannot be read (after the HTTP client's retries).
 *
 *     const result = await verifyImage({
 *       store: client.repository(ref), reference: ref.tag ?? ref.digest,
 *       policy: { trust: { kind: 'keys', keys: [pem] }, requireAttestations: ['slsa-provenance'] },
 *     });
 *     result.image   // registry/repo@sha256:… — what a deploy step should use
 *
 * A tag is resolved once; everything after uses the digest. Signatures are looked for in both
 * formats at once (`auto`), and one verified signature suffices, as with `cosign verify`; each
 * required attestation needs one verified statement of its predicate type about the digest.
 */
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { isDigest } from '../oci/digest.ts';
import type { ImageStore } from '../oci/store.ts';
import { IN_TOTO_PAYLOAD_TYPE } from '../sign/dsse.ts';
import { parseStatement, statementCovers, type Statement } from '../sign/attestation.ts';
import { COSIGN_SIGN_PREDICATE_TYPE } from '../sign/bundle.ts';
import { SignError } from '../sign/errors.ts';
import { parseSimpleSigningPayload } from '../sign/simple-signing.ts';
import { findLegacy, findReferrerBundles, type Candidate, type Found } from './candidates.ts';
import {
  FAILURE_PRIORITY,
  prepareKeyless,
  verifyCandidate,
  type PreparedTrust,
  type TlogEvidence,
  type VerifiedSigner,
} from './check.ts';
import { VerifyError, type CandidateFailure } from './errors.ts';
import { checkProvenance } from './provenance.ts';
import {
  PREDICATE_ALIASES,
  requiredAttestations,
  trustedKeys,
  type RequiredAttestation,
  type VerifyPolicy,
} from './policy.ts';

export interface VerifyImageOptions {
  /** The image's repository (signatures live beside the image). */
  store: ImageStore;
  /** A tag or a digest in `store`; or give `digest`. */
  reference?: string;
  digest?: string;
  policy: VerifyPolicy;
  logger?: Logger;
  /** The time certificates are judged at when there is no log evidence. Default now. */
  now?: Date;
  /** Loads the public-good trusted root for keyless trust without one. Default: `@sigstore/tuf`. */
  loadTrustedRoot?: () => Promise<TrustedRoot>;
}

export interface VerifiedSignature {
  format: 'legacy' | 'bundle';
  location: string;
  signer: VerifiedSigner;
  tlog?: TlogEvidence;
}

export interface VerifiedAttestation {
  /** The requirement it satisfies (`slsa-provenance`, or the predicate type given). */
  name: string;
  predicateType: string;
  format: 'legacy' | 'bundle';
  location: string;
  signer: VerifiedSigner;
  /** The in-toto statement, as signed: its subject covers the digest, its predicate is what was attested. */
  statement: Statement;
}

export interface VerificationResult {
  verified: true;
  /** `registry/repository`. */
  name: string;
  digest: string;
  /** `registry/repository@digest`: the value to deploy. */
  image: string;
  /** The tag given, when one was resolved. */
  tag?: string;
  /** Every signature that verified. */
  signatures: VerifiedSignature[];
  /** The distinct signers of those signatures. */
  signers: VerifiedSigner[];
  /** One verified attestation per requirement (the first found). */
  attestations: VerifiedAttestation[];
  /** Stored signatures and attestations that were refused (reported, not fatal when another one verified). */
  refused: CandidateFailure[];
}

let publicGoodRoot: Promise<TrustedRoot> | undefined;

async function tufTrustedRoot(): Promise<TrustedRoot> {
  const { getTrustedRoot } = await import('@sigstore/tuf');
  return getTrustedRoot();
}

/** The policy's trust, ready to verify with (keys loaded; for keyless, the trusted root loaded once). */
export async function prepareTrust(
  options: Pick<VerifyImageOptions, 'policy' | 'loadTrustedRoot'>,
): Promise<PreparedTrust> {
  const { trust } = options.policy;
  if (trust.kind === 'keys') return { kind: 'keys', keys: trustedKeys(trust) };
  let root = trust.trustedRoot;
  if (!root) {
    const load = options.loadTrustedRoot ?? (() => (publicGoodRoot ??= tufTrustedRoot()));
    try {
      root = await load();
    } catch (err) {
      if (!options.loadTrustedRoot) publicGoodRoot = undefined;
      throw new VerifyError(
        'TRUST_ROOT_UNAVAILABLE',
        `the public Sigstore trusted root could not be fetched through TUF (${errorMessage(err)}): allow access to tuf-repo-cdn.sigstore.dev, or pass trusted-root`,
        { cause: err },
      );
    }
  }
  return prepareKeyless(trust, root);
}

/** Registry and network failures become REGISTRY_ERROR: verification fails closed. */
async function registry<T>(
  store: ImageStore,
  what: string,
  fn: () => Promise<T>,
  digest?: string,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof VerifyError) throw err;
    throw new VerifyError(
      'REGISTRY_ERROR',
      `could not read ${what} from ${store.name} (${errorMessage(err)}); an unreadable registry never counts as verified: check the registry, credentials and network, then run again`,
      { cause: err, ...(digest && { digest }) },
    );
  }
}

interface Resolved {
  digest: string;
  tag?: string;
}

async function resolveImage(options: VerifyImageOptions): Promise<Resolved> {
  const { store } = options;
  const reference = options.digest ?? options.reference;
  if (!reference) throw new VerifyError('POLICY_INVALID', 'give the image as a tag or a digest');
  const tag = isDigest(reference) ? undefined : reference;
  const descriptor = await registry(store, `${reference}`, () => store.resolve(reference));
  if (!descriptor)
    throw new VerifyError(
      'IMAGE_NOT_FOUND',
      `${store.name}${tag ? `:${tag}` : `@${reference}`} does not exist: check the image name and that it was pushed`,
    );
  const digest = descriptor.digest;
  const expected = options.policy.expectedDigest;
  if (expected && expected !== digest) {
    if (tag)
      throw new VerifyError(
        'TAG_MOVED',
        `${store.name}:${tag} now points at ${digest}, not at the expected ${expected}: the tag moved after the build; deploy ${store.name}@${expected} by digest, or find out who pushed ${digest}`,
        { digest },
      );
    throw new VerifyError(
      'UNEXPECTED_DIGEST',
      `${store.name}@${digest} is not the expected ${expected}: verify the digest build-sign produced`,
      { digest },
    );
  }
  return { digest, ...(tag && { tag }) };
}

/** Why a candidate was refused, from what its verification threw. */
export function candidateFailure(c: Candidate, err: unknown): CandidateFailure {
  return failure(c, err);
}

function failure(c: Candidate, err: unknown): CandidateFailure {
  const where = {
    role: c.role,
    location: c.location,
    format: c.format,
    ...(c.predicateTypeHint !== undefined && { predicateTypeHint: c.predicateTypeHint }),
  };
  if (err instanceof VerifyError) return { ...where, code: err.code, message: err.message };
  const code =
    err instanceof SignError && err.code === 'SIGNATURE_INVALID' ? 'SIGNATURE_INVALID' : 'PAYLOAD_INVALID';
  return { ...where, code, message: errorMessage(err) };
}

/** The most telling of several refusals (FAILURE_PRIORITY order), to report. */
export function worstFailure(failures: readonly CandidateFailure[]): CandidateFailure | undefined {
  return worst(failures);
}

function worst(failures: readonly CandidateFailure[]): CandidateFailure | undefined {
  return [...failures].sort((a, b) => rank(a.code) - rank(b.code))[0];
}
const rank = (code: string) => {
  const i = (FAILURE_PRIORITY as readonly string[]).indexOf(code);
  return i < 0 ? FAILURE_PRIORITY.length : i;
};

/** The in-toto statement of a verified DSSE candidate. */
export function statementOf(c: Candidate): Statement {
  if (c.bundle.content.$case !== 'dsseEnvelope')
    throw new VerifyError('PAYLOAD_INVALID', 'expected a DSSE envelope, found a message signature');
  const env = c.bundle.content.dsseEnvelope;
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    throw new VerifyError(
      'PAYLOAD_INVALID',
      `the envelope's payload type is ${env.payloadType}, not ${IN_TOTO_PAYLOAD_TYPE}`,
    );
  return parseStatement(env.payload);
}

/**
 * The signed statement of an attestation candidate when it is of one of `predicateTypes` and about
 * `digest`; undefined when it is another kind of attestation (nothing claimed it was this kind).
 * Throws PAYLOAD_INVALID when it was stored as this kind but signs another, and
 * ATTESTATION_SUBJECT_MISMATCH when it is about another digest.
 */
export function attestedStatement(
  c: Candidate,
  predicateTypes: readonly string[],
  digest: string,
  what: string,
): Statement | undefined {
  const statement = statementOf(c);
  if (!predicateTypes.includes(statement.predicateType)) {
    if (c.predicateTypeHint === undefined) return undefined;
    throw new VerifyError(
      'PAYLOAD_INVALID',
      `stored as ${c.predicateTypeHint} but the signed statement is ${statement.predicateType}`,
    );
  }
  if (!statementCovers(statement, digest))
    throw new VerifyError(
      'ATTESTATION_SUBJECT_MISMATCH',
      `the ${what} attestation is signed but about ${statement.subject.map((s) => `${s.name ?? ''}${JSON.stringify(s.digest)}`).join(', ')}, not ${digest}: attest this digest`,
    );
  return statement;
}

/** Checks what a verified signature says: that it is about `digest`. */
function checkSignedClaims(c: Candidate, digest: string): void {
  if (c.bundle.content.$case === 'messageSignature') {
    const payload = parseSimpleSigningPayload(c.artifact ?? Buffer.alloc(0));
    const named = payload.critical.image['docker-manifest-digest'];
    if (named !== digest)
      throw new VerifyError(
        'DIGEST_MISMATCH',
        `the signature is valid but its payload names ${named}, not ${digest}: it was copied from another image; sign this digest`,
      );
    return;
  }
  const statement = statementOf(c);
  if (statement.predicateType !== COSIGN_SIGN_PREDICATE_TYPE)
    throw new VerifyError(
      'PAYLOAD_INVALID',
      `a signature bundle must state ${COSIGN_SIGN_PREDICATE_TYPE}, this one states ${statement.predicateType}`,
    );
  if (!statementCovers(statement, digest))
    throw new VerifyError(
      'DIGEST_MISMATCH',
      `the signature bundle is valid but its statement is about ${statement.subject.map((s) => JSON.stringify(s.digest)).join(', ')}, not ${digest}: it was copied from another image; sign this digest`,
    );
}

/** Verifies `options.reference` (or `digest`) in `options.store` against `options.policy`; see the module comment. */
export async function verifyImage(options: VerifyImageOptions): Promise<VerificationResult> {
  const logger = options.logger ?? silentLogger;
  const { store, policy } = options;
  const now = options.now ?? new Date();
  const format = policy.signatureFormat ?? 'auto';
  const required = requiredAttestations(policy);
  const trust = await prepareTrust(options);
  const { digest, tag } = await resolveImage(options);
  const image = `${store.name}@${digest}`;
  if (tag) logger.info(`${store.name}:${tag} resolved to ${digest}; verifying by digest from here on`);

  const useLegacy = format !== 'bundle';
  const useBundle = format !== 'legacy';
  const none: Promise<Found> = Promise.resolve({ candidates: [], unreadable: [] });
  const [sig, att, referrers] = await registry(
    store,
    `the signatures of ${digest}`,
    () =>
      Promise.all([
        useLegacy ? findLegacy(store, digest, 'sig') : none,
        useLegacy && required.length > 0 ? findLegacy(store, digest, 'att') : none,
        useBundle ? findReferrerBundles(store, digest) : none,
      ]),
    digest,
  );
  const unreadable = [...sig.unreadable, ...att.unreadable, ...referrers.unreadable];
  const refused: CandidateFailure[] = [...unreadable];
  const candidates = [...sig.candidates, ...att.candidates, ...referrers.candidates];

  // Signatures.
  const signatureCandidates = candidates.filter((c) => c.role === 'signature');
  const signatures: VerifiedSignature[] = [];
  for (const c of signatureCandidates) {
    try {
      const verified = verifyCandidate(c, trust, now);
      checkSignedClaims(c, digest);
      signatures.push({ format: c.format, location: c.location, ...verified });
    } catch (err) {
      refused.push(failure(c, err));
    }
  }
  if (signatures.length === 0) {
    const formats =
      format === 'auto'
        ? 'in any format (Sigstore bundle referrers, legacy .sig tag)'
        : `in the ${format} format`;
    const refusedSignatures = refused.filter((f) => f.role === 'signature');
    const first = worst(refusedSignatures);
    if (!first)
      throw new VerifyError(
        'NO_SIGNATURE',
        `no signature found for ${digest} ${formats}; was the image signed by build-sign?${format !== 'auto' ? ' (or try signature-format: auto)' : ''}`,
        { digest },
      );
    throw new VerifyError(
      first.code,
      `no valid signature for ${image}: ${first.message} (${first.location}${refusedSignatures.length > 1 ? `; ${refusedSignatures.length} signature(s) refused` : ''})`,
      { digest, failures: refusedSignatures },
    );
  }
  for (const s of signatures) logger.info(`signature verified: ${s.location} by ${signerText(s.signer)}`);

  // Attestations.
  const attestations: VerifiedAttestation[] = [];
  const attestationCandidates = candidates.filter((c) => c.role === 'attestation');
  for (const requirement of required) {
    const found = attestationFor(requirement, attestationCandidates, trust, now, digest, policy);
    if ('attestation' in found) {
      attestations.push(found.attestation);
      logger.info(
        `attestation verified: ${requirement.name} (${found.attestation.predicateType}) at ${found.attestation.location}`,
      );
      continue;
    }
    refused.push(...found.failures);
    // What could not even be read, stored as this kind of attestation, stands in the way too.
    const failures = [
      ...unreadable.filter((f) => f.role === 'attestation' && relevantTo(requirement, f.predicateTypeHint)),
      ...found.failures,
    ];
    const first = worst(failures);
    if (!first)
      throw new VerifyError(
        'ATTESTATION_MISSING',
        `no ${requirement.name} attestation (${requirement.predicateTypes.join(' or ')}) found for ${digest}: attach it when building (build-sign provenance, sbom), or drop it from require-attestations`,
        { digest },
      );
    throw new VerifyError(
      first.code,
      `no valid ${requirement.name} attestation for ${image}: ${first.message} (${first.location})`,
      { digest, failures },
    );
  }

  const signers: VerifiedSigner[] = [];
  for (const s of signatures)
    if (!signers.some((x) => signerText(x) === signerText(s.signer))) signers.push(s.signer);
  return {
    verified: true,
    name: store.name,
    digest,
    image,
    ...(tag && { tag }),
    signatures,
    signers,
    attestations,
    refused,
  };
}

/** Whether an attestation stored with this predicate type (none: unknown) may meet `requirement`. */
function relevantTo(requirement: RequiredAttestation, predicateTypeHint: string | undefined): boolean {
  return predicateTypeHint === undefined || requirement.predicateTypes.includes(predicateTypeHint);
}

function attestationFor(
  requirement: RequiredAttestation,
  candidates: readonly Candidate[],
  trust: PreparedTrust,
  now: Date,
  digest: string,
  policy: VerifyPolicy,
): { attestation: VerifiedAttestation } | { failures: CandidateFailure[] } {
  const failures: CandidateFailure[] = [];
  // The storage's predicate type decides which to look at; the signed statement must then agree.
  const relevant = candidates.filter((c) => relevantTo(requirement, c.predicateTypeHint));
  for (const c of relevant) {
    try {
      const verified = verifyCandidate(c, trust, now);
      const statement = attestedStatement(c, requirement.predicateTypes, digest, requirement.name);
      if (!statement) continue;
      if (PREDICATE_ALIASES['slsa-provenance']!.includes(statement.predicateType))
        checkProvenance(statement, policy.provenance);
      return {
        attestation: {
          name: requirement.name,
          predicateType: statement.predicateType,
          format: c.format,
          location: c.location,
          signer: verified.signer,
          statement,
        },
      };
    } catch (err) {
      failures.push(failure(c, err));
    }
  }
  return { failures };
}

/** A signer for people: the key fingerprint, or `identity (issuer)`. */
export function signerText(s: VerifiedSigner): string {
  return s.kind === 'key' ? `key ${s.fingerprint}` : `${s.subject} (${s.issuer})`;
}
