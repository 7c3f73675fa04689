/** Attestations in cosign's `.att` layout against a real docker-registry: round trip, verification, tampering, replace. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import { cosignTag, MediaType, RegistryClient } from '@release-actions/shared/oci';
import {
  appendCosignLayer,
  attestLegacy,
  CosignAnnotation,
  createKeySigner,
  DSSE_ENVELOPE_MEDIA_TYPE,
  generateKeyPair,
  githubContextFromEnv,
  imageSubject,
  loadPublicKey,
  makeStatement,
  parseEnvelope,
  provenanceStatement,
  readCosignImage,
  SignError,
  SLSA_PROVENANCE_V1,
  verifyAttestationLayer,
  type GeneratedKeyPair,
} from '@release-actions/shared/sign';
import { startRegistry, type TestRegistry } from '@release-actions/shared/testing';
import { makeImage, pushImage } from '../oci/images.ts';
import { withCode } from '../codes.ts';

const signCode = (code: string) => withCode(SignError, code);

const context = githubContextFromEnv({
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/release.yml@refs/heads/main',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_SHA: 'c27d339ee6075c1f744c5d4b200f7901aad2c369',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_RUN_ID: '1',
  GITHUB_RUN_ATTEMPT: '1',
});

describe('cosign attestations (.att) against docker-registry', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let key: GeneratedKeyPair;

  before(async () => {
    registry = await startRegistry();
    client = new RegistryClient({ http: new HttpClient({ retry: immediateRetryPolicy(2) }) });
    key = await generateKeyPair('pw', { scryptN: 32768 });
  });
  after(async () => {
    await client?.http.close();
    await registry?.stop();
  });

  it('round-trips SLSA provenance through the .att image and verifies it with the public key', async () => {
    const store = client.repository({ registry: registry.host, repository: 'att/app' });
    const pushed = await pushImage(store, makeImage([128]), 'v1');
    const statement = provenanceStatement(
      { name: `${registry.host}/att/app`, digest: pushed.digest },
      context,
    );
    const result = await attestLegacy({
      store,
      digest: pushed.digest,
      signer: createKeySigner(key.key),
      statement,
    });
    assert.equal(result.tag, cosignTag(pushed.digest, 'att'));
    assert.equal(result.appended, true);

    const { manifest, descriptor } = await store.getManifest(result.tag);
    assert.equal(descriptor.mediaType, MediaType.OciManifest);
    assert.ok('layers' in manifest);
    assert.equal(manifest.config.mediaType, MediaType.OciConfig);
    assert.equal(manifest.layers.length, 1);
    assert.equal(manifest.layers[0]!.mediaType, DSSE_ENVELOPE_MEDIA_TYPE);
    assert.deepEqual(manifest.layers[0]!.annotations, {
      [CosignAnnotation.Signature]: '',
      [CosignAnnotation.PredicateType]: SLSA_PROVENANCE_V1,
    });

    const stored = await readCosignImage(store, pushed.digest, 'att');
    assert.ok(stored);
    const layer = stored.layers[0]!;
    const envelope = parseEnvelope(layer.payload);
    assert.equal(envelope.payloadType, 'application/vnd.in-toto+json');
    const verified = verifyAttestationLayer(layer, loadPublicKey(key.publicKeyPem), {
      digest: pushed.digest,
      predicateType: SLSA_PROVENANCE_V1,
    });
    assert.deepEqual(verified, JSON.parse(JSON.stringify(statement)));

    // Tampering: another statement in the same envelope, or a flipped signature byte.
    const forged = {
      ...envelope,
      payload: Buffer.from(JSON.stringify({ ...statement, predicate: {} })).toString('base64'),
    };
    assert.throws(
      () =>
        verifyAttestationLayer(
          { ...layer, payload: Buffer.from(JSON.stringify(forged)) },
          loadPublicKey(key.publicKeyPem),
        ),
      signCode('SIGNATURE_INVALID'),
    );
    const sig = Buffer.from(envelope.signatures[0]!.sig, 'base64');
    sig[8]! ^= 1;
    const badSig = { ...envelope, signatures: [{ sig: sig.toString('base64') }] };
    assert.throws(
      () =>
        verifyAttestationLayer(
          { ...layer, payload: Buffer.from(JSON.stringify(badSig)) },
          loadPublicKey(key.publicKeyPem),
        ),
      signCode('SIGNATURE_INVALID'),
    );
    // A genuine attestation about another image is refused when the digest is given.
    assert.throws(
      () =>
        verifyAttestationLayer(layer, loadPublicKey(key.publicKeyPem), {
          digest: `sha256:${'0'.repeat(64)}`,
        }),
      signCode('PAYLOAD_INVALID'),
    );
  });

  it('appends further attestations, skips exact duplicates, and replaces by predicate type', async () => {
    const store = client.repository({ registry: registry.host, repository: 'att/many' });
    const pushed = await pushImage(store, makeImage([64]));
    const signer = createKeySigner(key.key);
    const custom = makeStatement([imageSubject(pushed.digest, 'x')], 'https://example.com/test/v1', { n: 1 });
    await attestLegacy({ store, digest: pushed.digest, signer, statement: custom });
    const second = await attestLegacy({
      store,
      digest: pushed.digest,
      signer,
      statement: provenanceStatement({ name: 'x', digest: pushed.digest }, context),
    });
    assert.equal(second.layerCount, 2);
    const stored = (await readCosignImage(store, pushed.digest, 'att'))!;
    const dup = await appendCosignLayer(store, pushed.digest, 'att', stored.layers[0]!);
    assert.equal(dup.appended, false);
    assert.equal(dup.layerCount, 2);

    const replaced = await attestLegacy({
      store,
      digest: pushed.digest,
      signer,
      statement: makeStatement([imageSubject(pushed.digest, 'x')], 'https://example.com/test/v1', { n: 2 }),
      replace: true,
    });
    assert.equal(replaced.layerCount, 2);
    const after = (await readCosignImage(store, pushed.digest, 'att'))!;
    const predicates = after.layers.map((l) => verifyAttestationLayer(l, loadPublicKey(key.publicKeyPem)));
    assert.deepEqual(
      predicates.map((s) => s.predicateType),
      [SLSA_PROVENANCE_V1, 'https://example.com/test/v1'],
    );
    assert.deepEqual(predicates[1]!.predicate, { n: 2 });

    await assert.rejects(
      attestLegacy({ store, digest: `sha256:${'1'.repeat(64)}`, signer, statement: custom }),
      signCode('PAYLOAD_INVALID'),
    );
  });
});
