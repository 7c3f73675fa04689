/**
 * The platform an SBOM is generated for, through `generateSbom` on an OCI image layout: a
 * platform the image does not have fails naming the platforms it has (a single-platform image
 * included, whose config says what it is for), arm64 ≡ arm64/v8, and the image config is read
 * through the one size-limited blob reader.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { digestOf, MediaType, OciError, readBlob, type LayoutStore } from '@release-actions/shared/oci';
import { generateSbom, SbomError } from '@release-actions/shared/sbom';
import { withCode } from '../codes.ts';
import { blob, makeImage, makeIndex, push, tempLayout } from '../images.ts';
import { assertOfficialSpdx } from './schemas.ts';

const osRelease = { name: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.20.0\n' };

describe('generateSbom platform', () => {
  let layout: { store: LayoutStore; dir: string; dispose: () => Promise<void> };
  let dir: string;

  beforeAll(async () => {
    layout = await tempLayout();
    dir = layout.store.path;
    const amd = makeImage({ layers: [[osRelease, { name: 'arch', content: 'amd64' }]] });
    await push(layout.store, amd, 'amd64-only');
    const arm = makeImage({
      layers: [[osRelease, { name: 'arch', content: 'arm64' }]],
      platform: {
        os: 'linux',
        architecture: 'arm64',
      },
    });
    await push(layout.store, arm, 'arm64-only');
    // An index whose arm64 entry carries no variant, as some builders write it.
    const index = makeIndex([
      { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
      { image: arm, platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    await push(layout.store, index, 'multi');
  });
  afterAll(() => layout.dispose());

  it('refuses a platform a single-platform image is not for, naming the one it is for', async () => {
    await assert.rejects(
      generateSbom({ layout: dir, reference: 'amd64-only', platform: 'windows/arm64' }),
      (err: unknown) => {
        withCode(SbomError, 'NO_MATCHING_PLATFORM')(err);
        const { message } = err as Error;
        assert.match(message, /windows\/arm64/);
        assert.match(message, /it has linux\/amd64/);
        return true;
      },
    );
  });

  it('catalogs a single-platform image for its own platform, or when none is asked for', async () => {
    const asked = await generateSbom({ layout: dir, reference: 'amd64-only', platform: 'linux/amd64' });
    console.log(assertOfficialSpdx(asked.spdx));
    assert.equal(asked.inventory.source.platform, 'linux/amd64');
    const arm = await generateSbom({ layout: dir, reference: 'arm64-only' });
    console.log(assertOfficialSpdx(arm.spdx));
    assert.equal(arm.inventory.source.platform, 'linux/arm64');
  });

  it('takes linux/arm64/v8 for an arm64 image without variant, in an index and alone', async () => {
    const fromIndex = await generateSbom({ layout: dir, reference: 'multi', platform: 'linux/arm64/v8' });
    console.log(assertOfficialSpdx(fromIndex.spdx));
    assert.equal(fromIndex.inventory.source.platform, 'linux/arm64');
    const single = await generateSbom({ layout: dir, reference: 'arm64-only', platform: 'linux/arm64/v8' });
    console.log(assertOfficialSpdx(single.spdx));
    assert.equal(single.inventory.source.platform, 'linux/arm64');
  });

  it('lists the platforms of an index that lacks the one asked for', async () => {
    await assert.rejects(
      generateSbom({ layout: dir, reference: 'multi', platform: 'linux/s390x' }),
      (err: unknown) =>
        withCode(SbomError, 'NO_MATCHING_PLATFORM')(err) &&
        /it has linux\/amd64, linux\/arm64/.test((err as Error).message),
    );
  });

  it('refuses a platform that is not os/arch[/variant] before reading the image', async () => {
    await assert.rejects(
      generateSbom({ layout: dir, reference: 'no-such-tag', platform: 'arm64' }),
      withCode(OciError, 'INVALID_PLATFORM'),
    );
  });
});

describe('image config through the size-limited blob reader', () => {
  let layout: { store: LayoutStore; dispose: () => Promise<void> };
  beforeAll(async () => {
    layout = await tempLayout();
  });
  afterAll(() => layout.dispose());

  it('refuses a config claiming more than 16 MiB with BLOB_TOO_LARGE, reading none of it', async () => {
    const image = makeImage({ layers: [[osRelease]] });
    await push(layout.store, image, 'v1');
    // The same image, but its manifest claims a config of 17 MiB (a hostile or broken manifest).
    const manifest = JSON.parse(image.bytes.toString()) as { config: { size: number } };
    manifest.config.size = 17 * 1024 * 1024;
    const bytes = Buffer.from(JSON.stringify(manifest));
    await layout.store.putManifest(bytes, MediaType.OciManifest, 'huge-config');
    await assert.rejects(
      generateSbom({ store: layout.store, reference: 'huge-config' }),
      (err: unknown) =>
        withCode(OciError, 'BLOB_TOO_LARGE')(err) &&
        (err as Error).message.includes(digestOf(image.blobs[0]!.bytes)),
    );
    // The honest image is cataloged.
    const ok = await generateSbom({ store: layout.store, reference: 'v1' });
    console.log(assertOfficialSpdx(ok.spdx));
    assert.equal(ok.inventory.source.platform, 'linux/amd64');
  });

  it('reads a blob within the limit, and refuses one over it however small the limit', async () => {
    const small = blob(Buffer.from('{"os":"linux","architecture":"amd64"}'), MediaType.OciConfig);
    await layout.store.putBlob(small.descriptor, small.bytes);
    assert.deepEqual(await readBlob(layout.store, small.descriptor), small.bytes);
    await assert.rejects(
      readBlob(layout.store, small.descriptor, { maxBytes: small.bytes.length - 1, what: 'config' }),
      (err: unknown) => withCode(OciError, 'BLOB_TOO_LARGE')(err) && /^config /.test((err as Error).message),
    );
  });
});
