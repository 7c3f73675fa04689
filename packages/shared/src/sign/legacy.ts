/**
 * cosign's "legacy" tag-based storage, for signatures (`sha256-<hex>.sig`) and attestations
 * (`sha256-<hex>.att`) in the image's own repository: an OCI image manifest, made as
 * go-containerregistry's `mutate.Append` on cosign's empty image makes it, whose layers are the
 * signed payloads with their verification material in layer annotations:
 *
 *     {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
 *      "config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":…,"digest":"sha256:…"},
 *      "layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":…,
 *        "digest":"sha256:…","annotations":{"dev.cosignproject.cosign/signature":"MEUCIQ…"}}]}
 *
 * The config is `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":…},…],
 * "os":"","rootfs":{"type":"layers","diff_ids":[<each layer's digest>]},"config":{}}`.
 *
 * Adding a signature rewrites the manifest with one more layer; a duplicate (cosign's rule: same
 * payload, media type and annotations, and the existing signature verifies under the same key) is
 * skipped. The read-modify-write of the tag is not atomic at the registry, as with cosign itself:
 * two signers racing on one digest can lose one signature, so sign each digest from one job.
 */
import type { KeyObject } from 'node:crypto';
import type { Bundle, TransparencyLogEntry } from '@sigstore/bundle';
import { readBlob } from '../oci/blob.ts';
import { digestOf } from '../oci/digest.ts';
import { cosignTag } from '../oci/copy.ts';
import { OciError } from '../oci/errors.ts';
import type { ImageStore } from '../oci/store.ts';
import { MediaType, isIndex, type Descriptor } from '../oci/types.ts';
import { SignError } from './errors.ts';
import { goJson, GoMap } from './go-json.ts';
import { encodePem, verifyBytes } from './keys.ts';
import type { ImageSigner } from './signer.ts';
import { simpleSigningPayload } from './simple-signing.ts';

export const COSIGN_SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';

/** Layer annotations cosign reads (pkg/oci/static). */
export const CosignAnnotation = {
  /** Base64 of the ASN.1 DER signature over the layer's bytes ("" on attestation layers). */
  Signature: 'dev.cosignproject.cosign/signature',
  /** PEM of the signing certificate (keyless). */
  Certificate: 'dev.sigstore.cosign/certificate',
  /** PEM of the rest of the chain ("" when the bundle only had the leaf). */
  Chain: 'dev.sigstore.cosign/chain',
  /** JSON of the Rekor entry's signed entry timestamp and payload ({@link RekorBundle}). */
  Bundle: 'dev.sigstore.cosign/bundle',
  /** JSON `{"SignedRFC3161Timestamp":"<base64 DER>"}` from a timestamp authority. */
  RFC3161Timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
  /** The in-toto predicate type of an attestation layer. */
  PredicateType: 'predicateType',
} as const;

/** cosign refuses signature images with more layers (pkg/oci/mutate). */
export const MAX_COSIGN_LAYERS = 1000;
/** Largest layer we read back from a signature image. */
const MAX_LAYER_BYTES = 16 * 1024 * 1024;

/** One signature or attestation layer: its bytes, media type and annotations. */
export interface CosignLayer {
  mediaType: string;
  payload: Buffer;
  annotations: Record<string, string>;
}

/** cosign's `bundle.RekorBundle`, as JSON in the `dev.sigstore.cosign/bundle` annotation. */
export interface RekorBundle {
  /** Base64 of the log's signature over the entry (the inclusion promise). */
  SignedEntryTimestamp: string;
  Payload: {
    /** Base64 of the canonicalized entry body. */
    body: string;
    integratedTime: number;
    logIndex: number;
    /** Hex SHA-256 of the log's public key. */
    logID: string;
  };
}

/** The Rekor bundle annotation for a transparency-log entry that carries an inclusion promise. */
export function rekorBundleFromEntry(entry: TransparencyLogEntry): RekorBundle | undefined {
  const set = entry.inclusionPromise?.signedEntryTimestamp;
  if (!set) return undefined;
  return {
    SignedEntryTimestamp: Buffer.from(set).toString('base64'),
    Payload: {
      body: Buffer.from(entry.canonicalizedBody).toString('base64'),
      integratedTime: Number(entry.integratedTime),
      logIndex: Number(entry.logIndex),
      logID: Buffer.from(entry.logId?.keyId ?? []).toString('hex'),
    },
  };
}

/**
 * The verification-material annotations cosign v3 derives from a bundle: certificate and chain
 * (PEM), the first Rekor entry, the first RFC 3161 timestamp. Key-signed bundles without
 * witnesses give none.
 */
export function verificationAnnotations(bundle: Bundle): Record<string, string> {
  const out: Record<string, string> = {};
  const material = bundle.verificationMaterial;
  const certs =
    material.content.$case === 'x509CertificateChain'
      ? material.content.x509CertificateChain.certificates.map((c) => c.rawBytes)
      : material.content.$case === 'certificate'
        ? [material.content.certificate.rawBytes]
        : [];
  if (certs.length > 0) {
    out[CosignAnnotation.Certificate] = encodePem('CERTIFICATE', certs[0]!);
    out[CosignAnnotation.Chain] = certs
      .slice(1)
      .map((c) => encodePem('CERTIFICATE', c))
      .join('');
  }
  const timestamp = material.timestampVerificationData?.rfc3161Timestamps[0]?.signedTimestamp;
  if (timestamp) {
    out[CosignAnnotation.RFC3161Timestamp] = goJson({
      SignedRFC3161Timestamp: Buffer.from(timestamp).toString('base64'),
    });
  }
  const entry = material.tlogEntries[0];
  const rekor = entry && rekorBundleFromEntry(entry);
  if (rekor) out[CosignAnnotation.Bundle] = goJson(rekor);
  return out;
}

/** A `.sig` layer from the signed payload and a message-signature bundle over it. */
export function signatureLayerFromBundle(payload: Buffer, bundle: Bundle): CosignLayer {
  if (bundle.content.$case !== 'messageSignature')
    throw new SignError('PAYLOAD_INVALID', 'a legacy signature needs a message-signature bundle');
  return {
    mediaType: COSIGN_SIMPLE_SIGNING_MEDIA_TYPE,
    payload,
    annotations: {
      ...verificationAnnotations(bundle),
      [CosignAnnotation.Signature]: Buffer.from(bundle.content.messageSignature.signature).toString('base64'),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The signature image

function descriptorOf(bytes: Buffer, mediaType: string, annotations?: Record<string, string>): Descriptor {
  return {
    mediaType,
    digest: digestOf(bytes),
    size: bytes.length,
    ...(annotations && Object.keys(annotations).length > 0 && { annotations }),
  };
}

/** A descriptor as go-containerregistry orders its fields: mediaType, size, digest, annotations (sorted). */
function goDescriptor(d: Descriptor): Record<string, unknown> {
  return {
    mediaType: d.mediaType,
    size: d.size,
    digest: d.digest,
    annotations:
      d.annotations && Object.keys(d.annotations).length > 0 ? new GoMap(d.annotations) : undefined,
  };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** The config blob cosign's empty image gets after appending `layers` (`created` as the image had it). */
export function cosignConfig(layerDigests: readonly string[], created: string = ZERO_TIME): Buffer {
  return Buffer.from(
    goJson({
      architecture: '',
      created,
      history: layerDigests.length > 0 ? layerDigests.map(() => ({ created: ZERO_TIME })) : undefined,
      os: '',
      rootfs: { type: 'layers', diff_ids: layerDigests },
      config: {},
    }),
  );
}

export interface CosignImage {
  manifest: Buffer;
  config: Buffer;
  /** Every layer's descriptor, in order. */
  layers: Descriptor[];
}

/** The manifest and config of a signature or attestation image holding `layers`. */
export function cosignImage(
  layers: readonly Descriptor[],
  options: { manifestMediaType?: string; configMediaType?: string; created?: string } = {},
): CosignImage {
  const config = cosignConfig(
    layers.map((l) => l.digest),
    options.created,
  );
  const configDescriptor = descriptorOf(config, options.configMediaType ?? MediaType.OciConfig);
  const manifest = Buffer.from(
    goJson({
      schemaVersion: 2,
      mediaType: options.manifestMediaType ?? MediaType.OciManifest,
      config: goDescriptor(configDescriptor),
      layers: layers.map(goDescriptor),
    }),
  );
  return { manifest, config, layers: [...layers] };
}

export interface StoredCosignImage {
  tag: string;
  /** The tag's manifest descriptor. */
  descriptor: Descriptor;
  manifestMediaType: string;
  configMediaType: string;
  /** `created` of the config, kept when appending. */
  created: string;
  layers: Array<CosignLayer & { descriptor: Descriptor }>;
}

/**
 * Reads the `sha256-<hex>.<suffix>` image of `digest` (`sig` or `att`) with every layer's bytes,
 * or undefined when there is none.
 */
export async function readCosignImage(
  store: ImageStore,
  digest: string,
  suffix: 'sig' | 'att',
): Promise<StoredCosignImage | undefined> {
  const tag = cosignTag(digest, suffix);
  let data;
  try {
    data = await store.getManifest(tag);
  } catch (err) {
    if (err instanceof OciError && err.code === 'MANIFEST_UNKNOWN') return undefined;
    throw err;
  }
  if (isIndex(data.manifest))
    throw new SignError('PAYLOAD_INVALID', `${store.name}:${tag} is an index, not a cosign ${suffix} image`);
  const manifest = data.manifest;
  let created = ZERO_TIME;
  try {
    const bytes = await readBlob(store, manifest.config, { maxBytes: 1024 * 1024, what: 'config' });
    const config = JSON.parse(bytes.toString('utf8')) as { created?: unknown };
    if (typeof config.created === 'string') created = config.created;
  } catch {
    // A config we cannot read is rewritten in cosign's form.
  }
  const layers = [];
  for (const layer of manifest.layers) {
    // An oversized layer fails the read with OciError BLOB_TOO_LARGE, unread.
    const payload = await readBlob(store, layer, { maxBytes: MAX_LAYER_BYTES, what: `${suffix} layer` });
    layers.push({
      descriptor: layer,
      mediaType: layer.mediaType,
      payload,
      annotations: { ...layer.annotations },
    });
  }
  return {
    tag,
    descriptor: data.descriptor,
    manifestMediaType: data.descriptor.mediaType,
    configMediaType: manifest.config.mediaType,
    created,
    layers,
  };
}

/** Decides whether `candidate` is already among the stored layers. */
export type DuplicateCheck = (existing: CosignLayer, candidate: CosignLayer) => boolean;

function sameAnnotations(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/** An identical layer: same bytes, media type and annotations. */
export const exactDuplicate: DuplicateCheck = (existing, candidate) =>
  existing.mediaType === candidate.mediaType &&
  existing.payload.equals(candidate.payload) &&
  sameAnnotations(existing.annotations, candidate.annotations);

/**
 * cosign's duplicate rule for signatures (pkg/cosign/remote `NewDupeDetector`): identical layers,
 * or the same payload and media type, every annotation of the candidate but the signature present
 * with the same value, and an existing signature that verifies under `publicKey`. (ECDSA signatures
 * differ on every run, so comparing bytes alone would append the same key's signature again.)
 */
export function sameSignerDuplicate(publicKey: KeyObject | undefined): DuplicateCheck {
  return (existing, candidate) => {
    if (exactDuplicate(existing, candidate)) return true;
    if (!publicKey) return false;
    if (existing.mediaType !== candidate.mediaType || !existing.payload.equals(candidate.payload))
      return false;
    for (const [k, v] of Object.entries(candidate.annotations)) {
      if (k !== CosignAnnotation.Signature && existing.annotations[k] !== v) return false;
    }
    const b64 = existing.annotations[CosignAnnotation.Signature];
    if (!b64) return false;
    return verifyBytes(publicKey, existing.payload, Buffer.from(b64, 'base64'));
  };
}

export interface AppendResult {
  /** `sha256-<hex>.sig` or `.att`. */
  tag: string;
  /** The signature image's manifest after the call (unchanged when the layer was a duplicate). */
  descriptor: Descriptor;
  /** False when an equivalent layer was already there. */
  appended: boolean;
  /** The layer as stored (or as found). */
  layer: Descriptor;
  layerCount: number;
}

/**
 * Adds `layer` to the `sha256-<hex>.<suffix>` image of `subjectDigest` in `store`, creating the
 * image when there is none; `remove` drops matching existing layers first (cosign's `--replace`).
 * A layer `isDuplicate` finds among those kept is not added again (the image is only rewritten
 * when `remove` dropped something). Uploads the payload and config blobs first and moves the tag
 * last. `current` passes the image as already read with {@link readCosignImage}, to spare reading
 * it again.
 */
export async function appendCosignLayer(
  store: ImageStore,
  subjectDigest: string,
  suffix: 'sig' | 'att',
  layer: CosignLayer,
  isDuplicate: DuplicateCheck = exactDuplicate,
  options: {
    remove?: (existing: CosignLayer) => boolean;
    current?: { image: StoredCosignImage | undefined };
  } = {},
): Promise<AppendResult> {
  const stored = options.current
    ? options.current.image
    : await readCosignImage(store, subjectDigest, suffix);
  const tag = cosignTag(subjectDigest, suffix);
  const remove = options.remove;
  const kept = stored ? (remove ? stored.layers.filter((l) => !remove(l)) : stored.layers) : [];
  const removed = stored ? stored.layers.length - kept.length : 0;
  const found = kept.find((l) => isDuplicate(l, layer));
  if (stored && found && removed === 0) {
    return {
      tag,
      descriptor: stored.descriptor,
      appended: false,
      layer: found.descriptor,
      layerCount: stored.layers.length,
    };
  }
  const layers = kept.map((l) => l.descriptor);
  const descriptor = found?.descriptor ?? descriptorOf(layer.payload, layer.mediaType, layer.annotations);
  if (!found) {
    if (layers.length + 1 > MAX_COSIGN_LAYERS) {
      throw new SignError(
        'TOO_MANY_LAYERS',
        `${store.name}:${tag} already holds ${layers.length} layers; cosign refuses more than ${MAX_COSIGN_LAYERS}`,
      );
    }
    layers.push(descriptor);
  }
  const image = cosignImage(layers, {
    ...(stored && {
      manifestMediaType: stored.manifestMediaType,
      configMediaType: stored.configMediaType,
      created: stored.created,
    }),
  });
  const configDescriptor = descriptorOf(image.config, stored?.configMediaType ?? MediaType.OciConfig);
  const uploads: Array<readonly [Descriptor, Buffer]> = [[configDescriptor, image.config]];
  if (!found) uploads.unshift([descriptor, layer.payload]);
  for (const [d, bytes] of uploads) {
    if (!(await store.hasBlob(d.digest)))
      await store.putBlob({ mediaType: d.mediaType, digest: d.digest, size: d.size }, bytes);
  }
  const manifestDescriptor = await store.putManifest(
    image.manifest,
    stored?.manifestMediaType ?? MediaType.OciManifest,
    tag,
  );
  return {
    tag,
    descriptor: manifestDescriptor,
    appended: !found,
    layer: descriptor,
    layerCount: layers.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Signing

export interface LegacySignOptions {
  /** The image's repository. */
  store: ImageStore;
  /** The signed manifest's digest. */
  digest: string;
  /** `docker-reference` of the payload: see {@link dockerReference}. */
  dockerReference: string;
  signer: ImageSigner;
  /** cosign's `-a key=value` annotations, signed inside the payload (`optional`). */
  annotations?: Record<string, string>;
}

export interface LegacySignResult extends AppendResult {
  payload: Buffer;
  /** Base64 signature, as in the layer annotation. */
  signature: string;
  /** The message-signature bundle the layer was derived from. */
  bundle: Bundle;
}

/**
 * Signs `digest` the way `cosign sign` does without `--new-bundle-format`: the simple-signing
 * payload, signed (and witnessed, keyless), appended as a layer of `sha256-<hex>.sig`.
 */
export async function signLegacy(options: LegacySignOptions): Promise<LegacySignResult> {
  const payload = simpleSigningPayload({
    dockerReference: options.dockerReference,
    digest: options.digest,
    ...(options.annotations && { annotations: options.annotations }),
  });
  const bundle = await options.signer.signMessage(payload);
  const layer = signatureLayerFromBundle(payload, bundle);
  const result = await appendCosignLayer(
    options.store,
    options.digest,
    'sig',
    layer,
    sameSignerDuplicate(options.signer.publicKey),
  );
  return { ...result, payload, signature: layer.annotations[CosignAnnotation.Signature]!, bundle };
}
