/**
 * The OSV API client against a loopback stand-in for api.osv.dev (which cannot be reached from
 * here; `./osv-stand-in.ts`): the stand-in implements POST /v1/querybatch (one result per query, in order; at most
 * 1000 queries, else 400; `next_page_token` / `page_token` pagination) and GET /v1/vulns/{id}
 * as osv.dev documents them.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { HTTPError, HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import {
  OsvApiClient,
  ScanError,
  scanPackages,
  type OsvPackageRef,
  type OsvRecord,
} from '@release-actions/shared/scan';
import { withCode } from '../codes.ts';
import { osvStandInHandler, type OsvQuery } from './osv-stand-in.ts';

function standIn() {
  const pageTokens: string[] = [];
  const record = (id: string): OsvRecord => ({
    id,
    modified: '2024-01-01T00:00:00Z',
    summary: `stand-in ${id}`,
    affected: [
      {
        package: { ecosystem: 'npm', name: 'pkg-1' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }],
      },
    ],
    database_specific: { severity: 'HIGH' },
  });
  const answer = (q: OsvQuery) => {
    if (q.package.name === 'paged') {
      if (!q.page_token) return { vulns: [{ id: 'OSV-PAGE-1', modified: 'x' }], next_page_token: 'token-2' };
      pageTokens.push(q.page_token);
      return { vulns: [{ id: 'OSV-PAGE-2', modified: 'x' }] };
    }
    const n = Number(q.package.name.replace('pkg-', ''));
    // Empty results are empty objects, as osv.dev answers them.
    return n % 10 === 0 ? {} : { vulns: [{ id: `OSV-TEST-${n % 7}`, modified: 'x' }] };
  };
  const { log, handler } = osvStandInHandler({ answer, record });
  return { log: Object.assign(log, { pageTokens }), handler };
}

describe('OSV API client (loopback stand-in for api.osv.dev)', () => {
  const { log, handler } = standIn();
  const server = createServer((req, res) => void handler(req, res));
  const http = new HttpClient({ retry: immediateRetryPolicy(3) });
  let client: OsvApiClient;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new OsvApiClient({ http, baseUrl: `http://127.0.0.1:${port}/`, concurrency: 4 });
  });
  afterAll(async () => {
    await http.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const packages: OsvPackageRef[] = Array.from({ length: 2500 }, (_, i) => ({
    ecosystem: 'npm',
    name: `pkg-${i}`,
    version: '1.0.0',
  }));

  it('queries in batches of at most 1000 and fetches each advisory once', async () => {
    log.batches.length = 0;
    log.vulnGets.clear();
    const records = await client.lookup(packages);
    assert.deepEqual(log.batches, [1000, 1000, 500]);
    assert.equal(records.length, 2500);
    assert.deepEqual(records[0], []);
    assert.deepEqual(
      records[8]!.map((r) => r.id),
      ['OSV-TEST-1'],
    );
    assert.equal(records[15]![0]!.id, 'OSV-TEST-1');
    assert.equal(log.vulnGets.size, 7);
    assert.ok(
      [...log.vulnGets.values()].every((n) => n === 1),
      'each id fetched once',
    );
  });

  it('follows next_page_token for the query that has more pages', async () => {
    log.batches.length = 0;
    const ids = await client.queryIds([
      { ecosystem: 'npm', name: 'pkg-1', version: '1.0.0' },
      { ecosystem: 'npm', name: 'paged', version: '1.0.0' },
    ]);
    assert.deepEqual(ids, [['OSV-TEST-1'], ['OSV-PAGE-1', 'OSV-PAGE-2']]);
    assert.deepEqual(log.batches, [2, 1], 'the second request carries only the paged query');
    assert.deepEqual(log.pageTokens, ['token-2']);
  });

  it('retries 503 answers through the shared retry helper', async () => {
    log.failNextBatch = 1;
    log.failNextVuln = 1;
    log.vulnGets.clear();
    const records = await client.lookup([{ ecosystem: 'npm', name: 'pkg-3', version: '1.0.0' }]);
    assert.deepEqual(
      records[0]!.map((r) => r.id),
      ['OSV-TEST-3'],
    );
    assert.equal(log.failNextBatch, 0);
    assert.equal(log.failNextVuln, 0);
  });

  it('feeds scanPackages, which trusts the API for the match and computes the fix locally', async () => {
    const result = await scanPackages([{ name: 'pkg-1', version: '1.0.0', purl: 'pkg:npm/pkg-1@1.0.0' }], {
      source: client,
    });
    assert.deepEqual(
      result.findings.map((f) => [f.id, f.fixedVersions, f.severity.level]),
      [['OSV-TEST-1', ['2.0.0'], 'high']],
    );
  });

  it('fails as an unavailable source naming osv-url, with the HTTP status, when the API refuses', async () => {
    const base = client.description.replace('OSV API ', '') + '/nope';
    const bad = new OsvApiClient({ http, baseUrl: base });
    await assert.rejects(bad.queryIds(packages.slice(0, 1)), (e: unknown) => {
      withCode(ScanError, 'VULN_SOURCE_UNAVAILABLE')(e);
      const err = e as ScanError;
      assert.ok(err.message.startsWith(`osv-url ${base} `), err.message);
      assert.match(err.message, /\/nope\/v1\/querybatch answered 404/);
      assert.match(err.message, /without \/v1.*osv-db/, 'says what to fix');
      assert.ok(err.cause instanceof HTTPError && err.cause.statusCode === 404);
      return true;
    });
  });
});

describe('OSV API unreachable', () => {
  const http = new HttpClient({ retry: immediateRetryPolicy(2) });
  afterAll(() => http.close());
  const pkg: OsvPackageRef[] = [{ ecosystem: 'npm', name: 'left-pad', version: '1.3.0' }];

  /** A loopback port nothing listens on. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  const unavailable = (url: string) => (e: unknown) => {
    withCode(ScanError, 'VULN_SOURCE_UNAVAILABLE')(e);
    const err = e as ScanError;
    assert.ok(err.message.startsWith(`osv-url ${url} is unreachable: `), err.message);
    assert.match(err.message, /Fix: .*osv-db/, 'says what to do instead');
    assert.ok(err.cause instanceof Error, 'keeps the network error as the cause');
    return true;
  };

  it('names osv-url and its URL when nothing listens there, through scanPackages too', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const source = new OsvApiClient({ http, baseUrl: url });
    await assert.rejects(source.lookup(pkg), unavailable(url));
    await assert.rejects(
      scanPackages([{ name: 'left-pad', version: '1.3.0', purl: 'pkg:npm/left-pad@1.3.0' }], { source }),
      unavailable(url),
    );
  });

  it('names osv-url when its host does not resolve (getaddrinfo)', async () => {
    const url = 'http://osv.invalid';
    await assert.rejects(new OsvApiClient({ http, baseUrl: url }).lookup(pkg), (e: unknown) => {
      unavailable(url)(e);
      assert.match((e as Error).message, /getaddrinfo|EAI_AGAIN|ENOTFOUND/);
      return true;
    });
  });

  it('never shows the credentials of an osv-url that carries them', async () => {
    const port = await closedPort();
    const source = new OsvApiClient({ http, baseUrl: `http://mirror:s3cret@127.0.0.1:${port}` });
    assert.ok(!source.description.includes('s3cret'));
    await assert.rejects(source.lookup(pkg), (e: unknown) => {
      assert.ok(!(e as Error).message.includes('s3cret'), (e as Error).message);
      return unavailable(`http://127.0.0.1:${port}`)(e);
    });
  });
});
