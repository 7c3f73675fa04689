/**
 * The HAProxy traffic adapter: two servers of one backend (stable and canary), their weights set
 * over HAProxy's runtime API (`set weight <backend>/<server> <weight>`), which takes effect at
 * once for new requests. The canary gets weight p and stable 100 − p; weight 0 drains a server (no
 * new requests; a request pinned by persistence, e.g. a stick table or cookie, still goes there).
 *
 * The runtime API is HAProxy's stats socket at level admin: `stats socket /run/haproxy/admin.sock
 * level admin` (a unix socket path) or `stats socket ipv4@127.0.0.1:9999 level admin`
 * (`tcp://127.0.0.1:9999`). One command per connection: HAProxy answers it and closes the
 * connection; `set weight` answers nothing on success and one line of error otherwise, `get weight`
 * answers `<current> (initial <configured>)`. Runtime weights are not written to haproxy.cfg: a
 * reload or restart brings back the configured ones.
 *
 * The backend needs a dynamic balance algorithm (roundrobin, leastconn, random, first); a static
 * one (static-rr, or a hash with the default map-based hash-type) only takes weights 0 and 100 %.
 */
import { createConnection, type NetConnectOpts } from 'node:net';
import { errorMessage } from '../../errors.ts';
import { silentLogger, type Logger } from '../../logger.ts';
import { CanaryError } from '../errors.ts';
import type { TrafficAdapter } from '../types.ts';
import { checkWeight } from './shell.ts';

export interface HaproxyTrafficOptions {
  /** The runtime API (`haproxy-socket`): a unix socket path, or `tcp://host:port`. */
  socket: string;
  /** The backend holding both servers (`haproxy-backend`). */
  backend: string;
  /** The canary's server in that backend (`haproxy-canary-server`); default `canary`. */
  canaryServer?: string;
  /** The stable release's server (`haproxy-stable-server`); default `stable`. */
  stableServer?: string;
  /** How long one command may take, connection included; default 5 s. */
  timeoutMs?: number;
  logger?: Logger;
}

/** Where the runtime API listens: a unix socket or a TCP address. */
export type HaproxySocket = { path: string } | { host: string; port: number };

/** `tcp://host:port` or a unix socket path; throws a plain Error saying what would be valid. */
export function parseHaproxySocket(text: string): HaproxySocket {
  const value = text.trim();
  const hint =
    'give the path of a unix socket (stats socket /run/haproxy/admin.sock level admin) or tcp://host:port (stats socket ipv4@127.0.0.1:9999 level admin)';
  if (value === '') throw new Error(`is empty: ${hint}`);
  if (value.startsWith('unix://')) return { path: value.slice('unix://'.length) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    if (!value.startsWith('tcp://'))
      throw new Error(`"${value}" is neither a socket path nor tcp://: ${hint}`);
    let url: URL;
    try {
      url = new URL(`http://${value.slice('tcp://'.length)}`);
    } catch {
      throw new Error(`"${value}" is not tcp://host:port: ${hint}`);
    }
    if (url.port === '' || url.pathname !== '/' || url.search || url.username)
      throw new Error(`"${value}" is not tcp://host:port: ${hint}`);
    return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) };
  }
  return { path: value };
}

/** Proxy and server names as HAProxy allows them (letters, digits, `-_.:`), or `#<id>`. */
const NAME = /^(?:[A-Za-z0-9_.:-]+|#\d+)$/;

/** Sends one command to HAProxy's runtime API and returns its answer, as it came. */
export function haproxyCommand(socket: HaproxySocket, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const options: NetConnectOpts =
      'path' in socket ? { path: socket.path } : { host: socket.host, port: socket.port };
    const conn = createConnection(options);
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => conn.destroy(new Error(`no answer to "${command}" within ${timeoutMs} ms`)),
      timeoutMs,
    );
    conn.on('connect', () => conn.write(`${command}\n`));
    conn.on('data', (chunk: Buffer) => chunks.push(chunk));
    conn.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    conn.on('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

function describeSocket(socket: HaproxySocket): string {
  return 'path' in socket
    ? socket.path
    : `tcp://${socket.host.includes(':') ? `[${socket.host}]` : socket.host}:${socket.port}`;
}

/** A backend's two servers, weighted over HAProxy's runtime API. */
export class HaproxyTraffic implements TrafficAdapter {
  readonly description: string;
  private readonly socket: HaproxySocket;
  private readonly backend: string;
  private readonly canaryServer: string;
  private readonly stableServer: string;
  private readonly timeoutMs: number;
  private readonly logger: Logger;

  constructor(options: HaproxyTrafficOptions) {
    try {
      this.socket = parseHaproxySocket(options.socket);
    } catch (err) {
      throw new CanaryError('TRAFFIC_ERROR', `haproxy-socket ${errorMessage(err)}`, { cause: err });
    }
    const names = {
      'haproxy-backend': options.backend,
      'haproxy-canary-server': options.canaryServer ?? 'canary',
      'haproxy-stable-server': options.stableServer ?? 'stable',
    };
    for (const [input, name] of Object.entries(names))
      if (!NAME.test(name))
        throw new CanaryError(
          'TRAFFIC_ERROR',
          `${input} "${name}" is not an HAProxy name: use letters, digits, '-', '_', '.', ':' (or #<id>)`,
        );
    this.backend = names['haproxy-backend'];
    this.canaryServer = names['haproxy-canary-server'];
    this.stableServer = names['haproxy-stable-server'];
    if (this.canaryServer === this.stableServer)
      throw new CanaryError(
        'TRAFFIC_ERROR',
        `haproxy-canary-server and haproxy-stable-server are both "${this.canaryServer}": they must be two servers`,
      );
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.logger = options.logger ?? silentLogger;
    this.description = `haproxy ${this.backend}/${this.canaryServer} (stable ${this.backend}/${this.stableServer}) at ${describeSocket(this.socket)}`;
  }

  /** One command; TRAFFIC_ERROR when the runtime API cannot be reached. */
  private async ask(command: string): Promise<string> {
    try {
      return await haproxyCommand(this.socket, command, this.timeoutMs);
    } catch (err) {
      throw new CanaryError(
        'TRAFFIC_ERROR',
        `cannot reach HAProxy's runtime API at ${describeSocket(this.socket)} (haproxy-socket) for "${command}": ${errorMessage(err)}`,
        {
          cause: err,
          fix: 'haproxy-socket must name a stats socket of the running HAProxy at level admin: `stats socket <path> level admin` (give the path) or `stats socket ipv4@127.0.0.1:<port> level admin` (give tcp://127.0.0.1:<port>).',
        },
      );
    }
  }

  private refused(command: string, answer: string, server: string): CanaryError {
    const said = answer.trim().split('\n').slice(0, 3).join(' ').slice(0, 300);
    const input = server === this.canaryServer ? 'haproxy-canary-server' : 'haproxy-stable-server';
    const what = /no such backend/i.test(said)
      ? `HAProxy has no backend "${this.backend}" (haproxy-backend)`
      : /no such server/i.test(said)
        ? `backend "${this.backend}" has no server "${server}" (${input})`
        : /permission denied/i.test(said)
          ? `the stats socket ${describeSocket(this.socket)} is not at level admin`
          : /static lb algorithm/i.test(said)
            ? `backend "${this.backend}" balances with a static algorithm, whose weights cannot change at run time`
            : `HAProxy refused it`;
    const fix = /static lb algorithm/i.test(said)
      ? `Use a dynamic balance algorithm in backend ${this.backend} (roundrobin, leastconn, random).`
      : /permission denied/i.test(said)
        ? 'Declare the socket with `level admin` in haproxy.cfg.'
        : `Name the backend and its servers as haproxy.cfg does (\`show servers state ${this.backend}\` on the runtime API lists them).`;
    return new CanaryError('TRAFFIC_ERROR', `${what}: "${command}" answered "${said}"`, { fix });
  }

  /** The server's current weight (`get weight`). */
  private async weightOf(server: string): Promise<number> {
    const command = `get weight ${this.backend}/${server}`;
    const answer = await this.ask(command);
    const m = /^(\d+) \(initial \d+\)/.exec(answer.trim());
    if (!m) throw this.refused(command, answer, server);
    return Number(m[1]);
  }

  private async setServer(server: string, weight: number): Promise<void> {
    const command = `set weight ${this.backend}/${server} ${weight}`;
    const answer = await this.ask(command);
    if (answer.trim() !== '') throw this.refused(command, answer, server);
  }

  /**
   * Sets canary = p and stable = 100 − p, effective for the next request. Both servers are looked
   * up first, so a wrong name changes nothing; then the side that loses weight is set first, so in
   * between the canary never has more than the larger of its old and new shares.
   */
  async setWeight(canary: number): Promise<void> {
    checkWeight(canary);
    const started = performance.now();
    const canaryFirst = canary <= (await this.readShare());
    const order: Array<[string, number]> = [
      [this.canaryServer, canary],
      [this.stableServer, 100 - canary],
    ];
    if (!canaryFirst) order.reverse();
    for (const [server, weight] of order) await this.setServer(server, weight);
    this.logger.debug(
      `haproxy ${this.backend}: ${this.canaryServer} weight ${canary}, ${this.stableServer} weight ${100 - canary} (${Math.round(performance.now() - started)} ms)`,
    );
  }

  private async readShare(): Promise<number> {
    const canary = await this.weightOf(this.canaryServer);
    const stable = await this.weightOf(this.stableServer);
    return canary + stable === 0 ? 0 : (canary * 100) / (canary + stable);
  }

  /** The canary's share of the two servers' current weights, in percent (0 when both are 0). */
  current(): Promise<number | undefined> {
    return this.readShare();
  }
}
