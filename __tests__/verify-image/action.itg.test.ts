/**
 * The committed `actions/verify-image/dist` run as the runner runs it (Node 24, INPUT_*,
 * GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, exit code) against a loopback registry with images signed
 * by the signing core, by key and keyless (the `@sigstore/mock` stand-in with a trusted root file).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { distOf, runAction } from '../action-runner.ts';
import { IDENTITY, ISSUER, pem, startWorld, type World } from '../verify/fixtures.ts';

const DIST = distOf('verify-image');

describe('verify-image (committed dist/)', () => {
  let w: World;
  let dir: string;

  beforeAll(async () => {
    w = await startWorld();
    dir = mkdtempSync(join(tmpdir(), 'verify-image-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await w?.stop();
  });

  it('a key-signed image with provenance passes: outputs, summary table, exit 0', async () => {
    const { store, digest } = await w.signed('action/good', { format: 'both', tag: 'v1' });
    const run = await runAction(DIST, {
      image: `${store.name}:v1`,
      'expected-digest': digest,
      key: pem(w.key),
      'require-attestations': 'slsa-provenance',
      'source-repository': 'acme/app',
      'source-ref': '/^refs/heads/main$/',
      username: 'ci',
      password: 'registry-secret-1234',
    });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.verified, 'true');
    assert.equal(run.outputs.digest, digest);
    assert.equal(run.outputs.image, `${store.name}@${digest}`);
    const signers = JSON.parse(run.outputs.signers!);
    assert.equal(signers.length, 1);
    assert.equal(signers[0].kind, 'key');
    assert.match(signers[0].identity, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(JSON.parse(run.outputs.attestations!), ['https://slsa.dev/provenance/v1']);
    assert.match(run.summary, /Image verification: 1 of 1 verified/);
    assert.ok(run.summary.includes(digest));
    assert.match(run.summary, /<table>/);
    assert.match(run.stdout, /::add-mask::registry-secret-1234/);
    for (const text of [run.summary, JSON.stringify(run.outputs)])
      assert.ok(!text.includes('registry-secret-1234'));
  });

  it('several images concurrently, keyless with a trusted-root file: one unsigned fails the step with its code', async () => {
    const rootFile = join(dir, 'trusted_root.json');
    writeFileSync(rootFile, JSON.stringify(TrustedRoot.toJSON(w.sigstore.trustedRoot)));
    const a = await w.signed('action/keyless-a', {
      format: 'legacy',
      signer: w.keyless(),
      provenance: false,
    });
    const b = await w.signed('action/keyless-b', {
      format: 'bundle',
      signer: w.keyless(),
      provenance: false,
    });
    const unsigned = w.repo('action/unsigned');
    const c = await w.push(unsigned);
    const inputs = {
      images: `${a.store.name}@${a.digest}\n${b.store.name}@${b.digest}`,
      'certificate-identity': IDENTITY,
      'certificate-oidc-issuer-regexp': '^https://token\\.actions\\.githubusercontent\\.com$',
      'trusted-root': rootFile,
    };
    const ok = await runAction(DIST, inputs);
    assert.equal(ok.exitCode, 0, ok.stdout + ok.stderr);
    assert.equal(ok.outputs.verified, 'true');
    assert.deepEqual(ok.outputs.image!.split('\n'), [
      `${a.store.name}@${a.digest}`,
      `${b.store.name}@${b.digest}`,
    ]);
    assert.deepEqual(JSON.parse(ok.outputs.signers!), [
      { kind: 'certificate', identity: IDENTITY, issuer: ISSUER },
    ]);

    const bad = await runAction(DIST, { ...inputs, images: `${inputs.images}\n${unsigned.name}@${c}` });
    assert.equal(bad.exitCode, 1);
    assert.equal(bad.outputs.verified, 'false');
    const results = JSON.parse(bad.outputs.results!);
    assert.deepEqual(
      results.map((r: { verified: boolean; error: { code: string } | null }) => [
        r.verified,
        r.error?.code ?? null,
      ]),
      [
        [true, null],
        [true, null],
        [false, 'NO_SIGNATURE'],
      ],
    );
    assert.match(bad.stdout, /::error::.*NO_SIGNATURE/);
    assert.match(bad.summary, /1 of 3 not verified/);
  });

  it('a tag moved since the build record: TAG_MOVED, exit 1', async () => {
    const { store, digest } = await w.signed('action/moved', {
      format: 'both',
      tag: 'v1',
      provenance: false,
    });
    await w.push(store, 'v1');
    const record = join(dir, 'build.json');
    writeFileSync(record, JSON.stringify({ digest, image: `${store.name}@${digest}` }));
    const run = await runAction(DIST, { image: `${store.name}:v1`, 'build-record': record, key: pem(w.key) });
    assert.equal(run.exitCode, 1);
    assert.equal(run.outputs.verified, 'false');
    assert.equal(JSON.parse(run.outputs.results!)[0].error.code, 'TAG_MOVED');
  });

  it('bad inputs: every input at fault named before any request, exit 1', async () => {
    const run = await runAction(DIST, {
      image: 'UPPER/Case:x',
      key: 'not a key',
      'signature-format': 'both',
    });
    assert.equal(run.exitCode, 1);
    assert.match(run.stdout, /input "image"/);
    assert.match(run.stdout, /input "key"/);
    assert.match(run.stdout, /input "signature-format"/);
    assert.equal(run.outputs.verified, 'false');
  });
});
