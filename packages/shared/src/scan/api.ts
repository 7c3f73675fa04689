/**
 * The OSV API client (osv.dev docs: `POST /v1/querybatch`, `GET /v1/vulns/{id}`): packages are
 * queried in batches of at most 1000, each result followed through its `next_page_token` (sent
 * back as the query's `page_token`), then each distinct advisory id fetched once, with bounded
 * concurrency, through the one {@link HttpClient} and its retry policy. When the API cannot be
 * used (unreachable, or refusing after the retries) the error is `VULN_SOURCE_UNAVAILABLE`,
 * naming `osv-url` and the fix.
 */
import { errorMessage, HTTPError, redactUrl } from '../errors.ts';
import { expectStatus, type HttpClient, type HttpRequest, type HttpResponse } from '../http.ts';
import { concurrencyLimit } from '../limit.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { ScanError } from './errors.ts';
import { parseOsvRecord, type OsvRecord } from './osv.ts';
import type { VulnerabilitySource } from './source.ts';
import type { OsvPackageRef } from './types.ts';

/** The public OSV API. */
export const DEFAULT_OSV_URL = 'https://api.osv.dev';
/** The most queries OSV accepts in one querybatch request. */
export const OSV_MAX_BATCH = 1000;

export interface OsvApiOptions {
  http: HttpClient;
  /** Base URL (the `osv-url` input). Default {@link DEFAULT_OSV_URL}. */
  baseUrl?: string;
  /** Queries per querybatch request, at most 1000. */
  batchSize?: number;
  /** Advisory details fetched at once. Default 8. */
  concurrency?: number;
  /** Follow at most this many pages per query, as a guard against a server that never stops. Default 100. */
  maxPages?: number;
  logger?: Logger;
}

interface BatchQuery {
  package: { ecosystem: string; name: string };
  version: string;
  page_token?: string;
}

interface BatchResult {
  vulns?: Array<{ id: string; modified?: string }>;
  next_page_token?: string;
}

/** A {@link VulnerabilitySource} backed by the OSV API. */
export class OsvApiClient implements VulnerabilitySource {
  readonly matchesVersions = true;
  readonly description: string;
  private readonly http: HttpClient;
  private readonly baseUrl: string;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly maxPages: number;
  private readonly logger: Logger;
  /** The base URL as shown in messages: without credentials. */
  private readonly shown: string;

  constructor(options: OsvApiOptions) {
    this.http = options.http;
    this.baseUrl = (options.baseUrl ?? DEFAULT_OSV_URL).replace(/\/+$/, '');
    this.batchSize = Math.min(OSV_MAX_BATCH, Math.max(1, options.batchSize ?? OSV_MAX_BATCH));
    this.concurrency = options.concurrency ?? 8;
    this.maxPages = options.maxPages ?? 100;
    this.logger = options.logger ?? silentLogger;
    this.shown = redactUrl(this.baseUrl).replace(/\/+$/, '');
    this.description = `OSV API ${this.shown}`;
  }

  /**
   * Sends one request and checks its status; what makes the source unusable becomes
   * `VULN_SOURCE_UNAVAILABLE` naming `osv-url`.
   */
  private async send(req: HttpRequest, path: string): Promise<HttpResponse> {
    let res: HttpResponse;
    try {
      res = await this.http.request(req);
    } catch (err) {
      throw new ScanError(
        'VULN_SOURCE_UNAVAILABLE',
        `osv-url ${this.shown} is unreachable: ${req.method} ${path}: ${errorMessage(err)}. Fix: check osv-url and that the runner can reach it (DNS, proxy, firewall), or scan offline with osv-db (a directory of OSV records, an unpacked OSV export)`,
        { cause: err },
      );
    }
    try {
      await expectStatus(res, req.method, [200]);
    } catch (err) {
      if (!(err instanceof HTTPError)) throw err;
      throw new ScanError(
        'VULN_SOURCE_UNAVAILABLE',
        `osv-url ${this.shown} refused the request: ${err.message}. Fix: ${refusalFix(err.statusCode)}`,
        { cause: err },
      );
    }
    return res;
  }

  /** The advisory ids affecting each package, in order. */
  async queryIds(packages: readonly OsvPackageRef[]): Promise<string[][]> {
    const ids: Array<Set<string>> = packages.map(() => new Set());
    let pending: Array<{ index: number; query: BatchQuery }> = packages.map((p, index) => ({
      index,
      query: { package: { ecosystem: p.ecosystem, name: p.name }, version: p.version },
    }));
    for (let page = 0; pending.length > 0; page++) {
      if (page >= this.maxPages)
        throw new ScanError(
          'OSV_API_ERROR',
          `osv-url ${this.shown}: /v1/querybatch kept paginating past ${this.maxPages} pages`,
        );
      const next: typeof pending = [];
      for (let start = 0; start < pending.length; start += this.batchSize) {
        const chunk = pending.slice(start, start + this.batchSize);
        const results = await this.querybatch(chunk.map((c) => c.query));
        for (const [i, result] of results.entries()) {
          const { index, query } = chunk[i]!;
          for (const v of result.vulns ?? []) ids[index]!.add(v.id);
          if (result.next_page_token)
            next.push({ index, query: { ...query, page_token: result.next_page_token } });
        }
      }
      pending = next;
    }
    return ids.map((s) => [...s]);
  }

  private async querybatch(queries: BatchQuery[]): Promise<BatchResult[]> {
    const url = `${this.baseUrl}/v1/querybatch`;
    const res = await this.send(
      {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ queries }),
      },
      '/v1/querybatch',
    );
    const body = (await res.body.json().catch((err: unknown) => {
      throw new ScanError(
        'OSV_API_ERROR',
        `osv-url ${this.shown}: POST /v1/querybatch answered with a body that is not JSON`,
        { cause: err },
      );
    })) as { results?: unknown };
    const results = Array.isArray(body?.results) ? (body.results as BatchResult[]) : undefined;
    if (!results || results.length !== queries.length)
      throw new ScanError(
        'OSV_API_ERROR',
        `osv-url ${this.shown}: POST /v1/querybatch answered ${results?.length ?? 'no'} results for ${queries.length} queries; OSV answers one result per query, in order`,
      );
    this.logger.debug(`OSV querybatch: ${queries.length} queries`);
    return results;
  }

  /** The full record of one advisory. */
  async getVuln(id: string): Promise<OsvRecord> {
    const path = `/v1/vulns/${encodeURIComponent(id)}`;
    const res = await this.send(
      { method: 'GET', url: `${this.baseUrl}${path}`, headers: { accept: 'application/json' } },
      path,
    );
    const json = await res.body.json().catch((err: unknown) => {
      const message = `osv-url ${this.shown}: GET ${path} answered with a body that is not JSON`;
      throw new ScanError('OSV_API_ERROR', message, { cause: err });
    });
    return parseOsvRecord(json, `osv-url ${this.shown}: GET ${path}`);
  }

  /** Queries the packages, then fetches each distinct advisory once. */
  async lookup(packages: readonly OsvPackageRef[]): Promise<OsvRecord[][]> {
    const ids = await this.queryIds(packages);
    const unique = [...new Set(ids.flat())];
    const limit = concurrencyLimit(this.concurrency);
    const records = new Map<string, OsvRecord>();
    await Promise.all(unique.map((id) => limit(async () => void records.set(id, await this.getVuln(id)))));
    this.logger.debug(`OSV API: ${unique.length} advisories for ${packages.length} packages`);
    return ids.map((list) => list.map((id) => records.get(id)!));
  }
}

/** What to do about an API that answered `status` (after the retries, for 429 and 5xx). */
function refusalFix(status: number): string {
  if (status === 404 || status === 405)
    return `osv-url is the base URL of an OSV API (${DEFAULT_OSV_URL}, without /v1); or scan offline with osv-db`;
  if (status === 401 || status === 403)
    return 'the API refused access: use a mirror this runner may query, or scan offline with osv-db';
  if (status === 429 || status >= 500)
    return 'the API is overloaded or failing (the retries ran out): re-run the job later, or scan offline with osv-db';
  return `osv-url must serve the OSV API (POST /v1/querybatch, GET /v1/vulns/{id}); or scan offline with osv-db`;
}
