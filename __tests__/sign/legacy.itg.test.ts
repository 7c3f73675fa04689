/**
 * Legacy cosign signatures against a real docker-registry: the stored `.sig` image matches
 * cosign's layout byte for byte where cosign's output is deterministic, the signature verifies
 * with plain Node crypto from the public key and through verifyImage, tampering is caught,
 * duplicates are skipped.
 */
import assert from 'node:assert/strict';
import { createPublicKey, createVerify } from 'node:crypto';
import { beforeAll, describe, it } from '@jest/globals';
import { cosignTag, digestOf, MediaType, type Repository } from '@release-actions/shared/oci';
import {
  appendCosignLayer,
  COSIGN_SIMPLE_SIGNING_MEDIA_TYPE,
  CosignAnnotation,
  createKeySigner,
  dockerReference,
  generateKeyPair,
  keyFingerprint,
  loadPublicKey,
  parseSimpleSigningPayload,
  readCosignImage,
  signLegacy,
  simpleSigningPayload,
  type GeneratedKeyPair,
} from '@release-actions/shared/sign';
import { verifyImage, VerifyError, type VerifyPolicy } from '@release-actions/shared/verify';
import { makeImage, push, readAll } from '../images.ts';
import { withCode } from '../codes.ts';
import { writeCosignLayers } from '../verify/fixtures.ts';
import { useRegistry } from '../registry-fixture.ts';

const verifyCode = (code: string) => withCode(VerifyError, code);

/** What cosign writes as the config of a signature image with these layers. */
function expectedConfig(layerDigests: string[]): string {
  const history = layerDigests.map(() => '{"created":"0001-01-01T00:00:00Z"}').join(',');
  return `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[${history}],"os":"","rootfs":{"type":"layers","diff_ids":${JSON.stringify(layerDigests)}},"config":{}}`;
}

/** Verification with nothing of ours: the PEM from cosign.pub and Node's verifier. */
function plainVerify(publicKeyPem: string, payload: Buffer, b64sig: string): boolean {
  const verifier = createVerify('sha256');
  verifier.update(payload);
  return verifier.verify(createPublicKey(publicKeyPem), Buffer.from(b64sig, 'base64'));
}

describe('legacy cosign signatures against docker-registry', () => {
  const reg = useRegistry();
  let keyA: GeneratedKeyPair;
  let keyB: GeneratedKeyPair;

  beforeAll(async () => {
    keyA = await generateKeyPair('a', { scryptN: 32768 });
    keyB = await generateKeyPair('b', { scryptN: 32768 });
  });

  const repo = (name: string): Repository => reg.repo(name);
  const legacyPolicy = (...keys: GeneratedKeyPair[]): VerifyPolicy => ({
    trust: { kind: 'keys', keys: keys.map((k) => k.publicKeyPem) },
    signatureFormat: 'legacy',
  });

  it('stores the signature in cosign layout, verifiable with plain Node crypto', async () => {
    const store = repo('legacy/app');
    const image = makeImage({ layers: [512] });
    const pushed = await push(store, image, 'v1');
    const digest = pushed.digest;
    const result = await signLegacy({
      store,
      digest,
      dockerReference: dockerReference({ registry: reg.registry.host, repository: 'legacy/app' }),
      signer: createKeySigner(keyA.key),
    });
    assert.equal(result.appended, true);
    assert.equal(result.tag, `sha256-${digest.slice('sha256:'.length)}.sig`);

    // The payload, byte for byte as sigstore/sigstore's payload.Cosign marshals it.
    const expectedPayload = `{"critical":{"identity":{"docker-reference":"${reg.registry.host}/legacy/app"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":null}`;

    const { bytes, descriptor } = await store.getManifest(cosignTag(digest, 'sig'));
    assert.equal(descriptor.mediaType, MediaType.OciManifest);
    const manifest = JSON.parse(bytes.toString('utf8'));
    const config = expectedConfig([digestOf(expectedPayload)]);
    const sig = result.signature;
    // The manifest exactly as go-containerregistry serialises cosign's signature image.
    assert.equal(
      bytes.toString('utf8'),
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":${config.length},"digest":"${digestOf(config)}"},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":${expectedPayload.length},"digest":"${digestOf(expectedPayload)}","annotations":{"dev.cosignproject.cosign/signature":"${sig}"}}]}`,
    );
    const configBytes = await readAll(await store.getBlob(manifest.config));
    assert.equal(configBytes.toString('utf8'), config);
    const payload = await readAll(await store.getBlob(manifest.layers[0]));
    assert.equal(payload.toString('utf8'), expectedPayload);
    assert.equal(manifest.layers[0].mediaType, COSIGN_SIMPLE_SIGNING_MEDIA_TYPE);

    assert.ok(
      plainVerify(keyA.publicKeyPem, payload, manifest.layers[0].annotations[CosignAnnotation.Signature]),
    );
    assert.ok(!plainVerify(keyB.publicKeyPem, payload, sig), 'another key must not verify it');

    const verified = await verifyImage({ store, digest, policy: legacyPolicy(keyA) });
    assert.deepEqual(
      verified.signatures.map((s) => [s.location, s.signer.identity]),
      [[`${store.name}:${result.tag} layer 1`, keyFingerprint(loadPublicKey(keyA.publicKeyPem))]],
    );
    await assert.rejects(
      verifyImage({ store, digest, policy: legacyPolicy(keyB) }),
      verifyCode('SIGNATURE_INVALID'),
    );
  });

  it('tampering with the payload or the signature breaks verification', async () => {
    const store = repo('legacy/tamper');
    const pushed = await push(store, makeImage({ layers: [64] }));
    const result = await signLegacy({
      store,
      digest: pushed.digest,
      dockerReference: `${reg.registry.host}/legacy/tamper`,
      signer: createKeySigner(keyA.key),
    });
    const other = digestOf('another image');
    const forged = Buffer.from(result.payload.toString('utf8').replace(pushed.digest, other));
    assert.ok(!plainVerify(keyA.publicKeyPem, forged, result.signature));
    const sigBytes = Buffer.from(result.signature, 'base64');
    sigBytes[sigBytes.length - 1]! ^= 0x01;
    assert.ok(!plainVerify(keyA.publicKeyPem, result.payload, sigBytes.toString('base64')));
    // One flipped byte anywhere in the payload.
    const flipped = Buffer.from(result.payload);
    flipped[10]! ^= 0x20;
    assert.ok(!plainVerify(keyA.publicKeyPem, flipped, result.signature));

    // Stored so, each is refused by verifyImage.
    const layer = (await readCosignImage(store, pushed.digest, 'sig'))!.layers[0]!;
    const annotated = (signature: string) => ({
      ...layer.annotations,
      [CosignAnnotation.Signature]: signature,
    });
    for (const tampered of [
      { ...layer, payload: forged },
      { ...layer, payload: flipped },
      { ...layer, annotations: annotated(sigBytes.toString('base64')) },
    ]) {
      await writeCosignLayers(store, pushed.digest, 'sig', [tampered]);
      await assert.rejects(
        verifyImage({ store, digest: pushed.digest, policy: legacyPolicy(keyA) }),
        verifyCode('SIGNATURE_INVALID'),
      );
    }
    // A genuine signature of another image, copied over: DIGEST_MISMATCH.
    const victim = await push(store, makeImage({ layers: [65] }));
    await writeCosignLayers(store, victim.digest, 'sig', [layer]);
    await assert.rejects(
      verifyImage({ store, digest: victim.digest, policy: legacyPolicy(keyA) }),
      verifyCode('DIGEST_MISMATCH'),
    );
  });

  it('skips a duplicate signature and appends another signer as a new layer', async () => {
    const store = repo('legacy/dupes');
    const pushed = await push(store, makeImage({ layers: [64] }), 'v1');
    const common = { store, digest: pushed.digest, dockerReference: `${reg.registry.host}/legacy/dupes` };
    const first = await signLegacy({ ...common, signer: createKeySigner(keyA.key) });
    // Same key, same payload: ECDSA signs differently every time, yet cosign's rule calls it a duplicate.
    const again = await signLegacy({ ...common, signer: createKeySigner(keyA.key) });
    assert.equal(again.appended, false);
    assert.equal(again.layerCount, 1);
    assert.equal(again.descriptor.digest, first.descriptor.digest);
    assert.equal((await store.resolve(cosignTag(pushed.digest, 'sig')))?.digest, first.descriptor.digest);

    const second = await signLegacy({ ...common, signer: createKeySigner(keyB.key) });
    assert.equal(second.appended, true);
    assert.equal(second.layerCount, 2);
    // Annotations in the payload make it a different signature.
    const annotated = await signLegacy({
      ...common,
      signer: createKeySigner(keyA.key),
      annotations: { env: 'prod' },
    });
    assert.equal(annotated.layerCount, 3);

    const stored = await readCosignImage(store, pushed.digest, 'sig');
    assert.ok(stored);
    assert.equal(stored.layers.length, 3);
    const config = JSON.parse(
      (
        await readAll(
          await store.getBlob(
            (JSON.parse((await store.getManifest(stored.tag)).bytes.toString()) as { config: never }).config,
          ),
        )
      ).toString(),
    );
    assert.deepEqual(
      config.rootfs.diff_ids,
      stored.layers.map((l) => l.descriptor.digest),
    );
    assert.equal(config.history.length, 3);
    const fingerprint = (k: GeneratedKeyPair) => keyFingerprint(loadPublicKey(k.publicKeyPem));
    const verified = await verifyImage({ store, digest: pushed.digest, policy: legacyPolicy(keyA, keyB) });
    assert.deepEqual(
      verified.signatures.map((s) => [s.location, s.signer.identity]),
      [
        [`${store.name}:${stored.tag} layer 1`, fingerprint(keyA)],
        [`${store.name}:${stored.tag} layer 2`, fingerprint(keyB)],
        [`${store.name}:${stored.tag} layer 3`, fingerprint(keyA)],
      ],
    );
    assert.deepEqual(parseSimpleSigningPayload(stored.layers[2]!.payload).optional, { env: 'prod' });

    // An exact duplicate layer (same bytes and annotations) is never appended twice.
    const exact = await appendCosignLayer(store, pushed.digest, 'sig', stored.layers[1]!);
    assert.equal(exact.appended, false);
    assert.equal(exact.layerCount, 3);
  });
});

describe('simple-signing payload', () => {
  it('is what cosign writes: Docker Hub as index.docker.io, sorted annotations, Go escaping', () => {
    const digest = digestOf('x');
    assert.equal(
      dockerReference({ registry: 'docker.io', repository: 'library/alpine' }),
      'index.docker.io/library/alpine',
    );
    assert.equal(
      simpleSigningPayload({
        dockerReference: 'ghcr.io/acme/app',
        digest,
        annotations: { z: 'last', a: '<&>', m: { y: 1, b: true } },
      }).toString(),
      `{"critical":{"identity":{"docker-reference":"ghcr.io/acme/app"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":{"a":"\\u003c\\u0026\\u003e","m":{"b":true,"y":1},"z":"last"}}`,
    );
    assert.throws(() => simpleSigningPayload({ dockerReference: 'x/y', digest: 'sha256:nope' }));
  });
});
