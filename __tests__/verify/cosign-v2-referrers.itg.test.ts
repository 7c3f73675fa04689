/**
 * Bundle referrers listed the way cosign v2.6 lists them on a registry without the referrers API:
 * in the `sha256-<hex>` fallback index under `artifactType: application/vnd.oci.empty.v1+json`
 * (its go-containerregistry 0.20 takes the config's media type), although each manifest carries
 * the bundle artifact type. cosign finds them (it reads every referrer); verifyImage and
 * findBundleReferrers must too, and must pass over an empty-typed referrer that is no bundle.
 * The same, from the real cosign v2, is in __tests__/interop/cosign-sign.itg.test.ts.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import {
  digestOf,
  EMPTY_JSON,
  MediaType,
  referrersTagFor,
  type Descriptor,
} from '@release-actions/shared/oci';
import {
  createKeySigner,
  findBundleReferrers,
  signImage,
  subjectDescriptor,
} from '@release-actions/shared/sign';
import { verifyImage } from '@release-actions/shared/verify';
import { newKey, pem, startWorld, type World } from './fixtures.ts';

describe('bundle referrers listed under the empty config type (cosign v2.6 on docker-registry)', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(() => w?.stop());

  it('verifyImage and findBundleReferrers find them; a non-bundle empty-typed referrer is passed over', async () => {
    const key = newKey();
    const store = w.repo('cosign-v2/listed-empty');
    const digest = await w.push(store);
    await signImage({
      store,
      image: { registry: w.registry.host, repository: 'cosign-v2/listed-empty' },
      digest,
      signer: createKeySigner(key),
      format: 'bundle',
    });
    // Rewrite the fallback index as cosign v2.6 writes it, and add someone else's artifact with an
    // empty config and no artifact type (listed with the empty type too).
    const tag = referrersTagFor(digest);
    const { manifest: index } = await store.getManifest(tag);
    assert.ok('manifests' in index);
    const subject = await subjectDescriptor(store, digest);
    const note = Buffer.from('a note');
    const noteLayer: Descriptor = { mediaType: 'text/plain', digest: digestOf(note), size: note.length };
    await store.putBlob(noteLayer, note);
    const other = await store.putManifest(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.OciManifest,
          config: { mediaType: MediaType.OciEmpty, digest: digestOf(EMPTY_JSON), size: EMPTY_JSON.length },
          layers: [noteLayer],
          subject,
        }),
      ),
      MediaType.OciManifest,
    );
    const listed = [
      ...index.manifests.map((m) => ({ ...m, artifactType: MediaType.OciEmpty })),
      { ...other, artifactType: MediaType.OciEmpty },
    ];
    await store.putManifest(
      Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: listed })),
      MediaType.OciIndex,
      tag,
    );

    assert.equal((await findBundleReferrers(store, digest)).length, 1);
    const result = await verifyImage({
      store,
      digest,
      policy: { trust: { kind: 'keys', keys: [pem(key)] }, signatureFormat: 'bundle' },
    });
    assert.deepEqual(
      result.signatures.map((s) => s.format),
      ['bundle'],
    );
    assert.deepEqual(result.refused, [], 'the note is no candidate, not a refused one');
  });
});
