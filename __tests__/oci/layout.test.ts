import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import {
  ANNOTATION_REF_NAME,
  digestOf,
  LayoutStore,
  MAX_MANIFEST_BYTES,
  MediaType,
  OciError,
  type Descriptor,
  type ImageIndex,
} from '@release-actions/shared/oci';
import { blob, makeArtifact, makeImage, makeIndex, push } from '../images.ts';

let root: string;
let counter = 0;
/** A fresh, not yet existing directory under the suite's temporary root. */
const fresh = () => path.join(root, `layout-${++counter}`);

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'layout-test-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function rejectsWith(promise: Promise<unknown>, code: string, mentions?: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof OciError, `expected OciError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (mentions !== undefined) assert.ok(err.message.includes(mentions), err.message);
    return true;
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  return Buffer.concat(await stream.toArray());
}

async function indexJson(dir: string): Promise<ImageIndex> {
  return JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as ImageIndex;
}

/**
 * Every file name under `dir`, relative, so that a stray temporary file shows. A copy: under jest,
 * the array readdir returns comes from Node's realm, unlike the array literals it is compared with.
 */
async function files(dir: string): Promise<string[]> {
  return [...(await readdir(dir, { recursive: true }))].sort();
}

// The first layer is a plain tar, the others gzip (files' default), to mix both kinds.
const image1 = makeImage({
  layers: [
    { files: { 'etc/hello': 'hello\n' }, compression: 'none' },
    { files: { 'usr/bin/app': '#!/bin/sh\necho app\n' } },
  ],
});
const image2 = makeImage({
  layers: [
    { files: { 'etc/hello': 'bonjour\n' }, compression: 'none' },
    { files: { 'usr/bin/app': 'v2' } },
    { files: { 'var/x': 'x' } },
  ],
});
const arm = { architecture: 'arm64', os: 'linux', variant: 'v8' };
const imageArm = makeImage({
  layers: [{ files: { 'etc/hello': 'hello arm\n' }, compression: 'none' }],
  platform: arm,
});

describe('LayoutStore.open', () => {
  it('creates an empty layout in a missing directory and opens it again', async () => {
    const dir = fresh();
    const store = await LayoutStore.open(dir, { create: true });
    assert.equal(store.name, `oci-layout:${dir}`);
    assert.deepEqual(JSON.parse(await readFile(path.join(dir, 'oci-layout'), 'utf8')), {
      imageLayoutVersion: '1.0.0',
    });
    assert.deepEqual(await indexJson(dir), {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [],
    });
    assert.deepEqual(await files(dir), ['blobs', 'index.json', 'oci-layout']);
    const again = await LayoutStore.open(dir);
    assert.deepEqual(await again.listTags(), []);
  });

  it('creates a layout in an existing empty directory', async () => {
    const dir = fresh();
    await mkdir(dir);
    await LayoutStore.open(dir, { create: true });
    assert.deepEqual(await files(dir), ['blobs', 'index.json', 'oci-layout']);
  });

  it('refuses a missing directory without create, saying what to give (not how to call open)', async () => {
    const dir = fresh();
    await rejectsWith(LayoutStore.open(dir), 'LAYOUT_ERROR', dir);
    // What an sbom user sees for image: oci-layout:<dir>: no library option names.
    await assert.rejects(LayoutStore.open(dir), (err: Error) => {
      assert.doesNotMatch(err.message, /\bcreate\b|open it/);
      assert.match(err.message, /does not exist: name the directory of an OCI image layout/);
      return true;
    });
  });

  it('refuses a directory that is not a layout, even with create, and writes nothing into it', async () => {
    const dir = fresh();
    await mkdir(dir);
    await writeFile(path.join(dir, 'README.md'), 'not a layout');
    await rejectsWith(LayoutStore.open(dir), 'LAYOUT_ERROR', dir);
    await rejectsWith(LayoutStore.open(dir, { create: true }), 'LAYOUT_ERROR', dir);
    assert.deepEqual(await files(dir), ['README.md']);
  });

  it('refuses another imageLayoutVersion or an unreadable oci-layout file', async () => {
    for (const marker of ['{"imageLayoutVersion":"2.0.0"}', '{}', 'not json']) {
      const dir = fresh();
      await mkdir(dir);
      await writeFile(path.join(dir, 'oci-layout'), marker);
      await writeFile(path.join(dir, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
      await rejectsWith(LayoutStore.open(dir, { create: true }), 'LAYOUT_ERROR', dir);
    }
  });

  it('refuses a file, a missing index.json or one that is not an index', async () => {
    const file = fresh();
    await writeFile(file, 'x');
    await rejectsWith(LayoutStore.open(file, { create: true }), 'LAYOUT_ERROR', file);
    for (const index of [undefined, 'nope', '{"schemaVersion":2}', '{"schemaVersion":2,"manifests":[{}]}']) {
      const dir = fresh();
      await mkdir(dir);
      await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
      if (index !== undefined) await writeFile(path.join(dir, 'index.json'), index);
      await rejectsWith(LayoutStore.open(dir), 'LAYOUT_ERROR', dir);
    }
  });
});

describe('LayoutStore images and indexes', () => {
  it('round-trips a multi-layer image by tag and by digest', async () => {
    const dir = fresh();
    const store = await LayoutStore.open(dir, { create: true });
    const descriptor = await push(store, image1, 'v1');
    assert.deepEqual(descriptor, image1.descriptor);

    assert.deepEqual(await store.resolve('v1'), image1.descriptor);
    assert.deepEqual(await store.resolve(image1.descriptor.digest), image1.descriptor);
    for (const ref of ['v1', image1.descriptor.digest]) {
      const data = await store.getManifest(ref);
      assert.ok(data.bytes.equals(image1.bytes));
      assert.deepEqual(data.descriptor, image1.descriptor);
      assert.equal(data.manifest.schemaVersion, 2);
    }
    for (const b of image1.blobs) {
      assert.equal(await store.hasBlob(b.descriptor.digest), true);
      assert.ok((await readAll(await store.getBlob(b.descriptor))).equals(b.bytes));
      assert.ok(
        (await readFile(path.join(dir, 'blobs', 'sha256', b.descriptor.digest.slice(7)))).equals(b.bytes),
      );
    }
    assert.deepEqual(await store.listTags(), ['v1']);
    assert.deepEqual((await indexJson(dir)).manifests, [
      { ...image1.descriptor, annotations: { [ANNOTATION_REF_NAME]: 'v1' } },
    ]);
    assert.equal(await store.resolve('v2'), undefined);
    // A layer is a blob, not a manifest.
    assert.equal(await store.resolve(image1.blobs[1]!.descriptor.digest), undefined);
  });

  it('round-trips an index: children live in blobs only, readable by digest', async () => {
    const dir = fresh();
    const store = await LayoutStore.open(dir, { create: true });
    await push(store, image1);
    await push(store, imageArm);
    // Until the index arrives, each child is a root and listed untagged.
    assert.equal((await indexJson(dir)).manifests.length, 2);
    const index = makeIndex([
      { image: image1, platform: { architecture: 'amd64', os: 'linux' } },
      { image: imageArm, platform: arm },
    ]);
    assert.deepEqual(await store.putManifest(index.bytes, MediaType.OciIndex, 'multi'), index.descriptor);

    assert.deepEqual((await indexJson(dir)).manifests, [
      { ...index.descriptor, annotations: { [ANNOTATION_REF_NAME]: 'multi' } },
    ]);
    const data = await store.getManifest('multi');
    assert.ok(data.bytes.equals(index.bytes));
    assert.equal(data.descriptor.mediaType, MediaType.OciIndex);
    assert.deepEqual(await store.resolve(imageArm.descriptor.digest), imageArm.descriptor);
    assert.ok((await store.getManifest(imageArm.descriptor.digest)).bytes.equals(imageArm.bytes));

    // A fresh store (no cache) finds the child by digest too.
    const reopened = await LayoutStore.open(dir);
    assert.ok((await reopened.getManifest(image1.descriptor.digest)).bytes.equals(image1.bytes));
  });

  it('keeps a lone untagged image listed, and replaces that entry when it is tagged', async () => {
    const dir = fresh();
    const store = await LayoutStore.open(dir, { create: true });
    await push(store, image2);
    await push(store, image2); // idempotent
    assert.deepEqual((await indexJson(dir)).manifests, [image2.descriptor]);
    assert.deepEqual(await store.listTags(), []);
    await store.putManifest(image2.bytes, MediaType.OciManifest, 'v2');
    assert.deepEqual((await indexJson(dir)).manifests, [
      { ...image2.descriptor, annotations: { [ANNOTATION_REF_NAME]: 'v2' } },
    ]);
    // Putting it again untagged adds nothing: it is listed already.
    await store.putManifest(image2.bytes, MediaType.OciManifest);
    assert.equal((await indexJson(dir)).manifests.length, 1);
  });

  it('moves a tag: one entry per tag, the old manifest still readable by digest', async () => {
    const dir = fresh();
    const store = await LayoutStore.open(dir, { create: true });
    await push(store, image1, 'latest');
    await push(store, image1, 'v1');
    await push(store, image2, 'latest');
    assert.deepEqual(await store.resolve('latest'), image2.descriptor);
    assert.deepEqual(await store.resolve('v1'), image1.descriptor);
    assert.deepEqual(await store.listTags(), ['latest', 'v1']);
    // The moved tag's entry is replaced where it stood.
    assert.deepEqual((await indexJson(dir)).manifests, [
      { ...image2.descriptor, annotations: { [ANNOTATION_REF_NAME]: 'latest' } },
      { ...image1.descriptor, annotations: { [ANNOTATION_REF_NAME]: 'v1' } },
    ]);
    assert.ok((await store.getManifest(image1.descriptor.digest)).bytes.equals(image1.bytes));
    // Tagging again what a tag already names leaves index.json alone (not even rewritten).
    const before = await stat(path.join(dir, 'index.json'));
    await push(store, image1, 'v1');
    assert.equal((await stat(path.join(dir, 'index.json'))).ino, before.ino);
  });

  it('refuses manifests it cannot store', async () => {
    const store = await LayoutStore.open(fresh(), { create: true });
    // The layers are not there yet.
    await rejectsWith(store.putManifest(image1.bytes, MediaType.OciManifest, 'v1'), 'BLOB_UNKNOWN');
    const index = makeIndex([{ image: image2, platform: { architecture: 'amd64', os: 'linux' } }]);
    await rejectsWith(store.putManifest(index.bytes, MediaType.OciIndex), 'MANIFEST_UNKNOWN');
    for (const b of image1.blobs) await store.putBlob(b.descriptor, b.bytes);
    await rejectsWith(store.putManifest(image1.bytes, MediaType.OciIndex), 'MANIFEST_INVALID');
    await rejectsWith(store.putManifest(image1.bytes, MediaType.OciManifest, '-bad'), 'INVALID_REFERENCE');
    await rejectsWith(store.putManifest(image1.bytes, 'text/plain'), 'UNSUPPORTED');
    await rejectsWith(
      store.putManifest(Buffer.alloc(MAX_MANIFEST_BYTES + 1, 32), MediaType.OciManifest),
      'MANIFEST_TOO_LARGE',
    );
    assert.deepEqual(await store.listTags(), []);
  });

  it('says MANIFEST_UNKNOWN and BLOB_UNKNOWN for what is not there', async () => {
    const store = await LayoutStore.open(fresh(), { create: true });
    await rejectsWith(store.getManifest('nope'), 'MANIFEST_UNKNOWN');
    await rejectsWith(store.getManifest(image1.descriptor.digest), 'MANIFEST_UNKNOWN');
    await rejectsWith(store.getBlob(image1.blobs[0]!.descriptor), 'BLOB_UNKNOWN');
    await rejectsWith(store.getManifest('sha256:abc'), 'INVALID_DIGEST');
    assert.equal(await store.hasBlob(image1.blobs[0]!.descriptor.digest), false);
  });
});

describe('LayoutStore blobs', () => {
  it('detects a corrupted or truncated blob on read', async () => {
    const dir = fresh();
    const store = await LayoutStore.open(dir, { create: true });
    await push(store, image1, 'v1');
    const layer = image1.blobs[1]!.descriptor;
    const file = path.join(dir, 'blobs', 'sha256', layer.digest.slice('sha256:'.length));

    const flipped = Buffer.from(image1.blobs[1]!.bytes);
    flipped[flipped.length - 1]! ^= 0xff;
    await writeFile(file, flipped);
    await rejectsWith(readAll(await store.getBlob(layer)), 'DIGEST_MISMATCH');

    await writeFile(file, flipped.subarray(1));
    await rejectsWith(readAll(await store.getBlob(layer)), 'SIZE_MISMATCH');

    const manifestFile = path.join(dir, 'blobs', 'sha256', image1.descriptor.digest.slice('sha256:'.length));
    await writeFile(manifestFile, image1.bytes.toString().replace('"schemaVersion":2', '"schemaVersion":2 '));
    await rejectsWith((await LayoutStore.open(dir)).getManifest('v1'), 'DIGEST_MISMATCH');
  });

  it('rejects a blob whose digest or size is wrong and leaves no file behind', async () => {
    const dir = fresh();
    const store = await LayoutStore.open(dir, { create: true });
    const good = blob(Buffer.from('some layer bytes'), MediaType.OciLayer);
    const other = blob(Buffer.from('other layer bytes'), MediaType.OciLayer);
    const lying: Descriptor = { ...good.descriptor, digest: other.descriptor.digest };

    await rejectsWith(store.putBlob(lying, good.bytes), 'DIGEST_MISMATCH');
    await rejectsWith(
      store.putBlob(lying, Readable.from([good.bytes.subarray(0, 4), good.bytes.subarray(4)])),
      'DIGEST_MISMATCH',
    );
    await rejectsWith(store.putBlob({ ...good.descriptor, size: 3 }, good.bytes), 'SIZE_MISMATCH');
    await rejectsWith(
      store.putBlob({ ...good.descriptor, size: 3 }, Readable.from([good.bytes])),
      'SIZE_MISMATCH',
    );
    await rejectsWith(
      store.putBlob({ ...good.descriptor, size: 99 }, Readable.from([good.bytes])),
      'SIZE_MISMATCH',
    );
    const failing = new Readable({
      read() {
        this.push(good.bytes.subarray(0, 5));
        this.destroy(new Error('connection reset'));
      },
    });
    await assert.rejects(store.putBlob(good.descriptor, failing), /connection reset/);
    await rejectsWith(
      store.putBlob({ ...good.descriptor, digest: 'sha256:abc' }, good.bytes),
      'INVALID_DIGEST',
    );

    assert.equal(await store.hasBlob(good.descriptor.digest), false);
    assert.equal(await store.hasBlob(other.descriptor.digest), false);
    assert.deepEqual(await files(path.join(dir, 'blobs')), ['sha256']);
    assert.deepEqual(await files(path.join(dir, 'blobs', 'sha256')), []);
  });

  it('stores a streamed blob, and skips one already there', async () => {
    const dir = fresh();
    const store = await LayoutStore.open(dir, { create: true });
    const big = blob(Buffer.alloc(3 * 1024 * 1024, 7), MediaType.OciLayer);
    const chunks = Array.from({ length: 48 }, (_, i) => big.bytes.subarray(i * 65536, (i + 1) * 65536));
    await store.putBlob(big.descriptor, Readable.from(chunks));
    assert.ok((await readAll(await store.getBlob(big.descriptor))).equals(big.bytes));

    const again = Readable.from(chunks);
    await store.putBlob(big.descriptor, again);
    assert.equal(again.destroyed, true);
    assert.deepEqual(await files(path.join(dir, 'blobs', 'sha256')), [big.descriptor.digest.slice(7)]);
  });

  it('stores and reads sha512 blobs under blobs/sha512', async () => {
    const dir = fresh();
    const store = await LayoutStore.open(dir, { create: true });
    const bytes = Buffer.from('sha512 content');
    const descriptor = {
      mediaType: MediaType.OciLayer,
      digest: digestOf(bytes, 'sha512'),
      size: bytes.length,
    };
    await store.putBlob(descriptor, bytes);
    assert.ok((await readFile(path.join(dir, 'blobs', 'sha512', descriptor.digest.slice(7)))).equals(bytes));
    assert.ok((await readAll(await store.getBlob(descriptor))).equals(bytes));
  });
});

describe('LayoutStore concurrency', () => {
  it('keeps every tag when tagged manifests are put concurrently, across store instances', async () => {
    const dir = fresh();
    const a = await LayoutStore.open(dir, { create: true });
    const b = await LayoutStore.open(dir);
    const images = Array.from({ length: 24 }, (_, i) =>
      makeImage({ layers: [{ files: { [`file-${i}`]: `content ${i}` }, compression: 'none' }] }),
    );
    await Promise.all(images.map((image, i) => push(i % 2 ? a : b, image, `t${i}`)));
    const expected = images.map((_, i) => `t${i}`).sort();
    assert.deepEqual(await a.listTags(), expected);
    for (const [i, image] of images.entries()) assert.deepEqual(await b.resolve(`t${i}`), image.descriptor);
    // Only the final files: no temporary index.json left over.
    assert.deepEqual([...(await readdir(dir))].sort(), ['blobs', 'index.json', 'oci-layout']);
  });
});

describe('LayoutStore.referrers', () => {
  it('finds the manifests whose subject is a digest, with artifactType and annotations', async () => {
    const dir = fresh();
    const store = await LayoutStore.open(dir, { create: true });
    const subject = await push(store, image1, 'v1');
    const bundleType = 'application/vnd.dev.sigstore.bundle.v0.3+json';
    const bundle = makeArtifact(subject, { artifactType: bundleType });
    const sbomType = 'application/vnd.example.sbom.config.v1+json';
    const sbom = makeArtifact(subject, {
      configMediaType: sbomType,
      annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
    });
    const unrelated = makeArtifact(image2.descriptor, { artifactType: bundleType });
    await Promise.all([push(store, bundle), push(store, sbom), push(store, unrelated)]);

    const all = await store.referrers(subject.digest);
    assert.deepEqual(
      all.sort((x, y) => x.digest.localeCompare(y.digest)),
      [
        { ...bundle.descriptor, artifactType: bundleType },
        {
          ...sbom.descriptor,
          artifactType: sbomType,
          annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
        },
      ].sort((x, y) => x.digest.localeCompare(y.digest)),
    );
    assert.deepEqual(await store.referrers(subject.digest, sbomType), [
      all.find((r) => r.artifactType === sbomType),
    ]);
    assert.deepEqual(await store.referrers(subject.digest, 'application/x-none'), []);
    assert.deepEqual(await store.referrers(image2.descriptor.digest), [
      { ...unrelated.descriptor, artifactType: bundleType },
    ]);
    // Referrers stay untagged entries of index.json; tags are untouched.
    assert.deepEqual(await store.listTags(), ['v1']);
    assert.equal((await indexJson(dir)).manifests.length, 4);
    await rejectsWith(store.referrers('sha256:nope'), 'INVALID_DIGEST');
    // A reopened store (cold cache) answers the same.
    assert.equal((await (await LayoutStore.open(dir)).referrers(subject.digest)).length, 2);
  });

  it('keeps referrers listed when an index (such as the tag-schema fallback) lists them', async () => {
    const dir = fresh();
    const store = await LayoutStore.open(dir, { create: true });
    const subject = await push(store, image1, 'v1');
    const sig = makeArtifact(subject, { artifactType: 'application/vnd.example.sig' });
    await push(store, sig);
    const fallback = makeIndex([{ image: sig, platform: { architecture: 'unknown', os: 'unknown' } }]);
    await store.putManifest(fallback.bytes, MediaType.OciIndex, `sha256-${subject.digest.slice(7)}`);
    assert.deepEqual(
      (await store.referrers(subject.digest)).map((r) => r.digest),
      [sig.descriptor.digest],
    );
  });
});
