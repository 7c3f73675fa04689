/**
 * The demo's stand-in for a router, used when no HAProxy is asked for: a weighted reverse proxy on
 * loopback that sends each request to the stable or the canary release by weight, and an admin
 * endpoint the canary action drives through `traffic: command` (`set-weight-command` runs
 * scripts/demo/ctl.ts, which calls it).
 *
 * Routing is a smooth weighted round robin, not a coin toss: at 10 % exactly one request in ten
 * goes to the canary, so a short demo step shows the split it was asked for. Each answer carries
 * `x-served-by: stable|canary`.
 *
 * The admin endpoint (`startAdminServer`, on its own port, never the users' one) takes routes:
 *   PUT  /weight?canary=10  sets the split, in effect for the next request; 204 (weightRoute)
 *   and the demo's own (`POST /deploy`, index.ts).
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export type Slot = 'stable' | 'canary';

/** An admin route: answers the request and returns true, or returns false to leave it to the next. */
export type AdminRoute = (req: IncomingMessage, url: URL, res: ServerResponse) => Promise<boolean> | boolean;

/** What the users' side of the proxy answered, per slot. */
export interface SlotCounts {
  requests: number;
  errors: number;
}

export interface WeightedProxy {
  /** The users' entry point, http://127.0.0.1:<port>. */
  url: string;
  /** Where a slot's requests go (host:port), or undefined while nothing is deployed there. */
  setTarget(slot: Slot, host: string | undefined): void;
  /** The canary's share, 0–100. */
  setWeight(canary: number): void;
  weight(): number;
  /** Answers per slot since the start (errors: 5xx and failed connections). */
  counts(): Record<Slot, SlotCounts>;
  close(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startWeightedProxy(): Promise<WeightedProxy> {
  const targets: Record<Slot, string | undefined> = { stable: undefined, canary: undefined };
  const counts: Record<Slot, SlotCounts> = {
    stable: { requests: 0, errors: 0 },
    canary: { requests: 0, errors: 0 },
  };
  let canaryWeight = 0;
  // Smooth weighted round robin: the canary's credit grows by its weight on every request and is
  // spent 100 at a time, so over any 100 requests it gets exactly its weight.
  let credit = 0;
  const pick = (): Slot => {
    credit += canaryWeight;
    if (credit >= 100) {
      credit -= 100;
      return 'canary';
    }
    return 'stable';
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });

  const users = createServer((req, res) => {
    let slot = pick();
    if (targets[slot] === undefined) slot = slot === 'canary' ? 'stable' : 'canary';
    const host = targets[slot];
    counts[slot].requests++;
    if (host === undefined) {
      counts[slot].errors++;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('no release is deployed\n');
      return;
    }
    const upstream = httpRequest(
      `http://${host}${req.url ?? '/'}`,
      { method: req.method, headers: { ...req.headers, host }, agent, timeout: 10_000 },
      (answer) => {
        if ((answer.statusCode ?? 502) >= 500) counts[slot].errors++;
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-served-by': slot });
        answer.pipe(res);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('upstream timed out')));
    upstream.on('error', (err) => {
      counts[slot].errors++;
      if (!res.headersSent)
        res.writeHead(502, { 'content-type': 'text/plain', 'x-served-by': slot }).end(`${err.message}\n`);
      else res.destroy();
    });
    req.pipe(upstream);
  });

  const url = await listen(users);
  return {
    url,
    setTarget: (slot, host) => (targets[slot] = host),
    setWeight: (canary) => {
      canaryWeight = canary;
      credit = 0;
    },
    weight: () => canaryWeight,
    counts: () => ({ stable: { ...counts.stable }, canary: { ...counts.canary } }),
    async close() {
      await close(users);
      agent.destroy();
    },
  };
}

/** The admin route that sets the router's weight: `PUT /weight?canary=N` (204 once in effect). */
export function weightRoute(setWeight: (canary: number) => Promise<unknown>): AdminRoute {
  return async (req, url, res) => {
    if (url.pathname !== '/weight' || req.method !== 'PUT') return false;
    const value = Number(url.searchParams.get('canary'));
    if (!Number.isInteger(value) || value < 0 || value > 100) {
      res.writeHead(400).end('canary must be a whole percentage, 0 to 100\n');
      return true;
    }
    await setWeight(value);
    res.writeHead(204).end();
    return true;
  };
}

export interface AdminServer {
  url: string;
  close(): Promise<void>;
}

/** The admin endpoint: each request goes to the first route that takes it (404 when none does). */
export async function startAdminServer(routes: AdminRoute[]): Promise<AdminServer> {
  const admin = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    void (async () => {
      try {
        for (const route of routes) if (await route(req, url, res)) return;
        res.writeHead(404).end(`no admin route ${req.method} ${url.pathname}\n`);
      } catch (err) {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`${(err as Error).message}\n`);
      }
    })();
  });
  return { url: await listen(admin), close: () => close(admin) };
}
