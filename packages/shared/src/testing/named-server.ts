/**
 * A tiny HTTP server on a free loopback port that answers every request with its own name, for
 * the stable and canary releases behind a test router: count who answered to see the split.
 *
 *     const stable = await startNamedServer('stable');
 *     after(() => stable.stop());
 */
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface NamedServer {
  name: string;
  port: number;
  /** `127.0.0.1:PORT` */
  address: string;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Requests answered since start. */
  readonly requests: number;
  stop(): Promise<void>;
}

/** Starts a server answering `200 <name>` (text/plain) to any request. */
export function startNamedServer(name: string, options: { status?: number } = {}): Promise<NamedServer> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    res.writeHead(options.status ?? 200, { 'content-type': 'text/plain', 'x-server': name });
    res.end(name);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      let stopping: Promise<void> | undefined;
      resolve({
        name,
        port,
        address: `127.0.0.1:${port}`,
        url: `http://127.0.0.1:${port}`,
        get requests() {
          return requests;
        },
        stop: () =>
          (stopping ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          })),
      });
    });
  });
}

/** Sends `count` GET requests to `url` one after another, each on a new connection, and counts the answers by body. */
export async function countAnswers(url: string, count: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const body = await new Promise<string>((resolve, reject) => {
      const req = get(url, { agent: false, timeout: 5000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(res.statusCode === 200 ? text : `HTTP ${res.statusCode}`));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
      req.on('error', reject);
    });
    counts.set(body, (counts.get(body) ?? 0) + 1);
  }
  return counts;
}
