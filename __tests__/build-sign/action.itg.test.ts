/**
 * The committed bundle of actions/build-sign, run as the Actions runner runs it (`INPUT_*`,
 * `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`), against a real loopback docker-registry: builder buildah
 * for real (private vfs storage through CONTAINERS_STORAGE_CONF), builder none, key signing, and
 * keyless signing over the @sigstore/mock stand-ins for Fulcio/Rekor/TSA and GitHub's OIDC service.
 * Asserts what a workflow sees: exit code, outputs, summary, and what the registry then holds.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import { RegistryClient } from '@release-actions/shared/oci';
import {
  generateKeyPair,
  keyFingerprint,
  loadPublicKey,
  parseBundle,
  parseSimpleSigningPayload,
  readCosignImage,
  type GeneratedKeyPair,
} from '@release-actions/shared/sign';
import { startRegistry, type TestRegistry } from '@release-actions/shared/testing';
import { verifyImage } from '@release-actions/shared/verify';
import { makeImage, push } from '../images.ts';
import {
  buildahSandbox,
  requireBuildahTools,
  tinyContext,
  type BuildahSandbox,
} from '../build/buildah-env.ts';
import {
  GITHUB_WORKFLOW as WORKFLOW,
  startGithubKeylessStandIns,
  type GithubKeylessStandIns,
} from '../sign/sigstore-stand-in.ts';
import { referenceVerifyByKey, referenceVerifyKeyless } from '../sign/reference-verifier.ts';
import { DIST, runAction } from './runner.ts';

const PASSWORD = 'correct horse battery staple';
const GITHUB_ENV = {
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_WORKFLOW_REF: WORKFLOW,
  GITHUB_REF: 'refs/heads/main',
  GITHUB_SHA: 'c27d339ee6075c1f744c5d4b200f7901aad2c369',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '1',
};

/** The log without the runner's `::add-mask::` commands (which necessarily carry the secret). */
function logOf(run: { stdout: string; stderr: string }): string {
  return (run.stdout + run.stderr)
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}

describe('actions/build-sign dist/index.js', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let sandbox: BuildahSandbox;
  let key: GeneratedKeyPair;
  let temp: string;

  beforeAll(async () => {
    assert.ok(existsSync(DIST), `${DIST} is missing: run npm run build`);
    requireBuildahTools();
    registry = await startRegistry();
    sandbox = buildahSandbox();
    temp = mkdtempSync(join(tmpdir(), 'build-sign-run-'));
    client = new RegistryClient({ http: new HttpClient({ retry: immediateRetryPolicy(2) }) });
    key = await generateKeyPair(PASSWORD, { scryptN: 32768 });
  });
  afterAll(async () => {
    await client?.http.close();
    await registry?.stop();
    sandbox?.remove();
    if (temp) rmSync(temp, { recursive: true, force: true });
  });

  const keyInputs = () => ({ signing: 'key', 'cosign-key': key.privateKeyPem, 'cosign-password': PASSWORD });
  const buildahEnv = () => ({
    ...GITHUB_ENV,
    CONTAINERS_STORAGE_CONF: sandbox.storageConf,
    HOME: sandbox.dir,
    RUNNER_TEMP: temp,
  });

  it('builder buildah, key signing: builds, pushes two tags, signs both formats with provenance', async () => {
    const run = await runAction(
      {
        builder: 'buildah',
        image: `${registry.host}/acme/app`,
        tags: 'v1, latest',
        context: tinyContext(sandbox.dir),
        'build-args': 'GREETING=from the runner',
        labels: 'org.opencontainers.image.revision=c27d339',
        'buildah-isolation': 'chroot',
        ...keyInputs(),
      },
      { env: buildahEnv() },
    );
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const name = `${registry.host}/acme/app`;
    const store = client.repository({ registry: registry.host, repository: 'acme/app' });
    const digest = run.outputs.digest!;
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal((await store.resolve('v1'))?.digest, digest);
    assert.equal((await store.resolve('latest'))?.digest, digest);
    assert.equal(run.outputs.image, `${name}@${digest}`);
    assert.equal(run.outputs.tags, `${name}:v1\n${name}:latest`);
    const [legacy, referrer] = run.outputs.signature!.split('\n');
    assert.equal(legacy, `${name}:sha256-${digest.slice(7)}.sig`);
    assert.match(referrer!, new RegExp(`^${name}@sha256:[0-9a-f]{64}$`));
    const provenance = run.outputs.provenance!.split('\n');
    assert.equal(provenance[0], `${name}:sha256-${digest.slice(7)}.att`);
    assert.equal(provenance.length, 2);

    // What was stored verifies with the public key, in each format with its provenance; the
    // bundle file with @sigstore/verify.
    const publicKey = loadPublicKey(key.publicKeyPem);
    for (const signatureFormat of ['legacy', 'bundle'] as const) {
      const verified = await verifyImage({
        store,
        reference: 'v1',
        policy: {
          trust: { kind: 'keys', keys: [key.publicKeyPem] },
          signatureFormat,
          requireAttestations: ['slsa-provenance'],
          provenance: { sourceRepository: 'acme/app', sourceRef: 'refs/heads/main' },
          expectedDigest: digest,
        },
      });
      assert.deepEqual(
        verified.signatures.map((s) => s.location),
        [signatureFormat === 'legacy' ? `${legacy} layer 1` : referrer],
      );
      assert.equal(
        verified.attestations[0]!.location.split(' ')[0],
        provenance[signatureFormat === 'legacy' ? 0 : 1],
      );
    }
    const sig = await readCosignImage(store, digest, 'sig');
    assert.equal(
      parseSimpleSigningPayload(sig!.layers[0]!.payload).critical.identity['docker-reference'],
      name,
    );
    const bundlePath = run.outputs['bundle-path']!;
    assert.equal(bundlePath, join(temp, `build-sign-${digest.slice(7, 19)}.sigstore.json`));
    referenceVerifyByKey(parseBundle(readFileSync(bundlePath)), publicKey);

    // The summary names image, digest, tags, key fingerprint and where everything went.
    const fingerprint = keyFingerprint(publicKey);
    for (const text of [
      `${name}@${digest}`,
      `${name}:latest`,
      fingerprint,
      legacy!,
      referrer!,
      provenance[0]!,
    ])
      assert.ok(run.summary.includes(text), `summary lacks ${text}:\n${run.summary}`);
    // Phases are grouped; the build ran buildah with the RUN step.
    const log = logOf(run);
    for (const group of ['Checking the signing setup', 'Building and pushing', 'Signing'])
      assert.match(log, new RegExp(`::group::${group}`));
    // Run the runner's way (@actions/exec): a `[command]` line with the program as found on PATH.
    assert.match(
      log,
      /^\[command\]\/\S*buildah bud --isolation chroot .*--build-arg GREETING=from the runner /m,
    );
    assert.match(log, /^\[command\]\/\S*buildah push --digestfile /m);
    assert.match(log, /^STEP 5\/6: RUN /m);
    // …in the test's private storage (CONTAINERS_STORAGE_CONF), not the machine's.
    assert.ok(existsSync(join(sandbox.root, 'vfs')), 'buildah did not use the private storage');
    // No secret in the log, outputs or summary.
    const secretLines = key.privateKeyPem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
    for (const secret of [PASSWORD, ...secretLines]) {
      assert.ok(!log.includes(secret), 'a secret is in the log');
      assert.ok(!run.summary.includes(secret), 'a secret is in the summary');
      assert.ok(!JSON.stringify(run.outputs).includes(secret), 'a secret is in the outputs');
    }
    assert.ok(run.stdout.includes(`::add-mask::${PASSWORD}`), 'the password was masked');
  });

  it('builder none, image by tag: resolves once, reports the digest, signs it; an unchanged key signature is not duplicated', async () => {
    const store = client.repository({ registry: registry.host, repository: 'acme/other' });
    const pushed = await push(store, makeImage({ layers: [512] }), 'release');
    const inputs = {
      builder: 'none',
      image: `${registry.host}/acme/other:release`,
      'signature-format': 'legacy',
      ...keyInputs(),
    };
    const first = await runAction(inputs, { env: { ...GITHUB_ENV, RUNNER_TEMP: temp } });
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    assert.equal(first.outputs.digest, pushed.digest);
    assert.equal(first.outputs.image, `${registry.host}/acme/other@${pushed.digest}`);
    assert.equal(first.outputs.tags, '');
    assert.equal(first.outputs.signature, `${registry.host}/acme/other:sha256-${pushed.digest.slice(7)}.sig`);
    assert.equal(
      first.outputs.provenance,
      `${registry.host}/acme/other:sha256-${pushed.digest.slice(7)}.att`,
    );
    assert.equal(first.outputs['bundle-path'], '');
    assert.match(first.summary, /resolved from tag <code>release<\/code>/);
    const second = await runAction(
      { ...inputs, image: `${registry.host}/acme/other@${pushed.digest}`, provenance: 'false' },
      { env: { RUNNER_TEMP: temp } },
    );
    assert.equal(second.exitCode, 0, second.stdout + second.stderr);
    assert.equal(second.outputs.provenance, '');
    assert.equal((await readCosignImage(store, pushed.digest, 'sig'))?.layers.length, 1);
    assert.match(second.summary, /already there/);

    // Re-runs of the job in both formats with provenance: what is there is not stored again.
    const stored = async () => ({
      sig: (await readCosignImage(store, pushed.digest, 'sig'))?.layers.length,
      att: (await readCosignImage(store, pushed.digest, 'att'))?.layers.length,
      referrers: (await store.referrers(pushed.digest)).length,
    });
    for (let i = 0; i < 2; i++) {
      const rerun = await runAction(
        { ...inputs, 'signature-format': 'both' },
        { env: { ...GITHUB_ENV, RUNNER_TEMP: temp } },
      );
      assert.equal(rerun.exitCode, 0, rerun.stdout + rerun.stderr);
      assert.deepEqual(await stored(), { sig: 1, att: 1, referrers: 2 }, `run ${i + 3}`);
    }
  });

  it('fails before any command or request on bad inputs, naming the input and the fix', async () => {
    const cases: Array<[Record<string, string>, Record<string, string>, RegExp]> = [
      [{ builder: 'buildah', ...keyInputs() }, {}, /input "tags": is required with builder buildah/],
      [
        { builder: 'none', image: `${registry.host}/acme/app`, ...keyInputs() },
        {},
        /input "image": .* names no tag or digest/,
      ],
      [
        {
          builder: 'none',
          image: `${registry.host}/acme/app:v1`,
          ...keyInputs(),
          'cosign-password': 'wrong',
        },
        GITHUB_ENV,
        /input "cosign-password": /,
      ],
      [{ builder: 'none', image: `${registry.host}/acme/app:v1` }, GITHUB_ENV, /id-token: write/],
      [
        { builder: 'none', image: `${registry.host}/acme/app:v1`, ...keyInputs() },
        {},
        /input "provenance": .*set provenance: false/,
      ],
      [
        { builder: 'buildx', tags: `${registry.host}/a:v1\nghcr.io/b/c:v1`, signing: 'key' },
        {},
        /2 inputs are invalid:[\s\S]*input "tags": .*not in[\s\S]*input "cosign-key": is required/,
      ],
    ];
    for (const [inputs, env, message] of cases) {
      const run = await runAction(inputs, { env: { ...env, RUNNER_TEMP: temp } });
      assert.equal(run.exitCode, 1, JSON.stringify(inputs));
      assert.match(run.stdout, message);
      assert.deepEqual(run.outputs, {});
    }
    // Nothing was pushed or signed by those runs.
    const store = client.repository({ registry: registry.host, repository: 'a' });
    assert.deepEqual(await store.listTags().catch(() => []), []);
  });

  describe('keyless, over the Sigstore and GitHub OIDC stand-ins', () => {
    let keyless: GithubKeylessStandIns;
    beforeAll(async () => {
      keyless = await startGithubKeylessStandIns({ sha: GITHUB_ENV.GITHUB_SHA, run_id: '4242' });
    });
    afterAll(async () => {
      await keyless?.stop();
    });

    it('signs by digest with a Fulcio certificate for the workflow; the bundle verifies against the trusted root', async () => {
      const store = client.repository({ registry: registry.host, repository: 'acme/keyless' });
      const pushed = await push(store, makeImage({ layers: [256] }));
      const run = await runAction(
        {
          builder: 'none',
          image: `${registry.host}/acme/keyless@${pushed.digest}`,
          ...keyless.inputs,
        },
        { env: { RUNNER_TEMP: temp, ...keyless.env } },
      );
      const { sigstore, oidc, identity, issuer } = keyless;
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
      assert.equal(run.outputs.digest, pushed.digest);
      assert.deepEqual(
        oidc.audiences.every((a) => a === 'sigstore'),
        true,
      );
      const bundle = parseBundle(readFileSync(run.outputs['bundle-path']!));
      referenceVerifyKeyless(bundle, sigstore.trustedRoot, { identity, issuer });
      await verifyImage({
        store,
        digest: pushed.digest,
        policy: {
          trust: { kind: 'keyless', identity, issuer, trustedRoot: sigstore.trustedRoot },
          requireAttestations: ['slsa-provenance'],
        },
      });
      assert.ok(run.summary.includes(identity), run.summary);
      assert.ok(run.summary.includes(issuer), run.summary);
      assert.equal(run.outputs.provenance!.split('\n').length, 2);
      assert.ok(!logOf(run).includes(oidc.requestToken), 'the request token is in the log');
    });
  });
});
