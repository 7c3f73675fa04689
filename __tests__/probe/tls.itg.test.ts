/**
 * HTTPS endpoints with a private CA, made by openssl at test time: the certificate is verified,
 * an untrusted one fails at once (retrying cannot change it), and `ca-cert` makes it trusted.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import {
  createProbeClient,
  parseCaBundle,
  parseStatusSet,
  probe,
  type ProbeOptions,
} from '@release-actions/shared/probe';
import { runAction } from '../health-check/runner.ts';
import { makePki, type TestPki } from './certs.ts';
import { startServer, type TestServer } from './servers.ts';

const options: ProbeOptions = {
  method: 'GET',
  expect: { status: parseStatusSet('200') },
  timeoutMs: 5_000,
  maxAttempts: 3,
  consecutiveSuccesses: 1,
  retry: { intervalMs: 10, backoff: 'constant', maxIntervalMs: 10 },
  followRedirects: false,
};

describe('TLS', () => {
  let pki: TestPki;
  let server: TestServer;
  beforeAll(async () => {
    pki = makePki();
    server = await startServer((_req, res) => res.end('secure ok'), {
      tls: { key: pki.serverKey, cert: pki.serverCert },
    });
  });
  afterAll(async () => {
    await server?.close();
    pki?.cleanup();
  });

  it('refuses a certificate from an unknown CA, without retrying', async () => {
    const client = createProbeClient();
    try {
      const result = await probe(`${server.url}/h`, options, { client });
      assert.equal(result.healthy, false);
      assert.equal(result.lastError?.code, 'TLS_ERROR');
      assert.equal(result.attempts, 1, 'an untrusted certificate is not retried');
      assert.equal(result.stopReason, 'not-retryable');
      assert.equal(server.requests.length, 0, 'no request went over the untrusted connection');
    } finally {
      await client.close();
    }
  });

  it('trusts the endpoint once its CA is given', async () => {
    const client = createProbeClient({ caCerts: parseCaBundle(pki.caPem) });
    try {
      const result = await probe(`${server.url}/h`, options, { client });
      assert.equal(result.healthy, true);
      assert.equal(result.attempts, 1);
    } finally {
      await client.close();
    }
  });

  it('still checks the host name with the extra CA', async () => {
    // The certificate names 127.0.0.1 and localhost; this server answers on 127.0.0.2.
    const elsewhere = await startServer((_req, res) => res.end('ok'), {
      host: '127.0.0.2',
      tls: { key: pki.serverKey, cert: pki.serverCert },
    });
    const client = createProbeClient({ caCerts: [pki.caPem] });
    try {
      const result = await probe(`${elsewhere.url}/h`, options, { client });
      assert.equal(result.healthy, false);
      assert.equal(result.lastError?.code, 'TLS_ERROR');
      assert.match(result.lastError!.message, /ERR_TLS_CERT_ALTNAME_INVALID/);
      assert.equal(result.attempts, 1);
    } finally {
      await client.close();
      await elsewhere.close();
    }
  });

  it('the action takes ca-cert as a file path or as PEM text', async () => {
    const common = { url: `${server.url}/h`, 'max-attempts': '2', 'retry-interval': '10ms' };
    const untrusted = await runAction(common);
    assert.equal(untrusted.exitCode, 1);
    assert.equal(JSON.parse(untrusted.outputs.results!)[0].lastError.code, 'TLS_ERROR');
    const byFile = await runAction({ ...common, 'ca-cert': pki.caFile });
    assert.equal(byFile.exitCode, 0, byFile.stdout);
    assert.equal(byFile.outputs.healthy, 'true');
    const byText = await runAction({ ...common, 'ca-cert': pki.caPem });
    assert.equal(byText.exitCode, 0, byText.stdout);
  });
});
