/**
 * Promotion against real docker-registry instances on loopback.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { cosignTag, MediaType, parsePlatform, type Repository } from '@release-actions/shared/oci';
import {
  environment,
  historyTag,
  parsePolicy,
  promote,
  PromoteError,
  tagRule,
  type PromotionRequest,
} from '@release-actions/shared/promote';
import { createKeySigner, publicKeyToPem, signImage } from '@release-actions/shared/sign';
import { startRecordingProxy, startRegistry, type RecordingProxy } from '@release-actions/shared/testing';
import { verifyImage, VerifyError, type VerifyPolicy } from '@release-actions/shared/verify';
import { makeArtifact, makeImage, makeIndex, push } from '../images.ts';
import { withCode } from '../codes.ts';
import { onTestFinished } from '../jest-helpers.ts';
import { useRegistry } from '../registry-fixture.ts';

const verified = async (digest: string) => ({ verified: true, digest });

const code = (expected: string) => withCode(PromoteError, expected);

describe('promote', () => {
  const reg = useRegistry();
  let proxy: RecordingProxy;
  const repo = (name: string, host = proxy.host): Repository =>
    reg.client.repository({ registry: host, repository: name });

  beforeAll(async () => {
    proxy = await startRecordingProxy(reg.registry.url);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  async function release(name: string, layers: number[] = [4000, 8000]) {
    const image = makeImage({ layers: layers });
    const descriptor = await push(repo(name), image);
    return { image, descriptor };
  }

  it('promotes within a registry uploading no layer, and reports the previous digest', async () => {
    const dev = repo('p1/dev');
    const staging = repo('p1/app');
    const first = await release('p1/dev');
    await promote({
      source: dev,
      sourceReference: first.descriptor.digest,
      target: staging,
      environmentTags: ['staging'],
      verify: verified,
    });

    const second = await release('p1/dev', [16_000, 32_000, 1000]);
    await dev.putManifest(second.image.bytes, MediaType.OciManifest, 'latest');
    proxy.reset();
    const result = await promote({
      source: dev,
      sourceReference: 'latest',
      target: staging,
      environmentTags: ['staging'],
      verify: verified,
    });

    assert.equal(result.digest, second.descriptor.digest);
    assert.equal(result.resolvedFrom, 'latest');
    assert.equal(result.previousDigest, first.descriptor.digest);
    assert.deepEqual(result.tags, [{ tag: 'staging', previous: first.descriptor.digest, change: 'moved' }]);
    assert.equal(result.copy.blobsMounted, 4);
    assert.equal(result.copy.bytesCopied, 0);
    const uploads = proxy.requests.filter((r) => r.path.includes('/blobs/uploads/') && r.method !== 'POST');
    assert.deepEqual(uploads, []);
    assert.equal((await staging.resolve('staging'))?.digest, second.descriptor.digest);
    assert.equal((await staging.resolve(historyTag('staging', 1)))?.digest, first.descriptor.digest);
  });

  it('keeps the last releases reachable through history tags, shifting them on each promotion', async () => {
    const dev = repo('p2/dev');
    const prod = repo('p2/app');
    const releases = [];
    for (let i = 0; i < 4; i++) {
      const r = await release('p2/dev', [100 + i]);
      releases.push(r.descriptor.digest);
      await promote({
        source: dev,
        sourceReference: r.descriptor.digest,
        target: prod,
        environmentTags: ['prod'],
        keep: 2,
        verify: verified,
      });
    }
    assert.equal((await prod.resolve('prod'))?.digest, releases[3]);
    assert.equal((await prod.resolve('prod-prev-1'))?.digest, releases[2]);
    assert.equal((await prod.resolve('prod-prev-2'))?.digest, releases[1]);
    assert.equal(await prod.resolve('prod-prev-3'), undefined);
    // Nothing was deleted: the oldest release is still there by digest.
    assert.ok(await prod.resolve(releases[0]!));
  });

  it('refuses an unverified promotion, and a failed verification, before anything is written', async () => {
    const { descriptor } = await release('p3/dev');
    const target = repo('p3/app');
    proxy.reset();
    await assert.rejects(
      promote({
        source: repo('p3/dev'),
        sourceReference: descriptor.digest,
        target,
        environmentTags: ['staging'],
      }),
      code('NOT_VERIFIED'),
    );
    await assert.rejects(
      promote({
        source: repo('p3/dev'),
        sourceReference: descriptor.digest,
        target,
        environmentTags: ['staging'],
        verify: async () => {
          throw new Error('no signature found');
        },
      }),
      /no signature found/,
    );
    assert.deepEqual(
      proxy.requests.filter((r) => r.path.startsWith('/v2/p3/app')),
      [],
    );
  });

  it('never moves a protected tag, and honours no-clobber for further tags', async () => {
    const dev = repo('p4/dev');
    const prod = repo('p4/app');
    const v1 = await release('p4/dev');
    await promote({
      source: dev,
      sourceReference: v1.descriptor.digest,
      target: prod,
      environmentTags: ['prod'],
      tags: ['v1.0.0', 'stable'],
      verify: verified,
    });
    const v2 = await release('p4/dev', [123]);
    const base: PromotionRequest = {
      source: dev,
      sourceReference: v2.descriptor.digest,
      target: prod,
      environmentTags: ['prod'],
      verify: verified,
    };

    await assert.rejects(
      promote({ ...base, tags: ['v1.0.0'], protectedTags: ['v*'] }),
      code('PROTECTED_TAG'),
    );
    await assert.rejects(promote({ ...base, tags: ['stable'] }), code('TAG_EXISTS'));
    assert.equal(
      (await prod.resolve('prod'))?.digest,
      v1.descriptor.digest,
      'a refused promotion moves no tag',
    );
    assert.equal((await prod.resolve('v1.0.0'))?.digest, v1.descriptor.digest);

    const moved = await promote({ ...base, tags: ['stable'], noClobber: false });
    assert.deepEqual(
      moved.tags.map((t) => [t.tag, t.change]),
      [
        ['prod', 'moved'],
        ['stable', 'moved'],
      ],
    );
    assert.equal((await prod.resolve('stable'))?.digest, v2.descriptor.digest);
  });

  it("refuses a further tag that the environment's tags patterns do not allow, before any request to the target", async () => {
    const dev = repo('p9/dev');
    const prod = repo('p9/app');
    const v1 = await release('p9/dev');
    await promote({
      source: dev,
      sourceReference: v1.descriptor.digest,
      target: prod,
      environmentTags: ['prod'],
      tags: ['v1.0.0'],
      verify: verified,
    });
    const policy = parsePolicy(
      `environments:
  - name: staging
    repository: ${proxy.host}/p9/dev
  - name: production
    repository: ${proxy.host}/p9/app
    tag: prod
    tags: ['v*']
`,
      '.github/release-environments.yml',
    );
    const allowedTags = tagRule(policy, environment(policy, 'production', 'to'))!;
    const v2 = await release('p9/dev', [321]);
    const tagsBefore = await prod.listTags();
    proxy.reset();
    await assert.rejects(
      promote({
        source: dev,
        sourceReference: v2.descriptor.digest,
        target: prod,
        environmentTags: ['prod'],
        tags: ['v1.1.0', 'latest'],
        allowedTags,
        verify: verified,
      }),
      (err: unknown) => {
        assert.ok(err instanceof PromoteError && err.code === 'TAG_NOT_ALLOWED', String(err));
        assert.match(
          err.message,
          /"latest" is not allowed in environment "production": environments\[1\]\.tags in \.github\/release-environments\.yml allows only tags matching "v\*"/,
        );
        return true;
      },
    );
    assert.deepEqual(
      proxy.requests.filter((r) => r.path.startsWith('/v2/p9/app')),
      [],
    );
    assert.deepEqual(await prod.listTags(), tagsBefore);
    assert.equal(await prod.resolve(v2.descriptor.digest), undefined, 'nothing of the image was copied');

    const allowed = await promote({
      source: dev,
      sourceReference: v2.descriptor.digest,
      target: prod,
      environmentTags: ['prod'],
      tags: ['v1.1.0', 'prod'],
      allowedTags,
      verify: verified,
    });
    assert.deepEqual(
      allowed.tags.map((t) => [t.tag, t.change]),
      [
        ['prod', 'moved'],
        ['v1.1.0', 'created'],
      ],
    );
  });

  it('checks the syntax of every tag it would write before anything is copied', async () => {
    const { descriptor } = await release('p10/dev', [999]);
    const target = repo('p10/app');
    const base: PromotionRequest = {
      source: repo('p10/dev'),
      sourceReference: descriptor.digest,
      target,
      environmentTags: ['prod'],
      verify: verified,
    };
    proxy.reset();
    const invalid = (pattern: RegExp) => (err: unknown) => {
      assert.ok(err instanceof PromoteError && err.code === 'INVALID_TAG', String(err));
      assert.match(err.message, pattern);
      assert.match(err.message, /\[a-zA-Z0-9_\]\[a-zA-Z0-9\._-\]\{0,127\}/, 'the message gives the rule');
      return true;
    };
    await assert.rejects(promote({ ...base, tags: ['v1', 'bad tag!'] }), invalid(/the tag "bad tag!"/));
    await assert.rejects(promote({ ...base, tags: ['x'.repeat(129)] }), invalid(/the tag "x{129}"/));
    await assert.rejects(
      promote({ ...base, environmentTags: ['-prod'] }),
      invalid(/the environment tag "-prod"/),
    );
    const long = 'p'.repeat(125);
    await assert.rejects(
      promote({ ...base, environmentTags: [long], keep: 2 }),
      invalid(new RegExp(`history tag of "${long}" "${long}-prev-2"`)),
    );
    assert.deepEqual(
      proxy.requests.filter((r) => r.path.startsWith('/v2/p10/')),
      [],
      'refused before any request',
    );
    // Without history tags, the longest environment tag is fine.
    const ok = await promote({ ...base, environmentTags: [long], keep: 0 });
    assert.equal((await target.resolve(long))?.digest, ok.digest);
  });

  it('names a source tag that does not exist SOURCE_NOT_FOUND, not a verification failure', async () => {
    const source = repo('p11/dev');
    await release('p11/dev');
    await assert.rejects(
      promote({
        source,
        sourceReference: 'no-such-tag',
        target: repo('p11/app'),
        environmentTags: ['prod'],
        verify: verified,
      }),
      (err: unknown) => {
        assert.ok(err instanceof PromoteError && err.code === 'SOURCE_NOT_FOUND', String(err));
        assert.match(err.message, new RegExp(`${source.name}:no-such-tag does not exist`));
        return true;
      },
    );
  });

  it('plans in a dry run and changes nothing', async () => {
    const dev = repo('p5/dev');
    const prod = repo('p5/app');
    const v1 = await release('p5/dev');
    await promote({
      source: dev,
      sourceReference: v1.descriptor.digest,
      target: prod,
      environmentTags: ['prod'],
      verify: verified,
    });
    const v2 = await release('p5/dev', [5000, 6000]);
    proxy.reset();
    const plan = await promote({
      source: dev,
      sourceReference: v2.descriptor.digest,
      target: prod,
      environmentTags: ['prod'],
      dryRun: true,
      verify: verified,
    });
    assert.equal(plan.dryRun, true);
    assert.equal(plan.previousDigest, v1.descriptor.digest);
    assert.deepEqual(plan.history, [{ tag: 'prod-prev-1', digest: v1.descriptor.digest }]);
    assert.equal(plan.copy.blobsMounted, 3);
    assert.deepEqual(
      proxy.requests.filter((r) => !['GET', 'HEAD'].includes(r.method)),
      [],
    );
    assert.equal((await prod.resolve('prod'))?.digest, v1.descriptor.digest);
  });

  it('carries a multi-platform index with its signature tag and referrers to another registry, digests identical', async () => {
    const other = await startRegistry();
    onTestFinished(() => other.stop());
    const amd = makeImage({ layers: [3000], platform: { architecture: 'amd64', os: 'linux' } });
    const arm = makeImage({ layers: [4000], platform: { architecture: 'arm64', os: 'linux' } });
    const index = makeIndex([
      { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
      { image: arm, platform: { architecture: 'arm64', os: 'linux' } },
    ]);
    const source = repo('p6/app');
    await push(source, amd);
    await push(source, arm);
    const subject = await source.putManifest(index.bytes, MediaType.OciIndex, 'rc');
    const sig = makeImage({ layers: [64] });
    await push(source, sig, cosignTag(subject.digest, 'sig'));
    const attestation = makeArtifact(subject, {
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      content: Buffer.from('{"dsse":1}'),
    });
    for (const b of attestation.blobs) await source.putBlob(b.descriptor, b.bytes);
    await source.putManifest(attestation.bytes, MediaType.OciManifest);

    const target = reg.client.repository({ registry: other.host, repository: 'acme/app' });
    const result = await promote({
      source,
      sourceReference: 'rc',
      target,
      environmentTags: ['prod'],
      verify: verified,
    });
    assert.equal(result.digest, index.descriptor.digest);
    assert.deepEqual((await target.getManifest('prod')).bytes, index.bytes);
    assert.equal((await target.resolve(cosignTag(subject.digest, 'sig')))?.digest, sig.descriptor.digest);
    assert.deepEqual(
      (await target.referrers(subject.digest)).map((d) => d.digest),
      [attestation.descriptor.digest],
    );
    for (const image of [amd, arm]) assert.ok(await target.resolve(image.descriptor.digest));

    const armOnly = reg.client.repository({ registry: other.host, repository: 'acme/app-arm' });
    const restricted = await promote({
      source,
      sourceReference: 'rc',
      target: armOnly,
      environmentTags: ['prod'],
      platforms: [parsePlatform('linux/arm64')],
      verify: verified,
    });
    // One platform: its manifest itself, not a one-entry index.
    assert.equal(restricted.sourceDigest, index.descriptor.digest);
    assert.equal(restricted.digest, arm.descriptor.digest);
    assert.equal((await armOnly.resolve('prod'))?.digest, arm.descriptor.digest);
    assert.deepEqual((await armOnly.getManifest('prod')).bytes, arm.bytes);
    assert.equal(await armOnly.resolve(amd.descriptor.digest), undefined);
  });

  it('promotes a key-signed multi-platform index with SLSA provenance across registries, and it verifies there', async () => {
    const other = await startRegistry();
    onTestFinished(() => other.stop());
    const amd = makeImage({ layers: [2500], platform: { architecture: 'amd64', os: 'linux' } });
    const arm = makeImage({ layers: [3500], platform: { architecture: 'arm64', os: 'linux' } });
    const index = makeIndex([
      { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
      { image: arm, platform: { architecture: 'arm64', os: 'linux' } },
    ]);
    const ref = { registry: proxy.host, repository: 'p8/app' };
    const source = repo(ref.repository);
    await push(source, amd);
    await push(source, arm);
    const { digest } = await source.putManifest(index.bytes, MediaType.OciIndex, 'rc');
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const context = {
      serverUrl: 'https://github.com',
      repository: 'acme/app',
      workflowRef: 'acme/app/.github/workflows/release.yml@refs/tags/v1.0.0',
      ref: 'refs/tags/v1.0.0',
      sha: 'a'.repeat(40),
      eventName: 'push',
      runId: '1',
      runAttempt: '1',
    };
    await signImage({
      store: source,
      image: ref,
      digest,
      signer: createKeySigner({ privateKey, publicKey }),
      format: 'both',
      provenance: { context },
    });
    const policy: VerifyPolicy = {
      trust: { kind: 'keys', keys: [publicKeyToPem(publicKey)] },
      requireAttestations: ['slsa-provenance'],
      provenance: { sourceRepository: /acme\/app/ },
    };

    const target = reg.client.repository({ registry: other.host, repository: 'acme/app' });
    const result = await promote({
      source,
      sourceReference: 'rc',
      target,
      environmentTags: ['prod'],
      verify: (d) => verifyImage({ store: source, digest: d, policy }),
    });
    assert.equal(result.digest, digest);
    assert.equal(result.verification?.verified, true);
    const there = await verifyImage({ store: target, reference: 'prod', policy });
    assert.equal(there.digest, digest);
    assert.deepEqual(
      there.attestations.map((a) => a.name),
      ['slsa-provenance'],
    );
    for (const image of [amd, arm])
      assert.equal((await target.resolve(image.descriptor.digest))?.digest, image.descriptor.digest);
  });

  describe('platforms of a signed index', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const signer = createKeySigner(key);
    const policy: VerifyPolicy = { trust: { kind: 'keys', keys: [publicKeyToPem(key.publicKey)] } };

    /** An amd64 + arm64 + arm/v7 index in `repository`, tagged rc, signed (recursively unless `flat`). */
    async function signedIndex(repository: string, flat = false) {
      const images = (['amd64', 'arm64', 'arm'] as const).map((architecture) => ({
        image: makeImage({ layers: [1000 + architecture.length], platform: { architecture, os: 'linux' } }),
        platform: { architecture, os: 'linux', ...(architecture === 'arm' && { variant: 'v7' }) },
      }));
      const store = repo(repository);
      for (const { image } of images) await push(store, image);
      const index = makeIndex(images);
      const { digest } = await store.putManifest(index.bytes, MediaType.OciIndex, 'rc');
      await signImage({
        store,
        image: { registry: proxy.host, repository },
        digest,
        signer,
        format: 'both',
        recursive: !flat,
      });
      return { store, digest, arm64: images[1]!.image.descriptor.digest };
    }

    it('promotes one platform of a recursively signed index as that manifest, verified, and it verifies in the target', async () => {
      const { store, digest, arm64 } = await signedIndex('p9/app');
      const target = repo('p9/app-arm');
      const verifiedDigests: string[] = [];
      const result = await promote({
        source: store,
        sourceReference: 'rc',
        target,
        environmentTags: ['prod'],
        platforms: [parsePlatform('linux/arm64')],
        verify: (d) => {
          verifiedDigests.push(d);
          return verifyImage({ store, digest: d, policy });
        },
      });
      assert.equal(result.sourceDigest, digest);
      assert.equal(result.digest, arm64);
      assert.deepEqual(verifiedDigests, [arm64], 'what the tag points at is what was verified');
      assert.equal((await target.resolve('prod'))?.digest, arm64);
      const there = await verifyImage({ store: target, reference: 'prod', policy });
      assert.equal(there.digest, arm64);
      assert.equal(there.signatures.length, 2, 'its .sig and its bundle came along');
      assert.equal(await target.resolve(digest), undefined, 'the index was not copied');
    });

    it('refuses several platforms (a new, unsigned index) in a verified promotion before anything is written; unverified, makes the new index', async () => {
      const { store, digest } = await signedIndex('p10/app');
      const target = repo('p10/app-two');
      const platforms = [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')];
      let verifyCalls = 0;
      await assert.rejects(
        promote({
          source: store,
          sourceReference: 'rc',
          target,
          environmentTags: ['prod'],
          platforms,
          verify: async (d) => {
            verifyCalls++;
            return verifyImage({ store, digest: d, policy });
          },
        }),
        (err: unknown) => {
          code('UNSIGNED_RESTRICTION')(err);
          assert.match((err as Error).message, /linux\/amd64, linux\/arm64/);
          assert.match((err as Error).message, /restrict platforms to one platform/);
          return true;
        },
      );
      assert.equal(verifyCalls, 0);
      assert.deepEqual(await target.listTags().catch(() => []), []);

      const unverified = await promote({
        source: store,
        sourceReference: 'rc',
        target,
        environmentTags: ['prod'],
        platforms,
        allowUnverified: true,
      });
      assert.notEqual(unverified.digest, digest);
      const written = await target.getManifest('prod');
      assert.equal(written.descriptor.digest, unverified.digest);
      assert.equal((written.manifest as { manifests: unknown[] }).manifests.length, 2);

      // Every platform: the index itself, with its signatures.
      const all = await promote({
        source: store,
        sourceReference: 'rc',
        target: repo('p10/app-all'),
        environmentTags: ['prod'],
        platforms: [...platforms, parsePlatform('linux/arm/v7')],
        verify: (d) => verifyImage({ store, digest: d, policy }),
      });
      assert.equal(all.digest, digest);
    });

    it('names a platform manifest that is not signed by itself PLATFORM_NOT_VERIFIED, with the verification error as cause', async () => {
      const { store, arm64 } = await signedIndex('p11/app', true);
      const target = repo('p11/app-arm');
      await assert.rejects(
        promote({
          source: store,
          sourceReference: 'rc',
          target,
          environmentTags: ['prod'],
          platforms: [parsePlatform('linux/arm64')],
          verify: (d) => verifyImage({ store, digest: d, policy }),
        }),
        (err: unknown) => {
          code('PLATFORM_NOT_VERIFIED')(err);
          assert.ok((err as Error).message.includes(arm64));
          assert.match((err as Error).message, /NO_SIGNATURE/);
          assert.ok((err as Error).cause instanceof VerifyError);
          return true;
        },
      );
      assert.deepEqual(await target.listTags().catch(() => []), []);
    });
  });

  it('leaves the target tags unchanged when the source fails half-way, and a rerun completes', async () => {
    const other = await startRegistry();
    onTestFinished(() => other.stop());
    const target = reg.client.repository({ registry: other.host, repository: 'acme/app' });
    const old = makeImage({ layers: [77] });
    await push(target, old, 'prod');
    const fresh = await release('p7/dev', [20_000, 20_000, 20_000]);
    const poisoned = fresh.image.layers[1]!.descriptor.digest;
    const stop = proxy.failWhen(
      (req) => req.method === 'GET' && req.path.includes(poisoned) && { status: 503 },
    );
    const request: PromotionRequest = {
      source: repo('p7/dev'),
      sourceReference: fresh.descriptor.digest,
      target,
      environmentTags: ['prod'],
      verify: verified,
    };
    await assert.rejects(promote(request));
    assert.equal((await target.resolve('prod'))?.digest, old.descriptor.digest);
    assert.equal(await target.resolve('prod-prev-1'), undefined);
    stop();
    const rerun = await promote(request);
    assert.equal(rerun.previousDigest, old.descriptor.digest);
    assert.equal((await target.resolve('prod'))?.digest, fresh.descriptor.digest);
    assert.equal((await target.resolve('prod-prev-1'))?.digest, old.descriptor.digest);
  });
});
