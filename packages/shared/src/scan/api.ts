/**
 * The OSV API client (osv.dev docs: `POST /v1/querybatch`, `GET /v1/vulns/{id}`): packages are
 * queried in batches of at most 1000, each result followed through its `next_page_token` (sent
 * back as the query's `page_token`), then each distinct advisory id fetched once, with bounded
 * concurrency, through the one {@link HttpClient} and its retry policy.
 */
import { expectStatus, type HttpClient } from '../http.ts';
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

  constructor(options: OsvApiOptions) {
    this.http = options.http;
    this.baseUrl = (options.baseUrl ?? DEFAULT_OSV_URL).replace(/\/+$/, '');
    this.batchSize = Math.min(OSV_MAX_BATCH, Math.max(1, options.batchSize ?? OSV_MAX_BATCH));
    this.concurrency = options.concurrency ?? 8;
    this.maxPages = options.maxPages ?? 100;
    this.logger = options.logger ?? silentLogger;
    this.description = `OSV API ${this.baseUrl}`;
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
          `${this.baseUrl}/v1/querybatch kept paginating past ${this.maxPages} pages`,
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
    const res = await this.http.request({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ queries }),
    });
    await expectStatus(res, 'POST', [200]);
    const body = (await res.body.json().catch((err: unknown) => {
      throw new ScanError('OSV_API_ERROR', `${url} answered with a body that is not JSON`, { cause: err });
    })) as { results?: unknown };
    const results = Array.isArray(body?.results) ? (body.results as BatchResult[]) : undefined;
    if (!results || results.length !== queries.length)
      throw new ScanError(
        'OSV_API_ERROR',
        `${url} answered ${results?.length ?? 'no'} results for ${queries.length} queries; OSV answers one result per query, in order`,
      );
    this.logger.debug(`OSV querybatch: ${queries.length} queries`);
    return results;
  }

  /** The full record of one advisory. */
  async getVuln(id: string): Promise<OsvRecord> {
    const url = `${this.baseUrl}/v1/vulns/${encodeURIComponent(id)}`;
    const res = await this.http.request({ method: 'GET', url, headers: { accept: 'application/json' } });
    await expectStatus(res, 'GET', [200]);
    const json = await res.body.json().catch((err: unknown) => {
      throw new ScanError('OSV_API_ERROR', `${url} answered with a body that is not JSON`, { cause: err });
    });
    return parseOsvRecord(json, url);
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
