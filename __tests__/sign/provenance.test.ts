/** DSSE PAE and envelopes (checked with @sigstore/verify), in-toto statements, and SLSA provenance from a GitHub context. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from '@jest/globals';
import {
  createKeySigner,
  envelopeFromBundle,
  GITHUB_WORKFLOW_BUILD_TYPE,
  githubContextFromClaims,
  githubContextFromEnv,
  imageSubject,
  IN_TOTO_PAYLOAD_TYPE,
  parseBundle,
  parseEnvelope,
  preAuthEncoding,
  provenanceStatement,
  serializeBundle,
  serializeEnvelope,
  SignError,
  SLSA_PROVENANCE_V1,
  splitWorkflowRef,
} from '@release-actions/shared/sign';
import { withCode } from '../codes.ts';
import { referenceVerifyByKey, refusedSignature } from './reference-verifier.ts';

const signCode = (code: string) => withCode(SignError, code);

const SHA = 'c27d339ee6075c1f744c5d4b200f7901aad2c369';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const env = {
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_REPOSITORY_ID: '123',
  GITHUB_REPOSITORY_OWNER_ID: '456',
  GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/release.yml@refs/tags/v1.2.3',
  GITHUB_REF: 'refs/tags/v1.2.3',
  GITHUB_SHA: SHA,
  GITHUB_EVENT_NAME: 'push',
  GITHUB_RUN_ID: '987654',
  GITHUB_RUN_ATTEMPT: '2',
  RUNNER_ENVIRONMENT: 'github-hosted',
};

describe('DSSE', () => {
  it('computes the pre-authentication encoding of the DSSE spec', () => {
    assert.equal(
      preAuthEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString(),
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
    // Lengths are in bytes, not characters.
    assert.equal(preAuthEncoding('t', Buffer.from('é')).toString(), 'DSSEv1 1 t 2 é');
  });

  it('signs through the key signer, serialises as cosign v3 does, parses; @sigstore/verify accepts it, not tampered', async () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const bundle = await createKeySigner(key).signDsse(Buffer.from('{"a":1}'), IN_TOTO_PAYLOAD_TYPE);
    const envelope = envelopeFromBundle(bundle);
    const json = serializeEnvelope(envelope).toString();
    assert.match(
      json,
      // no keyid, as cosign writes none: sigstore-go skips a signature whose keyid is not its own fingerprint
      /^\{"payload":"[^"]+","payloadType":"application\/vnd.in-toto\+json","signatures":\[\{"sig":"[^"]+"\}\]\}$/,
    );
    const parsed = parseEnvelope(Buffer.from(json));
    assert.deepEqual(parsed, envelope);
    assert.equal(Buffer.from(parsed.payload, 'base64').toString(), '{"a":1}');
    referenceVerifyByKey(bundle, key.publicKey);
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    assert.throws(() => referenceVerifyByKey(bundle, other), refusedSignature);
    const tampered = (edit: (json: { dsseEnvelope: { payload: string; payloadType: string } }) => void) => {
      const doc = JSON.parse(serializeBundle(bundle).toString());
      edit(doc);
      return parseBundle(Buffer.from(JSON.stringify(doc)));
    };
    assert.throws(
      () =>
        referenceVerifyByKey(
          tampered((b) => (b.dsseEnvelope.payload = Buffer.from('{"a":2}').toString('base64'))),
          key.publicKey,
        ),
      refusedSignature,
    );
    assert.throws(
      () =>
        referenceVerifyByKey(
          tampered((b) => (b.dsseEnvelope.payloadType = 'text/plain')),
          key.publicKey,
        ),
      refusedSignature,
    );
    assert.throws(() => parseEnvelope(Buffer.from('{"payload":"x"}')), signCode('PAYLOAD_INVALID'));
  });
});

describe('SLSA provenance v1', () => {
  it('builds the GitHub workflow build type from the environment', () => {
    const statement = provenanceStatement(
      { name: 'ghcr.io/acme/app', digest: DIGEST },
      githubContextFromEnv(env),
      { startedOn: new Date('2026-01-01T00:00:00Z') },
    );
    assert.deepEqual(statement, {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'ghcr.io/acme/app', digest: { sha256: 'ab'.repeat(32) } }],
      predicateType: SLSA_PROVENANCE_V1,
      predicate: {
        buildDefinition: {
          buildType: GITHUB_WORKFLOW_BUILD_TYPE,
          externalParameters: {
            workflow: {
              ref: 'refs/tags/v1.2.3',
              repository: 'https://github.com/acme/app',
              path: '.github/workflows/release.yml',
            },
          },
          internalParameters: {
            github: {
              event_name: 'push',
              repository_id: '123',
              repository_owner_id: '456',
              runner_environment: 'github-hosted',
            },
          },
          resolvedDependencies: [
            { uri: 'git+https://github.com/acme/app@refs/tags/v1.2.3', digest: { gitCommit: SHA } },
          ],
        },
        runDetails: {
          builder: { id: 'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.3' },
          metadata: {
            invocationId: 'https://github.com/acme/app/actions/runs/987654/attempts/2',
            startedOn: '2026-01-01T00:00:00.000Z',
          },
        },
      },
    });
  });

  it('takes the builder from job_workflow_ref in OIDC claims (a reusable workflow)', () => {
    const claims = {
      repository: 'acme/app',
      repository_id: '123',
      workflow_ref: 'acme/app/.github/workflows/release.yml@refs/heads/main',
      job_workflow_ref: 'org/release-actions/.github/workflows/build-sign.yml@refs/tags/v1',
      ref: 'refs/heads/main',
      sha: SHA,
      event_name: 'workflow_dispatch',
      run_id: '42',
      run_attempt: '1',
    };
    const ctx = githubContextFromClaims(claims, 'https://ghe.example.com/');
    const { predicate } = provenanceStatement({ name: 'r.example/app', digest: DIGEST }, ctx);
    assert.equal(
      predicate.runDetails.builder.id,
      'https://ghe.example.com/org/release-actions/.github/workflows/build-sign.yml@refs/tags/v1',
    );
    assert.equal(predicate.buildDefinition.externalParameters.workflow.path, '.github/workflows/release.yml');
    assert.equal(
      predicate.runDetails.metadata.invocationId,
      'https://ghe.example.com/acme/app/actions/runs/42/attempts/1',
    );
  });

  it('splits workflow refs whose ref contains @', () => {
    assert.deepEqual(
      splitWorkflowRef('o/r/.github/workflows/x.yml@refs/tags/pkg@1.0.0', 'o/r', 'refs/tags/pkg@1.0.0'),
      {
        path: '.github/workflows/x.yml',
        ref: 'refs/tags/pkg@1.0.0',
      },
    );
    assert.deepEqual(splitWorkflowRef('o/r/.github/workflows/x.yml@refs/tags/pkg@1.0.0', 'o/r'), {
      path: '.github/workflows/x.yml',
      ref: 'refs/tags/pkg@1.0.0',
    });
    assert.throws(
      () => splitWorkflowRef('other/r/.github/workflows/x.yml@main', 'o/r'),
      signCode('PROVENANCE_CONTEXT'),
    );
  });

  it('says which context is missing outside a GitHub run', () => {
    assert.throws(
      () => githubContextFromEnv({}),
      (err: unknown) => {
        assert.ok(err instanceof SignError && err.code === 'PROVENANCE_CONTEXT');
        assert.match(err.message, /GITHUB_WORKFLOW_REF/);
        return true;
      },
    );
    assert.throws(() => githubContextFromClaims({ repository: 'a/b' }), signCode('PROVENANCE_CONTEXT'));
    assert.throws(
      () => provenanceStatement({ name: 'x', digest: DIGEST }, { ...githubContextFromEnv(env), sha: 'main' }),
      signCode('PROVENANCE_CONTEXT'),
    );
  });

  it('image subjects use the digest algorithm as key', () => {
    assert.deepEqual(imageSubject(DIGEST), { digest: { sha256: 'ab'.repeat(32) } });
  });
});
