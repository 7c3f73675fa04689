/**
 * The committed actions/promote bundle, run as the runner runs it, against real docker-registry
 * instances on loopback, with images signed by key through the signing core.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import { cosignTag, RegistryClient, type Repository } from '@release-actions/shared/oci';
import { createKeySigner, publicKeyToPem, signImage } from '@release-actions/shared/sign';
import { startRegistry, type TestRegistry } from '@release-actions/shared/testing';
import { distOf, runAction } from '../action-runner.ts';
import { makeImage, pushImage } from '../oci/images.ts';

const DIST = distOf('promote');

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { signer: createKeySigner({ privateKey, publicKey }), publicPem: publicKeyToPem(publicKey) };
}

describe('actions/promote (runner-level)', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  const trusted = keyPair();
  const stranger = keyPair();
  const repo = (name: string): Repository => client.repository({ registry: registry.host, repository: name });
  const policy = () => `
environments:
  - name: staging
    repository: ${registry.host}/acme/app-staging
  - name: production
    repository: ${registry.host}/acme/app
    tag: prod
`;

  before(async () => {
    registry = await startRegistry();
    client = new RegistryClient({ http: new HttpClient({ retry: immediateRetryPolicy(2) }) });
  });
  after(async () => {
    await client.http.close();
    await registry?.stop();
  });

  async function signedRelease(repository: string, signer = trusted.signer, layers = [2000, 3000]) {
    const image = makeImage(layers);
    const store = repo(repository);
    const { digest } = await pushImage(store, image, 'staging');
    await signImage({
      store,
      image: { registry: registry.host, repository },
      digest,
      signer,
      format: 'both',
    });
    return digest;
  }

  it('promotes a key-verified digest staging → production, carrying its signatures, and reports the rollback target', async () => {
    const first = await signedRelease('acme/app-staging');
    const run1 = await runAction(DIST, {
      source: `${registry.host}/acme/app-staging@${first}`,
      from: 'staging',
      to: 'production',
      environments: policy(),
      key: trusted.publicPem,
    });
    assert.equal(run1.exitCode, 0, run1.stdout + run1.stderr);
    assert.equal(run1.outputs.digest, first);
    assert.equal(run1.outputs['previous-digest'], '');
    assert.equal(run1.outputs.image, `${registry.host}/acme/app@${first}`);
    assert.equal(run1.outputs['bytes-copied'], '0', 'within one registry nothing is uploaded');
    assert.ok(Number(run1.outputs['blobs-mounted']) >= 3);
    const prod = repo('acme/app');
    assert.equal((await prod.resolve('prod'))?.digest, first);
    assert.ok(await prod.resolve(cosignTag(first, 'sig')), 'the legacy signature came along');
    assert.equal((await prod.referrers(first)).length >= 1, true, 'the bundle referrer came along');
    assert.match(run1.summary, /staging → production/);

    const second = await signedRelease('acme/app-staging', trusted.signer, [5000]);
    const run2 = await runAction(DIST, {
      source: `${registry.host}/acme/app-staging:staging`,
      from: 'staging',
      to: 'production',
      environments: policy(),
      key: trusted.publicPem,
    });
    assert.equal(run2.exitCode, 0, run2.stdout + run2.stderr);
    assert.equal(run2.outputs.digest, second);
    assert.equal(run2.outputs['previous-digest'], first);
    assert.equal((await prod.resolve('prod-prev-1'))?.digest, first);
  });

  it('refuses an unsigned image, an image signed by another key, and a backwards move, leaving production where it was', async () => {
    const before = (await repo('acme/app').resolve('prod'))?.digest;
    const foreign = await signedRelease('acme/app-staging', stranger.signer, [777]);
    const untrusted = await runAction(DIST, {
      source: `${registry.host}/acme/app-staging@${foreign}`,
      from: 'staging',
      to: 'production',
      environments: policy(),
      key: trusted.publicPem,
    });
    assert.equal(untrusted.exitCode, 1);
    assert.equal(untrusted.outputs.digest, undefined);
    assert.equal((await repo('acme/app').resolve('prod'))?.digest, before);

    const unsigned = await pushImage(repo('acme/app-staging'), makeImage([31337]));
    const unsignedRun = await runAction(DIST, {
      source: `${registry.host}/acme/app-staging@${unsigned.digest}`,
      from: 'staging',
      to: 'production',
      environments: policy(),
      key: trusted.publicPem,
    });
    assert.equal(unsignedRun.exitCode, 1);
    assert.match(unsignedRun.stdout, /no signature found/);
    assert.equal(
      await repo('acme/app').resolve(unsigned.digest),
      undefined,
      'nothing of an unsigned image is copied',
    );

    const backwards = await runAction(DIST, {
      source: `${registry.host}/acme/app@${foreign}`,
      from: 'production',
      to: 'staging',
      environments: policy(),
      key: trusted.publicPem,
    });
    assert.equal(backwards.exitCode, 1);
    assert.match(backwards.stdout, /production → staging is refused: it goes backwards/);
  });

  it('plans in a dry run without changing anything, and fails on bad input before any request', async () => {
    const digest = await signedRelease('acme/app-staging', trusted.signer, [4242]);
    const prodBefore = (await repo('acme/app').resolve('prod'))?.digest;
    const plan = await runAction(DIST, {
      source: `${registry.host}/acme/app-staging@${digest}`,
      from: 'staging',
      to: 'production',
      environments: policy(),
      key: trusted.publicPem,
      'dry-run': 'true',
    });
    assert.equal(plan.exitCode, 0, plan.stdout + plan.stderr);
    assert.match(plan.summary, /Promotion plan/);
    assert.equal((await repo('acme/app').resolve('prod'))?.digest, prodBefore);

    const bad = await runAction(DIST, {
      source: 'Not A Reference',
      target: `${registry.host}/x`,
      keep: '-1',
      key: trusted.publicPem,
    });
    assert.equal(bad.exitCode, 1);
    assert.match(bad.stdout, /input "source"/);
    assert.match(bad.stdout, /input "keep"/);
  });
});
