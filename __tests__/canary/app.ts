/**
 * A small instrumented web app for the canary's tests: a node:http server on a loopback port that
 * answers every path but `/metrics` with 200 `ok`, in one of three modes:
 *
 * - `healthy`: answers at once;
 * - `erroring`: answers 500 to a given fraction of requests, spread evenly (with 0.05, exactly one
 *   request in twenty, so a window's error rate does not depend on chance);
 * - `slow`: waits a given delay before answering.
 *
 * It is instrumented as a real service would be, with prom-client on a registry of its own:
 * `http_request_duration_seconds{version, code}` (a histogram) and `http_requests_total{version,
 * code}`, on `/metrics` for Prometheus to scrape. So a test can read its p95 the way a user's
 * query does:
 *
 *     histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket{version="canary"}[{{ interval }}])) by (le))
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';

export type AppMode =
  { kind: 'healthy' } | { kind: 'erroring'; fraction: number } | { kind: 'slow'; delayMs: number };

export interface TestApp {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  /** `127.0.0.1:PORT`, a Prometheus scrape target. */
  host: string;
  version: string;
  /** Requests answered so far (not counting `/metrics`). */
  readonly requests: number;
  /** Changes how it answers from the next request on. */
  setMode(mode: AppMode): void;
  close(): Promise<void>;
}

/** Buckets fine enough near the tests' thresholds (50–300 ms) for histogram_quantile to place a p95. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5];

export async function startApp(options: { version: string; mode?: AppMode }): Promise<TestApp> {
  let mode: AppMode = options.mode ?? { kind: 'healthy' };
  let answered = 0;
  let erroring = 0;
  const registry = new Registry();
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from a request until its response was written.',
    labelNames: ['version', 'code'],
    buckets: BUCKETS,
    registers: [registry],
  });
  const total = new Counter({
    name: 'http_requests_total',
    help: 'Requests answered.',
    labelNames: ['version', 'code'],
    registers: [registry],
  });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
      return;
    }
    const started = process.hrtime.bigint();
    const current = mode;
    const answer = (code: number): void => {
      res.writeHead(code, { 'content-type': 'text/plain' });
      res.end(code === 200 ? 'ok\n' : 'injected failure\n');
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const labels = { version: options.version, code: String(code) };
      duration.observe(labels, seconds);
      total.inc(labels);
      answered++;
    };
    req.resume();
    if (current.kind === 'slow') {
      setTimeout(() => answer(200), current.delayMs);
    } else if (current.kind === 'erroring') {
      // The n-th request fails when n·fraction crosses a whole number: an exact, even spread.
      const n = ++erroring;
      answer(Math.floor(n * current.fraction) > Math.floor((n - 1) * current.fraction) ? 500 : 200);
    } else {
      answer(200);
    }
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  return {
    url: `http://${host}/`,
    host,
    version: options.version,
    get requests() {
      return answered;
    },
    setMode(next) {
      mode = next;
      erroring = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
