/**
 * build-sign asks for push access before it builds: against a loopback docker-registry with token
 * auth that lets anonymous callers pull but not push, a run without credentials fails in the push
 * check (no build started, nothing written), and the job summary says what failed and how to fix
 * it; with a user the issuer grants push to, the same run signs.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import { RegistryClient } from '@release-actions/shared/oci';
import { generateKeyPair, type GeneratedKeyPair } from '@release-actions/shared/sign';
import { startRegistry, type TestRegistry } from '@release-actions/shared/testing';
import { makeImage, push } from '../images.ts';
import { DIST, runAction } from './runner.ts';

const PASSWORD = 'push check password';

describe('build-sign: push access checked before any build', () => {
  let registry: TestRegistry;
  let admin: RegistryClient;
  let key: GeneratedKeyPair;
  let digest: string;

  beforeAll(async () => {
    assert.ok(existsSync(DIST), `${DIST} is missing: run npm run build`);
    registry = await startRegistry({
      auth: { kind: 'token', users: { ci: 'ci-secret' }, anonymousPull: true },
    });
    admin = new RegistryClient({
      http: new HttpClient({ retry: immediateRetryPolicy(2) }),
      credentials: { resolve: async () => ({ username: 'ci', password: 'ci-secret' }) },
    });
    const image = makeImage({ layers: [512] });
    digest = (await push(admin.repository({ registry: registry.host, repository: 'team/app' }), image, 'v1'))
      .digest;
    key = await generateKeyPair(PASSWORD, { scryptN: 32768 });
  });
  afterAll(async () => {
    await admin?.http.close();
    await registry?.stop();
  });

  const inputs = (extra: Record<string, string> = {}) => ({
    builder: 'buildah',
    tags: `${registry.host}/team/app:v2`,
    context: '/nonexistent-context-never-read',
    signing: 'key',
    'cosign-key': key.privateKeyPem,
    'cosign-password': PASSWORD,
    provenance: 'false',
    ...extra,
  });

  it('anonymous (pull only): fails naming the repository and the fix, before building or writing anything', async () => {
    const tagsBefore = await admin.repository({ registry: registry.host, repository: 'team/app' }).listTags();
    const run = await runAction(inputs());
    assert.equal(run.exitCode, 1, run.stdout);
    assert.match(run.stdout, /^::error::UNAUTHORIZED: .*team\/app/m);
    assert.doesNotMatch(run.stdout, /Building and pushing/, 'the build never started');
    assert.match(run.summary, /## ❌ build-sign failed/);
    assert.match(run.summary, /\| ❌ \| Checking push access to 127\.0\.0\.1:\d+\/team\/app \|/);
    assert.match(run.summary, /Fix<\/th><td>Give credentials for the registry/);
    assert.equal(run.outputs.digest, undefined);
    const tagsAfter = await admin.repository({ registry: registry.host, repository: 'team/app' }).listTags();
    assert.deepEqual(tagsAfter, tagsBefore);
  });

  it('with a user granted push, the push check passes (builder none signs the pushed image)', async () => {
    const run = await runAction({
      builder: 'none',
      image: `${registry.host}/team/app@${digest}`,
      signing: 'key',
      'cosign-key': key.privateKeyPem,
      'cosign-password': PASSWORD,
      provenance: 'false',
      username: 'ci',
      password: 'ci-secret',
    });
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(run.outputs.digest, digest);
    assert.match(run.stdout, /::group::Checking push access to/);
  });
});
