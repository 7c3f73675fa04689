/**
 * The one HTTP client of release-actions, on undici. It retries what is worth retrying (408, 429
 * with `Retry-After`, 5xx, refused or reset connections) through the one retry helper, follows
 * redirects only when asked, and drops `Authorization`, `Proxy-Authorization` and `Cookie` when a
 * redirect leaves the origin (as registries do when they send blob downloads to a CDN or object
 * store).
 */
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { errorMessage, HTTPError, redactUrl } from './errors.ts';
import { silentLogger, type Logger } from './logger.ts';
import {
  defaultRetryPolicy,
  isRetryableNetworkError,
  isRetryableStatus,
  parseRetryAfter,
  withRetry,
  type RetryPolicy,
} from './retry.ts';

/** A body that can be sent again on retry: bytes, a string, or a factory of fresh streams. A bare stream is sent once. */
export type RequestBody = string | Buffer | Uint8Array | Readable | (() => Readable);

export interface HttpRequest {
  method: string;
  url: string | URL;
  headers?: Record<string, string>;
  body?: RequestBody;
  /** `follow` follows up to `maxRedirects` redirects (GET and HEAD only); `manual` returns the 3xx. Default `manual`. */
  redirect?: 'follow' | 'manual';
  maxRedirects?: number;
  signal?: AbortSignal;
  /** Aborts the whole exchange, body included, after this many milliseconds. */
  timeoutMs?: number;
  /** Overrides the client's retry policy for this request; `false` sends it once. */
  retry?: RetryPolicy | false;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** The URL that answered, after redirects. */
  url: URL;
  body: Dispatcher.ResponseData['body'];
}

export interface HttpClientOptions {
  /** undici dispatcher: an `Agent` with extra CAs, a proxy, or a mock. Default: a keep-alive agent shared by this client. */
  dispatcher?: Dispatcher;
  retry?: RetryPolicy;
  logger?: Logger;
  userAgent?: string;
}

/** A retryable status, carried out of an attempt so the retry helper sees it like any other failure. */
class RetryableStatus extends Error {
  readonly status: number;
  readonly afterMs: number | undefined;
  constructor(status: number, afterMs: number | undefined) {
    super(`answered ${status}`);
    this.status = status;
    this.afterMs = afterMs;
  }
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers dropped when a redirect leaves the origin. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

export class HttpClient {
  readonly dispatcher: Dispatcher;
  private readonly retry: RetryPolicy;
  private readonly logger: Logger;
  private readonly userAgent: string;

  constructor(options: HttpClientOptions = {}) {
    this.dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connections: 16 });
    this.retry = options.retry ?? defaultRetryPolicy;
    this.logger = options.logger ?? silentLogger;
    this.userAgent = options.userAgent ?? 'release-actions';
  }

  /**
   * Sends a request, retrying per policy, and returns the final response whatever its status:
   * callers check it (see {@link expectStatus}). The response body must be consumed or dumped.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const replayable = !(req.body && typeof req.body === 'object' && 'pipe' in req.body);
    const policy =
      req.retry === false || !replayable ? { ...this.retry, attempts: 1 } : (req.retry ?? this.retry);
    return withRetry(
      async (attempt) => {
        const res = await this.send(req);
        if (isRetryableStatus(res.status) && attempt < policy.attempts) {
          await res.body.dump().catch(() => undefined);
          throw new RetryableStatus(res.status, parseRetryAfter(res.headers.get('retry-after') ?? undefined));
        }
        return res;
      },
      {
        policy,
        signal: req.signal,
        decide: (err) => {
          if (err instanceof RetryableStatus)
            return err.afterMs === undefined ? {} : { afterMs: err.afterMs };
          return isRetryableNetworkError(err) ? {} : false;
        },
        onRetry: (err, retry, delay) =>
          this.logger.debug(
            `${req.method} ${redactUrl(req.url)}: ${errorMessage(err)}; retry ${retry}/${policy.attempts - 1} in ${Math.round(delay)} ms`,
          ),
      },
    );
  }

  /** The client's connections are closed; further requests fail. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async send(req: HttpRequest): Promise<HttpResponse> {
    let url = new URL(String(req.url));
    const origin = url.origin;
    const follow = req.redirect === 'follow' && (req.method === 'GET' || req.method === 'HEAD');
    const maxRedirects = req.maxRedirects ?? 5;
    const signals = [req.signal, req.timeoutMs ? AbortSignal.timeout(req.timeoutMs) : undefined].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    for (let hops = 0; ; hops++) {
      const headers: Record<string, string> = { ...req.headers };
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'user-agent'))
        headers['user-agent'] = this.userAgent;
      if (url.origin !== origin) {
        // Never hand credentials to the host a redirect points at (as fetch does).
        for (const name of Object.keys(headers))
          if (CREDENTIAL_HEADERS.has(name.toLowerCase())) delete headers[name];
      }
      const body = typeof req.body === 'function' ? req.body() : req.body;
      const res = await request(url, {
        dispatcher: this.dispatcher,
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body: body ?? null,
        signal: signal ?? null,
      });
      if (follow && REDIRECT_STATUSES.has(res.statusCode) && res.headers.location && hops < maxRedirects) {
        await res.body.dump().catch(() => undefined);
        url = new URL(String(res.headers.location), url);
        continue;
      }
      return { status: res.statusCode, headers: toHeaders(res.headers), url, body: res.body };
    }
  }
}

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/** Throws an {@link HTTPError} (with the start of the body) unless the response has one of the expected statuses. */
export async function expectStatus(
  res: HttpResponse,
  method: string,
  expected: readonly number[],
): Promise<void> {
  if (expected.includes(res.status)) return;
  const body = await res.body.text().catch(() => '');
  throw new HTTPError({ statusCode: res.status, method, url: res.url.toString(), body });
}
