/**
 * A real HAProxy for integration tests: Debian's `haproxy` (2.6) in the foreground with its own
 * temporary directory, a frontend on a free loopback port in front of one backend with two servers
 * (stable and canary), the runtime API at level admin (a unix socket in that directory, or a
 * loopback TCP port), and the built-in Prometheus exporter (`/metrics` on a second port, with
 * per-server response counters such as `haproxy_server_http_responses_total`).
 *
 *     const backends = { stable: stableServer.port, canary: canaryServer.port };
 *     const haproxy = await startHaproxy({ backends });
 *     after(() => haproxy.stop());
 *
 * The backend balances `roundrobin` (weights can change at run time) and starts with stable at
 * weight 100 and the canary at 0. Stopping, the exit hook and the kernel's parent-death signal
 * work as in service.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable, HarnessError, requireExecutable, trackLeftover } from './process.ts';
import { httpStatus, reservePort, spawnService, tailOfFile, type ServiceProcess } from './service.ts';

export interface HaproxyOptions {
  /** Where the two servers listen: a port on 127.0.0.1, or host:port. */
  backends: { stable: number | string; canary: number | string };
  /** The backend's name; default `app`. */
  backend?: string;
  /** Initial weights; default stable 100, canary 0. */
  weights?: { stable?: number; canary?: number };
  /** The runtime API on a unix socket in the temporary directory (default), or on a loopback TCP port. */
  api?: 'unix' | 'tcp';
  /** The balance algorithm; default roundrobin. */
  balance?: string;
  /** How long to wait for HAProxy to serve; default 20 s. */
  startupTimeoutMs?: number;
  /** The haproxy binary; default `haproxy` on PATH (or $HAPROXY_BIN). */
  binary?: string;
}

export interface TestHaproxy {
  /** `http://127.0.0.1:PORT`: the frontend, balancing over the backend's two servers. */
  url: string;
  /** `http://127.0.0.1:PORT/metrics`: the Prometheus exporter. */
  metricsUrl: string;
  /** The runtime API as the canary's `haproxy-socket` takes it: a socket path, or `tcp://127.0.0.1:PORT`. */
  socket: string;
  backend: string;
  /** The server names in the backend: `stable` and `canary`. */
  stableServer: string;
  canaryServer: string;
  dir: string;
  configFile: string;
  logFile: string;
  pid: number;
  logTail(lines?: number): string;
  printLogTail(lines?: number): void;
  /** SIGTERM (SIGKILL after a grace) to the process group, then removes the directory. Safe to call twice. */
  stop(): Promise<void>;
}

function address(backend: number | string): string {
  return typeof backend === 'number' ? `127.0.0.1:${backend}` : backend;
}

/** A `skip` value for `describe`/`it`: false when haproxy is installed, else why the test cannot run (naming the Debian package). */
export function needsHaproxy(options: { binary?: string } = {}): string | false {
  const binary = options.binary ?? process.env['HAPROXY_BIN'] ?? 'haproxy';
  return findExecutable(binary)
    ? false
    : `${binary} not found on PATH: install haproxy (apt-get install haproxy)`;
}

/** Starts HAProxy; see the module comment. Throws SERVICE_MISSING (naming the Debian package) when it is not installed. */
export async function startHaproxy(options: HaproxyOptions): Promise<TestHaproxy> {
  const binary = requireExecutable(options.binary ?? process.env['HAPROXY_BIN'] ?? 'haproxy', 'haproxy');
  const backend = options.backend ?? 'app';
  const timeoutMs = options.startupTimeoutMs ?? 20_000;
  const dir = await mkdtemp(join(tmpdir(), 'ra-haproxy-'));
  const leftover = trackLeftover({ pid: undefined, dir });
  const configFile = join(dir, 'haproxy.cfg');
  const logFile = join(dir, 'haproxy.log');
  const socketPath = join(dir, 'api.sock');
  let service: ServiceProcess | undefined;

  const cleanup = async (): Promise<void> => {
    await service?.stop();
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    leftover.release();
  };

  try {
    for (let attempt = 1; ; attempt++) {
      const [web, stats, api] = [await reservePort(), await reservePort(), await reservePort()];
      const socket = options.api === 'tcp' ? `tcp://127.0.0.1:${api}` : socketPath;
      await writeFile(
        configFile,
        [
          'global',
          `  stats socket ${options.api === 'tcp' ? `ipv4@127.0.0.1:${api}` : socketPath} mode 600 level admin`,
          '  stats timeout 30s',
          '',
          'defaults',
          '  mode http',
          '  timeout connect 2s',
          '  timeout client 30s',
          '  timeout server 30s',
          '',
          'frontend web',
          `  bind 127.0.0.1:${web}`,
          `  default_backend ${backend}`,
          '',
          'frontend stats',
          `  bind 127.0.0.1:${stats}`,
          '  http-request use-service prometheus-exporter if { path /metrics }',
          '  no log',
          '',
          `backend ${backend}`,
          `  balance ${options.balance ?? 'roundrobin'}`,
          `  server stable ${address(options.backends.stable)} weight ${options.weights?.stable ?? 100}`,
          `  server canary ${address(options.backends.canary)} weight ${options.weights?.canary ?? 0}`,
          '',
        ].join('\n'),
      );
      await writeFile(logFile, '');
      service = spawnService([binary, '-db', '-f', configFile], { cwd: dir, logFile, leftover });
      const url = `http://127.0.0.1:${web}`;
      const metricsUrl = `http://127.0.0.1:${stats}/metrics`;
      const deadline = Date.now() + timeoutMs;
      let ready = false;
      while (Date.now() < deadline && !service.exited()) {
        if ((await httpStatus(metricsUrl)) === 200 && (await httpStatus(url)) !== undefined) {
          ready = true;
          break;
        }
        await sleep(25);
      }
      if (ready) {
        const started = service;
        let stopping: Promise<void> | undefined;
        return {
          url,
          metricsUrl,
          socket,
          backend,
          stableServer: 'stable',
          canaryServer: 'canary',
          dir,
          configFile,
          logFile,
          pid: started.pid,
          logTail: (lines = 50) => tailOfFile(logFile, lines),
          printLogTail(lines = 50) {
            process.stderr.write(
              `--- haproxy ${url} log (last ${lines} lines) ---\n${tailOfFile(logFile, lines)}\n---\n`,
            );
          },
          stop: () => (stopping ??= cleanup()),
        };
      }
      const log = tailOfFile(logFile, 40);
      await service.stop();
      if (/address already in use/i.test(log) && attempt < 5) continue;
      const why = service.spawnError()
        ? `could not run ${binary}: ${service.spawnError()!.message}`
        : service.exited()
          ? `haproxy exited (${service.exitStatus()}) before it served`
          : `haproxy did not serve ${metricsUrl} within ${timeoutMs} ms`;
      throw new HarnessError(
        'SERVICE_START',
        `${why}; config ${configFile}; log tail:\n${log || '(empty log)'}`,
      );
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
}
