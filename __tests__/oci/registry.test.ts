/**
 * Registry client behaviour that a real docker-registry will not show on demand (oversized or
 * lying answers, redirects to another host), against a small loopback stand-in.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from '@jest/globals';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import {
  digestOf,
  MAX_MANIFEST_BYTES,
  MediaType,
  OciError,
  RegistryClient,
} from '@release-actions/shared/oci';
import { readAll } from '../images.ts';
import { withCode } from '../codes.ts';
import { onTestFinished } from '../jest-helpers.ts';

async function standIn(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: { basicAuth?: boolean } = {},
) {
  const seen: Array<{ method?: string; url?: string; authorization?: string }> = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    if (req.url === '/v2/') {
      if (options.basicAuth && !req.headers.authorization)
        return void res.writeHead(401, { 'www-authenticate': 'Basic realm="stand-in"' }).end();
      return void res.writeHead(200).end('{}');
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function repoOn(host: string, credentials?: { username: string; password: string }) {
  const client = new RegistryClient({
    http: new HttpClient({ retry: immediateRetryPolicy(3) }),
    ...(credentials && { credentials: { resolve: async () => credentials } }),
  });
  onTestFinished(() => client.http.close());
  return client.repository({ registry: host, repository: 'app' });
}

const code = (expected: string) => withCode(OciError, expected);

const manifest = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: digestOf('{}'), size: 2 },
    layers: [],
  }),
);

describe('registry client safeguards', () => {
  it('refuses an oversized manifest before reading it, and one that streams past the limit', async () => {
    const big = Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20);
    const { host } = await standIn((req, res) => {
      if (req.url?.endsWith('/declared'))
        res.writeHead(200, { 'content-type': MediaType.OciManifest, 'content-length': big.length }).end(big);
      else {
        res.writeHead(200, { 'content-type': MediaType.OciManifest }); // chunked: no length announced
        res.end(big);
      }
    });
    const repo = repoOn(host);
    await assert.rejects(repo.getManifest('declared'), code('MANIFEST_TOO_LARGE'));
    await assert.rejects(repo.getManifest('chunked'), code('MANIFEST_TOO_LARGE'));
  });

  it('recomputes the digest of a manifest fetched by tag and refuses one that differs from what the registry announced', async () => {
    const { host } = await standIn((_req, res) =>
      res
        .writeHead(200, {
          'content-type': MediaType.OciManifest,
          'docker-content-digest': `sha256:${'1'.repeat(64)}`,
        })
        .end(manifest),
    );
    await assert.rejects(repoOn(host).getManifest('v1'), code('DIGEST_MISMATCH'));
  });

  it('refuses Docker schema 1 by name', async () => {
    const { host } = await standIn((_req, res) =>
      res
        .writeHead(200, { 'content-type': MediaType.DockerManifestV1Signed })
        .end('{"schemaVersion":1,"name":"app"}'),
    );
    await assert.rejects(
      repoOn(host).getManifest('old'),
      (err: unknown) => code('UNSUPPORTED')(err) && /schema 1/.test((err as Error).message),
    );
  });

  it('retries a 429 and a 503 on manifest reads, then succeeds', async () => {
    let calls = 0;
    const { host } = await standIn((_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(429, { 'retry-after': '0' }).end();
      else if (calls === 2) res.writeHead(503).end();
      else res.writeHead(200, { 'content-type': MediaType.OciManifest }).end(manifest);
    });
    const got = await repoOn(host).getManifest(digestOf(manifest));
    assert.equal(got.descriptor.digest, digestOf(manifest));
    assert.equal(calls, 3);
  });

  it('turns 403 into DENIED with the registry error text, and names no secret', async () => {
    const { host } = await standIn((_req, res) =>
      res
        .writeHead(403, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}'),
    );
    await assert.rejects(
      repoOn(host, { username: 'u', password: 'hunter2' }).putManifest(manifest, MediaType.OciManifest, 'v1'),
      (err: unknown) => {
        code('DENIED')(err);
        const message = (err as Error).message;
        assert.match(message, /requested access to the resource is denied/);
        assert.doesNotMatch(message, /hunter2/);
        return true;
      },
    );
  });

  it('follows a blob redirect to another host without our Authorization header', async () => {
    const content = Buffer.from('layer bytes');
    const cdn = await standIn((_req, res) => res.writeHead(200).end(content));
    const registry = await standIn(
      (_req, res) => res.writeHead(307, { location: `http://${cdn.host}/blob?sig=abc` }).end(),
      { basicAuth: true },
    );
    const repo = repoOn(registry.host, { username: 'u', password: 'p' });
    const stream = await repo.getBlob({
      mediaType: MediaType.OciLayer,
      digest: digestOf(content),
      size: content.length,
    });
    assert.deepEqual(await readAll(stream), content);
    const basic = `Basic ${Buffer.from('u:p').toString('base64')}`;
    assert.equal(registry.seen.at(-1)?.authorization, basic, 'the registry itself got the credentials');
    assert.equal(cdn.seen.at(-1)?.url, '/blob?sig=abc');
    assert.equal(cdn.seen.at(-1)?.authorization, undefined);
  });
});
