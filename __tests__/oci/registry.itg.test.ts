/**
 * The registry client and copy against a real Debian docker-registry (distribution 2.8) on loopback.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import {
  copyImage,
  cosignTag,
  LayoutStore,
  parsePlatform,
  MediaType,
  OciError,
  readBlob,
  resolveCopyRoot,
  referrersTagFor,
  RegistryClient,
  type ImageStore,
  type Repository,
} from '@release-actions/shared/oci';
import {
  startRecordingProxy,
  startRegistry,
  type RecordingProxy,
  type TestRegistry,
} from '@release-actions/shared/testing';
import { makeArtifact, makeImage, makeIndex, push, readAll } from '../images.ts';
import { withCode } from '../codes.ts';
import { onTestFinished } from '../jest-helpers.ts';

const ociCode = (code: string) => withCode(OciError, code);

/** A client that retries at once: waiting proves nothing in a test. */
const client = (options: ConstructorParameters<typeof RegistryClient>[0] = {}) =>
  new RegistryClient({ http: new HttpClient({ retry: immediateRetryPolicy(2) }), ...options });

describe('registry client against docker-registry', () => {
  let registry: TestRegistry;
  let proxy: RecordingProxy;
  let direct: RegistryClient;
  let viaProxy: RegistryClient;
  const repo = (c: RegistryClient, host: string, name: string): Repository =>
    c.repository({ registry: host, repository: name });

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startRecordingProxy(registry.url);
    direct = client();
    viaProxy = client({ monolithicUploadLimit: 64 * 1024 });
  });
  afterAll(async () => {
    await Promise.all([direct.http.close(), viaProxy.http.close()]);
    await proxy?.stop();
    await registry?.stop();
  });

  it('pushes and pulls a multi-layer image byte for byte, streaming large layers', async () => {
    const image = makeImage({ layers: [10, 200 * 1024, 3 * 1024 * 1024] });
    const store = repo(viaProxy, proxy.host, 'push/multi');
    proxy.reset();
    const pushed = await push(store, image, 'v1');
    assert.equal(pushed.digest, image.descriptor.digest);
    // Small layers go up in one PUT, larger ones as one streamed PATCH.
    const patches = proxy.requests.filter((r) => r.method === 'PATCH');
    assert.equal(patches.length, 2);

    const pulled = await store.getManifest('v1');
    assert.equal(pulled.descriptor.digest, image.descriptor.digest);
    assert.deepEqual(pulled.bytes, image.bytes);
    for (const layer of image.layers) {
      assert.deepEqual(await readAll(await store.getBlob(layer.descriptor)), layer.bytes);
    }
    assert.deepEqual(await store.resolve('v1'), {
      mediaType: MediaType.OciManifest,
      digest: image.descriptor.digest,
      size: image.bytes.length,
    });
    assert.equal(await store.resolve('missing'), undefined);
    await assert.rejects(store.getManifest('missing'), ociCode('MANIFEST_UNKNOWN'));
  });

  it('pushes a multi-platform index and copies it whole to another registry repository', async () => {
    const amd = makeImage({ layers: [1000, 2000], platform: { architecture: 'amd64', os: 'linux' } });
    const arm = makeImage({
      layers: [1500],
      platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
    });
    const index = makeIndex([
      { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
      { image: arm, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    ]);
    const store = repo(direct, registry.host, 'multi/app');
    await push(store, amd);
    await push(store, arm);
    const pushed = await store.putManifest(index.bytes, MediaType.OciIndex, 'latest');
    assert.equal(pushed.digest, index.descriptor.digest);
    const got = await store.getManifest('latest');
    assert.equal(got.descriptor.mediaType, MediaType.OciIndex);
    assert.equal('manifests' in got.manifest && got.manifest.manifests.length, 2);
    for (const image of [amd, arm]) assert.ok(await store.resolve(image.descriptor.digest));

    const target = repo(direct, registry.host, 'multi/copy');
    const result = await copyImage(store, 'latest', target, { tags: ['latest'] });
    assert.equal(result.digest, index.descriptor.digest);
    assert.equal(result.manifestsCopied, 3);
    assert.equal(result.blobsMounted, 5); // three layers and two configs
    for (const image of [amd, arm])
      assert.equal((await target.resolve(image.descriptor.digest))?.digest, image.descriptor.digest);
    assert.equal((await target.resolve('latest'))?.digest, index.descriptor.digest);

    const armOnly = repo(direct, registry.host, 'multi/arm');
    const restricted = await copyImage(store, 'latest', armOnly, {
      tags: ['latest'],
      platforms: [parsePlatform('linux/arm64')],
    });
    assert.equal(restricted.restrictedFrom, index.descriptor.digest);
    const got2 = await armOnly.getManifest('latest');
    assert.equal(got2.descriptor.digest, restricted.digest);
    assert.deepEqual('manifests' in got2.manifest && got2.manifest.manifests.map((m) => m.digest), [
      arm.descriptor.digest,
    ]);
    assert.equal(await armOnly.resolve(amd.descriptor.digest), undefined);
  });

  it('restricts a copy to linux/arm64/v8 from an index whose arm64 entry has no variant, or names the platforms there are', async () => {
    const amd = makeImage({ layers: [300], platform: { architecture: 'amd64', os: 'linux' } });
    const arm = makeImage({ layers: [400], platform: { architecture: 'arm64', os: 'linux' } });
    const index = makeIndex([
      { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
      { image: arm, platform: { architecture: 'arm64', os: 'linux' } },
    ]);
    const store = repo(direct, registry.host, 'platforms/app');
    await push(store, amd);
    await push(store, arm);
    await store.putManifest(index.bytes, MediaType.OciIndex, 'latest');
    const target = repo(direct, registry.host, 'platforms/arm');
    const result = await copyImage(store, 'latest', target, {
      tags: ['latest'],
      platforms: [parsePlatform('linux/arm64/v8')],
    });
    assert.equal(result.restrictedFrom, index.descriptor.digest);
    const copied = await target.getManifest('latest');
    assert.deepEqual('manifests' in copied.manifest && copied.manifest.manifests.map((m) => m.digest), [
      arm.descriptor.digest,
    ]);
    await assert.rejects(
      copyImage(store, 'latest', repo(direct, registry.host, 'platforms/none'), {
        platforms: [parsePlatform('windows/arm64')],
      }),
      (err: unknown) =>
        ociCode('PLATFORM_NOT_FOUND')(err) &&
        /it has linux\/amd64, linux\/arm64/.test((err as Error).message),
    );
  });

  it('copies the root resolved once by resolveCopyRoot: the source index is read and restricted once', async () => {
    const amd = makeImage({ layers: [100], platform: { architecture: 'amd64', os: 'linux' } });
    const arm = makeImage({ layers: [200], platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } });
    const index = makeIndex([
      { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
      { image: arm, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    ]);
    const source = repo(viaProxy, proxy.host, 'root/app');
    await push(source, amd);
    await push(source, arm);
    await source.putManifest(index.bytes, MediaType.OciIndex, 'latest');
    proxy.reset();
    const root = await resolveCopyRoot(source, 'latest', [parsePlatform('linux/amd64')]);
    assert.equal(root.restrictedFrom, index.descriptor.digest);
    const target = repo(viaProxy, proxy.host, 'root/amd');
    const result = await copyImage(source, 'latest', target, { root, tags: ['v1'] });
    assert.equal(result.digest, root.data.descriptor.digest);
    assert.equal(result.restrictedFrom, index.descriptor.digest);
    const indexReads = proxy.requests.filter(
      (r) => r.method === 'GET' && r.path === '/v2/root/app/manifests/latest',
    );
    assert.equal(indexReads.length, 1);
    assert.equal((await target.resolve('v1'))?.digest, root.data.descriptor.digest);
  });

  it('reads a blob into memory within a limit, and refuses a larger one with BLOB_TOO_LARGE before asking for it', async () => {
    const store = repo(viaProxy, proxy.host, 'blobs/limit');
    const image = makeImage({ layers: [4096] });
    await push(store, image);
    const layer = image.layers[0]!;
    assert.deepEqual(await readBlob(store, layer.descriptor), layer.bytes);
    proxy.reset();
    await assert.rejects(
      readBlob(store, layer.descriptor, { maxBytes: 4095, what: 'signature layer' }),
      (err: unknown) =>
        ociCode('BLOB_TOO_LARGE')(err) &&
        (err as Error).message.startsWith(
          `signature layer ${layer.descriptor.digest} in ${store.name} is 4096 bytes`,
        ),
    );
    assert.deepEqual(
      proxy.requests.filter((r) => r.path.includes('/blobs/')),
      [],
      'an oversized blob is refused unread',
    );
  });

  it('copies within a registry by mounting: no layer byte is uploaded again', async () => {
    const image = makeImage({ layers: [300 * 1024, 300 * 1024, 100] });
    const source = repo(viaProxy, proxy.host, 'mount/source');
    await push(source, image, 'v1');
    proxy.reset();
    const target = repo(viaProxy, proxy.host, 'mount/target');
    const result = await copyImage(source, 'v1', target, { tags: ['staging'] });

    assert.equal(result.digest, image.descriptor.digest);
    assert.equal(result.blobsMounted, 4); // three layers and the config
    assert.equal(result.blobsCopied, 0);
    assert.equal(result.bytesCopied, 0);
    const uploads = proxy.requests.filter(
      (r) => (r.method === 'PATCH' || r.method === 'PUT') && r.path.includes('/blobs/uploads/'),
    );
    assert.deepEqual(uploads, []);
    const mounts = proxy.requests.filter((r) => r.method === 'POST' && r.path.includes('mount='));
    assert.equal(mounts.length, 4);
    assert.ok(mounts.every((r) => r.status === 201));
    const blobBytesSent = proxy.requests
      .filter((r) => r.path.includes('/blobs/'))
      .reduce((sum, r) => sum + r.bytesIn, 0);
    assert.equal(blobBytesSent, 0);
    assert.equal((await target.resolve('staging'))?.digest, image.descriptor.digest);

    // Copying again finds the manifest there and touches no blob.
    proxy.reset();
    const again = await copyImage(source, 'v1', target, { tags: ['staging'] });
    assert.deepEqual(
      [again.manifestsSkipped, again.manifestsCopied, again.blobsCopied + again.blobsMounted],
      [1, 0, 0],
    );
    assert.deepEqual(
      proxy.requests.filter((r) => r.path.includes('/blobs/')),
      [],
    );
  });

  it('copies between two registries with identical digests', async () => {
    const second = await startRegistry();
    onTestFinished(() => second.stop());
    const image = makeImage({ layers: [50_000, 80_000] });
    const source = repo(direct, registry.host, 'cross/app');
    await push(source, image, 'v2');
    const target = repo(direct, second.host, 'cross/app');
    const result = await copyImage(source, 'v2', target, { tags: ['v2', 'prod'] });
    assert.equal(result.blobsCopied, 3);
    assert.equal(result.bytesCopied, 50_000 + 80_000 + image.config.bytes.length);
    const copied = await target.getManifest('prod');
    assert.deepEqual(copied.bytes, image.bytes);
    assert.deepEqual(result.tags, ['v2', 'prod']);
  });

  it('leaves the target tag unchanged when the source fails half-way, and a rerun completes', async () => {
    const second = await startRegistry();
    onTestFinished(() => second.stop());
    const old = makeImage({ layers: [1000] });
    const target = repo(direct, second.host, 'halfway/app');
    await push(target, old, 'prod');

    const image = makeImage({ layers: [40_000, 40_000, 40_000] });
    const source = repo(viaProxy, proxy.host, 'halfway/app');
    await push(repo(direct, registry.host, 'halfway/app'), image, 'v3');
    const poisoned = image.layers[2]!.descriptor.digest;
    proxy.failWhen((req) =>
      req.method === 'GET' && (req.url ?? '').includes(poisoned) ? { status: 500 } : false,
    );
    await assert.rejects(
      copyImage(source, 'v3', target, { tags: ['prod'], retry: immediateRetryPolicy(2) }),
      ociCode('REGISTRY_ERROR'),
    );
    assert.equal(
      (await target.resolve('prod'))?.digest,
      old.descriptor.digest,
      'prod must still point at the old image',
    );
    assert.equal(
      await target.resolve(image.descriptor.digest),
      undefined,
      'the new manifest must not be in the target',
    );

    proxy.clearFailures();
    const rerun = await copyImage(source, 'v3', target, { tags: ['prod'] });
    assert.equal((await target.resolve('prod'))?.digest, image.descriptor.digest);
    assert.ok(rerun.blobsSkipped >= 1, 'blobs that made it the first time are not sent again');
  });

  it('detects content altered at rest: blob and manifest digests are recomputed', async () => {
    const image = makeImage({ layers: [4096] });
    const store = repo(direct, registry.host, 'tamper/app');
    await push(store, image, 'v1');
    const layer = image.layers[0]!.descriptor;
    const hex = layer.digest.slice('sha256:'.length);
    const path = join(registry.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const altered = Buffer.from(image.layers[0]!.bytes);
    altered[0] = altered[0]! ^ 0xff;
    await writeFile(path, altered);
    await assert.rejects(readAll(await store.getBlob(layer)), ociCode('DIGEST_MISMATCH'));

    const mhex = image.descriptor.digest.slice('sha256:'.length);
    const mpath = join(
      registry.storageDir,
      'docker/registry/v2/blobs/sha256',
      mhex.slice(0, 2),
      mhex,
      'data',
    );
    await writeFile(
      mpath,
      Buffer.from(image.bytes.toString().replace('"schemaVersion":2', '"schemaVersion": 2')),
    );
    await assert.rejects(store.getManifest(image.descriptor.digest), ociCode('DIGEST_MISMATCH'));
  });

  it('round-trips referrers through the tag-schema fallback index (distribution 2.8 has no referrers API)', async () => {
    const image = makeImage({ layers: [100] });
    const store = repo(direct, registry.host, 'referrers/app');
    const subject = await push(store, image, 'v1');
    const sbom = makeArtifact(subject, {
      artifactType: 'application/spdx+json',
      content: Buffer.from('{"spdxVersion":"SPDX-2.3"}'),
    });
    const sig = makeArtifact(subject, {
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      content: Buffer.from('{"bundle":1}'),
    });
    for (const artifact of [sbom, sig]) {
      for (const b of artifact.blobs) await store.putBlob(b.descriptor, b.bytes);
      await store.putManifest(artifact.bytes, MediaType.OciManifest);
    }
    const all = await store.referrers(subject.digest);
    assert.deepEqual(
      all.map((d) => [d.digest, d.artifactType]).sort(),
      [
        [sbom.descriptor.digest, 'application/spdx+json'],
        [sig.descriptor.digest, 'application/vnd.dev.sigstore.bundle.v0.3+json'],
      ].sort(),
    );
    const only = await store.referrers(subject.digest, 'application/spdx+json');
    assert.deepEqual(
      only.map((d) => d.digest),
      [sbom.descriptor.digest],
    );
    const fallback = await store.getManifest(referrersTagFor(subject.digest));
    assert.equal(fallback.descriptor.mediaType, MediaType.OciIndex);
    // Pushing the same referrer again does not duplicate it.
    await store.putManifest(sbom.bytes, MediaType.OciManifest);
    assert.equal((await store.referrers(subject.digest)).length, 2);

    // A copy with referrers carries them to the target, which indexes them anew.
    const target = repo(direct, registry.host, 'referrers/copy');
    const result = await copyImage(store, 'v1', target, { referrers: true, tags: ['v1'] });
    assert.equal(result.referrersCopied, 2);
    assert.equal((await target.referrers(subject.digest)).length, 2);
  });

  it('copies registry → OCI layout → registry with identical digests, referrers included', async () => {
    const amd = makeImage({ layers: [3000, 7000], platform: { architecture: 'amd64', os: 'linux' } });
    const arm = makeImage({ layers: [5000], platform: { architecture: 'arm64', os: 'linux' } });
    const index = makeIndex([
      { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
      { image: arm, platform: { architecture: 'arm64', os: 'linux' } },
    ]);
    const source = repo(direct, registry.host, 'layout/source');
    await push(source, amd);
    await push(source, arm);
    const subject = await source.putManifest(index.bytes, MediaType.OciIndex, 'v1');
    const sbom = makeArtifact(subject, {
      artifactType: 'application/spdx+json',
      content: Buffer.from('{"spdxVersion":"SPDX-2.3"}'),
    });
    for (const b of sbom.blobs) await source.putBlob(b.descriptor, b.bytes);
    await source.putManifest(sbom.bytes, MediaType.OciManifest);

    const dir = await mkdtemp(join(tmpdir(), 'layout-copy-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const layout = await LayoutStore.open(dir, { create: true });
    const out = await copyImage(source, 'v1', layout, { tags: ['v1'], referrers: true });
    assert.equal(out.digest, index.descriptor.digest);
    assert.equal(out.referrersCopied, 1);
    assert.equal((await layout.resolve('v1'))?.digest, index.descriptor.digest);

    const target = repo(direct, registry.host, 'layout/target');
    const back = await copyImage(layout, 'v1', target, { tags: ['v1'], referrers: true });
    assert.equal(back.digest, index.descriptor.digest);
    assert.equal(back.blobsCopied, 7); // three layers, two configs, and the SBOM artifact's layer and empty config
    assert.deepEqual((await target.getManifest('v1')).bytes, index.bytes);
    assert.deepEqual(
      (await target.referrers(subject.digest)).map((d) => d.digest),
      [sbom.descriptor.digest],
    );
  });

  it("carries cosign's digest tags (.sig, .att) along with the image, before the target tag", async () => {
    const image = makeImage({ layers: [256] });
    const source = repo(viaProxy, proxy.host, 'cosign/app');
    const subject = await push(source, image, 'v1');
    const sig = makeImage({ layers: [64] }); // stands in for a signature manifest: an image manifest under the .sig tag
    await push(source, sig, cosignTag(subject.digest, 'sig'));
    const att = makeImage({ layers: [96] });
    await push(source, att, cosignTag(subject.digest, 'att'));

    proxy.reset();
    const target = repo(viaProxy, proxy.host, 'cosign/target');
    const result = await copyImage(source, 'v1', target, { cosignTags: true, tags: ['prod'] });
    assert.equal(result.referrersCopied, 2);
    assert.equal((await target.resolve(cosignTag(subject.digest, 'sig')))?.digest, sig.descriptor.digest);
    assert.equal((await target.resolve(cosignTag(subject.digest, 'att')))?.digest, att.descriptor.digest);
    assert.equal(await target.resolve(cosignTag(subject.digest, 'sbom')), undefined);
    const tagWrites = proxy.requests.filter(
      (r) => r.method === 'PUT' && r.path.includes('/manifests/') && !r.path.includes('/manifests/sha256:'),
    );
    assert.equal(
      tagWrites.at(-1)?.path,
      '/v2/cosign/target/manifests/prod',
      'the target tag is written last',
    );
  });

  it('plans a copy in a dry run, predicting mounts, copies and present blobs while writing nothing', async () => {
    const image = makeImage({ layers: [1000, 2000, 3000] });
    const source = repo(viaProxy, proxy.host, 'dry/source');
    await push(source, image, 'v1');
    const target = repo(viaProxy, proxy.host, 'dry/target');
    await target.putBlob(image.layers[0]!.descriptor, image.layers[0]!.bytes); // already there

    proxy.reset();
    const plan = await copyImage(source, 'v1', target, {
      dryRun: true,
      tags: ['prod'],
      referrers: true,
      cosignTags: true,
    });
    assert.equal(plan.dryRun, true);
    assert.deepEqual([plan.blobsSkipped, plan.blobsMounted, plan.blobsCopied], [1, 3, 0]);
    assert.deepEqual(plan.tags, ['prod']);
    const writes = proxy.requests.filter((r) => !['GET', 'HEAD'].includes(r.method));
    assert.deepEqual(writes, [], 'a dry run sends no write request');
    assert.equal(await target.resolve('prod'), undefined);

    const second = await startRegistry();
    onTestFinished(() => second.stop());
    const elsewhere = repo(direct, second.host, 'dry/target');
    const across = await copyImage(source, 'v1', elsewhere, { dryRun: true });
    assert.deepEqual([across.blobsSkipped, across.blobsMounted, across.blobsCopied], [0, 0, 4]);
    assert.equal(across.bytesCopied, 6000 + image.config.bytes.length);
    assert.deepEqual(await elsewhere.listTags(), []);
  });

  it('lists tags across pages', async () => {
    const image = makeImage({ layers: [10] });
    const store = repo(direct, registry.host, 'tags/app');
    await push(store, image, 't0');
    for (let i = 1; i < 7; i++) await store.putManifest(image.bytes, MediaType.OciManifest, `t${i}`);
    assert.deepEqual((await store.listTags(2)).sort(), ['t0', 't1', 't2', 't3', 't4', 't5', 't6']);
    assert.deepEqual(await repo(direct, registry.host, 'tags/none').listTags(), []);
  });

  it('names an unknown blob', async () => {
    const store: ImageStore = repo(direct, registry.host, 'tags/app');
    await assert.rejects(
      store.getBlob({ mediaType: MediaType.OciLayer, digest: `sha256:${'0'.repeat(64)}`, size: 1 }),
      ociCode('BLOB_UNKNOWN'),
    );
  });
});

describe('registry client with authentication', () => {
  it('speaks HTTP Basic to an htpasswd registry and refuses clearly without credentials', async () => {
    const registry = await startRegistry({ auth: { kind: 'basic', username: 'alice', password: 's3cret' } });
    onTestFinished(() => registry.stop());
    const authed = client({
      credentials: { resolve: async () => ({ username: 'alice', password: 's3cret' }) },
    });
    const anonymous = client();
    onTestFinished(() => Promise.all([authed.http.close(), anonymous.http.close()]));
    const image = makeImage({ layers: [100] });
    const store = authed.repository({ registry: registry.host, repository: 'basic/app' });
    await push(store, image, 'v1');
    assert.equal((await store.resolve('v1'))?.digest, image.descriptor.digest);
    await assert.rejects(
      anonymous.repository({ registry: registry.host, repository: 'basic/app' }).resolve('v1'),
      (err: unknown) =>
        err instanceof OciError && err.code === 'UNAUTHORIZED' && !err.message.includes('s3cret'),
    );
  });

  it('runs the bearer token flow, widening the scope to the source repository for a mount', async () => {
    const registry = await startRegistry({ auth: { kind: 'token', users: { bob: 'hunter2' } } });
    onTestFinished(() => registry.stop());
    const c = new RegistryClient({
      credentials: { resolve: async () => ({ username: 'bob', password: 'hunter2' }) },
    });
    onTestFinished(() => c.http.close());
    const image = makeImage({ layers: [2048, 4096] });
    const source = c.repository({ registry: registry.host, repository: 'token/source' });
    await push(source, image, 'v1');
    const target = c.repository({ registry: registry.host, repository: 'token/target' });
    const result = await copyImage(source, 'v1', target, { tags: ['v1'] });
    assert.equal(result.blobsMounted, 3);
    assert.equal((await target.resolve('v1'))?.digest, image.descriptor.digest);
    const scopes = registry.tokenRequests!.flatMap((r) => r.scopes);
    assert.ok(scopes.includes('repository:token/target:pull,push'));
    assert.ok(scopes.includes('repository:token/source:pull'), `mount scope requested: ${scopes.join(' ')}`);
    assert.ok(registry.tokenRequests!.every((r) => r.user === 'bob'));
    // Tokens are cached: far fewer token requests than registry requests.
    assert.ok(registry.tokenRequests!.length <= 4, `token requests: ${registry.tokenRequests!.length}`);
  });
});
