/**
 * A loopback stand-in for api.osv.dev (which cannot be reached from here), shared by the OSV API
 * client tests and the sbom action's `osv-url` test. It implements the two endpoints osv.dev
 * documents: `POST /v1/querybatch` (one result per query, in order; at most 1000 queries, else
 * 400) and `GET /v1/vulns/{id}` (404 for an unknown id). What a query matches and what a record
 * holds are the caller's: `answer` and `record`. Every request is logged; `failNextBatch` /
 * `failNextVuln` make the next requests answer 503.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { OsvRecord } from '@release-actions/shared/scan';

export interface OsvQuery {
  package: { ecosystem: string; name: string };
  version: string;
  page_token?: string;
}

export interface OsvBatchResult {
  vulns?: Array<{ id: string; modified: string }>;
  next_page_token?: string;
}

export interface OsvStandInLog {
  /** The number of queries in each querybatch request, in order. */
  batches: number[];
  /** Every query received, in order. */
  queries: OsvQuery[];
  /** GET /v1/vulns/{id} requests answered, by id. */
  vulnGets: Map<string, number>;
  failNextBatch: number;
  failNextVuln: number;
}

export interface OsvStandInOptions {
  answer: (query: OsvQuery) => OsvBatchResult;
  record: (id: string) => OsvRecord | undefined;
}

export interface OsvStandIn {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  log: OsvStandInLog;
  stop: () => Promise<void>;
}

export function osvStandInHandler(options: OsvStandInOptions) {
  const log: OsvStandInLog = {
    batches: [],
    queries: [],
    vulnGets: new Map(),
    failNextBatch: 0,
    failNextVuln: 0,
  };
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/v1/querybatch') {
      if (log.failNextBatch > 0) {
        log.failNextBatch--;
        return res.writeHead(503).end('unavailable');
      }
      const { queries } = JSON.parse(Buffer.concat(chunks).toString()) as { queries: OsvQuery[] };
      log.batches.push(queries.length);
      log.queries.push(...queries);
      if (queries.length > 1000) return res.writeHead(400).end('{"code":3,"message":"Too many queries."}');
      return res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ results: queries.map((q) => options.answer(q)) }));
    }
    const m = /^\/v1\/vulns\/(.+)$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const id = decodeURIComponent(m[1]!);
      if (log.failNextVuln > 0) {
        log.failNextVuln--;
        return res.writeHead(503).end();
      }
      const record = options.record(id);
      if (!record) return res.writeHead(404).end('{"code":5,"message":"Bug not found."}');
      log.vulnGets.set(id, (log.vulnGets.get(id) ?? 0) + 1);
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(record));
    }
    res.writeHead(404).end('{"code":5,"message":"Not found"}');
  };
  return { log, handler };
}

export async function startOsvStandIn(options: OsvStandInOptions): Promise<OsvStandIn> {
  const { log, handler } = osvStandInHandler(options);
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * `answer` and `record` serving an OSV export directory (`<Ecosystem>/<ID>.json`, as
 * `fixtures/osv`): a query matches the records naming its ecosystem and package name (versions
 * are not compared: the fixtures' packages are all affected).
 */
export function exportAnswers(dir: string): OsvStandInOptions {
  const records = new Map<string, OsvRecord>();
  for (const eco of readdirSync(dir))
    for (const file of readdirSync(join(dir, eco)).filter((f) => f.endsWith('.json'))) {
      const r = JSON.parse(readFileSync(join(dir, eco, file), 'utf8')) as OsvRecord;
      records.set(r.id, r);
    }
  return {
    answer: (q) => {
      const vulns = [...records.values()]
        .filter((r) =>
          (r.affected ?? []).some(
            (a) => a.package?.ecosystem === q.package.ecosystem && a.package?.name === q.package.name,
          ),
        )
        .map((r) => ({ id: r.id, modified: r.modified ?? '' }));
      return vulns.length ? { vulns } : {};
    },
    record: (id) => records.get(id),
  };
}
