/**
 * The world the tamper suite runs in: a real docker-registry on loopback, the `@sigstore/mock`
 * Fulcio/CT/Rekor/TSA stand-in (../sign/sigstore-stand-in.ts) with its trusted root, images signed
 * by the signing core (`signImage`) by key and keyless, and helpers that tamper with what is
 * stored the way an attacker with push access could.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import {
  cosignTag,
  digestOf,
  MediaType,
  referrersTagFor,
  RegistryClient,
  type Descriptor,
  type Repository,
} from '@release-actions/shared/oci';
import {
  bundleReferrerManifest,
  cosignImage,
  createKeylessSigner,
  createKeySigner,
  githubContextFromClaims,
  publicKeyToPem,
  serializeBundle,
  signImage,
  type CosignLayer,
  type ImageSigner,
  type SignatureFormat,
  type SigningKey,
} from '@release-actions/shared/sign';
import { startRegistry, type TestRegistry } from '@release-actions/shared/testing';
import { makeImage, push } from '../images.ts';
import {
  fakeJwt,
  GITHUB_IDENTITY,
  GITHUB_ISSUER,
  GITHUB_WORKFLOW,
  githubClaims,
  startSigstoreStandIn,
  type SigstoreStandIn,
} from '../sign/sigstore-stand-in.ts';

export {
  GITHUB_ISSUER as ISSUER,
  GITHUB_IDENTITY as IDENTITY,
  GITHUB_WORKFLOW as WORKFLOW,
  githubClaims as claims,
};

export const provenanceContext = githubContextFromClaims(githubClaims() as never);

export function newKey(): SigningKey {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

export function pem(key: SigningKey): string {
  return publicKeyToPem(key.publicKey);
}

export interface World {
  registry: TestRegistry;
  sigstore: SigstoreStandIn;
  client: RegistryClient;
  key: SigningKey;
  otherKey: SigningKey;
  keySigner: ImageSigner;
  keyless(overrides?: Record<string, unknown>): ImageSigner;
  repo(name: string): Repository;
  /** Pushes a fresh random image, returning its digest. */
  push(store: Repository, tag?: string): Promise<string>;
  /** Pushes a fresh image and signs it (and attaches provenance unless `provenance: false`). */
  signed(
    name: string,
    options: { signer?: ImageSigner; format: SignatureFormat; provenance?: boolean; tag?: string },
  ): Promise<{ store: Repository; digest: string }>;
  stop(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const registry = await startRegistry();
  const sigstore = await startSigstoreStandIn();
  const client = new RegistryClient({ http: new HttpClient({ retry: immediateRetryPolicy(3) }) });
  const key = newKey();
  const world: World = {
    registry,
    sigstore,
    client,
    key,
    otherKey: newKey(),
    keySigner: createKeySigner(key),
    keyless: (overrides = {}) =>
      createKeylessSigner({
        identityProvider: { getToken: async () => fakeJwt(githubClaims(overrides)) },
        fulcioUrl: sigstore.fulcioUrl,
        rekorUrl: sigstore.rekorUrl,
        tsaUrl: sigstore.tsaUrl,
        retries: 0,
      }),
    repo: (name) => client.repository({ registry: registry.host, repository: name }),
    push: async (store, tag) => (await push(store, makeImage({ layers: [64] }), tag)).digest,
    signed: async (name, options) => {
      const store = world.repo(name);
      const digest = await world.push(store, options.tag);
      await signImage({
        store,
        image: { registry: registry.host, repository: name },
        digest,
        signer: options.signer ?? world.keySigner,
        format: options.format,
        ...(options.provenance !== false && { provenance: { context: provenanceContext } }),
      });
      return { store, digest };
    },
    stop: async () => {
      await client.http.close();
      await sigstore.stop();
      await registry.stop();
    },
  };
  return world;
}

// ---------------------------------------------------------------------------------------------
// Tampering, as someone with push access to the repository could

/** Replaces `sha256-<hex>.<suffix>` with an image holding exactly `layers` (blobs pushed first). */
export async function writeCosignLayers(
  store: Repository,
  digest: string,
  suffix: 'sig' | 'att',
  layers: readonly CosignLayer[],
): Promise<void> {
  const descriptors: Descriptor[] = [];
  for (const l of layers) {
    const d: Descriptor = {
      mediaType: l.mediaType,
      digest: digestOf(l.payload),
      size: l.payload.length,
      ...(Object.keys(l.annotations).length > 0 && { annotations: l.annotations }),
    };
    if (!(await store.hasBlob(d.digest))) await store.putBlob(d, l.payload);
    descriptors.push(d);
  }
  const image = cosignImage(descriptors);
  await store.putBlob(
    { mediaType: MediaType.OciConfig, digest: digestOf(image.config), size: image.config.length },
    image.config,
  );
  await store.putManifest(image.manifest, MediaType.OciManifest, cosignTag(digest, suffix));
}

/**
 * Makes `bundles` the only Sigstore bundle referrers of `subject`: pushes their manifests, then
 * rewrites the referrers fallback index (docker-registry 2.8 has no referrers API) to list only them.
 */
export async function replaceReferrers(
  store: Repository,
  subject: Descriptor,
  bundles: ReadonlyArray<{ json: Buffer; predicateType: string }>,
): Promise<void> {
  const manifests: Descriptor[] = [];
  for (const b of bundles) {
    const referrer = bundleReferrerManifest(subject, b.json, { predicateType: b.predicateType });
    await store.putBlob(referrer.layer, b.json);
    const empty = Buffer.from('{}');
    if (!(await store.hasBlob(digestOf(empty))))
      await store.putBlob({ mediaType: MediaType.OciEmpty, digest: digestOf(empty), size: 2 }, empty);
    manifests.push(await store.putManifest(referrer.manifest, MediaType.OciManifest));
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
  await store.putManifest(index, MediaType.OciIndex, referrersTagFor(subject.digest));
}

/** A bundle's JSON with `edit` applied to its parsed form. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tampering edits arbitrary JSON
export function editBundle(bundle: Bundle, edit: (json: any) => void): Buffer {
  const json = JSON.parse(serializeBundle(bundle).toString('utf8'));
  edit(json);
  return Buffer.from(JSON.stringify(json));
}

/** Flips one bit in the last byte of base64 data (an ECDSA signature's `s`, a DER that still parses). */
export function flipLastByte(b64: string): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[bytes.length - 1]! ^= 0x01;
  return bytes.toString('base64');
}
