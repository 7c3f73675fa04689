/**
 * The committed promote bundle (with build-sign's and verify-image's where a test spans the
 * pipeline), run as the runner runs them, against a loopback docker-registry and OCI image layouts:
 * layout → registry → layout keeps the digest and the signatures, which verify at each end; an
 * untagged layout holding two images is refused before anything is written; one platform of a
 * build-sign-signed index is promoted as that platform's manifest and verifies in the target;
 * several platforms are refused (UNSIGNED_RESTRICTION) unless verification is off.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { cosignTag, LayoutStore, MediaType, type ImageStore } from '@release-actions/shared/oci';
import {
  createKeySigner,
  generateKeyPair,
  githubContextFromEnv,
  loadPrivateKey,
  signImage,
  type GeneratedKeyPair,
} from '@release-actions/shared/sign';
import { type TestRegistry } from '@release-actions/shared/testing';
import { verifyImage, type VerifyPolicy } from '@release-actions/shared/verify';
import { distOf, runAction } from '../action-runner.ts';
import { makeImage, makeIndex, push } from '../images.ts';
import { useRegistry } from '../registry-fixture.ts';
import { GITHUB_RUN_ENV } from '../build-sign/runner.ts';

const PROMOTE = distOf('promote');
const BUILD_SIGN = distOf('build-sign');
const VERIFY_IMAGE = distOf('verify-image');
const PASSWORD = 'promote layouts and platforms';
const GITHUB_ENV = GITHUB_RUN_ENV;

/** Tags and manifest revisions of a repository in the registry's own storage. */
function stored(registry: TestRegistry, repository: string): { tags: string[]; manifests: string[] } {
  const base = join(registry.storageDir, 'docker/registry/v2/repositories', repository, '_manifests');
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
  return { tags: list(join(base, 'tags')), manifests: list(join(base, 'revisions/sha256')) };
}

describe('actions/promote dist/index.js: OCI layouts and platforms', () => {
  const reg = useRegistry();
  let key: GeneratedKeyPair;
  let temp: string;
  let policy: VerifyPolicy;
  const repo = (name: string) => reg.repo(name);

  beforeAll(async () => {
    key = await generateKeyPair(PASSWORD, { scryptN: 32768 });
    temp = mkdtempSync(join(tmpdir(), 'promote-layout-'));
    policy = {
      trust: { kind: 'keys', keys: [key.publicKeyPem] },
      requireAttestations: ['slsa-provenance'],
      provenance: { sourceRepository: 'acme/app' },
    };
  });
  afterAll(async () => {
    if (temp) rmSync(temp, { recursive: true, force: true });
  });

  const signer = async () => createKeySigner(await loadPrivateKey(key.privateKeyPem, PASSWORD));
  const trust = () => ({ key: key.publicKeyPem, 'require-attestations': 'slsa-provenance' });

  /** An amd64 + arm64 index in `store`, tagged `tag`. */
  async function pushIndex(store: ImageStore, tag: string) {
    const images = (['amd64', 'arm64'] as const).map((architecture) => ({
      image: makeImage({
        layers: [1800 + architecture.length * 100],
        platform: { architecture, os: 'linux' },
      }),
      platform: { architecture, os: 'linux' },
    }));
    for (const { image } of images) await push(store, image);
    const { digest } = await store.putManifest(makeIndex(images).bytes, MediaType.OciIndex, tag);
    return { digest, amd64: images[0]!.image.descriptor.digest, arm64: images[1]!.image.descriptor.digest };
  }

  it('promotes layout → registry → layout: the digest is kept, and the signatures and provenance verify at each end', async () => {
    const dir = join(temp, 'built');
    const layout = await LayoutStore.open(dir, { create: true });
    const { digest } = await push(layout, makeImage({ layers: [3000, 1000] }), 'v1');
    await signImage({
      store: layout,
      digest,
      signer: await signer(),
      format: 'both',
      provenance: { context: githubContextFromEnv(GITHUB_ENV) },
    });

    const up = await runAction(PROMOTE, {
      source: `oci-layout:${dir}:v1`,
      target: `${reg.registry.host}/acme/from-layout`,
      tags: 'release',
      ...trust(),
    });
    assert.equal(up.exitCode, 0, up.stdout + up.stderr);
    assert.equal(up.outputs.digest, digest);
    assert.equal(up.outputs.image, `${reg.registry.host}/acme/from-layout@${digest}`);
    const there = await verifyImage({ store: repo('acme/from-layout'), reference: 'release', policy });
    assert.equal(there.digest, digest);
    assert.equal(there.signatures.length, 2, 'the .sig and the bundle referrer came along');

    const back = join(temp, 'mirror');
    const down = await runAction(PROMOTE, {
      source: `${reg.registry.host}/acme/from-layout:release`,
      target: `oci-layout:${back}`,
      tags: 'prod',
      ...trust(),
    });
    assert.equal(down.exitCode, 0, down.stdout + down.stderr);
    assert.equal(down.outputs.digest, digest);
    assert.equal(down.outputs.image, `oci-layout:${back}@${digest}`);
    const mirror = await LayoutStore.open(back);
    const home = await verifyImage({ store: mirror, reference: 'prod', policy });
    assert.equal(home.digest, digest);
    assert.equal(home.signatures.length, 2);
    assert.ok((await mirror.listTags()).includes(cosignTag(digest, 'sig')));
    assert.match(down.summary, /oci-layout:/);
  });

  it('refuses an untagged layout holding two images, listing its tags, and writes nothing', async () => {
    const dir = join(temp, 'two');
    const layout = await LayoutStore.open(dir, { create: true });
    await push(layout, makeImage({ layers: [500] }), 'v1');
    await push(layout, makeImage({ layers: [600] }), 'v2');
    const index = readFileSync(join(dir, 'index.json'), 'utf8');
    const target = join(temp, 'never');

    for (const to of [`${reg.registry.host}/acme/never`, `oci-layout:${target}`]) {
      const run = await runAction(PROMOTE, { source: `oci-layout:${dir}`, target: to, verify: 'false' });
      assert.equal(run.exitCode, 1, run.stdout + run.stderr);
      assert.match(run.stdout, /holds 2 images: v1 \(sha256:[0-9a-f]+\); v2 \(sha256:[0-9a-f]+\)/);
      assert.doesNotMatch(run.stdout, /latest/);
      assert.equal(run.outputs.digest, undefined);
    }
    assert.deepEqual(stored(reg.registry, 'acme/never'), { tags: [], manifests: [] });
    assert.equal(existsSync(target), false, 'the target layout was not created');
    assert.equal(readFileSync(join(dir, 'index.json'), 'utf8'), index);
  });

  it('promotes one platform of an index build-sign signed as that platform’s manifest; verify-image passes on the target tag', async () => {
    const { digest, arm64 } = await pushIndex(repo('acme/multi'), 'rc');
    const signed = await runAction(
      BUILD_SIGN,
      {
        builder: 'none',
        image: `${reg.registry.host}/acme/multi@${digest}`,
        signing: 'key',
        'cosign-key': key.privateKeyPem,
        'cosign-password': PASSWORD,
      },
      { env: GITHUB_ENV },
    );
    assert.equal(signed.exitCode, 0, signed.stdout + signed.stderr);

    const run = await runAction(PROMOTE, {
      source: `${reg.registry.host}/acme/multi:rc`,
      target: `${reg.registry.host}/acme/arm`,
      tags: 'prod',
      platforms: 'linux/arm64',
      ...trust(),
    });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.digest, arm64);
    assert.equal(run.outputs.image, `${reg.registry.host}/acme/arm@${arm64}`);
    assert.equal((await repo('acme/arm').resolve('prod'))?.digest, arm64);
    const there = await verifyImage({ store: repo('acme/arm'), reference: 'prod', policy });
    assert.equal(there.digest, arm64);

    const verified = await runAction(VERIFY_IMAGE, {
      image: `${reg.registry.host}/acme/arm:prod`,
      ...trust(),
    });
    assert.equal(verified.exitCode, 0, verified.stdout + verified.stderr);
    assert.equal(verified.outputs.verified, 'true');
    assert.equal(verified.outputs.digest, arm64);
  });

  it('refuses several platforms of a verified promotion (a new, unsigned index) before anything is written; with verify false it promotes the new index', async () => {
    const source = repo('acme/three');
    const images = (['amd64', 'arm64', 's390x'] as const).map((architecture) => ({
      image: makeImage({ layers: [900 + architecture.length], platform: { architecture, os: 'linux' } }),
      platform: { architecture, os: 'linux' },
    }));
    for (const { image } of images) await push(source, image);
    const { digest } = await source.putManifest(makeIndex(images).bytes, MediaType.OciIndex, 'rc');
    await signImage({
      store: source,
      image: { registry: reg.registry.host, repository: 'acme/three' },
      digest,
      signer: await signer(),
      format: 'both',
      recursive: true,
    });

    const inputs = {
      source: `${reg.registry.host}/acme/three:rc`,
      target: `${reg.registry.host}/acme/two`,
      tags: 'prod',
      platforms: 'linux/amd64, linux/arm64',
    };
    const refused = await runAction(PROMOTE, { ...inputs, key: key.publicKeyPem });
    assert.equal(refused.exitCode, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /UNSIGNED_RESTRICTION: .*restrict platforms to one platform/);
    assert.match(refused.summary, /UNSIGNED_RESTRICTION/);
    assert.deepEqual(stored(reg.registry, 'acme/two'), { tags: [], manifests: [] });

    const unverified = await runAction(PROMOTE, { ...inputs, verify: 'false' });
    assert.equal(unverified.exitCode, 0, unverified.stdout + unverified.stderr);
    assert.notEqual(unverified.outputs.digest, digest);
    assert.equal((await repo('acme/two').resolve('prod'))?.digest, unverified.outputs.digest);
  });
});
