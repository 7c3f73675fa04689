/**
 * attachAttestation, the one way attestations are stored (build-sign's provenance, the sbom
 * attestations through attestSbom, bundle-format signatures), against a real loopback
 * docker-registry: cosign's `.att` layout and bundle referrers, verified by verifyImage; the same
 * statement attached again by the same signer (key, or keyless identity from a new session) adds
 * no layer and no referrer; another signer or statement does; replace drops the same predicate type.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { cosignTag, MediaType, type Descriptor, type Repository } from '@release-actions/shared/oci';
import {
  attachAttestation,
  CosignAnnotation,
  createKeylessSigner,
  createKeySigner,
  DSSE_ENVELOPE_MEDIA_TYPE,
  findBundleReferrers,
  generateKeyPair,
  githubContextFromEnv,
  imageSubject,
  makeStatement,
  parseEnvelope,
  provenanceStatement,
  readCosignImage,
  SignError,
  signImage,
  SLSA_PROVENANCE_V1,
  subjectDescriptor,
  type GeneratedKeyPair,
  type ImageSigner,
  type SignatureFormat,
  type Statement,
} from '@release-actions/shared/sign';
import { attestSbom, SBOM_PREDICATE_TYPES } from '@release-actions/shared/sbom';
import { verifyImage, VerifyError, type VerifyPolicy } from '@release-actions/shared/verify';
import { makeImage, push } from '../images.ts';
import { withCode } from '../codes.ts';
import { writeCosignLayers } from '../verify/fixtures.ts';
import {
  fakeJwt,
  GITHUB_IDENTITY,
  GITHUB_ISSUER,
  githubClaims,
  startSigstoreStandIn,
  type SigstoreStandIn,
} from './sigstore-stand-in.ts';
import { GITHUB_RUN_ENV } from '../build-sign/runner.ts';
import { useRegistry } from '../registry-fixture.ts';

const signCode = (code: string) => withCode(SignError, code);
const verifyCode = (code: string) => withCode(VerifyError, code);

const CUSTOM = 'https://example.com/test/v1';

const context = githubContextFromEnv(GITHUB_RUN_ENV);

describe('attachAttestation against docker-registry', () => {
  const reg = useRegistry();
  let sigstore: SigstoreStandIn;
  let keyA: GeneratedKeyPair;
  let keyB: GeneratedKeyPair;

  beforeAll(async () => {
    sigstore = await startSigstoreStandIn();
    keyA = await generateKeyPair('a', { scryptN: 32768 });
    keyB = await generateKeyPair('b', { scryptN: 32768 });
  });
  afterAll(async () => {
    await sigstore?.stop();
  });

  const keyPolicy = (...keys: GeneratedKeyPair[]): VerifyPolicy => ({
    trust: { kind: 'keys', keys: keys.map((k) => k.publicKeyPem) },
  });

  /** A pushed image, signed in `format` (by key A unless given; verifyImage wants a signature before attestations). */
  async function signedImage(
    repository: string,
    format: SignatureFormat,
    signer: ImageSigner = createKeySigner(keyA.key),
  ): Promise<{ store: Repository; name: string; subject: Descriptor }> {
    const ref = { registry: reg.registry.host, repository };
    const store = reg.client.repository(ref);
    const pushed = await push(store, makeImage({ layers: [64 + repository.length] }));
    await signImage({ store, image: ref, digest: pushed.digest, signer, format });
    return {
      store,
      name: `${reg.registry.host}/${repository}`,
      subject: await subjectDescriptor(store, pushed.digest),
    };
  }

  const custom = (digest: string, n: number): Statement =>
    makeStatement([imageSubject(digest, 'x')], CUSTOM, { n });

  it('legacy: provenance in cosign .att layout, verified by verifyImage; a forged statement in the envelope is refused', async () => {
    const { store, name, subject } = await signedImage('attach/legacy', 'legacy');
    const statement = provenanceStatement({ name, digest: subject.digest }, context);
    const attached = await attachAttestation({
      store,
      name,
      subject,
      signer: createKeySigner(keyA.key),
      statement,
      format: 'legacy',
    });
    const tag = cosignTag(subject.digest, 'att');
    assert.equal(attached.legacy?.location, `${name}:${tag}`);
    assert.equal(attached.legacy?.appended, true);
    assert.equal(attached.bundle, undefined);

    const { manifest, descriptor } = await store.getManifest(tag);
    assert.equal(descriptor.mediaType, MediaType.OciManifest);
    assert.ok('layers' in manifest);
    assert.equal(manifest.config.mediaType, MediaType.OciConfig);
    assert.equal(manifest.layers.length, 1);
    assert.equal(manifest.layers[0]!.mediaType, DSSE_ENVELOPE_MEDIA_TYPE);
    assert.deepEqual(manifest.layers[0]!.annotations, {
      [CosignAnnotation.Signature]: '',
      [CosignAnnotation.PredicateType]: SLSA_PROVENANCE_V1,
    });

    const policy: VerifyPolicy = { ...keyPolicy(keyA), requireAttestations: ['slsa-provenance'] };
    const result = await verifyImage({ store, digest: subject.digest, policy });
    assert.deepEqual(
      result.attestations.map((a) => [a.predicateType, a.format, a.location]),
      [[SLSA_PROVENANCE_V1, 'legacy', `${name}:${tag} layer 1`]],
    );
    assert.deepEqual(result.attestations[0]!.statement, JSON.parse(JSON.stringify(statement)));
    await assert.rejects(
      verifyImage({ store, digest: subject.digest, policy: { ...policy, ...keyPolicy(keyB) } }),
      verifyCode('SIGNATURE_INVALID'),
    );

    // Another statement inside the signed envelope.
    const layer = (await readCosignImage(store, subject.digest, 'att'))!.layers[0]!;
    const envelope = parseEnvelope(layer.payload);
    const forged = {
      ...envelope,
      payload: Buffer.from(JSON.stringify({ ...statement, predicate: {} })).toString('base64'),
    };
    await writeCosignLayers(store, subject.digest, 'att', [
      { ...layer, payload: Buffer.from(JSON.stringify(forged)) },
    ]);
    await assert.rejects(
      verifyImage({ store, digest: subject.digest, policy }),
      verifyCode('SIGNATURE_INVALID'),
    );
  });

  it('legacy: the same statement by the same key adds no layer; another key or statement does; replace keeps one per predicate type', async () => {
    const { store, name, subject } = await signedImage('attach/many', 'legacy');
    const digest = subject.digest;
    const attach = (signer: ImageSigner, statement: Statement, replace = false) =>
      attachAttestation({ store, name, subject, signer, statement, format: 'legacy', replace });
    const layerCount = async () => (await readCosignImage(store, digest, 'att'))?.layers.length;

    await attach(createKeySigner(keyA.key), custom(digest, 1));
    const second = await attach(createKeySigner(keyA.key), provenanceStatement({ name, digest }, context));
    assert.equal(second.legacy?.appended, true);
    assert.equal(await layerCount(), 2);

    // Identical statement, same key (a new signer object over it: ECDSA signs differently each time).
    const again = await attach(createKeySigner(keyA.key), custom(digest, 1));
    assert.equal(again.legacy?.appended, false);
    assert.equal(again.legacy?.descriptor.digest, second.legacy?.descriptor.digest);
    assert.equal((await store.resolve(cosignTag(digest, 'att')))?.digest, second.legacy?.descriptor.digest);
    assert.equal(await layerCount(), 2);

    // Another signer is another attestation.
    const other = await attach(createKeySigner(keyB.key), custom(digest, 1));
    assert.equal(other.legacy?.appended, true);
    assert.equal(await layerCount(), 3);

    // replace: every earlier layer of the predicate type goes, whoever signed it.
    const replaced = await attach(createKeySigner(keyA.key), custom(digest, 2), true);
    assert.equal(replaced.legacy?.appended, true);
    const after = await readCosignImage(store, digest, 'att');
    assert.deepEqual(
      after!.layers.map((l) => l.annotations[CosignAnnotation.PredicateType]),
      [SLSA_PROVENANCE_V1, CUSTOM],
    );
    const again2 = await attach(createKeySigner(keyA.key), custom(digest, 2), true);
    assert.equal(again2.legacy?.appended, false);
    assert.equal(again2.legacy?.descriptor.digest, replaced.legacy?.descriptor.digest);

    const result = await verifyImage({
      store,
      digest,
      policy: { ...keyPolicy(keyA), requireAttestations: [CUSTOM, 'slsa-provenance'] },
    });
    assert.deepEqual(result.attestations[0]!.statement.predicate, { n: 2 });

    await assert.rejects(
      attach(createKeySigner(keyA.key), custom(`sha256:${'1'.repeat(64)}`, 1)),
      signCode('PAYLOAD_INVALID'),
    );
  });

  it('bundle: the same statement by the same key adds no referrer, even made at another time; another key does', async () => {
    const { store, name, subject } = await signedImage('attach/bundle', 'bundle');
    const digest = subject.digest;
    const statement = provenanceStatement({ name, digest }, context);
    const attach = (signer: ImageSigner, created: Date) =>
      attachAttestation({ store, name, subject, signer, statement, format: 'bundle', created });
    const provenanceReferrers = async () =>
      (await findBundleReferrers(store, digest, { predicateType: SLSA_PROVENANCE_V1 })).map(
        (r) => r.descriptor.digest,
      );

    const first = await attach(createKeySigner(keyA.key), new Date('2026-01-01T00:00:00Z'));
    assert.equal(first.bundle?.appended, true);
    assert.equal(first.bundle?.location, `${name}@${first.bundle?.descriptor.digest}`);
    assert.deepEqual(await provenanceReferrers(), [first.bundle!.descriptor.digest]);

    const again = await attach(createKeySigner(keyA.key), new Date('2026-06-01T00:00:00Z'));
    assert.equal(again.bundle?.appended, false);
    assert.equal(again.bundle?.descriptor.digest, first.bundle?.descriptor.digest);
    assert.ok(again.bundle?.json.equals(first.bundle!.json), 'the stored bundle is returned');
    assert.deepEqual(await provenanceReferrers(), [first.bundle!.descriptor.digest]);

    const other = await attach(createKeySigner(keyB.key), new Date('2026-06-01T00:00:00Z'));
    assert.equal(other.bundle?.appended, true);
    assert.equal((await provenanceReferrers()).length, 2);

    const result = await verifyImage({
      store,
      digest,
      policy: { ...keyPolicy(keyA), requireAttestations: ['slsa-provenance'] },
    });
    assert.equal(result.attestations[0]!.location, first.bundle!.location);
  });

  it('both: signed once, stored twice; attaching again adds nothing in either format', async () => {
    const { store, name, subject } = await signedImage('attach/both', 'both');
    const digest = subject.digest;
    const statement = provenanceStatement({ name, digest }, context);
    const attach = () =>
      attachAttestation({
        store,
        name,
        subject,
        signer: createKeySigner(keyA.key),
        statement,
        format: 'both',
      });
    const first = await attach();
    const layer = (await readCosignImage(store, digest, 'att'))!.layers[0]!;
    assert.equal(
      parseEnvelope(layer.payload).signatures[0]!.sig,
      JSON.parse(first.bundle!.json.toString()).dsseEnvelope.signatures[0].sig,
      'one signature, stored both ways',
    );
    const again = await attach();
    assert.equal(again.legacy?.appended, false);
    assert.equal(again.bundle?.appended, false);
    assert.equal((await readCosignImage(store, digest, 'att'))?.layers.length, 1);
    assert.equal((await findBundleReferrers(store, digest, { predicateType: SLSA_PROVENANCE_V1 })).length, 1);
    const result = await verifyImage({
      store,
      digest,
      policy: { ...keyPolicy(keyA), requireAttestations: ['slsa-provenance'] },
    });
    assert.equal(result.attestations.length, 1);
  });

  it('attestSbom attaches the same way: the same SBOM again adds nothing, a changed one replaces the .att layer', async () => {
    const { store, name, subject } = await signedImage('attach/sbom', 'both');
    const digest = subject.digest;
    const attest = (document: Record<string, unknown>) =>
      attestSbom({
        store,
        name,
        digest,
        signer: createKeySigner(keyA.key),
        format: 'both',
        documents: [{ format: 'spdx-json', document }],
      });
    const spdx = SBOM_PREDICATE_TYPES['spdx-json'];
    const stored = async () => ({
      att: (await readCosignImage(store, digest, 'att'))?.layers.length,
      referrers: (await findBundleReferrers(store, digest, { predicateType: spdx })).length,
    });
    const [first] = await attest({ spdxVersion: 'SPDX-2.3', name: 'one' });
    const [again] = await attest({ spdxVersion: 'SPDX-2.3', name: 'one' });
    assert.deepEqual(await stored(), { att: 1, referrers: 1 });
    assert.deepEqual(
      [again!.legacy?.appended, again!.bundle?.appended, again!.legacy?.descriptor.digest],
      [false, false, first!.legacy?.descriptor.digest],
    );
    await attest({ spdxVersion: 'SPDX-2.3', name: 'two' });
    assert.deepEqual(await stored(), { att: 1, referrers: 2 });
    const result = await verifyImage({
      store,
      digest,
      policy: { ...keyPolicy(keyA), signatureFormat: 'legacy', requireAttestations: ['spdx'] },
    });
    assert.deepEqual(result.attestations[0]!.statement.predicate, { spdxVersion: 'SPDX-2.3', name: 'two' });
  });

  it('keyless: the same workflow identity adds nothing, also from a new signing session; another identity does', async () => {
    const keyless = (overrides: Record<string, unknown> = {}) =>
      createKeylessSigner({
        identityProvider: { getToken: async () => fakeJwt(githubClaims(overrides)) },
        fulcioUrl: sigstore.fulcioUrl,
        rekorUrl: sigstore.rekorUrl,
        retries: 0,
      });
    // The session that signed the image knows its identity before attaching.
    const session = keyless();
    const { store, name, subject } = await signedImage('attach/keyless', 'both', session);
    const digest = subject.digest;
    const statement = provenanceStatement({ name, digest }, context);
    const attach = (signer: ImageSigner) =>
      attachAttestation({ store, name, subject, signer, statement, format: 'both' });
    const count = async () => [
      (await readCosignImage(store, digest, 'att'))?.layers.length,
      (await findBundleReferrers(store, digest, { predicateType: SLSA_PROVENANCE_V1 })).length,
    ];

    const first = await attach(session);
    assert.deepEqual([first.legacy?.appended, first.bundle?.appended], [true, true]);
    // Again from the same session, then from a new one (a new key and certificate, its identity
    // unknown until it has signed).
    for (const signer of [session, keyless()]) {
      const again = await attach(signer);
      assert.deepEqual([again.legacy?.appended, again.bundle?.appended], [false, false]);
      assert.deepEqual(await count(), [1, 1]);
    }
    const evil = 'https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main';
    const other = await attach(keyless({ sub: evil }));
    assert.deepEqual([other.legacy?.appended, other.bundle?.appended], [true, true]);
    assert.deepEqual(await count(), [2, 2]);

    // The workflow's attestation verifies keylessly in both formats.
    for (const signatureFormat of ['legacy', 'bundle'] as const) {
      const result = await verifyImage({
        store,
        digest,
        policy: {
          trust: {
            kind: 'keyless',
            identity: GITHUB_IDENTITY,
            issuer: GITHUB_ISSUER,
            trustedRoot: sigstore.trustedRoot,
          },
          signatureFormat,
          requireAttestations: ['slsa-provenance'],
        },
      });
      assert.deepEqual(
        result.attestations.map((a) => [a.format, a.signer.identity]),
        [[signatureFormat, GITHUB_IDENTITY]],
      );
    }
  });
});
