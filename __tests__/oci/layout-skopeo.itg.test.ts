/**
 * The layouts LayoutStore writes are valid for a real tool, and the ones that tool writes are
 * readable by LayoutStore: skopeo (Debian package) reads, inspects and copies them. Fails, never
 * skips, when skopeo is missing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { LayoutStore, MediaType, type Descriptor } from '@release-actions/shared/oci';
import { makeArtifact, makeImage, makeIndex, push } from '../images.ts';

const run = promisify(execFile);

async function skopeo(...args: string[]): Promise<Buffer> {
  const { stdout } = await run('skopeo', ['--insecure-policy', ...args], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  return stdout;
}

let root: string;
let source: string;
let store: LayoutStore;
// The first layer is a plain tar, the second gzip (files' default), to mix both kinds.
const image = makeImage({
  layers: [
    { files: { 'etc/hello': 'hello\n' }, compression: 'none' },
    { files: { 'usr/bin/app': '#!/bin/sh\necho app\n' } },
  ],
});
const arm = { architecture: 'arm64', os: 'linux', variant: 'v8' };
const imageArm = makeImage({
  layers: [
    { files: { 'etc/hello': 'hello arm\n' }, compression: 'none' },
    { files: { 'etc/arch': 'arm64\n' } },
  ],
  platform: arm,
});
const index = makeIndex([
  { image, platform: { architecture: 'amd64', os: 'linux' } },
  { image: imageArm, platform: arm },
]);

beforeAll(async () => {
  try {
    await run('skopeo', ['--version']);
  } catch (err) {
    throw new Error(
      'skopeo is required by this test and was not found: sudo apt-get install skopeo (see README)',
      { cause: err },
    );
  }
  root = await mkdtemp(path.join(tmpdir(), 'layout-skopeo-'));
  source = path.join(root, 'source');
  store = await LayoutStore.open(source, { create: true });
  await push(store, image, 'v1');
  await push(store, imageArm);
  await store.putManifest(index.bytes, MediaType.OciIndex, 'multi');
  // An untagged referrer entry must not disturb tools that look images up by ref name.
  await push(store, makeArtifact(image.descriptor, { artifactType: 'application/vnd.example.sig' }));
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('LayoutStore with skopeo', () => {
  it('skopeo inspect --raw returns our manifest and index bytes exactly', async () => {
    assert.ok((await skopeo('inspect', '--raw', `oci:${source}:v1`)).equals(image.bytes));
    assert.ok((await skopeo('inspect', '--raw', `oci:${source}:multi`)).equals(index.bytes));
  });

  it('skopeo inspect reads our config', async () => {
    const info = JSON.parse((await skopeo('inspect', `oci:${source}:v1`)).toString()) as {
      Digest: string;
      Architecture: string;
      Layers: string[];
    };
    assert.equal(info.Digest, image.descriptor.digest);
    assert.equal(info.Architecture, 'amd64');
    assert.deepEqual(
      info.Layers,
      image.blobs.slice(1).map((b) => b.descriptor.digest),
    );
  });

  it('skopeo copies an image out of our layout (digests preserved), and we read its layout back', async () => {
    const target = path.join(root, 'image-copy');
    await skopeo('copy', '--preserve-digests', `oci:${source}:v1`, `oci:${target}:v1`);
    assert.ok((await skopeo('inspect', '--raw', `oci:${target}:v1`)).equals(image.bytes));

    const copy = await LayoutStore.open(target);
    assert.deepEqual(await copy.listTags(), ['v1']);
    const data = await copy.getManifest('v1');
    assert.ok(data.bytes.equals(image.bytes));
    for (const b of image.blobs) {
      const bytes = Buffer.concat(await (await copy.getBlob(b.descriptor)).toArray());
      assert.ok(bytes.equals(b.bytes));
    }
  });

  it('skopeo copies an image with its defaults (compressing the plain layer), and we read that too', async () => {
    const target = path.join(root, 'image-recompressed');
    await skopeo('copy', `oci:${source}:v1`, `oci:${target}:v1`);
    const copy = await LayoutStore.open(target);
    const data = await copy.getManifest('v1');
    assert.notEqual(data.descriptor.digest, image.descriptor.digest);
    const manifest = data.manifest as { config: Descriptor; layers: Descriptor[] };
    for (const descriptor of [manifest.config, ...manifest.layers]) {
      const bytes = Buffer.concat(await (await copy.getBlob(descriptor)).toArray());
      assert.equal(bytes.length, descriptor.size);
    }
  });

  it('skopeo copies a multi-platform index with --all, digests preserved', async () => {
    const target = path.join(root, 'index-copy');
    await skopeo('copy', '--all', '--preserve-digests', `oci:${source}:multi`, `oci:${target}:multi`);
    assert.ok((await skopeo('inspect', '--raw', `oci:${target}:multi`)).equals(index.bytes));

    const copy = await LayoutStore.open(target);
    assert.deepEqual(await copy.resolve('multi'), index.descriptor);
    assert.ok((await copy.getManifest(imageArm.descriptor.digest)).bytes.equals(imageArm.bytes));
  });

  it('skopeo copies into a layout we created, next to our tags', async () => {
    const target = path.join(root, 'shared');
    const ours = await LayoutStore.open(target, { create: true });
    await push(ours, imageArm, 'ours');
    await skopeo('copy', '--preserve-digests', `oci:${source}:v1`, `oci:${target}:theirs`);
    const reopened = await LayoutStore.open(target);
    assert.deepEqual(await reopened.listTags(), ['ours', 'theirs']);
    assert.deepEqual(await reopened.resolve('theirs'), image.descriptor);
  });
});
