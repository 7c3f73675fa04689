/**
 * signImage's `recursive` (as `cosign sign --recursive`): an index and each manifest it lists get
 * their own signatures and provenance, so one platform's manifest verifies on its own; buildx's
 * attestation manifests are left alone. And signImage on an OCI image layout: signatures stored in
 * the layout, found there by verifyImage. Against a real docker-registry on loopback.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import {
  cosignTag,
  digestOf,
  LayoutStore,
  MediaType,
  type Descriptor,
  type ImageStore,
} from '@release-actions/shared/oci';
import {
  createKeySigner,
  githubContextFromEnv,
  publicKeyToPem,
  readCosignImage,
  signImage,
} from '@release-actions/shared/sign';
import { verifyImage, VerifyError, type VerifyPolicy } from '@release-actions/shared/verify';
import { withCode } from '../codes.ts';
import { makeImage, makeIndex, push } from '../images.ts';
import { useRegistry } from '../registry-fixture.ts';

const context = githubContextFromEnv({
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/release.yml@refs/tags/v1',
  GITHUB_REF: 'refs/tags/v1',
  GITHUB_SHA: 'c27d339ee6075c1f744c5d4b200f7901aad2c369',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_RUN_ID: '7',
  GITHUB_RUN_ATTEMPT: '1',
});

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { signer: createKeySigner({ privateKey, publicKey }), publicPem: publicKeyToPem(publicKey) };
}

/** An amd64 + arm64 index, its images pushed, tagged `tag`. */
async function pushIndex(store: ImageStore, tag: string) {
  const amd = makeImage({ layers: [1500], platform: { architecture: 'amd64', os: 'linux' } });
  const arm = makeImage({ layers: [2500], platform: { architecture: 'arm64', os: 'linux' } });
  await push(store, amd);
  await push(store, arm);
  const index = makeIndex([
    { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
    { image: arm, platform: { architecture: 'arm64', os: 'linux' } },
  ]);
  const { digest } = await store.putManifest(index.bytes, MediaType.OciIndex, tag);
  return { digest, amd: amd.descriptor.digest, arm: arm.descriptor.digest };
}

describe('signImage recursive and in an OCI layout', () => {
  const reg = useRegistry();
  let dir: string;
  const key = keyPair();
  const policy: VerifyPolicy = {
    trust: { kind: 'keys', keys: [key.publicPem] },
    requireAttestations: ['slsa-provenance'],
    provenance: { sourceRepository: 'acme/app' },
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sign-recursive-'));
  });
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs an index and each platform manifest in both formats with provenance; each verifies on its own digest', async () => {
    const ref = { registry: reg.registry.host, repository: 'recursive/app' };
    const store = reg.client.repository(ref);
    const { digest, amd, arm } = await pushIndex(store, 'v1');

    const signed = await signImage({
      store,
      image: ref,
      digest,
      signer: key.signer,
      format: 'both',
      provenance: { context },
      recursive: true,
    });
    assert.deepEqual(
      signed.manifests.map((m) => [m.digest, m.platform?.architecture]),
      [
        [amd, 'amd64'],
        [arm, 'arm64'],
      ],
    );
    const name = `${reg.registry.host}/recursive/app`;
    for (const m of signed.manifests) {
      assert.equal(m.signature.legacy?.location, `${name}:${cosignTag(m.digest, 'sig')}`);
      assert.match(m.signature.bundle!.location, new RegExp(`^${name}@sha256:`));
      assert.deepEqual(
        m.provenance?.statement.subject.map((s) => s.digest?.sha256),
        [m.digest.slice('sha256:'.length)],
      );
    }
    // Each digest verifies by itself with its provenance, in each format.
    for (const d of [digest, amd, arm])
      for (const signatureFormat of ['legacy', 'bundle'] as const) {
        const verified = await verifyImage({ store, digest: d, policy: { ...policy, signatureFormat } });
        assert.equal(verified.digest, d);
        assert.equal(verified.attestations[0]?.statement.subject[0]?.digest?.sha256, d.slice(7));
      }

    // Signing again stores nothing new, for the index nor for its manifests.
    const again = await signImage({
      store,
      image: ref,
      digest,
      signer: key.signer,
      format: 'both',
      provenance: { context },
      recursive: true,
    });
    for (const m of [again, ...again.manifests]) {
      assert.equal(m.signature.legacy?.appended, false);
      assert.equal(m.signature.bundle?.appended, false);
      assert.equal(m.provenance?.bundle?.appended, false);
    }
    assert.equal((await readCosignImage(store, arm, 'sig'))?.layers.length, 1);
  });

  it('without recursive signs the index only: a platform manifest has no signature', async () => {
    const ref = { registry: reg.registry.host, repository: 'recursive/flat' };
    const store = reg.client.repository(ref);
    const { digest, arm } = await pushIndex(store, 'v1');
    const signed = await signImage({ store, image: ref, digest, signer: key.signer, format: 'both' });
    assert.deepEqual(signed.manifests, []);
    await assert.rejects(
      verifyImage({ store, digest: arm, policy: { trust: policy.trust } }),
      withCode(VerifyError, 'NO_SIGNATURE'),
    );
  });

  it("leaves buildx's attestation manifests of an index unsigned, and signs nested indexes and what they list", async () => {
    const ref = { registry: reg.registry.host, repository: 'recursive/buildx' };
    const store = reg.client.repository(ref);
    const image = makeImage({ layers: [900], platform: { architecture: 'amd64', os: 'linux' } });
    const attestation = makeImage({ layers: [100] });
    await push(store, image);
    await push(store, attestation);
    const inner = makeIndex([{ image, platform: { architecture: 'amd64', os: 'linux' } }]);
    await store.putManifest(inner.bytes, MediaType.OciIndex);
    const outer = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [
          inner.descriptor,
          {
            ...attestation.descriptor,
            platform: { architecture: 'unknown', os: 'unknown' },
            annotations: {
              'vnd.docker.reference.type': 'attestation-manifest',
              'vnd.docker.reference.digest': image.descriptor.digest,
            },
          },
        ],
      }),
    );
    const root: Descriptor = await store.putManifest(outer, MediaType.OciIndex, 'v1');
    assert.equal(root.digest, digestOf(outer));
    const signed = await signImage({
      store,
      image: ref,
      digest: root.digest,
      signer: key.signer,
      format: 'legacy',
      recursive: true,
    });
    assert.deepEqual(
      signed.manifests.map((m) => m.digest),
      [inner.descriptor.digest, image.descriptor.digest],
    );
    assert.equal(await store.resolve(cosignTag(attestation.descriptor.digest, 'sig')), undefined);
  });

  it('signs an image in an OCI layout: signatures and provenance stored in the layout, verifyImage accepts them there', async () => {
    const layout = await LayoutStore.open(join(dir, 'out'), { create: true });
    const { digest, arm } = await pushIndex(layout, 'v1');
    const signed = await signImage({
      store: layout,
      digest,
      signer: key.signer,
      format: 'both',
      provenance: { context },
      recursive: true,
    });
    assert.equal(signed.image, `${layout.name}@${digest}`);
    assert.equal(signed.signature.legacy?.location, `${layout.name}:${cosignTag(digest, 'sig')}`);
    assert.match(signed.signature.bundle!.location, new RegExp(`^${layout.name}@sha256:`));
    assert.equal(signed.provenance?.statement.subject[0]?.name, layout.name);

    const reopened = await LayoutStore.open(join(dir, 'out'));
    assert.ok((await reopened.listTags()).includes(cosignTag(digest, 'sig')));
    for (const d of [digest, arm]) {
      const verified = await verifyImage({ store: reopened, digest: d, policy });
      assert.equal(verified.image, `${layout.name}@${d}`);
      assert.equal(verified.signatures.length, 2, 'the .sig and the bundle referrer');
    }
  });
});
