/**
 * Keyless signing over real HTTP: a GitHub OIDC token service stand-in, and Fulcio (with a CT
 * log), Rekor and a timestamp authority built from `@sigstore/mock` on loopback, with a real
 * docker-registry. The bundles verify with `@sigstore/verify` against a trusted root made for the
 * stand-in's keys; the legacy `.sig` layer carries cosign's certificate, chain and Rekor bundle
 * annotations, and its Rekor bundle's signed entry timestamp verifies with the log's key; verifyImage
 * accepts each format for the workflow's identity only.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, createVerify, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import {
  COSIGN_SIGN_PREDICATE_TYPE,
  CosignAnnotation,
  createKeylessSigner,
  decodeJwtClaims,
  findBundleReferrers,
  githubContextFromClaims,
  githubOidcFromEnv,
  parseSimpleSigningPayload,
  readCosignImage,
  SignError,
  signImage,
  SLSA_PROVENANCE_V1,
  type RekorBundle,
} from '@release-actions/shared/sign';
import { verifyImage, VerifyError, type VerifyPolicy } from '@release-actions/shared/verify';
import { makeImage, push } from '../images.ts';
import {
  fakeJwt,
  GITHUB_IDENTITY,
  GITHUB_ISSUER,
  githubClaims,
  startOidcStandIn,
  startSigstoreStandIn,
  type OidcStandIn,
  type SigstoreStandIn,
} from './sigstore-stand-in.ts';
import { withCode } from '../codes.ts';
import { useRegistry } from '../registry-fixture.ts';

const signCode = (code: string) => withCode(SignError, code);

const IDENTITY = GITHUB_IDENTITY;
const ISSUER = GITHUB_ISSUER;
const claims = githubClaims();

/** The canonical JSON cosign verifies a Rekor SET over (sorted keys, no spaces). */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const o = value as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

describe('keyless signing against loopback Sigstore and GitHub OIDC stand-ins', () => {
  const reg = useRegistry();
  let sigstore: SigstoreStandIn;
  let oidc: OidcStandIn;
  const token = fakeJwt(claims);

  beforeAll(async () => {
    sigstore = await startSigstoreStandIn();
    oidc = await startOidcStandIn(token);
  });
  afterAll(async () => {
    await oidc?.stop();
    await sigstore?.stop();
  });

  it("signs both formats with provenance; bundles verify against the trusted root, legacy annotations are cosign's", async () => {
    const ref = { registry: reg.registry.host, repository: 'keyless/app' };
    const store = reg.client.repository(ref);
    const pushed = await push(store, makeImage({ layers: [300] }), 'v1');
    const secrets: string[] = [];
    const http = new HttpClient({ retry: immediateRetryPolicy(2) });
    const identityProvider = githubOidcFromEnv(
      { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
      { http, onSecret: (s) => secrets.push(s) },
    );
    const signer = createKeylessSigner({
      identityProvider,
      fulcioUrl: sigstore.fulcioUrl,
      rekorUrl: sigstore.rekorUrl,
      tsaUrl: sigstore.tsaUrl,
      retries: 0,
    });
    const result = await signImage({
      store,
      image: ref,
      digest: pushed.digest,
      signer,
      format: 'both',
      annotations: { team: 'release' },
      provenance: { context: githubContextFromClaims(decodeJwtClaims(await identityProvider.getToken())) },
    });
    await http.close();

    // One token (audience sigstore), masked; one Fulcio certificate for the whole session.
    assert.deepEqual(oidc.audiences, ['sigstore']);
    assert.deepEqual(secrets, [oidc.requestToken, token]);
    assert.equal(sigstore.requests.filter((r) => r === 'POST /api/v2/signingCert').length, 1);
    assert.equal(sigstore.requests.filter((r) => r === 'POST /api/v1/log/entries').length, 3);
    assert.equal(sigstore.requests.filter((r) => r === 'POST /api/v1/timestamp').length, 3);
    assert.equal(result.identity?.kind, 'certificate');
    assert.equal(result.identity.kind === 'certificate' && result.identity.subject, IDENTITY);
    assert.equal(result.identity.kind === 'certificate' && result.identity.issuer, ISSUER);

    // Bundles: found as referrers, verified by @sigstore/verify against the stand-in's trusted root.
    const verifier = new Verifier(toTrustMaterial(sigstore.trustedRoot), {
      tlogThreshold: 1,
      ctlogThreshold: 1,
      timestampThreshold: 2,
    });
    const stored = await findBundleReferrers(store, pushed.digest);
    assert.deepEqual(
      stored.map((s) => s.predicateType).sort(),
      [COSIGN_SIGN_PREDICATE_TYPE, SLSA_PROVENANCE_V1].sort(),
    );
    for (const s of stored) {
      const bundle = bundleFromJSON(JSON.parse(s.bytes.toString()));
      const signerInfo = verifier.verify(toSignedEntity(bundle), {
        subjectAlternativeName: IDENTITY,
        extensions: { issuer: ISSUER },
      });
      assert.equal(signerInfo.identity?.subjectAlternativeName, IDENTITY);
      assert.throws(
        () =>
          verifier.verify(toSignedEntity(bundle), {
            subjectAlternativeName: 'https://github.com/evil/app/x@main',
            extensions: { issuer: ISSUER },
          }),
        (err: unknown) => (err as { code?: unknown }).code === 'UNTRUSTED_SIGNER_ERROR',
      );
      const json = JSON.parse(s.bytes.toString());
      assert.ok(json.verificationMaterial.certificate.rawBytes, 'v0.3 bundles carry the leaf certificate');
      assert.equal(json.verificationMaterial.tlogEntries[0].kindVersion.kind, 'dsse');
    }
    // Tampered: a statement about another image.
    const json = JSON.parse(stored[0]!.bytes.toString());
    const statement = JSON.parse(Buffer.from(json.dsseEnvelope.payload, 'base64').toString());
    json.dsseEnvelope.payload = Buffer.from(
      JSON.stringify({ ...statement, subject: [{ digest: { sha256: 'f'.repeat(64) } }] }),
    ).toString('base64');
    assert.throws(() => verifier.verify(toSignedEntity(bundleFromJSON(json))));

    // Legacy .sig: cosign's keyless annotations.
    const sig = await readCosignImage(store, pushed.digest, 'sig');
    assert.equal(sig?.layers.length, 1);
    const layer = sig!.layers[0]!;
    assert.deepEqual(
      Object.keys(layer.annotations).sort(),
      [
        CosignAnnotation.Signature,
        CosignAnnotation.Bundle,
        CosignAnnotation.Certificate,
        CosignAnnotation.Chain,
        CosignAnnotation.RFC3161Timestamp,
      ].sort(),
    );
    const cert = new X509Certificate(layer.annotations[CosignAnnotation.Certificate]!);
    assert.match(cert.subjectAltName ?? '', /acme\/app\/.github\/workflows\/release.yml@refs\/heads\/main/);
    assert.equal(layer.annotations[CosignAnnotation.Chain], '');
    // The signature verifies with the certificate's key, with plain Node crypto.
    const plain = createVerify('sha256');
    plain.update(layer.payload);
    assert.ok(
      plain.verify(cert.publicKey, Buffer.from(layer.annotations[CosignAnnotation.Signature]!, 'base64')),
    );
    const payload = parseSimpleSigningPayload(layer.payload);
    assert.equal(payload.critical.identity['docker-reference'], `${reg.registry.host}/keyless/app`);
    assert.equal(payload.critical.image['docker-manifest-digest'], pushed.digest);
    assert.deepEqual(payload.optional, { team: 'release' });
    // The Rekor bundle: cosign's JSON shape, a hashedrekord entry for this payload, a SET by the log's key.
    const rekor = JSON.parse(layer.annotations[CosignAnnotation.Bundle]!) as RekorBundle;
    assert.deepEqual(Object.keys(rekor), ['SignedEntryTimestamp', 'Payload']);
    assert.deepEqual(Object.keys(rekor.Payload), ['body', 'integratedTime', 'logIndex', 'logID']);
    const body = JSON.parse(Buffer.from(rekor.Payload.body, 'base64').toString());
    assert.equal(body.kind, 'hashedrekord');
    assert.equal(body.spec.data.hash.value, createHash('sha256').update(layer.payload).digest('hex'));
    assert.equal(body.spec.signature.content, layer.annotations[CosignAnnotation.Signature]);
    const tlogKey = createPublicKey({
      key: sigstore.trustedRoot.tlogs[0]!.publicKey!.rawBytes!,
      format: 'der',
      type: 'spki',
    });
    assert.equal(
      rekor.Payload.logID,
      createHash('sha256').update(sigstore.trustedRoot.tlogs[0]!.publicKey!.rawBytes!).digest('hex'),
    );
    const setVerifier = createVerify('sha256');
    setVerifier.update(canonical(rekor.Payload));
    assert.ok(
      setVerifier.verify(tlogKey, Buffer.from(rekor.SignedEntryTimestamp, 'base64')),
      'the SET verifies',
    );
    assert.ok(JSON.parse(layer.annotations[CosignAnnotation.RFC3161Timestamp]!).SignedRFC3161Timestamp);

    // Provenance .att: the SLSA statement with the job_workflow_ref builder.
    const att = await readCosignImage(store, pushed.digest, 'att');
    const envelope = JSON.parse(att!.layers[0]!.payload.toString());
    const provenance = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    assert.equal(provenance.predicate.runDetails.builder.id, IDENTITY);
    assert.equal(att!.layers[0]!.annotations[CosignAnnotation.PredicateType], SLSA_PROVENANCE_V1);
    assert.ok(att!.layers[0]!.annotations[CosignAnnotation.Certificate]);

    // verifyImage: each format on its own, the workflow's identity (exact or by pattern), never another.
    const trust = (identity: string | RegExp): VerifyPolicy['trust'] => ({
      kind: 'keyless',
      identity,
      issuer: ISSUER,
      trustedRoot: sigstore.trustedRoot,
    });
    for (const signatureFormat of ['legacy', 'bundle'] as const) {
      for (const identity of [IDENTITY, /^https:\/\/github\.com\/acme\/app\//]) {
        const verified = await verifyImage({
          store,
          digest: pushed.digest,
          policy: { trust: trust(identity), signatureFormat, requireAttestations: ['slsa-provenance'] },
        });
        assert.deepEqual(
          verified.signatures.map((s) => [s.format, s.signer.identity]),
          [[signatureFormat, IDENTITY]],
        );
        assert.ok(verified.signatures[0]!.tlog, 'the Rekor entry is reported');
        assert.equal(verified.attestations[0]!.statement.predicateType, SLSA_PROVENANCE_V1);
      }
      await assert.rejects(
        verifyImage({
          store,
          digest: pushed.digest,
          policy: { trust: trust('https://github.com/evil/app/x@main'), signatureFormat },
        }),
        withCode(VerifyError, 'IDENTITY_MISMATCH'),
      );
    }
  });

  it('without id-token: write, says to add the permission', async () => {
    assert.throws(
      () => githubOidcFromEnv({}),
      (err: unknown) => {
        assert.ok(err instanceof SignError);
        assert.equal(err.code, 'OIDC_PERMISSION');
        assert.match(err.message, /permissions: id-token: write/);
        return true;
      },
    );
    const http = new HttpClient({ retry: immediateRetryPolicy(1) });
    const provider = githubOidcFromEnv(
      { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'not-the-token' },
      { http },
    );
    await assert.rejects(provider.getToken(), signCode('OIDC_PERMISSION'));
    await http.close();
  });

  it('a Fulcio failure is SIGSTORE_ERROR and never shows the token', async () => {
    const badToken = fakeJwt({ ...claims, sub: 'x' });
    const signer = createKeylessSigner({
      identityProvider: { getToken: async () => badToken },
      fulcioUrl: `${sigstore.url}/nowhere`,
      rekorUrl: sigstore.rekorUrl,
      retries: 0,
    });
    await assert.rejects(signer.signMessage(Buffer.from('x')), (err: unknown) => {
      assert.ok(err instanceof SignError);
      assert.equal(err.code, 'SIGSTORE_ERROR');
      assert.ok(!err.message.includes(badToken));
      return true;
    });
    const garbage = createKeylessSigner({
      identityProvider: { getToken: async () => 'not-a-jwt-secret' },
      fulcioUrl: sigstore.fulcioUrl,
      rekorUrl: sigstore.rekorUrl,
    });
    await assert.rejects(garbage.signMessage(Buffer.from('x')), (err: unknown) => {
      assert.ok(err instanceof SignError);
      assert.ok(!err.message.includes('not-a-jwt-secret'));
      return true;
    });
    assert.throws(
      () =>
        createKeylessSigner({
          identityProvider: { getToken: async () => badToken },
          fulcioUrl: sigstore.fulcioUrl,
        }),
      signCode('SIGSTORE_ERROR'),
    );
  });
});
