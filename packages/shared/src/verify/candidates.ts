/**
 * Where signatures and attestations are found, read into one shape: a Sigstore bundle (plus the
 * signed bytes for message signatures). Bundles stored as OCI referrers are read as they are;
 * cosign's legacy `.sig`/`.att` layers are turned into the bundle they stand for (the signature
 * annotation, the certificate and chain, the Rekor bundle as a transparency-log entry with its
 * signed entry timestamp), so one verification path serves both formats.
 *
 * Nothing read here is trusted: check.ts verifies it.
 */
import { createHash } from 'node:crypto';
import { BUNDLE_V01_MEDIA_TYPE, type Bundle, type TransparencyLogEntry } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { errorMessage } from '../errors.ts';
import { readBlob } from '../oci/blob.ts';
import { cosignTag } from '../oci/copy.ts';
import { OciError } from '../oci/errors.ts';
import type { ImageStore } from '../oci/store.ts';
import { isIndex, type Descriptor } from '../oci/types.ts';
import {
  BundleAnnotation,
  bundleReferrerCandidates,
  COSIGN_SIGN_PREDICATE_TYPE,
  isBundleManifest,
  parseBundle,
  SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
} from '../sign/bundle.ts';
import { decodePem } from '../sign/keys.ts';
import { parseEnvelope } from '../sign/dsse.ts';
import {
  COSIGN_SIMPLE_SIGNING_MEDIA_TYPE,
  CosignAnnotation,
  DSSE_ENVELOPE_MEDIA_TYPE,
  type RekorBundle,
} from '../sign/legacy.ts';
import type { CandidateFailure } from './errors.ts';

/**
 * What a stored candidate is for, decided where it is found: the `.sig` tag and bundle referrers
 * stating cosign's sign predicate hold signatures; the `.att` tag and every other bundle referrer
 * hold attestations.
 */
export type CandidateRole = 'signature' | 'attestation';

/** A stored signature or attestation, as a bundle to verify. */
export interface Candidate {
  role: CandidateRole;
  format: 'legacy' | 'bundle';
  /** Where it was found, for messages: `reg/repo:sha256-….sig#2` or `reg/repo@sha256:…` (the referrer). */
  location: string;
  bundle: Bundle;
  /** The signed bytes of a message signature (the simple-signing payload). */
  artifact?: Buffer;
  /** The predicate type the storage claims (annotation); only a routing hint until verified. */
  predicateTypeHint?: string;
}

export interface Found {
  candidates: Candidate[];
  /** Stored things that could not even be read as a signature (a malformed bundle, an index under `.sig`). */
  unreadable: CandidateFailure[];
}

/**
 * A stored layer's bytes through the one size-limited blob reader (16 MiB). An oversized layer is
 * whoever pushed it's doing, not a registry fault: its BLOB_TOO_LARGE error is returned, for the
 * caller to refuse that one candidate; any other failure (the registry, the network) is thrown.
 */
async function readLayer(store: ImageStore, layer: Descriptor, what: string): Promise<Buffer | OciError> {
  try {
    return await readBlob(store, layer, { what });
  } catch (err) {
    if (err instanceof OciError && err.code === 'BLOB_TOO_LARGE') return err;
    throw err;
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof OciError && err.code === 'MANIFEST_UNKNOWN';
}

// ---------------------------------------------------------------------------------------------
// Legacy `.sig` / `.att`

function certificates(annotations: Record<string, string>): Buffer[] {
  const pem = annotations[CosignAnnotation.Certificate];
  if (!pem) return [];
  const chain = annotations[CosignAnnotation.Chain] ?? '';
  const blocks =
    `${pem}\n${chain}`.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => decodePem(b).der);
}

/** The Rekor bundle annotation as a transparency-log entry with its inclusion promise. */
export function tlogEntryFromRekorBundle(json: string): TransparencyLogEntry {
  const rekor = JSON.parse(json) as RekorBundle;
  const body = Buffer.from(rekor.Payload.body, 'base64');
  const parsed = JSON.parse(body.toString('utf8')) as { kind?: string; apiVersion?: string };
  return {
    logIndex: String(rekor.Payload.logIndex),
    logId: { keyId: Buffer.from(rekor.Payload.logID, 'hex') },
    kindVersion: { kind: String(parsed.kind), version: String(parsed.apiVersion) },
    integratedTime: String(rekor.Payload.integratedTime),
    inclusionPromise: { signedEntryTimestamp: Buffer.from(rekor.SignedEntryTimestamp, 'base64') },
    inclusionProof: undefined,
    canonicalizedBody: body,
  };
}

function verificationMaterial(annotations: Record<string, string>): Bundle['verificationMaterial'] {
  const certs = certificates(annotations);
  const tlogEntries: TransparencyLogEntry[] = [];
  const rekor = annotations[CosignAnnotation.Bundle];
  if (rekor) tlogEntries.push(tlogEntryFromRekorBundle(rekor));
  return {
    content:
      certs.length > 0
        ? {
            $case: 'x509CertificateChain',
            x509CertificateChain: { certificates: certs.map((rawBytes) => ({ rawBytes })) },
          }
        : { $case: 'publicKey', publicKey: { hint: '' } },
    tlogEntries,
    timestampVerificationData: undefined,
  };
}

/** The bundle a legacy `.sig` layer stands for (a message signature over the payload). */
export function bundleFromSignatureLayer(payload: Buffer, annotations: Record<string, string>): Bundle {
  const signature = annotations[CosignAnnotation.Signature];
  if (!signature) throw new Error(`the layer has no ${CosignAnnotation.Signature} annotation`);
  return {
    mediaType: BUNDLE_V01_MEDIA_TYPE,
    verificationMaterial: verificationMaterial(annotations),
    content: {
      $case: 'messageSignature',
      messageSignature: {
        messageDigest: {
          algorithm: HashAlgorithm.SHA2_256,
          digest: createHash('sha256').update(payload).digest(),
        },
        signature: Buffer.from(signature, 'base64'),
      },
    },
  } as Bundle;
}

/** The bundle a legacy `.att` layer stands for (its DSSE envelope). */
export function bundleFromAttestationLayer(payload: Buffer, annotations: Record<string, string>): Bundle {
  const envelope = parseEnvelope(payload);
  return {
    mediaType: BUNDLE_V01_MEDIA_TYPE,
    verificationMaterial: verificationMaterial(annotations),
    content: {
      $case: 'dsseEnvelope',
      dsseEnvelope: {
        payload: Buffer.from(envelope.payload, 'base64'),
        payloadType: envelope.payloadType,
        signatures: envelope.signatures.map((s) => ({
          sig: Buffer.from(s.sig, 'base64'),
          keyid: s.keyid ?? '',
        })),
      },
    },
  } as Bundle;
}

/** Reads `sha256-<hex>.sig` (or `.att`) of `digest`: one candidate per layer. None when the tag is absent. */
export async function findLegacy(store: ImageStore, digest: string, suffix: 'sig' | 'att'): Promise<Found> {
  const tag = cosignTag(digest, suffix);
  const where = `${store.name}:${tag}`;
  const role: CandidateRole = suffix === 'sig' ? 'signature' : 'attestation';
  let data;
  try {
    data = await store.getManifest(tag);
  } catch (err) {
    if (isNotFound(err)) return { candidates: [], unreadable: [] };
    throw err;
  }
  if (isIndex(data.manifest))
    return {
      candidates: [],
      unreadable: [
        {
          role,
          location: where,
          format: 'legacy',
          code: 'PAYLOAD_INVALID',
          message: 'an index, not a cosign image',
        },
      ],
    };
  const layers = data.manifest.layers;
  const payloads = await Promise.all(layers.map((l) => readLayer(store, l, `${suffix} layer`)));
  const found: Found = { candidates: [], unreadable: [] };
  layers.forEach((layer, i) => {
    const location = `${where} layer ${i + 1}`;
    const annotations = { ...layer.annotations };
    const payload = payloads[i]!;
    if (payload instanceof OciError) {
      const hint = suffix === 'att' ? annotations[CosignAnnotation.PredicateType] : undefined;
      found.unreadable.push({
        role,
        location,
        format: 'legacy',
        ...(hint && { predicateTypeHint: hint }),
        code: 'BLOB_TOO_LARGE',
        message: payload.message,
      });
      return;
    }
    try {
      if (suffix === 'sig') {
        if (layer.mediaType !== COSIGN_SIMPLE_SIGNING_MEDIA_TYPE)
          throw new Error(`media type ${layer.mediaType} is not ${COSIGN_SIMPLE_SIGNING_MEDIA_TYPE}`);
        found.candidates.push({
          role,
          format: 'legacy',
          location,
          bundle: bundleFromSignatureLayer(payload, annotations),
          artifact: payload,
        });
      } else {
        if (layer.mediaType !== DSSE_ENVELOPE_MEDIA_TYPE)
          throw new Error(`media type ${layer.mediaType} is not ${DSSE_ENVELOPE_MEDIA_TYPE}`);
        const hint = annotations[CosignAnnotation.PredicateType];
        found.candidates.push({
          role,
          format: 'legacy',
          location,
          bundle: bundleFromAttestationLayer(payload, annotations),
          ...(hint && { predicateTypeHint: hint }),
        });
      }
    } catch (err) {
      const hint = suffix === 'att' ? annotations[CosignAnnotation.PredicateType] : undefined;
      found.unreadable.push({
        role,
        location,
        format: 'legacy',
        ...(hint && { predicateTypeHint: hint }),
        code: 'PAYLOAD_INVALID',
        message: errorMessage(err),
      });
    }
  });
  return found;
}

// ---------------------------------------------------------------------------------------------
// Bundles as OCI referrers

/** The role of a referrer from the predicate type its manifest states (none: an attestation). */
function referrerRole(predicateType: string | undefined): CandidateRole {
  return predicateType === COSIGN_SIGN_PREDICATE_TYPE ? 'signature' : 'attestation';
}

/**
 * Every Sigstore bundle stored as a referrer of `digest` (signatures and attestations alike, each
 * with its role from the predicate type its manifest states).
 */
export async function findReferrerBundles(store: ImageStore, digest: string): Promise<Found> {
  // cosign v2.6 lists its bundle referrers under the empty config's type (bundleReferrerCandidates)
  const descriptors = await bundleReferrerCandidates(store, digest);
  const read = await Promise.all(
    descriptors.map(async (descriptor) => {
      const location = `${store.name}@${descriptor.digest}`;
      const { manifest } = await store.getManifest(descriptor.digest);
      // an empty-typed referrer that is not a bundle is someone else's artifact: not a candidate
      if (
        descriptor.artifactType !== SIGSTORE_BUNDLE_V03_MEDIA_TYPE &&
        !('layers' in manifest && isBundleManifest(manifest))
      )
        return undefined;
      const hint = manifest.annotations?.[BundleAnnotation.PredicateType];
      const unreadable = (
        message: string,
        code: CandidateFailure['code'] = 'PAYLOAD_INVALID',
      ): CandidateFailure => ({
        role: referrerRole(hint),
        location,
        format: 'bundle',
        ...(hint && { predicateTypeHint: hint }),
        code,
        message,
      });
      if (!('layers' in manifest)) return unreadable('an index, not a bundle manifest');
      const layer = manifest.layers.find((l) => l.mediaType === SIGSTORE_BUNDLE_V03_MEDIA_TYPE);
      if (!layer) return unreadable(`no ${SIGSTORE_BUNDLE_V03_MEDIA_TYPE} layer`);
      const bytes = await readLayer(store, layer, 'bundle layer');
      if (bytes instanceof OciError) return unreadable(bytes.message, 'BLOB_TOO_LARGE');
      try {
        const candidate: Candidate = {
          role: referrerRole(hint),
          format: 'bundle',
          location,
          bundle: parseBundle(bytes),
          ...(hint && { predicateTypeHint: hint }),
        };
        return candidate;
      } catch (err) {
        return unreadable(errorMessage(err));
      }
    }),
  );
  const found: Found = { candidates: [], unreadable: [] };
  for (const r of read) {
    if (!r) continue;
    if ('bundle' in r) found.candidates.push(r);
    else found.unreadable.push(r);
  }
  return found;
}
