/**
 * verifySbomAttestations on a real docker-registry on loopback: which stored SBOM attestations
 * count (signed under the policy's trust, an SPDX or CycloneDX statement about this digest) and
 * the code when none does. The deploy-time gate of verify-image reads its packages from here.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { cosignTag, MediaType } from '@release-actions/shared/oci';
import { attestSbom } from '@release-actions/shared/sbom';
import { createKeySigner } from '@release-actions/shared/sign';
import { verifySbomAttestations, VerifyError, type VerifyPolicy } from '@release-actions/shared/verify';
import { startWorld, type World } from './fixtures.ts';

const SPDX = {
  spdxVersion: 'SPDX-2.3',
  packages: [
    {
      name: 'lodash',
      versionInfo: '4.17.20',
      externalRefs: [
        {
          referenceCategory: 'PACKAGE-MANAGER',
          referenceType: 'purl',
          referenceLocator: 'pkg:npm/lodash@4.17.20',
        },
      ],
    },
  ],
};

describe('verifySbomAttestations', () => {
  let w: World;
  let policy: VerifyPolicy;
  beforeAll(async () => {
    w = await startWorld();
    policy = { trust: { kind: 'keys', keys: [w.key.publicKey] } };
  });
  afterAll(async () => w?.stop());

  const attest = (name: string, digest: string, document: Record<string, unknown>, signer = w.keySigner) =>
    attestSbom({
      store: w.repo(name),
      name: `${w.registry.host}/${name}`,
      digest,
      signer,
      format: 'both',
      documents: [{ format: 'spdx-json', document }],
    });

  const codeOf = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      assert.ok(err instanceof VerifyError, String(err));
      return { code: err.code, message: err.message, failures: err.failures };
    }
    assert.fail('expected a VerifyError');
  };

  it('returns the packages of the trusted SBOM, each purl once over both stored copies', async () => {
    const { store, digest } = await w.signed('sbom/good', { format: 'both', provenance: true });
    await attest('sbom/good', digest, SPDX);
    const found = await verifySbomAttestations({ store, digest, policy });
    assert.deepEqual(found.sboms.map((s) => s.format).sort(), ['bundle', 'legacy']);
    assert.deepEqual(
      found.packages.map((p) => p.purl),
      ['pkg:npm/lodash@4.17.20'],
    );
    // The provenance attestation beside it is not an SBOM, and not a refusal either.
    assert.deepEqual(found.refused, []);
    // The policy's signature format is kept: legacy reads the .att layer only.
    const legacy = await verifySbomAttestations({
      store,
      digest,
      policy: { ...policy, signatureFormat: 'legacy' },
    });
    assert.deepEqual(
      legacy.sboms.map((s) => s.format),
      ['legacy'],
    );
  });

  it('another signer does not count: ATTESTATION_MISSING with the refusals', async () => {
    const { store, digest } = await w.signed('sbom/other', { format: 'both', provenance: false });
    await attest('sbom/other', digest, SPDX, createKeySigner(w.otherKey));
    const err = await codeOf(verifySbomAttestations({ store, digest, policy }));
    assert.equal(err.code, 'ATTESTATION_MISSING');
    assert.equal(err.failures.length, 2);
    assert.ok(err.failures.every((f) => f.code === 'UNTRUSTED_KEY' || f.code === 'SIGNATURE_INVALID'));
  });

  it('a trusted SBOM about another digest is ATTESTATION_SUBJECT_MISMATCH; one holding no SBOM, PAYLOAD_INVALID', async () => {
    const a = await w.signed('sbom/copied', { format: 'legacy', provenance: false });
    await attest('sbom/copied', a.digest, SPDX);
    const b = await w.push(a.store);
    // Someone with push access copies a's .att image to b's .att tag.
    const att = await a.store.getManifest(cosignTag(a.digest, 'att'));
    await a.store.putManifest(att.bytes, MediaType.OciManifest, cosignTag(b, 'att'));
    const copied = await codeOf(verifySbomAttestations({ store: a.store, digest: b, policy }));
    assert.equal(copied.code, 'ATTESTATION_SUBJECT_MISMATCH');

    const c = await w.signed('sbom/junk', { format: 'bundle', provenance: false });
    await attest('sbom/junk', c.digest, { hello: 'world' });
    const junk = await codeOf(verifySbomAttestations({ store: c.store, digest: c.digest, policy }));
    assert.equal(junk.code, 'PAYLOAD_INVALID');
    assert.match(junk.message, /neither SPDX JSON/);
  });
});
