/**
 * Attaching a signed in-toto statement to an image: the one way build-sign's SLSA provenance, the
 * sbom action's SBOM attestations and bundle-format image signatures are stored. The statement is
 * signed once (DSSE, any {@link ImageSigner}) and stored as cosign stores it: a layer of the
 * `sha256-<hex>.att` image (`legacy`), and/or a Sigstore bundle v0.3 referrer of the image
 * (`bundle`, cosign v3's default); `both` stores the same signed envelope both ways.
 *
 *     const subject = await subjectDescriptor(store, digest);
 *     const attached = await attachAttestation({
 *       store, name: 'ghcr.io/acme/app', subject, signer, statement, format: 'both',
 *     });
 *     attached.legacy?.location   // ghcr.io/acme/app:sha256-….att
 *     attached.bundle?.location   // ghcr.io/acme/app@sha256:… (the referrer manifest)
 *
 * Attaching is idempotent for one signer: when the same statement (byte for byte) is already
 * stored, signed by the same signer, nothing is signed or written again — no second `.att` layer,
 * no second referrer. "The same signer" is the signer's key (a stored signature must verify with
 * it), or for keyless the same certificate identity and issuer, with a stored signature that
 * verifies with its certificate's key (the chain is for verification to judge; this only decides
 * whether to write). ECDSA signatures differ on every run, so comparing bytes alone would never
 * find a duplicate. Before a keyless signer has signed anything its identity is unknown: then the
 * statement is signed first and compared after.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { cosignTag } from '../oci/copy.ts';
import type { ImageStore } from '../oci/store.ts';
import type { Descriptor } from '../oci/types.ts';
import {
  attestationLayerFromBundle,
  serializeStatement,
  statementCovers,
  type Statement,
} from './attestation.ts';
import { findBundleReferrers, pushBundleReferrer, serializeBundle, type StoredBundle } from './bundle.ts';
import { IN_TOTO_PAYLOAD_TYPE, parseEnvelope, preAuthEncoding } from './dsse.ts';
import { SignError } from './errors.ts';
import { verifyBytes } from './keys.ts';
import {
  appendCosignLayer,
  CosignAnnotation,
  DSSE_ENVELOPE_MEDIA_TYPE,
  readCosignImage,
  type CosignLayer,
} from './legacy.ts';
import type { SignatureFormat } from './image.ts';
import { certificateIdentity, type ImageSigner } from './signer.ts';

/** Where one signature or attestation was stored. */
export interface StoredSignature {
  /** `legacy`: where the `.sig`/`.att` tag points; `bundle`: the referrer manifest. */
  descriptor: Descriptor;
  /** `registry/repository:tag` or `registry/repository@digest`. */
  location: string;
  /** False when the same signer's equivalent signature or attestation was already there. */
  appended?: boolean;
}

export interface AttachOptions {
  /** The image's repository (a registry `Repository` or a `LayoutStore`). */
  store: ImageStore;
  /** The image's name for locations, e.g. `ghcr.io/acme/app` (no tag or digest). */
  name: string;
  /** The attested manifest or index (a referrer's `subject` needs its media type and size): see `subjectDescriptor`. */
  subject: Descriptor;
  signer: ImageSigner;
  /** The statement; its subjects must include `subject.digest`. */
  statement: Statement;
  /** `legacy` (`.att` layer), `bundle` (referrer) or `both` (one signature, stored twice). */
  format: SignatureFormat;
  /** Drop earlier `.att` layers of the same predicate type (cosign's `attest --replace`); referrers stay. */
  replace?: boolean;
  /** `org.opencontainers.image.created` of a new referrer (default now). */
  created?: Date;
}

export interface AttachResult {
  statement: Statement;
  legacy?: StoredSignature;
  /** The referrer, with the bundle it holds (the one found, when it was already there). */
  bundle?: StoredSignature & { bundle: Bundle; json: Buffer };
}

/** A stored DSSE envelope as compared here: its payload, payload type, signatures and certificate. */
interface StoredEnvelope {
  payloadType: string;
  payload: Buffer;
  signatures: Buffer[];
  certificate: X509Certificate | undefined;
}

/** Whether a stored envelope over our exact payload was made by our signer. */
type SameSigner = (stored: StoredEnvelope, pae: Buffer) => boolean;

function verifiesWith(key: KeyObject, stored: StoredEnvelope, pae: Buffer): boolean {
  return stored.signatures.some((sig) => {
    try {
      return verifyBytes(key, pae, sig);
    } catch {
      return false;
    }
  });
}

/** How to recognise the signer's own envelopes, or undefined while a keyless signer's identity is unknown. */
function sameSignerAs(signer: ImageSigner): SameSigner | undefined {
  const key = signer.publicKey;
  if (key) return (stored, pae) => verifiesWith(key, stored, pae);
  const identity = signer.identity();
  if (identity?.kind !== 'certificate') return undefined;
  return (stored, pae) => {
    if (!stored.certificate) return false;
    const theirs = certificateIdentity(stored.certificate.toString());
    if (theirs.kind !== 'certificate') return false;
    if (theirs.subject !== identity.subject || theirs.issuer !== identity.issuer) return false;
    return verifiesWith(stored.certificate.publicKey, stored, pae);
  };
}

function certificateOf(der: Uint8Array | undefined): X509Certificate | undefined {
  if (!der) return undefined;
  try {
    return new X509Certificate(Buffer.from(der));
  } catch {
    return undefined;
  }
}

function envelopeOfLayer(layer: CosignLayer): StoredEnvelope | undefined {
  if (layer.mediaType !== DSSE_ENVELOPE_MEDIA_TYPE) return undefined;
  try {
    const envelope = parseEnvelope(layer.payload);
    const pem = layer.annotations[CosignAnnotation.Certificate];
    let certificate: X509Certificate | undefined;
    try {
      certificate = pem ? new X509Certificate(pem) : undefined;
    } catch {
      certificate = undefined;
    }
    return {
      payloadType: envelope.payloadType,
      payload: Buffer.from(envelope.payload, 'base64'),
      signatures: envelope.signatures.map((s) => Buffer.from(s.sig, 'base64')),
      certificate,
    };
  } catch {
    return undefined;
  }
}

function envelopeOfBundle(bundle: Bundle): StoredEnvelope | undefined {
  if (bundle.content.$case !== 'dsseEnvelope') return undefined;
  const env = bundle.content.dsseEnvelope;
  const m = bundle.verificationMaterial.content;
  const der =
    m.$case === 'x509CertificateChain'
      ? m.x509CertificateChain.certificates[0]?.rawBytes
      : m.$case === 'certificate'
        ? m.certificate.rawBytes
        : undefined;
  return {
    payloadType: env.payloadType,
    payload: Buffer.from(env.payload),
    signatures: env.signatures.map((s) => Buffer.from(s.sig)),
    certificate: certificateOf(der),
  };
}

/** Attaches `statement` to `subject`; see the module comment. */
export async function attachAttestation(options: AttachOptions): Promise<AttachResult> {
  const { store, name, subject, signer, statement } = options;
  const digest = subject.digest;
  if (!statementCovers(statement, digest))
    throw new SignError('PAYLOAD_INVALID', `the statement's subjects do not include ${digest}`);
  const legacy = options.format === 'both' || options.format === 'legacy';
  const bundled = options.format === 'both' || options.format === 'bundle';
  const predicateType = statement.predicateType;
  const payload = serializeStatement(statement);
  const pae = preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload);
  const ours = (stored: StoredEnvelope | undefined, same: SameSigner) =>
    stored !== undefined &&
    stored.payloadType === IN_TOTO_PAYLOAD_TYPE &&
    stored.payload.equals(payload) &&
    same(stored, pae);

  const [image, referrers] = await Promise.all([
    legacy ? readCosignImage(store, digest, 'att') : undefined,
    bundled ? findBundleReferrers(store, digest, { predicateType }) : ([] as StoredBundle[]),
  ]);
  const layers = image?.layers ?? [];
  const duplicates = (same: SameSigner | undefined) =>
    same
      ? {
          layer: layers.find(
            (l) =>
              l.annotations[CosignAnnotation.PredicateType] === predicateType &&
              ours(envelopeOfLayer(l), same),
          ),
          referrer: referrers.find((r) => ours(envelopeOfBundle(r.bundle), same)),
        }
      : { layer: undefined, referrer: undefined };

  const known = sameSignerAs(signer);
  let found = duplicates(known);
  let signed: Bundle | undefined;
  if ((legacy && !found.layer) || (bundled && !found.referrer)) {
    signed = await signer.signDsse(payload, IN_TOTO_PAYLOAD_TYPE);
    // A keyless signer's identity is known once it has signed.
    if (!known) found = duplicates(sameSignerAs(signer));
  }

  const result: AttachResult = { statement };
  if (legacy) {
    const tag = cosignTag(digest, 'att');
    const dup = found.layer;
    const stale = (l: CosignLayer) =>
      options.replace === true &&
      l !== dup &&
      l.annotations[CosignAnnotation.PredicateType] === predicateType;
    if (dup && image && !layers.some(stale)) {
      result.legacy = { descriptor: image.descriptor, location: `${name}:${tag}`, appended: false };
    } else {
      const layer = dup ?? attestationLayerFromBundle(signed!, predicateType);
      const written = await appendCosignLayer(store, digest, 'att', layer, (existing) => existing === dup, {
        remove: stale,
        current: { image },
      });
      result.legacy = {
        descriptor: written.descriptor,
        location: `${name}:${tag}`,
        appended: written.appended,
      };
    }
  }
  if (bundled) {
    const dup = found.referrer;
    if (dup) {
      result.bundle = {
        descriptor: dup.descriptor,
        location: `${name}@${dup.descriptor.digest}`,
        appended: false,
        bundle: dup.bundle,
        json: dup.bytes,
      };
    } else {
      const referrer = await pushBundleReferrer(store, subject, signed!, {
        predicateType,
        ...(options.created && { created: options.created }),
      });
      result.bundle = {
        descriptor: referrer,
        location: `${name}@${referrer.digest}`,
        appended: true,
        bundle: signed!,
        json: serializeBundle(signed!),
      };
    }
  }
  return result;
}
