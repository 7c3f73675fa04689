import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, describe, it } from '@jest/globals';
import { expectStatus, HttpClient, HTTPError, type RetryPolicy } from '@release-actions/shared';
import { onTestFinished } from '../jest-helpers.ts';

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${port}`, server };
}

function policy(attempts: number, waits: number[] = []): RetryPolicy {
  return { attempts, backoff: () => 0, maxDelayMs: 60_000, sleep: async (ms) => void waits.push(ms) };
}

describe('HttpClient', () => {
  const client = new HttpClient({ retry: policy(4) });
  afterAll(() => client.close());

  it('retries 503 and 429, honouring Retry-After, then returns the success', async () => {
    let hits = 0;
    const { url } = await serve((_req, res) => {
      hits++;
      if (hits === 1) res.writeHead(503).end('busy');
      else if (hits === 2) res.writeHead(429, { 'retry-after': '7' }).end();
      else res.writeHead(200).end('ok');
    });
    const waits: number[] = [];
    const res = await client.request({ method: 'GET', url, retry: policy(4, waits) });
    assert.equal(res.status, 200);
    assert.equal(await res.body.text(), 'ok');
    assert.equal(hits, 3);
    assert.deepEqual(waits, [0, 7000]);
  });

  it('returns the last retryable answer when attempts run out, and expectStatus turns it into an HTTPError', async () => {
    let hits = 0;
    const { url } = await serve((_req, res) => {
      hits++;
      res.writeHead(502).end('bad gateway');
    });
    const res = await client.request({ method: 'GET', url, retry: policy(2) });
    assert.equal(res.status, 502);
    assert.equal(hits, 2);
    await assert.rejects(expectStatus(res, 'GET', [200]), (err: unknown) => {
      assert.ok(err instanceof HTTPError);
      assert.equal(err.statusCode, 502);
      assert.match(err.message, /bad gateway/);
      return true;
    });
  });

  it('does not retry 4xx', async () => {
    let hits = 0;
    const { url } = await serve((_req, res) => {
      hits++;
      res.writeHead(404).end();
    });
    const res = await client.request({ method: 'GET', url });
    assert.equal(res.status, 404);
    await res.body.dump();
    assert.equal(hits, 1);
  });

  it('sends a one-shot stream body once, even on 503', async () => {
    let hits = 0;
    const { url } = await serve((req, res) => {
      hits++;
      req.resume();
      req.on('end', () => res.writeHead(503).end());
    });
    const res = await client.request({ method: 'PATCH', url, body: Readable.from([Buffer.from('data')]) });
    assert.equal(res.status, 503);
    await res.body.dump();
    assert.equal(hits, 1);
  });

  it('retries refused connections, then fails with the connection error', async () => {
    const { url, server } = await serve(() => undefined);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const waits: number[] = [];
    await assert.rejects(
      client.request({ method: 'GET', url, retry: policy(3, waits) }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ECONNREFUSED');
        return true;
      },
    );
    assert.equal(waits.length, 2);
  });

  it('keeps Authorization on a same-origin redirect and drops it when the redirect leaves the origin', async () => {
    const seen: Array<string | undefined> = [];
    const other = await serve((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200).end('blob');
    });
    const { url } = await serve((req, res) => {
      if (req.url === '/start') res.writeHead(307, { location: '/same' }).end();
      else if (req.url === '/same') {
        seen.push(req.headers.authorization);
        res.writeHead(302, { location: `${other.url}/cdn` }).end();
      }
    });
    const res = await client.request({
      method: 'GET',
      url: `${url}/start`,
      headers: { Authorization: 'Bearer secret' },
      redirect: 'follow',
    });
    assert.equal(await res.body.text(), 'blob');
    assert.equal(res.url.origin, new URL(other.url).origin);
    assert.deepEqual(seen, ['Bearer secret', undefined]);
  });

  it('returns a redirect as is unless asked to follow', async () => {
    const { url } = await serve((_req, res) => res.writeHead(302, { location: '/elsewhere' }).end());
    const res = await client.request({ method: 'GET', url });
    await res.body.dump();
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/elsewhere');
  });

  it('aborts an exchange that outlives timeoutMs', async () => {
    const { url } = await serve((_req, res) => {
      setTimeout(() => res.writeHead(200).end(), 2000).unref();
    });
    await assert.rejects(
      client.request({ method: 'GET', url, timeoutMs: 50, retry: false }),
      /abort|timeout/i,
    );
  });
});
