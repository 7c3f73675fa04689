/**
 * An oversized signature layer or bundle, pushed by whoever can push to the repository, is read
 * through the one size-limited blob reader: refused unread as that candidate with BLOB_TOO_LARGE,
 * never reported as a registry fault (REGISTRY_ERROR), and no obstacle to a valid signature
 * beside it. Against a real docker-registry on loopback.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { OciError } from '@release-actions/shared/oci';
import {
  COSIGN_SIGN_PREDICATE_TYPE,
  COSIGN_SIMPLE_SIGNING_MEDIA_TYPE,
  readCosignImage,
} from '@release-actions/shared/sign';
import { verifyImage, VerifyError, type VerifyPolicy } from '@release-actions/shared/verify';
import { withCode } from '../codes.ts';
import { pem, replaceReferrers, startWorld, writeCosignLayers, type World } from './fixtures.ts';

/** One byte over the 16 MiB read into memory at most. */
const OVERSIZED = Buffer.alloc(16 * 1024 * 1024 + 1, 0x7b);

describe('verifyImage and oversized stored blobs', () => {
  let w: World;
  let policy: VerifyPolicy;
  beforeAll(async () => {
    w = await startWorld();
    policy = { trust: { kind: 'keys', keys: [pem(w.key)] } };
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('a legacy .sig whose only layer is oversized: BLOB_TOO_LARGE, not REGISTRY_ERROR', async () => {
    const store = w.repo('big/legacy-only');
    const digest = await w.push(store, 'v1');
    const layer = { mediaType: COSIGN_SIMPLE_SIGNING_MEDIA_TYPE, payload: OVERSIZED, annotations: {} };
    await writeCosignLayers(store, digest, 'sig', [layer]);
    await assert.rejects(verifyImage({ store, digest, policy }), (err: unknown) => {
      withCode(VerifyError, 'BLOB_TOO_LARGE')(err);
      assert.deepEqual(
        (err as VerifyError).failures.map((f) => f.code),
        ['BLOB_TOO_LARGE'],
      );
      assert.match((err as Error).message, /16777217 bytes/);
      return true;
    });
    // Signing reads the same image (to append to it) through the same reader.
    await assert.rejects(readCosignImage(store, digest, 'sig'), withCode(OciError, 'BLOB_TOO_LARGE'));
  });

  it('an oversized layer beside a valid signature is refused on its own; the image verifies', async () => {
    const { store, digest } = await w.signed('big/legacy-beside', { format: 'legacy', provenance: false });
    const valid = (await readCosignImage(store, digest, 'sig'))!.layers;
    const oversized = { mediaType: COSIGN_SIMPLE_SIGNING_MEDIA_TYPE, payload: OVERSIZED, annotations: {} };
    await writeCosignLayers(store, digest, 'sig', [oversized, ...valid]);
    const result = await verifyImage({ store, digest, policy });
    assert.equal(result.verified, true);
    assert.equal(result.signatures.length, 1);
    assert.deepEqual(
      result.refused.map((f) => [f.code, f.location.endsWith('layer 1')]),
      [['BLOB_TOO_LARGE', true]],
    );
  });

  it('an oversized Sigstore bundle referrer: BLOB_TOO_LARGE, not REGISTRY_ERROR', async () => {
    const store = w.repo('big/bundle');
    const digest = await w.push(store, 'v1');
    const subject = (await store.resolve(digest))!;
    await replaceReferrers(store, subject, [{ json: OVERSIZED, predicateType: COSIGN_SIGN_PREDICATE_TYPE }]);
    await assert.rejects(
      verifyImage({ store, digest, policy: { ...policy, signatureFormat: 'bundle' } }),
      withCode(VerifyError, 'BLOB_TOO_LARGE'),
    );
  });
});
