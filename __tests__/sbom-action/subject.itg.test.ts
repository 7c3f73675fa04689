/**
 * A tag is resolved once: `generateSbom` returns the subject it resolved (the digest the user
 * named, an index staying an index, and the platform manifest it cataloged), and the sbom action
 * attests that subject. Here the tag moves to another image between cataloging and attesting, on
 * a loopback docker-registry: resolving the tag again would now give the other image, and the
 * attestation made from the returned subject is still on the image that was cataloged, holding
 * its SBOM.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, it } from '@jest/globals';
import { type Repository } from '@release-actions/shared/oci';
import { attestSbom, generateSbom, SBOM_PREDICATE_TYPES } from '@release-actions/shared/sbom';
import { createKeySigner, signImage } from '@release-actions/shared/sign';
import { verifyImage, VerifyError, type VerifySignatureFormat } from '@release-actions/shared/verify';
import { withCode } from '../codes.ts';
import { makeImage, makeIndex, push } from '../images.ts';
import { assertOfficialSpdx } from '../sbom/schemas.ts';
import { useRegistry } from '../registry-fixture.ts';

const SPDX = SBOM_PREDICATE_TYPES['spdx-json'];

const npmImage = (name: string, version: string) =>
  makeImage({
    layers: [
      [
        {
          name: `srv/app/node_modules/${name}/package.json`,
          content: JSON.stringify({ name, version, license: 'MIT' }),
        },
      ],
    ],
  });

/** The cataloged packages of an SPDX document (those with a purl; the image itself has none). */
const spdxNames = (doc: Record<string, unknown>) =>
  (doc.packages as Array<{ name: string; versionInfo?: string; externalRefs?: unknown[] }>)
    .filter((p) => p.externalRefs?.length)
    .map((p) => `${p.name}@${p.versionInfo}`)
    .sort();

describe('the SBOM subject is resolved once (generate, the tag moves, attest)', () => {
  const reg = useRegistry();
  let store: Repository;
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = createKeySigner(key);

  /** Signs the image as build-sign does, so verify-image's checks apply to it. */
  const sign = (digest: string) =>
    signImage({
      store,
      image: { registry: reg.registry.host, repository: 'acme/moving' },
      digest,
      format: 'both',
      signer,
    });
  /** The SPDX attestation verify-image accepts on `digest` (stored as `format`), its packages. */
  const attestedPackages = async (digest: string, signatureFormat: VerifySignatureFormat) => {
    const result = await verifyImage({
      store,
      digest,
      policy: {
        trust: { kind: 'keys', keys: [key.publicKey] },
        signatureFormat,
        requireAttestations: ['spdx'],
      },
    });
    const [attestation] = result.attestations;
    assert.equal(attestation?.predicateType, SPDX);
    assert.deepEqual(
      attestation.statement.subject.map((s) => s.digest?.sha256),
      [digest.slice(7)],
    );
    return spdxNames(attestation.statement.predicate as Record<string, unknown>);
  };

  beforeAll(async () => {
    store = reg.repo('acme/moving');
  });

  it('attests the image that was cataloged, not the one the tag points at afterwards', async () => {
    const first = await push(store, npmImage('left-pad', '1.3.0'), 'release');
    // One image, pushed untagged now and tagged later: the same bytes, whatever the clock says.
    const other = npmImage('right-pad', '9.9.9');
    const second = await push(store, other);
    await sign(first.digest);
    await sign(second.digest);

    const sbom = await generateSbom({
      image: `${reg.registry.host}/acme/moving:release`,
      client: reg.client,
    });
    console.log(assertOfficialSpdx(sbom.spdx));
    assert.ok(sbom.subject, 'an image SBOM carries its subject');
    assert.equal(sbom.subject.name, `${reg.registry.host}/acme/moving`);
    assert.equal(sbom.subject.digest, first.digest);
    assert.equal(sbom.subject.manifestDigest, first.digest, 'a single image is its own manifest');
    assert.deepEqual(spdxNames(sbom.spdx), ['left-pad@1.3.0']);

    // The tag moves (a concurrent push): resolving it again would name the other image.
    await push(store, other, 'release');
    assert.equal((await store.resolve('release'))?.digest, second.digest);

    const [attestation] = await attestSbom({
      ...sbom.subject,
      signer,
      format: 'both',
      documents: [{ format: 'spdx-json', document: sbom.spdx }],
    });
    assert.equal(attestation!.legacy!.location, `${sbom.subject.name}:sha256-${first.digest.slice(7)}.att`);

    // verify-image on the cataloged image finds its SBOM, in both storages; the other has none.
    assert.deepEqual(await attestedPackages(first.digest, 'legacy'), ['left-pad@1.3.0']);
    assert.deepEqual(await attestedPackages(first.digest, 'bundle'), ['left-pad@1.3.0']);
    await assert.rejects(
      verifyImage({
        store,
        digest: second.digest,
        policy: { trust: { kind: 'keys', keys: [key.publicKey] }, requireAttestations: ['spdx'] },
      }),
      withCode(VerifyError, 'ATTESTATION_MISSING'),
    );
  });

  it('keeps an index as the subject, with the platform manifest it cataloged beside it', async () => {
    const amd64 = npmImage('left-pad', '1.3.0');
    const arm64 = makeImage({
      layers: [
        [
          {
            name: 'srv/app/node_modules/arm-only/package.json',
            content: '{"name":"arm-only","version":"2.0.0"}',
          },
        ],
      ],
      platform: { os: 'linux', architecture: 'arm64' },
    });
    const index = makeIndex([
      { image: amd64, platform: { os: 'linux', architecture: 'amd64' } },
      { image: arm64, platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    const pushed = await push(store, index, 'multi');
    await sign(pushed.digest);

    const sbom = await generateSbom({
      image: `${reg.registry.host}/acme/moving:multi`,
      client: reg.client,
      platform: 'linux/arm64',
    });
    console.log(assertOfficialSpdx(sbom.spdx));
    assert.equal(sbom.subject?.digest, pushed.digest, 'the index the tag named, as cosign attest does');
    assert.equal(sbom.subject?.manifestDigest, arm64.descriptor.digest);
    assert.equal(sbom.inventory.source.digest, arm64.descriptor.digest);

    await push(store, npmImage('right-pad', '9.9.9'), 'multi');
    await attestSbom({
      ...sbom.subject!,
      signer,
      format: 'legacy',
      documents: [{ format: 'spdx-json', document: sbom.spdx }],
    });
    assert.deepEqual(await attestedPackages(pushed.digest, 'legacy'), ['arm-only@2.0.0']);
  });

  it('has no subject for a directory, and fails on a tag that names nothing as the registry says', async () => {
    const dir = await generateSbom({ path: 'packages/shared/src/scan' });
    console.log(assertOfficialSpdx(dir.spdx));
    assert.equal(dir.subject, undefined);
    await assert.rejects(
      generateSbom({ image: `${reg.registry.host}/acme/moving:absent`, client: reg.client }),
      (e: unknown) => (e as { code?: string }).code === 'MANIFEST_UNKNOWN',
    );
  });
});
