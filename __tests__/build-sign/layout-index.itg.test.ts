/**
 * The committed build-sign bundle, run as the runner runs it, with builder none on an image in an
 * OCI image layout (`oci-layout:<dir>[:tag]`, signatures stored in the layout) and on a
 * multi-platform index in a loopback docker-registry (the index and each platform manifest
 * signed, as cosign sign --recursive); and its summary on a re-run, where every signature and
 * attestation already there says so.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { cosignTag, LayoutStore, MediaType, type ImageStore } from '@release-actions/shared/oci';
import { generateKeyPair, type GeneratedKeyPair } from '@release-actions/shared/sign';
import { verifyImage, type VerifyPolicy } from '@release-actions/shared/verify';
import { makeImage, makeIndex, push } from '../images.ts';
import { GITHUB_RUN_ENV as GITHUB_ENV, runAction } from './runner.ts';
import { useRegistry } from '../registry-fixture.ts';

const PASSWORD = 'layout and index';

async function pushIndex(store: ImageStore, tag: string) {
  const amd = makeImage({ layers: [1200], platform: { architecture: 'amd64', os: 'linux' } });
  const arm = makeImage({ layers: [2200], platform: { architecture: 'arm64', os: 'linux' } });
  await push(store, amd);
  await push(store, arm);
  const index = makeIndex([
    { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
    { image: arm, platform: { architecture: 'arm64', os: 'linux' } },
  ]);
  const { digest } = await store.putManifest(index.bytes, MediaType.OciIndex, tag);
  return { digest, amd: amd.descriptor.digest, arm: arm.descriptor.digest };
}

describe('actions/build-sign dist/index.js: OCI layouts and indexes', () => {
  const reg = useRegistry();
  let key: GeneratedKeyPair;
  let temp: string;
  let policy: VerifyPolicy;

  beforeAll(async () => {
    key = await generateKeyPair(PASSWORD, { scryptN: 32768 });
    temp = mkdtempSync(join(tmpdir(), 'build-sign-layout-'));
    policy = {
      trust: { kind: 'keys', keys: [key.publicKeyPem] },
      requireAttestations: ['slsa-provenance'],
      provenance: { sourceRepository: 'acme/app' },
    };
  });
  afterAll(async () => {
    if (temp) rmSync(temp, { recursive: true, force: true });
  });

  const keyInputs = () => ({ signing: 'key', 'cosign-key': key.privateKeyPem, 'cosign-password': PASSWORD });
  const env = () => ({ ...GITHUB_ENV, RUNNER_TEMP: temp });

  it('builder none signs an image in an OCI layout: signatures and provenance stored there, outputs in the layout form, verifyImage accepts it', async () => {
    const dir = join(temp, 'layout-one');
    const layout = await LayoutStore.open(dir, { create: true });
    const { digest } = await push(layout, makeImage({ layers: [700] }), 'v1');

    const run = await runAction(
      { builder: 'none', image: `oci-layout:${dir}:v1`, ...keyInputs() },
      { env: env() },
    );
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const name = `oci-layout:${dir}`;
    assert.equal(run.outputs.digest, digest);
    assert.equal(run.outputs.image, `${name}@${digest}`);
    const [legacy, referrer] = run.outputs.signature!.split('\n');
    assert.equal(legacy, `${name}:${cosignTag(digest, 'sig')}`);
    assert.match(referrer!, new RegExp(`^oci-layout:.*@sha256:[0-9a-f]{64}$`));
    assert.equal(run.outputs.provenance!.split('\n')[0], `${name}:${cosignTag(digest, 'att')}`);
    assert.doesNotMatch(run.stdout, /push access/);

    const stored = await LayoutStore.open(dir);
    const verified = await verifyImage({ store: stored, reference: 'v1', policy });
    assert.equal(verified.digest, digest);
    assert.equal(verified.signatures.length, 2);
    assert.ok(run.summary.includes(`${name}@${digest}`), run.summary);

    // Untagged, the layout's only image is signed (its signatures are no images of it); nothing new is stored.
    const untagged = await runAction(
      { builder: 'none', image: `oci-layout:${dir}`, ...keyInputs() },
      { env: env() },
    );
    assert.equal(untagged.exitCode, 0, untagged.stdout + untagged.stderr);
    assert.equal(untagged.outputs.digest, digest);
    assert.equal((await stored.referrers(digest)).length, 2, 'the signature bundle and the provenance');
  });

  it('an untagged layout with two tags fails listing them, and nothing is written', async () => {
    const dir = join(temp, 'layout-two');
    const layout = await LayoutStore.open(dir, { create: true });
    await push(layout, makeImage({ layers: [300] }), 'v1');
    await push(layout, makeImage({ layers: [400] }), 'v2');
    const before = readFileSync(join(dir, 'index.json'), 'utf8');

    const run = await runAction(
      { builder: 'none', image: `oci-layout:${dir}`, ...keyInputs() },
      { env: env() },
    );
    assert.equal(run.exitCode, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /holds 2 images: v1 \(sha256:[0-9a-f]+\); v2 \(sha256:/);
    assert.doesNotMatch(run.stdout, /latest/);
    assert.equal(readFileSync(join(dir, 'index.json'), 'utf8'), before);
    assert.equal(run.outputs.digest, undefined);
  });

  it('refuses an OCI layout with a builder, and a registry login for a layout, before anything runs', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { builder: 'buildah', image: `oci-layout:${temp}/x`, tags: 'v1', ...keyInputs() },
        /input "image": .*is an OCI layout: builder buildah pushes to a registry/,
      ],
      [
        { builder: 'none', image: `oci-layout:${temp}/x:v1`, username: 'u', password: 'p', ...keyInputs() },
        /input "username": applies to a registry/,
      ],
    ];
    for (const [inputs, message] of cases) {
      const run = await runAction(inputs, { env: env() });
      assert.equal(run.exitCode, 1, JSON.stringify(inputs));
      assert.match(run.stdout, message);
    }
  });

  it('builder none on an index signs the index and each platform manifest; the arm64 manifest verifies by itself', async () => {
    const ref = { registry: reg.registry.host, repository: 'acme/multi' };
    const store = reg.client.repository(ref);
    const { digest, amd, arm } = await pushIndex(store, 'v1');

    const run = await runAction(
      { builder: 'none', image: `${reg.registry.host}/acme/multi:v1`, ...keyInputs() },
      { env: env() },
    );
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.digest, digest);
    for (const d of [digest, amd, arm]) {
      const verified = await verifyImage({ store, digest: d, policy });
      assert.equal(verified.digest, d);
      assert.equal(verified.signatures.length, 2, `${d}: the .sig and the bundle`);
    }
    // The outputs name the index's signatures; the summary lists each platform manifest.
    assert.equal(run.outputs.signature!.split('\n').length, 2);
    assert.match(run.summary, /Platform manifests, each signed/);
    assert.ok(
      run.summary.includes(`linux/arm64: <code>${arm}</code> (signed, provenance attached)`),
      run.summary,
    );

    // A re-run stores nothing new and says so for every signature and attestation.
    const again = await runAction(
      { builder: 'none', image: `${reg.registry.host}/acme/multi@${digest}`, ...keyInputs() },
      { env: env() },
    );
    assert.equal(again.exitCode, 0, again.stdout + again.stderr);
    for (const what of ['cosign .sig', 'Sigstore bundle referrer', 'cosign .att'])
      assert.ok(again.summary.includes(`(${what}, already there)`), `${what}:\n${again.summary}`);
    assert.equal(again.summary.match(/Sigstore bundle referrer, already there/g)?.length, 2, again.summary);
    assert.ok(
      again.summary.includes(`<code>${arm}</code> (already signed, provenance attached)`),
      again.summary,
    );
    assert.equal((await store.referrers(arm)).length, 2);
  });
});
