/**
 * A recording, failure-injecting reverse proxy on loopback, put between a client and a test
 * registry: it counts requests and bytes (e.g. "a same-registry copy uploads no layer") and makes
 * chosen requests fail (a 500, a reset connection, or a body cut off half-way).
 *
 * Bodies stream both ways without buffering. Headers pass unchanged except hop-by-hop ones,
 * `Host` (set to the target's) and absolute `Location` headers that point at the target, which
 * are rewritten to point at the proxy (distribution answers uploads with absolute URLs).
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

/** One proxied request, updated in place as it progresses. */
export interface RecordedRequest {
  /** 1-based position among all requests since start or the last reset(). */
  seq: number;
  method: string;
  /** Path and query, as the client sent them. */
  path: string;
  /** The same as `path` (the name node's IncomingMessage uses). */
  url: string;
  /** The client's request headers. */
  headers: IncomingHttpHeaders;
  /** The status the client got (0 while pending, or when the connection was destroyed first). */
  status: number;
  /** Request body bytes received from the client. */
  bytesIn: number;
  /** Response body bytes sent to the client. */
  bytesOut: number;
  /** Set when a failure rule matched: `status` (answered by the proxy) or `destroy`. */
  injected?: 'status' | 'destroy';
  /** Set when the exchange ended abnormally (client gone, target unreachable, injected destroy). */
  error?: string;
  /** True once the response has ended or the connection was closed. */
  done: boolean;
}

/** What a failure rule sees of a request. */
export interface ProxyRequestInfo {
  seq: number;
  method: string;
  /** Path and query, as the client sent them. */
  path: string;
  /** The same as `path` (the name node's IncomingMessage uses). */
  url: string;
  headers: IncomingHttpHeaders;
}

export interface InjectedFailure {
  /** Answer this status from the proxy (default 500 unless `destroy`), with a registry-style JSON error. */
  status?: number;
  /** Extra headers for the injected status (e.g. `Retry-After`). */
  headers?: Record<string, string>;
  /**
   * Destroy the client connection. Without `afterBytes`, at once (the client sees a reset). With
   * `afterBytes`, the request is forwarded and the response cut after that many body bytes.
   */
  destroy?: boolean;
  afterBytes?: number;
}

/** Returns true (a 500), a failure to inject, or false/undefined to let the request through. */
export type FailureRule = (req: ProxyRequestInfo) => boolean | InjectedFailure | undefined | null;

/**
 * A rule that matches only the `n`th request (1-based) for which `predicate` holds, e.g. "the 3rd
 * blob GET": `proxy.failWhen(nthRequest(3, (r) => r.method === 'GET' && r.path.includes('/blobs/')))`.
 */
export function nthRequest(
  n: number,
  predicate: (req: ProxyRequestInfo) => boolean,
  failure: InjectedFailure = { status: 500 },
): FailureRule {
  let seen = 0;
  return (req) => (predicate(req) && ++seen === n ? failure : false);
}

export interface RecordingProxy {
  /** `127.0.0.1:PORT` */
  host: string;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The requests seen since start or the last reset(), oldest first (the same array throughout). */
  readonly requests: RecordedRequest[];
  /** Adds a failure rule (checked in order, first match wins); returns a function that removes it. */
  failWhen(rule: FailureRule): () => void;
  clearFailures(): void;
  /** Forgets the recorded requests and the failure rules, and restarts `seq` at 1. */
  reset(): void;
  stop(): Promise<void>;
}

export interface RecordingProxyOptions {
  /** Rewrite absolute Location headers pointing at the target (default true). */
  rewriteLocation?: boolean;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function forwardHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const connectionTokens = String(headers.connection ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || connectionTokens.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

class Counter extends Transform {
  private readonly onBytes: (n: number) => void;

  constructor(onBytes: (n: number) => void) {
    super();
    this.onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.onBytes(chunk.length);
    cb(null, chunk);
  }
}

/** Starts a proxy to `target` (`http://127.0.0.1:PORT`) on a free loopback port. */
export async function startRecordingProxy(
  target: string,
  options: RecordingProxyOptions = {},
): Promise<RecordingProxy> {
  const targetUrl = new URL(target);
  if (targetUrl.protocol !== 'http:')
    throw new Error(`startRecordingProxy: target must be http://, got ${target}`);
  const targetOrigin = targetUrl.origin;
  const rewriteLocation = options.rewriteLocation ?? true;
  const agent = new Agent({ keepAlive: true });
  const requests: RecordedRequest[] = [];
  let rules: FailureRule[] = [];
  let seq = 0;
  let proxyOrigin = '';

  function matchFailure(info: ProxyRequestInfo): InjectedFailure | undefined {
    for (const rule of rules) {
      const result = rule(info);
      if (result === true) return { status: 500 };
      if (result) return result;
    }
    return undefined;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const record: RecordedRequest = {
      seq: ++seq,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      url: req.url ?? '/',
      headers: req.headers,
      status: 0,
      bytesIn: 0,
      bytesOut: 0,
      done: false,
    };
    requests.push(record);
    const finish = (error?: string): void => {
      if (record.done) return;
      record.done = true;
      if (error !== undefined) record.error = error;
    };
    res.on('finish', () => finish());
    res.on('close', () =>
      finish(res.writableFinished ? undefined : 'connection closed before the response ended'),
    );

    const failure = matchFailure({
      seq: record.seq,
      method: record.method,
      path: record.path,
      url: record.path,
      headers: req.headers,
    });
    if (failure?.destroy && failure.afterBytes === undefined) {
      record.injected = 'destroy';
      finish('destroyed by an injected failure');
      req.socket.destroy();
      return;
    }
    if (failure && !failure.destroy) {
      record.injected = 'status';
      const status = failure.status ?? 500;
      const body = JSON.stringify({
        errors: [
          { code: 'UNKNOWN', message: `injected failure: ${status} for ${record.method} ${record.path}` },
        ],
      });
      // Read what the client sends (counting it) before answering, so it sees a clean response.
      req.on('data', (chunk: Buffer) => (record.bytesIn += chunk.length));
      req.on('end', () => {
        record.status = status;
        res.writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...failure.headers,
        });
        record.bytesOut += Buffer.byteLength(body);
        res.end(body);
      });
      return;
    }

    const headers = forwardHeaders(req.headers);
    headers.host = targetUrl.host;
    const upstream = httpRequest(
      {
        protocol: 'http:',
        hostname: targetUrl.hostname,
        port: targetUrl.port,
        method: record.method,
        path: record.path,
        headers,
        agent,
      },
      (upstreamRes) => {
        const responseHeaders = forwardHeaders(upstreamRes.headers);
        const location = upstreamRes.headers.location;
        if (rewriteLocation && location) {
          try {
            const resolved = new URL(location);
            if (resolved.origin === targetOrigin) {
              responseHeaders.location = `${proxyOrigin}${resolved.pathname}${resolved.search}${resolved.hash}`;
            }
          } catch {
            // relative Location: already correct for the proxy
          }
        }
        record.status = upstreamRes.statusCode ?? 0;
        if (upstreamRes.statusMessage)
          res.writeHead(record.status, upstreamRes.statusMessage, responseHeaders);
        else res.writeHead(record.status, responseHeaders);
        upstreamRes.on('error', () => res.destroy());
        if (failure?.destroy) {
          // Pass `afterBytes` body bytes, then close the client connection mid-body. Ending the
          // socket (rather than destroying it) still delivers what was written before the cut.
          record.injected = 'destroy';
          const limit = failure.afterBytes ?? 0;
          let sent = 0;
          let cut = false;
          const cutNow = (): void => {
            if (cut) return;
            cut = true;
            finish('destroyed by an injected failure');
            upstreamRes.destroy();
            req.socket.end();
            req.socket.once('finish', () => req.socket.destroy());
          };
          if (limit <= 0) {
            res.flushHeaders();
            cutNow();
            return;
          }
          upstreamRes.on('data', (chunk: Buffer) => {
            if (cut) return;
            const take = Math.min(chunk.length, limit - sent);
            sent += take;
            record.bytesOut += take;
            res.write(take < chunk.length ? chunk.subarray(0, take) : chunk);
            if (sent >= limit) cutNow();
          });
          upstreamRes.on('end', cutNow);
          return;
        }
        const counter = new Counter((n) => (record.bytesOut += n));
        upstreamRes.pipe(counter).pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) {
        record.status = 502;
        const body = JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `proxy: ${err.message}` }] });
        res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        record.bytesOut += Buffer.byteLength(body);
        res.end(body);
      } else {
        finish(`target failed: ${err.message}`);
        res.destroy();
      }
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(new Counter((n) => (record.bytesIn += n))).pipe(upstream);
  }

  const server: Server = createServer(handle);
  server.keepAliveTimeout = 2000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A client waiting on the proxy keeps the event loop alive; the idle proxy must not.
  server.unref();
  const { port } = server.address() as AddressInfo;
  proxyOrigin = `http://127.0.0.1:${port}`;

  let stopping: Promise<void> | undefined;
  return {
    host: `127.0.0.1:${port}`,
    url: proxyOrigin,
    requests,
    failWhen(rule) {
      rules.push(rule);
      return () => {
        rules = rules.filter((r) => r !== rule);
      };
    },
    clearFailures() {
      rules = [];
    },
    reset() {
      requests.length = 0;
      rules = [];
      seq = 0;
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
      return stopping;
    },
  };
}
