/**
 * The committed actions/promote bundle, run as the runner runs it, against real docker-registry
 * instances on loopback, with images signed by key through the signing core.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { cosignTag, type Repository } from '@release-actions/shared/oci';
import { createKeySigner, publicKeyToPem, signImage } from '@release-actions/shared/sign';
import { startRegistry, type TestRegistry } from '@release-actions/shared/testing';
import { distOf, runAction } from '../action-runner.ts';
import { makeImage, push } from '../images.ts';
import { onTestFinished } from '../jest-helpers.ts';
import { useRegistry } from '../registry-fixture.ts';

const DIST = distOf('promote');

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { signer: createKeySigner({ privateKey, publicKey }), publicPem: publicKeyToPem(publicKey) };
}

/**
 * What a repository holds in the registry's own storage: its tags and every manifest revision
 * (image, signatures, attestations, referrers), so a test sees any write, tagged or not.
 */
function stored(registry: TestRegistry, repository: string): { tags: string[]; manifests: string[] } {
  const base = join(registry.storageDir, 'docker/registry/v2/repositories', repository, '_manifests');
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
  return { tags: list(join(base, 'tags')), manifests: list(join(base, 'revisions/sha256')) };
}

/** A checkout holding `.github/release-environments.yml`, the policy file promote reads by default. */
function checkoutWithPolicy(policy: string): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'promote-checkout-'));
  mkdirSync(join(dir, '.github'));
  writeFileSync(join(dir, '.github', 'release-environments.yml'), policy);
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('actions/promote (runner-level)', () => {
  const reg = useRegistry();
  const trusted = keyPair();
  const stranger = keyPair();
  const repo = (name: string): Repository => reg.repo(name);
  const policy = () => `
environments:
  - name: staging
    repository: ${reg.registry.host}/acme/app-staging
  - name: production
    repository: ${reg.registry.host}/acme/app
    tag: prod
`;

  async function signedRelease(repository: string, signer = trusted.signer, layers = [2000, 3000]) {
    const image = makeImage({ layers: layers });
    const store = repo(repository);
    const { digest } = await push(store, image, 'staging');
    await signImage({
      store,
      image: { registry: reg.registry.host, repository },
      digest,
      signer,
      format: 'both',
    });
    return digest;
  }

  it('promotes a key-verified digest staging → production, carrying its signatures, and reports the rollback target', async () => {
    const first = await signedRelease('acme/app-staging');
    const run1 = await runAction(DIST, {
      source: `${reg.registry.host}/acme/app-staging@${first}`,
      from: 'staging',
      to: 'production',
      environments: policy(),
      key: trusted.publicPem,
    });
    assert.equal(run1.exitCode, 0, run1.stdout + run1.stderr);
    assert.equal(run1.outputs.digest, first);
    assert.equal(run1.outputs['previous-digest'], '');
    assert.equal(run1.outputs.image, `${reg.registry.host}/acme/app@${first}`);
    assert.equal(run1.outputs['bytes-copied'], '0', 'within one registry nothing is uploaded');
    assert.ok(Number(run1.outputs['blobs-mounted']) >= 3);
    const prod = repo('acme/app');
    assert.equal((await prod.resolve('prod'))?.digest, first);
    assert.ok(await prod.resolve(cosignTag(first, 'sig')), 'the legacy signature came along');
    assert.equal((await prod.referrers(first)).length >= 1, true, 'the bundle referrer came along');
    assert.match(run1.summary, /staging → production/);

    const second = await signedRelease('acme/app-staging', trusted.signer, [5000]);
    const run2 = await runAction(DIST, {
      source: `${reg.registry.host}/acme/app-staging:staging`,
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
      source: `${reg.registry.host}/acme/app-staging@${foreign}`,
      from: 'staging',
      to: 'production',
      environments: policy(),
      key: trusted.publicPem,
    });
    assert.equal(untrusted.exitCode, 1);
    assert.equal(untrusted.outputs.digest, undefined);
    assert.equal((await repo('acme/app').resolve('prod'))?.digest, before);

    const unsigned = await push(repo('acme/app-staging'), makeImage({ layers: [31337] }));
    const unsignedRun = await runAction(DIST, {
      source: `${reg.registry.host}/acme/app-staging@${unsigned.digest}`,
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
      source: `${reg.registry.host}/acme/app@${foreign}`,
      from: 'production',
      to: 'staging',
      environments: policy(),
      key: trusted.publicPem,
    });
    assert.equal(backwards.exitCode, 1);
    assert.match(backwards.stdout, /production → staging is refused: it goes backwards/);
  });

  it("refuses a tag that the environment's tags patterns do not allow, naming the rule and the file, before anything is written", async () => {
    const checkout = checkoutWithPolicy(`
environments:
  - name: staging
    repository: ${reg.registry.host}/acme/app-staging
  - name: production
    repository: ${reg.registry.host}/acme/app-tagged
    tag: prod
    tags: ['v*']
`);
    onTestFinished(checkout.dispose);
    const promotion = (digest: string, tags: string) =>
      runAction(
        DIST,
        {
          source: `${reg.registry.host}/acme/app-staging@${digest}`,
          from: 'staging',
          to: 'production',
          key: trusted.publicPem,
          tags,
        },
        { cwd: checkout.dir },
      );
    const first = await promotion(await signedRelease('acme/app-staging', trusted.signer, [1100]), 'v1.0.0');
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    const before = stored(reg.registry, 'acme/app-tagged');
    for (const tag of ['prod', 'v1.0.0']) assert.ok(before.tags.includes(tag), `${tag} was set`);

    const second = await signedRelease('acme/app-staging', trusted.signer, [1200]);
    const refused = await promotion(second, 'v1.1.0\nlatest');
    assert.equal(refused.exitCode, 1, refused.stdout);
    assert.deepEqual(stored(reg.registry, 'acme/app-tagged'), before, 'no tag and no manifest was written');
    assert.match(
      refused.stdout,
      /input "tags": tag "latest" is not allowed in environment "production": environments\[1\]\.tags in \.github\/release-environments\.yml allows only tags matching "v\*"/,
    );

    const allowed = await promotion(second, 'v1.1.0');
    assert.equal(allowed.exitCode, 0, allowed.stdout + allowed.stderr);
    assert.equal((await repo('acme/app-tagged').resolve('v1.1.0'))?.digest, second);
    assert.equal(await repo('acme/app-tagged').resolve('latest'), undefined);
  });

  it('refuses a tag that is not valid before anything is written: no image, signature or referrer copied', async () => {
    const target = `${reg.registry.host}/acme/app-syntax`;
    const promotion = (digest: string, tags: string) =>
      runAction(DIST, {
        source: `${reg.registry.host}/acme/app-staging@${digest}`,
        target,
        key: trusted.publicPem,
        tags,
      });
    const first = await promotion(await signedRelease('acme/app-staging', trusted.signer, [1300]), 'v1');
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    const before = stored(reg.registry, 'acme/app-syntax');
    assert.ok(before.manifests.length >= 3, 'the image, its signature and its bundle referrer');

    const second = await signedRelease('acme/app-staging', trusted.signer, [1400]);
    const refused = await promotion(second, 'v2, bad tag!');
    assert.equal(refused.exitCode, 1, refused.stdout);
    assert.deepEqual(stored(reg.registry, 'acme/app-syntax'), before, 'no tag and no manifest was written');
    assert.match(
      refused.stdout,
      /input "tags": "bad tag!" is not a valid tag: .*\[a-zA-Z0-9_\]\[a-zA-Z0-9._-\]\{0,127\}/,
    );
    assert.equal(await repo('acme/app-syntax').resolve(second), undefined);
  });

  it('in a dry run across registries reports 0 bytes copied and puts the plan in the job summary', async () => {
    const other = await startRegistry();
    onTestFinished(() => other.stop());
    const environments = `
environments:
  - name: staging
    repository: ${reg.registry.host}/acme/app-staging
  - name: production
    repository: ${other.host}/acme/app
    tag: prod
`;
    const promotion = (digest: string, more: Record<string, string> = {}) =>
      runAction(DIST, {
        source: `${reg.registry.host}/acme/app-staging@${digest}`,
        from: 'staging',
        to: 'production',
        environments,
        key: trusted.publicPem,
        ...more,
      });
    const first = await signedRelease('acme/app-staging', trusted.signer, [1500]);
    const real = await promotion(first);
    assert.equal(real.exitCode, 0, real.stdout + real.stderr);
    assert.ok(Number(real.outputs['bytes-copied']) > 1500, 'across registries the layers are streamed');
    const before = stored(other, 'acme/app');

    const second = await signedRelease('acme/app-staging', trusted.signer, [7000, 9000]);
    const plan = await promotion(second, { 'dry-run': 'true', tags: 'v2.0.0' });
    assert.equal(plan.exitCode, 0, plan.stdout + plan.stderr);
    assert.equal(plan.outputs['bytes-copied'], '0', 'a dry run copies nothing');
    assert.equal(plan.outputs['blobs-mounted'], '0', 'a dry run mounts nothing');
    assert.equal(plan.outputs.digest, second);
    assert.equal(plan.outputs['previous-digest'], first);
    assert.deepEqual(stored(other, 'acme/app'), before, 'nothing was written');
    // The plan: what would be tagged and what would be copied.
    assert.match(plan.summary, /Promotion plan \(dry run: nothing was changed\)/);
    assert.match(plan.summary, /<code>prod<\/code><\/td><td>would move<\/td>/);
    assert.match(plan.summary, /<code>v2\.0\.0<\/code><\/td><td>would be created<\/td>/);
    assert.match(
      plan.summary,
      /<code>prod-prev-1<\/code><\/td><td>history: would keep an earlier release<\/td>/,
    );
    // What would be copied: the layers, config, signature and bundle, as many bytes as the real run then streams.
    const planned = /<td>to copy \(stream\)<\/td><td>(\d+)<\/td><td>(\d+) B<\/td>/.exec(plan.summary);
    assert.ok(planned, plan.summary);
    assert.ok(Number(planned[2]) > 16_000, 'both layers are to be streamed');
    assert.match(plan.summary, /2 signatures, attestations and referrers to carry along/);
    const done = await promotion(second, { tags: 'v2.0.0' });
    assert.equal(done.exitCode, 0, done.stdout + done.stderr);
    assert.equal(done.outputs['bytes-copied'], planned[2], 'the plan said what the promotion then did');
    assert.match(done.summary, new RegExp(`<td>copied \\(streamed\\)</td><td>${planned[1]}</td>`));
  });

  it('plans in a dry run without changing anything, and fails on bad input before any request', async () => {
    const digest = await signedRelease('acme/app-staging', trusted.signer, [4242]);
    const prodBefore = (await repo('acme/app').resolve('prod'))?.digest;
    const plan = await runAction(DIST, {
      source: `${reg.registry.host}/acme/app-staging@${digest}`,
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
      target: `${reg.registry.host}/x`,
      keep: '-1',
      key: trusted.publicPem,
    });
    assert.equal(bad.exitCode, 1);
    assert.match(bad.stdout, /input "source"/);
    assert.match(bad.stdout, /input "keep"/);
  });
});
