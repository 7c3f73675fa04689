/**
 * Sigstore bundles (v0.3) pushed as OCI 1.1 referrers of the image, as cosign v3 does
 * (`ociremote.WriteAttestationNewBundleFormat`):
 *
 *     {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
 *      "config":{"mediaType":"application/vnd.oci.empty.v1+json","size":2,"digest":"sha256:44136fa…",
 *        "artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"},
 *      "layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","size":…,"digest":"sha256:…"}],
 *      "annotations":{"dev.sigstore.bundle.content":"dsse-envelope",
 *        "dev.sigstore.bundle.predicateType":"https://sigstore.dev/cosign/sign/v1",
 *        "org.opencontainers.image.created":"2026-01-01T00:00:00Z"},
 *      "subject":{"mediaType":…,"size":…,"digest":"sha256:…"},
 *      "artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"}
 *
 * The config is the empty descriptor (`{}`; cosign also repeats the artifact type in it). A
 * signature in this format is a DSSE envelope over an in-toto statement with predicate type
 * `https://sigstore.dev/cosign/sign/v1` whose subject is the digest alone; attestations (SLSA
 * provenance, …) are the same manifest with their own predicate type. `Repository.putManifest`
 * keeps the `sha256-<hex>` fallback index for registries without the referrers API.
 */
import { bundleFromJSON, bundleToJSON, type Bundle } from '@sigstore/bundle';
import { readBlob } from '../oci/blob.ts';
import { digestOf, parseDigest } from '../oci/digest.ts';
import { OciError } from '../oci/errors.ts';
import type { ImageStore } from '../oci/store.ts';
import { EMPTY_JSON, EMPTY_JSON_DIGEST, MediaType, type Descriptor } from '../oci/types.ts';
import { errorMessage } from '../errors.ts';
import { imageSubject, makeStatement, type Statement } from './attestation.ts';
import { SignError } from './errors.ts';
import { goJson, GoMap } from './go-json.ts';

export const SIGSTORE_BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** The predicate type of cosign v3's image signature statement. */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

/** Annotations cosign v3 puts on a bundle referrer manifest. */
export const BundleAnnotation = {
  Content: 'dev.sigstore.bundle.content',
  PredicateType: 'dev.sigstore.bundle.predicateType',
  Created: 'org.opencontainers.image.created',
} as const;

/** A bundle's JSON (protobuf-specs JSON form, as every Sigstore client reads it). */
export function serializeBundle(bundle: Bundle): Buffer {
  return Buffer.from(JSON.stringify(bundleToJSON(bundle)));
}

/** Parses a bundle's JSON; PAYLOAD_INVALID when it is not a valid bundle. */
export function parseBundle(bytes: Uint8Array): Bundle {
  try {
    return bundleFromJSON(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch (err) {
    throw new SignError('PAYLOAD_INVALID', `not a Sigstore bundle: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * cosign v3's signature statement for an image: subject = the digest (no name), with cosign's
 * `-a key=value` annotations on the subject, empty predicate.
 */
export function cosignSignStatement(
  digest: string,
  annotations?: Record<string, string>,
): Statement<Record<string, never>> {
  const subject = imageSubject(digest);
  if (annotations && Object.keys(annotations).length > 0) subject.annotations = { ...annotations };
  return makeStatement([subject], COSIGN_SIGN_PREDICATE_TYPE, {});
}

/** RFC 3339 in UTC, whole seconds, as Go's time.RFC3339 writes it. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface BundleReferrerManifest {
  manifest: Buffer;
  descriptor: Descriptor;
  layer: Descriptor;
}

/** The referrer manifest for a bundle about `subject`, in cosign v3's layout. */
export function bundleReferrerManifest(
  subject: Descriptor,
  bundleBytes: Buffer,
  options: { predicateType: string; created?: Date },
): BundleReferrerManifest {
  const layer: Descriptor = {
    mediaType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
    digest: digestOf(bundleBytes),
    size: bundleBytes.length,
  };
  const manifest = Buffer.from(
    goJson({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: {
        mediaType: MediaType.OciEmpty,
        size: EMPTY_JSON.length,
        digest: EMPTY_JSON_DIGEST,
        artifactType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
      },
      layers: [{ mediaType: layer.mediaType, size: layer.size, digest: layer.digest }],
      annotations: new GoMap({
        [BundleAnnotation.Created]: rfc3339(options.created ?? new Date()),
        [BundleAnnotation.Content]: 'dsse-envelope',
        [BundleAnnotation.PredicateType]: options.predicateType,
      }),
      subject: { mediaType: subject.mediaType, size: subject.size, digest: subject.digest },
      artifactType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
    }),
  );
  return {
    manifest,
    layer,
    descriptor: { mediaType: MediaType.OciManifest, digest: digestOf(manifest), size: manifest.length },
  };
}

/** The subject's descriptor (media type and size are part of a referrer's `subject`). */
export async function subjectDescriptor(store: ImageStore, digest: string): Promise<Descriptor> {
  parseDigest(digest);
  const found = await store.resolve(digest);
  if (!found)
    throw new SignError(
      'PAYLOAD_INVALID',
      `${store.name}@${digest} does not exist: push the image before signing it`,
    );
  return { mediaType: found.mediaType, digest: found.digest, size: found.size };
}

/**
 * Pushes a DSSE bundle as a referrer of `subject` (blobs first, then the manifest by digest; the
 * registry's referrers API or our fallback index then lists it). Returns the manifest's descriptor.
 */
export async function pushBundleReferrer(
  store: ImageStore,
  subject: Descriptor,
  bundle: Bundle,
  options: { predicateType: string; created?: Date },
): Promise<Descriptor> {
  if (bundle.content.$case !== 'dsseEnvelope')
    throw new SignError(
      'PAYLOAD_INVALID',
      'cosign stores DSSE bundles as referrers; this bundle holds a message signature',
    );
  const bytes = serializeBundle(bundle);
  const referrer = bundleReferrerManifest(subject, bytes, options);
  if (!(await store.hasBlob(EMPTY_JSON_DIGEST)))
    await store.putBlob(
      { mediaType: MediaType.OciEmpty, digest: EMPTY_JSON_DIGEST, size: EMPTY_JSON.length },
      EMPTY_JSON,
    );
  if (!(await store.hasBlob(referrer.layer.digest))) await store.putBlob(referrer.layer, bytes);
  return store.putManifest(referrer.manifest, MediaType.OciManifest);
}

export interface StoredBundle {
  /** The referrer manifest. */
  descriptor: Descriptor;
  predicateType: string | undefined;
  bundle: Bundle;
  /** The bundle's JSON as stored. */
  bytes: Buffer;
}

/**
 * The referrers of `digest` that may be Sigstore bundles: those listed with the bundle artifact
 * type, and those listed with the empty config's media type. cosign v2.6 (go-containerregistry
 * 0.20) writes its bundle referrers into the tag-schema fallback index (`sha256-<hex>`, what
 * distribution 2.8 and GHCR are read through) under `artifactType:
 * application/vnd.oci.empty.v1+json`, the config's media type, although the manifests themselves
 * carry the bundle artifact type; cosign reads every referrer, so it finds them, and so must we.
 * Which of the empty-typed ones are bundles {@link isBundleManifest} tells.
 */
export async function bundleReferrerCandidates(store: ImageStore, digest: string): Promise<Descriptor[]> {
  return (await store.referrers(digest)).filter(
    (d) => d.artifactType === SIGSTORE_BUNDLE_V03_MEDIA_TYPE || d.artifactType === MediaType.OciEmpty,
  );
}

/** Whether a referrer manifest says it holds a Sigstore bundle (its own or its config's artifact type). */
export function isBundleManifest(manifest: {
  artifactType?: string;
  config?: { artifactType?: string };
}): boolean {
  return (
    manifest.artifactType === SIGSTORE_BUNDLE_V03_MEDIA_TYPE ||
    manifest.config?.artifactType === SIGSTORE_BUNDLE_V03_MEDIA_TYPE
  );
}

/**
 * The bundles stored as referrers of `digest` (optionally only those of one predicate type),
 * each with its JSON; referrers that hold no readable bundle are left out. Nothing here is
 * verified: verifyImage (verify/) is the verifier.
 */
export async function findBundleReferrers(
  store: ImageStore,
  digest: string,
  options: { predicateType?: string } = {},
): Promise<StoredBundle[]> {
  const out: StoredBundle[] = [];
  for (const descriptor of await bundleReferrerCandidates(store, digest)) {
    const { manifest } = await store.getManifest(descriptor.digest);
    if (!('layers' in manifest)) continue;
    if (descriptor.artifactType !== SIGSTORE_BUNDLE_V03_MEDIA_TYPE && !isBundleManifest(manifest)) continue;
    const predicateType = manifest.annotations?.[BundleAnnotation.PredicateType];
    if (options.predicateType !== undefined && predicateType !== options.predicateType) continue;
    const layer = manifest.layers.find((l) => l.mediaType === SIGSTORE_BUNDLE_V03_MEDIA_TYPE);
    if (!layer) continue;
    let bytes: Buffer;
    try {
      bytes = await readBlob(store, layer, { what: 'bundle layer' });
    } catch (err) {
      // A bundle over 16 MiB is left out unread, as an unreadable one is.
      if (err instanceof OciError && err.code === 'BLOB_TOO_LARGE') continue;
      throw err;
    }
    let bundle: Bundle;
    try {
      bundle = parseBundle(bytes);
    } catch {
      continue;
    }
    out.push({ descriptor, predicateType, bundle, bytes });
  }
  return out;
}
