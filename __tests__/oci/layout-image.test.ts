/**
 * resolveLayoutImage: what an untagged `oci-layout:<dir>` names. The layout's only image, its
 * signatures (cosign `.sig`/`.att` tags, Sigstore bundle referrers) not counted as images; several
 * images fail listing their tags; never `latest`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from '@jest/globals';
import { LayoutStore, OciError, resolveLayoutImage } from '@release-actions/shared/oci';
import { createKeySigner, signImage } from '@release-actions/shared/sign';
import { newKey } from '../verify/fixtures.ts';
import { makeImage, push } from '../images.ts';

describe('resolveLayoutImage', () => {
  let dir: string;
  let store: LayoutStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'layout-image-'));
    store = await LayoutStore.open(join(dir, 'out'), { create: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sign = (digest: string) =>
    signImage({
      store,
      image: { registry: 'example.com', repository: 'app' },
      digest,
      signer: createKeySigner(newKey()),
      format: 'both',
    });

  it('takes the only image, whatever its tag, and does not count its signatures as images', async () => {
    const descriptor = await push(store, makeImage({ layers: [32] }), 'v1.2.3');
    await sign(descriptor.digest);
    assert.ok(
      (await store.listTags()).some((t) => t.endsWith('.sig')),
      'a legacy .sig tag is in the layout',
    );
    assert.ok((await store.referrers(descriptor.digest)).length > 0, 'a bundle referrer is in the layout');
    const only = await resolveLayoutImage(store);
    assert.equal(only.descriptor.digest, descriptor.digest);
    assert.deepEqual(only.tags, ['v1.2.3']);
  });

  it('one image under two tags is one image', async () => {
    const image = makeImage({ layers: [32] });
    await push(store, image, 'v1');
    const descriptor = await push(store, image, 'stable');
    const only = await resolveLayoutImage(store);
    assert.equal(only.descriptor.digest, descriptor.digest);
    assert.deepEqual(only.tags, ['stable', 'v1']);
  });

  it('an untagged image is taken too', async () => {
    const descriptor = await push(store, makeImage({ layers: [32] }));
    const only = await resolveLayoutImage(store);
    assert.equal(only.descriptor.digest, descriptor.digest);
    assert.deepEqual(only.tags, []);
  });

  it('two images fail INVALID_REFERENCE listing their tags, never picking latest', async () => {
    const a = await push(store, makeImage({ layers: [32] }), 'latest');
    const b = await push(store, makeImage({ layers: [32] }), 'v2');
    await sign(a.digest);
    await assert.rejects(resolveLayoutImage(store), (err: unknown) => {
      assert.ok(err instanceof OciError);
      assert.equal(err.code, 'INVALID_REFERENCE');
      assert.match(err.message, /holds 2 images/);
      assert.ok(err.message.includes(`latest (${a.digest})`), err.message);
      assert.ok(err.message.includes(`v2 (${b.digest})`), err.message);
      assert.match(err.message, /Name one, e\.g\. oci-layout:.*:latest/);
      assert.doesNotMatch(err.message, /\.sig/);
      return true;
    });
  });

  it('an empty layout holds no image: MANIFEST_UNKNOWN', async () => {
    await assert.rejects(resolveLayoutImage(store), { code: 'MANIFEST_UNKNOWN' });
  });
});
