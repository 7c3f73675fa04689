/**
 * Real HTTP(S) servers on loopback for the probe and health-check tests: each listens on a free
 * port, records what it received, and is closed (open connections included) by `close()`.
 */
import { once } from 'node:events';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Handles request number `n` (1-based). */
export type Handler = (req: IncomingMessage, res: ServerResponse, n: number, body: string) => unknown;

export interface TestServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startServer(
  handler: Handler,
  options: { port?: number; host?: string; tls?: { key: string; cert: string } } = {},
): Promise<TestServer> {
  const requests: ReceivedRequest[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      void Promise.resolve(handler(req, res, requests.length, body)).catch((err: unknown) => {
        res.destroy(err instanceof Error ? err : new Error(String(err)));
      });
    });
  };
  const server = options.tls ? https.createServer(options.tls, listener) : http.createServer(listener);
  const host = options.host ?? '127.0.0.1';
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    requests,
    async close() {
      server.closeAllConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port that nothing listens on (yet): connections to it are refused. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Answers each request with the next of `statuses` (the last one repeats), body `body`. */
export function sequence(statuses: number[], body = 'ok'): Handler {
  return (_req, res, n) => {
    res.writeHead(statuses[Math.min(n, statuses.length) - 1]!, { 'content-type': 'text/plain' });
    res.end(body);
  };
}

/** Never answers: the request stays open until the server is closed. */
export const hang: Handler = () => undefined;
