/**
 * The tamper suite: images signed by the signing core on a real loopback docker-registry (key, and
 * keyless through the `@sigstore/mock` Fulcio/CT/Rekor/TSA stand-in on loopback, with a trusted
 * root made for its keys), then altered as an attacker with push access could. Each case must fail
 * with its own code, in both storage formats where the case applies; the untouched image passes.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import { RegistryClient } from '@release-actions/shared/oci';
import {
  attestationLayerFromBundle,
  COSIGN_SIGN_PREDICATE_TYPE,
  CosignAnnotation,
  createKeySigner,
  findBundleReferrers,
  imageSubject,
  IN_TOTO_PAYLOAD_TYPE,
  makeStatement,
  pushBundleReferrer,
  readCosignImage,
  serializeStatement,
  signImage,
  SLSA_PROVENANCE_V1,
  subjectDescriptor,
  appendCosignLayer,
  exactDuplicate,
  type SignatureFormat,
} from '@release-actions/shared/sign';
import { startRecordingProxy } from '@release-actions/shared/testing';
import { verifyImage, VerifyError, type VerifyPolicy } from '@release-actions/shared/verify';
import {
  editBundle,
  flipLastByte,
  IDENTITY,
  ISSUER,
  pem,
  provenanceContext,
  replaceReferrers,
  startWorld,
  writeCosignLayers,
  type World,
} from './fixtures.ts';
import { withCode } from '../codes.ts';

const code = (expected: string) => withCode(VerifyError, expected);

const FORMATS: ReadonlyArray<Exclude<SignatureFormat, 'both'>> = ['legacy', 'bundle'];

describe('verifyImage: the tamper suite', () => {
  let w: World;
  let keyPolicy: VerifyPolicy;
  let keylessPolicy: VerifyPolicy;
  const hourLater = () => new Date(Date.now() + 3_600_000);

  beforeAll(async () => {
    w = await startWorld();
    keyPolicy = { trust: { kind: 'keys', keys: [pem(w.key)] } };
    keylessPolicy = {
      trust: { kind: 'keyless', identity: IDENTITY, issuer: ISSUER, trustedRoot: w.sigstore.trustedRoot },
    };
  });
  afterAll(async () => {
    await w?.stop();
  });

  describe('key-signed', () => {
    for (const format of [...FORMATS, 'both'] as const) {
      it(`${format}: the untouched image passes, by tag and by digest, with provenance pinned`, async () => {
        const { store, digest } = await w.signed(`key/good-${format}`, { format, tag: 'v1' });
        const policy: VerifyPolicy = {
          ...keyPolicy,
          requireAttestations: ['slsa-provenance'],
          provenance: {
            sourceRepository: 'acme/app',
            sourceRef: 'refs/heads/main',
            builderId: /^https:\/\/github\.com\/acme\/app\/\.github\/workflows\/release\.yml@/,
          },
          expectedDigest: digest,
        };
        const byTag = await verifyImage({ store, reference: 'v1', policy });
        assert.equal(byTag.verified, true);
        assert.equal(byTag.digest, digest);
        assert.equal(byTag.tag, 'v1');
        assert.equal(byTag.image, `${store.name}@${digest}`);
        assert.deepEqual(
          byTag.signatures.map((s) => s.format).sort(),
          format === 'both' ? ['bundle', 'legacy'] : [format],
        );
        assert.equal(byTag.signers.length, 1);
        assert.equal(byTag.signers[0]!.kind, 'key');
        assert.deepEqual(
          byTag.attestations.map((a) => [a.name, a.predicateType]),
          [['slsa-provenance', SLSA_PROVENANCE_V1]],
        );
        assert.deepEqual(byTag.refused, []);
        const byDigest = await verifyImage({
          store,
          digest,
          policy: { ...keyPolicy, signatureFormat: format === 'both' ? 'auto' : format },
        });
        assert.equal(byDigest.digest, digest);
        assert.equal(byDigest.tag, undefined);
      });
    }

    it('an unsigned image: NO_SIGNATURE, in every format setting', async () => {
      const store = w.repo('key/unsigned');
      const digest = await w.push(store, 'v1');
      for (const signatureFormat of ['auto', 'legacy', 'bundle'] as const)
        await assert.rejects(
          verifyImage({ store, reference: 'v1', policy: { ...keyPolicy, signatureFormat } }),
          (err: unknown) => {
            code('NO_SIGNATURE')(err);
            assert.match((err as Error).message, new RegExp(`no signature found for ${digest}`));
            return true;
          },
        );
    });

    it('a signature in the other format than required: NO_SIGNATURE', async () => {
      const { store, digest } = await w.signed('key/format', { format: 'legacy', provenance: false });
      await assert.rejects(
        verifyImage({ store, digest, policy: { ...keyPolicy, signatureFormat: 'bundle' } }),
        code('NO_SIGNATURE'),
      );
      await verifyImage({ store, digest, policy: { ...keyPolicy, signatureFormat: 'legacy' } });
    });

    it('legacy: a valid signature of another image copied over: DIGEST_MISMATCH', async () => {
      const store = w.repo('key/replay-legacy');
      const victim = await w.push(store);
      const { digest: other } = await w.signed('key/replay-legacy', { format: 'legacy', provenance: false });
      const sig = await readCosignImage(store, other, 'sig');
      await writeCosignLayers(store, victim, 'sig', sig!.layers);
      await assert.rejects(
        verifyImage({ store, digest: victim, policy: keyPolicy }),
        code('DIGEST_MISMATCH'),
      );
    });

    it('bundle: a valid signature bundle of another image attached as referrer: DIGEST_MISMATCH', async () => {
      const store = w.repo('key/replay-bundle');
      const victim = await w.push(store);
      const { digest: other } = await w.signed('key/replay-bundle', { format: 'bundle', provenance: false });
      const [stolen] = await findBundleReferrers(store, other);
      await replaceReferrers(store, await subjectDescriptor(store, victim), [
        { json: stolen!.bytes, predicateType: COSIGN_SIGN_PREDICATE_TYPE },
      ]);
      await assert.rejects(
        verifyImage({ store, digest: victim, policy: keyPolicy }),
        code('DIGEST_MISMATCH'),
      );
    });

    it('legacy: altered signature bytes: SIGNATURE_INVALID', async () => {
      const { store, digest } = await w.signed('key/altered-legacy', { format: 'legacy', provenance: false });
      const sig = await readCosignImage(store, digest, 'sig');
      const layer = sig!.layers[0]!;
      const sigValue = layer.annotations[CosignAnnotation.Signature]!;
      await writeCosignLayers(store, digest, 'sig', [
        {
          ...layer,
          annotations: { ...layer.annotations, [CosignAnnotation.Signature]: flipLastByte(sigValue) },
        },
      ]);
      await assert.rejects(verifyImage({ store, digest, policy: keyPolicy }), code('SIGNATURE_INVALID'));
    });

    it('legacy: an altered payload (another digest, same signature): SIGNATURE_INVALID', async () => {
      const { store, digest } = await w.signed('key/payload-legacy', { format: 'legacy', provenance: false });
      const sig = await readCosignImage(store, digest, 'sig');
      const layer = sig!.layers[0]!;
      const other = `sha256:${'a'.repeat(64)}`;
      const payload = Buffer.from(layer.payload.toString('utf8').replace(digest, other));
      await writeCosignLayers(store, digest, 'sig', [{ ...layer, payload }]);
      await assert.rejects(verifyImage({ store, digest, policy: keyPolicy }), code('SIGNATURE_INVALID'));
    });

    it('bundle: altered signature bytes: SIGNATURE_INVALID', async () => {
      const { store, digest } = await w.signed('key/altered-bundle', { format: 'bundle', provenance: false });
      const [stored] = await findBundleReferrers(store, digest);
      const json = editBundle(stored!.bundle, (b) => {
        b.dsseEnvelope.signatures[0].sig = flipLastByte(b.dsseEnvelope.signatures[0].sig);
      });
      await replaceReferrers(store, await subjectDescriptor(store, digest), [
        { json, predicateType: COSIGN_SIGN_PREDICATE_TYPE },
      ]);
      await assert.rejects(verifyImage({ store, digest, policy: keyPolicy }), code('SIGNATURE_INVALID'));
    });

    it('bundle: signed by another key: UNTRUSTED_KEY (the bundle names its key)', async () => {
      const { store, digest } = await w.signed('key/other-bundle', {
        format: 'bundle',
        signer: createKeySigner(w.otherKey),
        provenance: false,
      });
      await assert.rejects(verifyImage({ store, digest, policy: keyPolicy }), code('UNTRUSTED_KEY'));
      // The same image passes with the other key trusted too.
      await verifyImage({
        store,
        digest,
        policy: { trust: { kind: 'keys', keys: [pem(w.key), pem(w.otherKey)] } },
      });
    });

    it('legacy: signed by another key logged in Rekor: UNTRUSTED_KEY (the entry names its key)', async () => {
      const { store, digest } = await w.signed('key/other-legacy-rekor', {
        format: 'legacy',
        signer: createKeySigner(w.otherKey, { rekorUrl: w.sigstore.rekorUrl, retries: 0 }),
        provenance: false,
      });
      await assert.rejects(verifyImage({ store, digest, policy: keyPolicy }), code('UNTRUSTED_KEY'));
    });

    it('legacy: signed by another key without a log entry: SIGNATURE_INVALID (the format names no key)', async () => {
      const { store, digest } = await w.signed('key/other-legacy', {
        format: 'legacy',
        signer: createKeySigner(w.otherKey),
        provenance: false,
      });
      await assert.rejects(verifyImage({ store, digest, policy: keyPolicy }), code('SIGNATURE_INVALID'));
    });

    for (const format of FORMATS) {
      it(`${format}: in a repository whose name contains ".att", another key's signature is still UNTRUSTED_KEY`, async () => {
        const name = `key/app.attested-${format}`;
        const { store, digest } = await w.signed(name, {
          format,
          // Logged in Rekor, so the legacy format names the key too.
          signer: createKeySigner(w.otherKey, { rekorUrl: w.sigstore.rekorUrl, retries: 0 }),
          provenance: false,
        });
        await assert.rejects(verifyImage({ store, digest, policy: keyPolicy }), (err: unknown) => {
          code('UNTRUSTED_KEY')(err);
          assert.deepEqual(
            (err as VerifyError).failures.map((f) => [f.role, f.format, f.code]),
            [['signature', format, 'UNTRUSTED_KEY']],
          );
          return true;
        });
      });
    }

    it('an unreadable attestation referrer is not counted as a signature; it is reported against its attestation', async () => {
      const store = w.repo('key/unreadable-attestation');
      const digest = await w.push(store);
      const subject = await subjectDescriptor(store, digest);
      await replaceReferrers(store, subject, [
        { json: Buffer.from('{"not":"a bundle"}'), predicateType: SLSA_PROVENANCE_V1 },
      ]);
      // Unsigned, whatever the broken attestation: NO_SIGNATURE.
      await assert.rejects(verifyImage({ store, digest, policy: keyPolicy }), code('NO_SIGNATURE'));
      // Signed by another key: the refusal counts that one signature only.
      await signImage({
        store,
        image: { registry: w.registry.host, repository: 'key/unreadable-attestation' },
        digest,
        signer: createKeySigner(w.otherKey),
        format: 'bundle',
      });
      await assert.rejects(verifyImage({ store, digest, policy: keyPolicy }), (err: unknown) => {
        code('UNTRUSTED_KEY')(err);
        assert.deepEqual(
          (err as VerifyError).failures.map((f) => f.role),
          ['signature'],
        );
        return true;
      });
      // Signed by the trusted key: the broken provenance is what stands in the way, not a missing one.
      await signImage({
        store,
        image: { registry: w.registry.host, repository: 'key/unreadable-attestation' },
        digest,
        signer: w.keySigner,
        format: 'bundle',
      });
      const result = await verifyImage({ store, digest, policy: keyPolicy });
      assert.deepEqual(result.refused.map((f) => [f.role, f.code]).sort(), [
        ['attestation', 'PAYLOAD_INVALID'],
        ['signature', 'UNTRUSTED_KEY'],
      ]);
      await assert.rejects(
        verifyImage({ store, digest, policy: { ...keyPolicy, requireAttestations: ['slsa-provenance'] } }),
        (err: unknown) => {
          code('PAYLOAD_INVALID')(err);
          assert.deepEqual(
            (err as VerifyError).failures.map((f) => f.role),
            ['attestation'],
          );
          return true;
        },
      );
    });

    it('a keyless signature under key trust, and a key signature under keyless trust: UNTRUSTED_KEY', async () => {
      const keyless = await w.signed('key/kind', { format: 'both', signer: w.keyless(), provenance: false });
      await assert.rejects(verifyImage({ ...keyless, policy: keyPolicy }), code('UNTRUSTED_KEY'));
      const keyed = await w.signed('key/kind2', { format: 'both', provenance: false });
      await assert.rejects(verifyImage({ ...keyed, policy: keylessPolicy }), code('UNTRUSTED_KEY'));
    });

    for (const format of FORMATS) {
      it(`${format}: a required attestation that is missing: ATTESTATION_MISSING`, async () => {
        const { store, digest } = await w.signed(`key/noatt-${format}`, { format, provenance: false });
        await assert.rejects(
          verifyImage({ store, digest, policy: { ...keyPolicy, requireAttestations: ['slsa-provenance'] } }),
          code('ATTESTATION_MISSING'),
        );
        const withProvenance = await w.signed(`key/sbomless-${format}`, { format });
        await assert.rejects(
          verifyImage({
            ...withProvenance,
            policy: { ...keyPolicy, requireAttestations: ['slsa-provenance', 'spdx'] },
          }),
          code('ATTESTATION_MISSING'),
        );
      });

      it(`${format}: a signed attestation about another digest: ATTESTATION_SUBJECT_MISMATCH`, async () => {
        const { store, digest } = await w.signed(`key/attsubject-${format}`, { format, provenance: false });
        const other = `sha256:${'b'.repeat(64)}`;
        const statement = makeStatement([imageSubject(other, `${store.name}`)], SLSA_PROVENANCE_V1, {
          buildDefinition: {},
        });
        const bundle = await w.keySigner.signDsse(serializeStatement(statement), IN_TOTO_PAYLOAD_TYPE);
        if (format === 'legacy')
          await appendCosignLayer(
            store,
            digest,
            'att',
            attestationLayerFromBundle(bundle, SLSA_PROVENANCE_V1),
            exactDuplicate,
          );
        else
          await pushBundleReferrer(store, await subjectDescriptor(store, digest), bundle, {
            predicateType: SLSA_PROVENANCE_V1,
          });
        await assert.rejects(
          verifyImage({ store, digest, policy: { ...keyPolicy, requireAttestations: ['slsa-provenance'] } }),
          code('ATTESTATION_SUBJECT_MISMATCH'),
        );
      });

      it(`${format}: provenance from another repository: PROVENANCE_MISMATCH`, async () => {
        const signed = await w.signed(`key/pins-${format}`, { format });
        await assert.rejects(
          verifyImage({ ...signed, policy: { ...keyPolicy, provenance: { sourceRepository: 'evil/app' } } }),
          code('PROVENANCE_MISMATCH'),
        );
        await assert.rejects(
          verifyImage({ ...signed, policy: { ...keyPolicy, provenance: { sourceRef: /^refs\/tags\// } } }),
          code('PROVENANCE_MISMATCH'),
        );
      });

      it(`${format}: an attestation by another key: UNTRUSTED_KEY or SIGNATURE_INVALID, never passing`, async () => {
        const { store, digest } = await w.signed(`key/attkey-${format}`, { format, provenance: false });
        await signImage({
          store,
          image: { registry: w.registry.host, repository: `key/attkey-${format}` },
          digest,
          signer: createKeySigner(w.otherKey),
          format,
          provenance: { context: provenanceContext },
        });
        await assert.rejects(
          verifyImage({ store, digest, policy: { ...keyPolicy, requireAttestations: ['slsa-provenance'] } }),
          code(format === 'bundle' ? 'UNTRUSTED_KEY' : 'SIGNATURE_INVALID'),
        );
      });
    }

    it('a tag moved after signing, with expected-digest: TAG_MOVED; by digest the signed image still passes', async () => {
      const { store, digest } = await w.signed('key/moved', { format: 'both', tag: 'v1', provenance: false });
      await verifyImage({ store, reference: 'v1', policy: { ...keyPolicy, expectedDigest: digest } });
      const intruder = await w.push(store, 'v1');
      await assert.rejects(
        verifyImage({ store, reference: 'v1', policy: { ...keyPolicy, expectedDigest: digest } }),
        (err: unknown) => {
          code('TAG_MOVED')(err);
          assert.equal((err as VerifyError).digest, intruder);
          return true;
        },
      );
      await assert.rejects(
        verifyImage({ store, digest: intruder, policy: { ...keyPolicy, expectedDigest: digest } }),
        code('UNEXPECTED_DIGEST'),
      );
      await verifyImage({ store, digest, policy: { ...keyPolicy, expectedDigest: digest } });
    });

    it('an image that does not exist: IMAGE_NOT_FOUND', async () => {
      const store = w.repo('key/none');
      await assert.rejects(
        verifyImage({ store, reference: 'v9', policy: keyPolicy }),
        code('IMAGE_NOT_FOUND'),
      );
    });

    for (const format of FORMATS) {
      it(`${format}: the registry answers 500 for the signatures: REGISTRY_ERROR after retries (fail closed)`, async () => {
        const name = `key/flaky-${format}`;
        const { digest } = await w.signed(name, { format: 'both', provenance: false });
        const proxy = await startRecordingProxy(w.registry.url);
        const client = new RegistryClient({ http: new HttpClient({ retry: immediateRetryPolicy(3) }) });
        try {
          const store = client.repository({ registry: proxy.host, repository: name });
          const hex = digest.slice('sha256:'.length);
          const target = format === 'legacy' ? `sha256-${hex}.sig` : `/manifests/sha256-${hex}`;
          const hits = (path: string) =>
            format === 'legacy' ? path.includes(target) : path.endsWith(target);
          proxy.failWhen((r) => hits(r.path));
          await assert.rejects(verifyImage({ store, digest, policy: keyPolicy }), code('REGISTRY_ERROR'));
          assert.equal(
            proxy.requests.filter((r) => hits(r.path)).length,
            3,
            'three attempts, then fail closed',
          );
          proxy.clearFailures();
          await verifyImage({ store, digest, policy: keyPolicy });
        } finally {
          await client.http.close();
          await proxy.stop();
        }
      });
    }
  });

  describe('keyless (Fulcio, CT, Rekor and TSA stand-ins from @sigstore/mock)', () => {
    for (const format of FORMATS) {
      it(`${format}: the untouched image passes; certificate validity is judged at the log's integrated time`, async () => {
        const signed = await w.signed(`keyless/good-${format}`, { format, signer: w.keyless() });
        const policy: VerifyPolicy = {
          ...keylessPolicy,
          requireAttestations: ['slsa-provenance'],
          provenance: { builderId: IDENTITY },
        };
        const result = await verifyImage({ ...signed, policy });
        assert.deepEqual(result.signers, [
          { kind: 'certificate', identity: IDENTITY, subject: IDENTITY, issuer: ISSUER },
        ]);
        assert.ok(result.signatures[0]!.tlog, 'the Rekor entry is reported');
        // An hour later the 10-minute certificate has expired, but the log proves when it signed.
        await verifyImage({ ...signed, policy, now: hourLater() });
        // Regexps, as certificate-identity-regexp and certificate-oidc-issuer-regexp give them.
        await verifyImage({
          ...signed,
          policy: {
            trust: {
              kind: 'keyless',
              identity: /^https:\/\/github\.com\/acme\/app\//,
              issuer: /^https:\/\/token\.actions\.githubusercontent\.com$/,
              trustedRoot: w.sigstore.trustedRoot,
            },
          },
        });
      });

      it(`${format}: a certificate for another identity: IDENTITY_MISMATCH`, async () => {
        const signed = await w.signed(`keyless/identity-${format}`, {
          format,
          signer: w.keyless({
            sub: 'https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main',
          }),
          provenance: false,
        });
        await assert.rejects(verifyImage({ ...signed, policy: keylessPolicy }), code('IDENTITY_MISMATCH'));
        await assert.rejects(
          verifyImage({
            ...signed,
            policy: {
              trust: { ...keylessPolicy.trust, identity: /^https:\/\/github\.com\/acme\// } as never,
            },
          }),
          code('IDENTITY_MISMATCH'),
        );
      });

      it(`${format}: a certificate from another issuer: ISSUER_MISMATCH`, async () => {
        const signed = await w.signed(`keyless/issuer-${format}`, {
          format,
          signer: w.keyless({ iss: 'https://accounts.example.com' }),
          provenance: false,
        });
        await assert.rejects(verifyImage({ ...signed, policy: keylessPolicy }), code('ISSUER_MISMATCH'));
      });

      it(`${format}: without log evidence: CERTIFICATE_EXPIRED once expired, NO_TLOG_EVIDENCE before`, async () => {
        const signed = await w.signed(`keyless/nolog-${format}`, {
          format,
          signer: w.keyless(),
          provenance: false,
        });
        const { store, digest } = signed;
        if (format === 'legacy') {
          const sig = await readCosignImage(store, digest, 'sig');
          const layer = sig!.layers[0]!;
          const annotations = { ...layer.annotations };
          delete annotations[CosignAnnotation.Bundle];
          delete annotations[CosignAnnotation.RFC3161Timestamp];
          await writeCosignLayers(store, digest, 'sig', [{ ...layer, annotations }]);
        } else {
          const [stored] = await findBundleReferrers(store, digest);
          const json = editBundle(stored!.bundle, (b) => {
            b.verificationMaterial.tlogEntries = [];
            delete b.verificationMaterial.timestampVerificationData;
          });
          await replaceReferrers(store, await subjectDescriptor(store, digest), [
            { json, predicateType: COSIGN_SIGN_PREDICATE_TYPE },
          ]);
        }
        await assert.rejects(
          verifyImage({ ...signed, policy: keylessPolicy, now: hourLater() }),
          code('CERTIFICATE_EXPIRED'),
        );
        await assert.rejects(verifyImage({ ...signed, policy: keylessPolicy }), code('NO_TLOG_EVIDENCE'));
      });

      it(`${format}: log evidence from a log the trusted root does not know: NO_TLOG_EVIDENCE`, async () => {
        const signed = await w.signed(`keyless/foreignlog-${format}`, {
          format,
          signer: w.keyless(),
          provenance: false,
        });
        const root = TrustedRoot.fromJSON(TrustedRoot.toJSON(w.sigstore.trustedRoot));
        const other = await import('node:crypto').then((c) =>
          c
            .generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
            .publicKey.export({ type: 'spki', format: 'der' }),
        );
        root.tlogs[0]!.publicKey!.rawBytes = other;
        await assert.rejects(
          verifyImage({
            ...signed,
            policy: { trust: { ...(keylessPolicy.trust as object), trustedRoot: root } as never },
          }),
          code('NO_TLOG_EVIDENCE'),
        );
      });

      it(`${format}: a certificate from another CA: CERTIFICATE_UNTRUSTED`, async () => {
        const signed = await w.signed(`keyless/foreignca-${format}`, {
          format,
          signer: w.keyless(),
          provenance: false,
        });
        const root = TrustedRoot.fromJSON(TrustedRoot.toJSON(w.sigstore.trustedRoot));
        root.certificateAuthorities = root.certificateAuthorities.map((ca) => ({
          ...ca,
          certChain: { certificates: root.timestampAuthorities[0]!.certChain!.certificates.slice(1) },
        }));
        await assert.rejects(
          verifyImage({
            ...signed,
            policy: { trust: { ...(keylessPolicy.trust as object), trustedRoot: root } as never },
          }),
          code('CERTIFICATE_UNTRUSTED'),
        );
      });
    }
  });
});
