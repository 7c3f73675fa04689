/**
 * Every action writes a job summary on failure too: each committed bundle, run as the runner runs
 * it against a registry (or endpoint) that refuses connections, fails the step and leaves a summary
 * that names what failed, with its error code, and what was attempted.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { beforeAll, describe, it } from '@jest/globals';
import { generateKeyPair } from '@release-actions/shared/sign';
import { distOf, runAction } from '../action-runner.ts';

const DIGEST = `sha256:${'1'.repeat(64)}`;

/** A loopback port nobody listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

describe('every action: a job summary on failure', () => {
  let gone: string;
  let key: { privateKeyPem: string; publicKeyPem: string };
  beforeAll(async () => {
    gone = `127.0.0.1:${await closedPort()}`;
    key = await generateKeyPair('summary-test', { scryptN: 32768 });
  });

  const cases: Array<[string, () => Record<string, string>, RegExp]> = [
    [
      'build-sign',
      () => ({
        builder: 'none',
        image: `${gone}/acme/app@${DIGEST}`,
        signing: 'key',
        'cosign-key': key.privateKeyPem,
        'cosign-password': 'summary-test',
        provenance: 'false',
      }),
      /## ❌ build-sign failed[\s\S]*<code>REGISTRY_ERROR<\/code>[\s\S]*\| ✅ \| Checking the signing setup \|[\s\S]*\| ❌ \| Checking push access/,
    ],
    [
      'sbom',
      () => ({ image: `${gone}/acme/app:1.0`, scan: 'false', 'upload-artifact': 'false' }),
      /## ❌ sbom failed[\s\S]*<code>REGISTRY_ERROR<\/code>[\s\S]*\| ❌ \| Cataloging/,
    ],
    [
      'promote',
      () => ({ source: `${gone}/acme/app@${DIGEST}`, target: `${gone}/acme/prod`, verify: 'false' }),
      /## ❌ promote failed[\s\S]*<code>REGISTRY_ERROR<\/code>[\s\S]*\| ❌ \| Promoting/,
    ],
    // verify-image and health-check report a verdict for each image or URL, failures included.
    [
      'verify-image',
      () => ({ image: `${gone}/acme/app@${DIGEST}`, key: key.publicKeyPem }),
      /❌[\s\S]*REGISTRY_ERROR/,
    ],
    [
      'health-check',
      () => ({ url: `http://${gone}/healthz`, 'max-attempts': '1', timeout: '2s' }),
      /❌[\s\S]*CONNECTION_REFUSED/,
    ],
  ];

  for (const [action, inputs, summary] of cases) {
    it(`${action}: fails the step and the summary says what failed`, async () => {
      const run = await runAction(distOf(action), inputs());
      assert.equal(run.exitCode, 1, run.stdout);
      assert.match(run.stdout, /^::error::/m);
      assert.match(run.summary, summary, run.summary);
    });
  }
});
