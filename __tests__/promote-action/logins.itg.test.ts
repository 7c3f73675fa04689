/**
 * actions/promote across two registries with two logins (`source-username`/`source-password`,
 * `target-username`/`target-password`): the committed bundle against two loopback docker-registry
 * instances, each with HTTP Basic auth for its own user only.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import { RegistryClient } from '@release-actions/shared/oci';
import { createKeySigner, publicKeyToPem, signImage } from '@release-actions/shared/sign';
import { startRegistry, type TestRegistry } from '@release-actions/shared/testing';
import { distOf, runAction } from '../action-runner.ts';
import { makeImage, push } from '../images.ts';

const DIST = distOf('promote');
const SOURCE_LOGIN = { username: 'reader', password: 'src-pass-8d1f0c' };
const TARGET_LOGIN = { username: 'writer', password: 'dst-pass-47b2e9' };

describe('actions/promote: two registries, two logins', () => {
  let source: TestRegistry;
  let target: TestRegistry;
  let digest: string;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

  beforeAll(async () => {
    source = await startRegistry({ auth: { kind: 'basic', ...SOURCE_LOGIN } });
    target = await startRegistry({ auth: { kind: 'basic', ...TARGET_LOGIN } });
    const client = new RegistryClient({
      http: new HttpClient({ retry: immediateRetryPolicy(2) }),
      credentials: { resolve: async () => SOURCE_LOGIN },
    });
    try {
      const store = client.repository({ registry: source.host, repository: 'acme/app' });
      digest = (await push(store, makeImage({ layers: [1500] }), 'staging')).digest;
      await signImage({
        store,
        image: { registry: source.host, repository: 'acme/app' },
        digest,
        signer: createKeySigner({ privateKey, publicKey }),
        format: 'legacy',
      });
    } finally {
      await client.http.close();
    }
  });
  afterAll(async () => {
    await source?.stop();
    await target?.stop();
  });

  const inputs = (logins: Record<string, string>) => ({
    source: `${source.host}/acme/app@${digest}`,
    target: `${target.host}/acme/app`,
    tags: 'v1',
    key: publicKeyToPem(publicKey),
    ...logins,
  });

  it('promotes with each side its own login, signatures along, and no password in the log, outputs or summary', async () => {
    const run = await runAction(
      DIST,
      inputs({
        'source-username': SOURCE_LOGIN.username,
        'source-password': SOURCE_LOGIN.password,
        'target-username': TARGET_LOGIN.username,
        'target-password': TARGET_LOGIN.password,
      }),
    );
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(run.outputs.digest, digest);
    assert.equal(run.outputs.tags, 'v1');
    const log = (run.stdout + run.stderr)
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    for (const secret of [SOURCE_LOGIN.password, TARGET_LOGIN.password]) {
      assert.ok(run.stdout.includes(`::add-mask::${secret}`), 'masked');
      assert.ok(!log.includes(secret) && !run.summary.includes(secret));
      assert.ok(!JSON.stringify(run.outputs).includes(secret));
    }
  });

  it('one login for both sides is refused by the other registry, and nothing is written there', async () => {
    const run = await runAction(
      DIST,
      inputs({ username: SOURCE_LOGIN.username, password: SOURCE_LOGIN.password }),
    );
    assert.equal(run.exitCode, 1);
    assert.match(run.stdout, /::error::UNAUTHORIZED: .*acme\/app/);
    assert.match(run.summary, /## ❌ promote failed/);
  });
});
