/**
 * Signing by key in both formats with provenance against a real docker-registry (no referrers
 * API, so the fallback index is used): the bundle referrers are found through `referrers()`, have
 * cosign v3's layout, and verify with `@sigstore/verify`; tampered bundles do not; verifyImage
 * accepts each format; signing again with the same key stores nothing new.
 */
import assert from 'node:assert/strict';
import { beforeAll, describe, it } from '@jest/globals';
import { bundleFromJSON } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { cosignTag, EMPTY_JSON_DIGEST, MediaType, referrersTagFor } from '@release-actions/shared/oci';
import {
  BundleAnnotation,
  COSIGN_SIGN_PREDICATE_TYPE,
  createKeySigner,
  findBundleReferrers,
  generateKeyPair,
  githubContextFromEnv,
  loadPublicKey,
  parseSimpleSigningPayload,
  readCosignImage,
  SignError,
  signImage,
  SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
  SLSA_PROVENANCE_V1,
  type GeneratedKeyPair,
} from '@release-actions/shared/sign';
import { verifyImage, VerifyError } from '@release-actions/shared/verify';
import { makeImage, push, readAll } from '../images.ts';
import { withCode } from '../codes.ts';
import { referenceVerifyByKey, refusedSignature } from './reference-verifier.ts';
import { useRegistry } from '../registry-fixture.ts';

const signCode = (code: string) => withCode(SignError, code);
const verifyCode = (code: string) => withCode(VerifyError, code);

const context = githubContextFromEnv({
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/release.yml@refs/tags/v1',
  GITHUB_REF: 'refs/tags/v1',
  GITHUB_SHA: 'c27d339ee6075c1f744c5d4b200f7901aad2c369',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_RUN_ID: '7',
  GITHUB_RUN_ATTEMPT: '1',
});

const EMPTY_ROOT: TrustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

describe('key-signed bundles as OCI referrers, against docker-registry', () => {
  const reg = useRegistry();
  let key: GeneratedKeyPair;

  beforeAll(async () => {
    key = await generateKeyPair('pw', { scryptN: 32768 });
  });

  it('signs in both formats with provenance; every artefact verifies', async () => {
    const ref = { registry: reg.registry.host, repository: 'bundle/app' };
    const store = reg.client.repository(ref);
    const pushed = await push(store, makeImage({ layers: [256] }), 'v1');
    const created = new Date('2026-02-03T04:05:06.789Z');
    const result = await signImage({
      store,
      image: ref,
      digest: pushed.digest,
      signer: createKeySigner(key.key),
      format: 'both',
      provenance: { context },
      created,
    });
    assert.equal(result.image, `${reg.registry.host}/bundle/app@${pushed.digest}`);
    assert.equal(result.identity?.kind, 'key');
    assert.equal(
      result.signature.legacy?.location,
      `${reg.registry.host}/bundle/app:${cosignTag(pushed.digest, 'sig')}`,
    );
    assert.ok(result.signature.bundle && result.provenance?.bundle && result.provenance.legacy);

    // Found through referrers(), which on distribution 2.8 reads the fallback index.
    const referrers = await store.referrers(pushed.digest, SIGSTORE_BUNDLE_V03_MEDIA_TYPE);
    assert.deepEqual(
      referrers.map((d) => d.digest).sort(),
      [result.signature.bundle.descriptor.digest, result.provenance.bundle.descriptor.digest].sort(),
    );
    assert.ok(await store.resolve(referrersTagFor(pushed.digest)));

    // cosign v3's manifest layout.
    const { bytes, manifest } = await store.getManifest(result.signature.bundle.descriptor.digest);
    assert.ok('layers' in manifest);
    const doc = JSON.parse(bytes.toString());
    assert.equal(doc.mediaType, MediaType.OciManifest);
    assert.equal(doc.artifactType, SIGSTORE_BUNDLE_V03_MEDIA_TYPE);
    assert.deepEqual(doc.config, {
      mediaType: 'application/vnd.oci.empty.v1+json',
      size: 2,
      digest: EMPTY_JSON_DIGEST,
      artifactType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
    });
    assert.equal((await readAll(await store.getBlob(manifest.config))).toString(), '{}');
    assert.equal(doc.layers.length, 1);
    assert.equal(doc.layers[0].mediaType, SIGSTORE_BUNDLE_V03_MEDIA_TYPE);
    assert.deepEqual(doc.subject, {
      mediaType: MediaType.OciManifest,
      size: pushed.size,
      digest: pushed.digest,
    });
    assert.deepEqual(doc.annotations, {
      [BundleAnnotation.Content]: 'dsse-envelope',
      [BundleAnnotation.PredicateType]: COSIGN_SIGN_PREDICATE_TYPE,
      [BundleAnnotation.Created]: '2026-02-03T04:05:06Z',
    });

    // The stored bundle verifies with the reference verifier, from the public key alone.
    const publicKey = loadPublicKey(key.publicKeyPem);
    const stored = await findBundleReferrers(store, pushed.digest);
    assert.equal(stored.length, 2);
    const signature = stored.find((s) => s.predicateType === COSIGN_SIGN_PREDICATE_TYPE)!;
    const provenance = stored.find((s) => s.predicateType === SLSA_PROVENANCE_V1)!;
    const json = JSON.parse(signature.bytes.toString());
    assert.equal(json.mediaType, SIGSTORE_BUNDLE_V03_MEDIA_TYPE);
    assert.equal(json.dsseEnvelope.payloadType, 'application/vnd.in-toto+json');
    const verifier = new Verifier(
      toTrustMaterial(EMPTY_ROOT, () => ({ publicKey, validFor: () => true })),
      {
        tlogThreshold: 0,
        ctlogThreshold: 0,
        timestampThreshold: 0,
      },
    );
    for (const s of [signature, provenance])
      verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(s.bytes.toString()))));
    const statement = JSON.parse(Buffer.from(json.dsseEnvelope.payload, 'base64').toString());
    assert.deepEqual(statement, {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ digest: { sha256: pushed.digest.slice(7) } }],
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
      predicate: {},
    });
    referenceVerifyByKey(provenance.bundle, publicKey);

    // Tampered: another statement inside the signed envelope.
    const forged = structuredClone(json);
    forged.dsseEnvelope.payload = Buffer.from(
      JSON.stringify({ ...statement, subject: [{ digest: { sha256: '0'.repeat(64) } }] }),
    ).toString('base64');
    assert.throws(() => verifier.verify(toSignedEntity(bundleFromJSON(forged))), refusedSignature);
    const otherKey = (await generateKeyPair('x', { scryptN: 32768 })).key.publicKey;
    assert.throws(() => referenceVerifyByKey(signature.bundle, otherKey), refusedSignature);

    // The same provenance envelope is in the .att image; verifyImage accepts each format on its own.
    const att = await readCosignImage(store, pushed.digest, 'att');
    assert.equal(att?.layers.length, 1);
    assert.equal(
      JSON.parse(att!.layers[0]!.payload.toString()).signatures[0].sig,
      JSON.parse(provenance.bytes.toString()).dsseEnvelope.signatures[0].sig,
    );
    for (const signatureFormat of ['legacy', 'bundle'] as const) {
      const verified = await verifyImage({
        store,
        digest: pushed.digest,
        policy: {
          trust: { kind: 'keys', keys: [key.publicKeyPem] },
          signatureFormat,
          requireAttestations: ['slsa-provenance'],
        },
      });
      assert.deepEqual(
        verified.signatures.map((s) => [s.format, s.location]),
        [
          [
            signatureFormat,
            signatureFormat === 'legacy'
              ? `${result.signature.legacy.location} layer 1`
              : result.signature.bundle.location,
          ],
        ],
      );
      assert.deepEqual(
        verified.attestations[0]!.statement,
        JSON.parse(JSON.stringify(result.provenance.statement)),
      );
    }
    const sig = await readCosignImage(store, pushed.digest, 'sig');
    assert.equal(
      parseSimpleSigningPayload(sig!.layers[0]!.payload).critical.identity['docker-reference'],
      `${reg.registry.host}/bundle/app`,
    );
    await assert.rejects(
      verifyImage({
        store,
        digest: pushed.digest,
        policy: {
          trust: { kind: 'keys', keys: [(await generateKeyPair('y', { scryptN: 32768 })).publicKeyPem] },
        },
      }),
      verifyCode('UNTRUSTED_KEY'),
    );
  });

  it('signing again with the same key adds no signature layer, signature referrer or provenance', async () => {
    const ref = { registry: reg.registry.host, repository: 'bundle/again' };
    const store = reg.client.repository(ref);
    const pushed = await push(store, makeImage({ layers: [512] }), 'v1');
    const sign = (created: Date) =>
      signImage({
        store,
        image: ref,
        digest: pushed.digest,
        signer: createKeySigner(key.key),
        format: 'both',
        provenance: { context },
        created,
      });
    const stored = async () => ({
      sig: (await readCosignImage(store, pushed.digest, 'sig'))?.layers.length,
      att: (await readCosignImage(store, pushed.digest, 'att'))?.layers.length,
      referrers: (await store.referrers(pushed.digest, SIGSTORE_BUNDLE_V03_MEDIA_TYPE)).length,
    });
    const first = await sign(new Date('2026-01-01T00:00:00Z'));
    assert.deepEqual(await stored(), { sig: 1, att: 1, referrers: 2 });
    const again = await sign(new Date('2026-01-02T00:00:00Z'));
    assert.deepEqual(await stored(), { sig: 1, att: 1, referrers: 2 });
    assert.deepEqual(
      [
        again.signature.legacy,
        again.signature.bundle,
        again.provenance?.legacy,
        again.provenance?.bundle,
      ].map((s) => [s?.appended, s?.location]),
      [
        [false, first.signature.legacy!.location],
        [false, first.signature.bundle!.location],
        [false, first.provenance!.legacy!.location],
        [false, first.provenance!.bundle!.location],
      ],
    );
    // The bundle returned is the one stored (build-sign writes it to bundle-path).
    assert.ok(again.signature.bundle!.json.equals(first.signature.bundle!.json));
  });

  it('signs only what the format asks for', async () => {
    const ref = { registry: reg.registry.host, repository: 'bundle/formats' };
    const store = reg.client.repository(ref);
    const a = await push(store, makeImage({ layers: [16] }), 'a');
    const b = await push(store, makeImage({ layers: [17] }), 'b');
    const signer = createKeySigner(key.key);
    const onlyBundle = await signImage({ store, image: ref, digest: a.digest, signer, format: 'bundle' });
    assert.equal(onlyBundle.signature.legacy, undefined);
    assert.equal(await readCosignImage(store, a.digest, 'sig'), undefined);
    assert.equal((await store.referrers(a.digest)).length, 1);
    const onlyLegacy = await signImage({ store, image: ref, digest: b.digest, signer, format: 'legacy' });
    assert.equal(onlyLegacy.signature.bundle, undefined);
    assert.deepEqual(await store.referrers(b.digest), []);
    assert.equal((await readCosignImage(store, b.digest, 'sig'))?.layers.length, 1);
  });

  it('refuses to sign a digest the repository does not have', async () => {
    const ref = { registry: reg.registry.host, repository: 'bundle/missing' };
    await assert.rejects(
      signImage({
        store: reg.client.repository(ref),
        image: ref,
        digest: `sha256:${'e'.repeat(64)}`,
        signer: createKeySigner(key.key),
        format: 'both',
      }),
      signCode('PAYLOAD_INVALID'),
    );
  });
});
