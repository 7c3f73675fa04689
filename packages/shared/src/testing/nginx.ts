/**
 * A real nginx for integration tests: Debian's `nginx` (1.22), a master with its workers, with a
 * generated nginx.conf in its own temporary directory (prefix, temp paths, pid file and error log
 * all there, so nothing needs /var/log/nginx or /run) that includes one upstream file and proxies a
 * loopback port to it, as a user's nginx.conf includes the canary's `nginx-config`.
 *
 *     const nginx = await startNginx({ upstream: { stable: stableServer.port, canary: canaryServer.port } });
 *     after(() => nginx.stop());
 *     new NginxTraffic({ configFile: nginx.configFile, testCommand: nginx.testCommand, … });
 *
 * The upstream file starts with stable at weight 100 and the canary `down`. `testCommand` and
 * `reloadCommand` are the shell lines that check and reload this nginx (its -p, -c and -e). As
 * root, the workers run as root too (`user root;`), so they can read the temporary directory.
 * Stopping, the exit hook and the parent-death handling (which also takes the workers, which
 * outlive their master otherwise) work as in service.ts.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable, HarnessError, requireExecutable, trackLeftover } from './process.ts';
import { httpStatus, reservePort, spawnService, tailOfFile, type ServiceProcess } from './service.ts';

export interface NginxOptions {
  /** The upstream and its two servers (a port on 127.0.0.1, or an address); the name defaults to `app`. */
  upstream: { name?: string; stable: number | string; canary: number | string };
  /** Worker processes; default 2 (a reload then replaces several workers, as in production). */
  workers?: number;
  /** How long to wait for nginx to serve; default 20 s. */
  startupTimeoutMs?: number;
  /** The nginx binary; default `nginx` on PATH (or $NGINX_BIN). */
  binary?: string;
}

export interface TestNginx {
  /** `http://127.0.0.1:PORT`: proxied to the upstream. */
  url: string;
  /** The included upstream file (what the canary's `nginx-config` names). */
  configFile: string;
  /** The generated nginx.conf. */
  conf: string;
  upstream: string;
  /** The master's pid file. */
  pidFile: string;
  errorLog: string;
  /** `nginx -t` for this nginx, as a shell line. */
  testCommand: string;
  /** `nginx -s reload` for this nginx, as a shell line. */
  reloadCommand: string;
  dir: string;
  /** The master's pid (the leader of its process group). */
  pid: number;
  logTail(lines?: number): string;
  printLogTail(lines?: number): void;
  /** SIGTERM (SIGKILL after a grace) to master and workers, then removes the directory. Safe to call twice. */
  stop(): Promise<void>;
}

function address(server: number | string): string {
  return typeof server === 'number' ? `127.0.0.1:${server}` : server;
}

/** A path as one shell word. */
function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** A `skip` value for `describe`/`it`: false when nginx is installed, else why the test cannot run (naming the Debian package). */
export function needsNginx(options: { binary?: string } = {}): string | false {
  const binary = options.binary ?? process.env['NGINX_BIN'] ?? 'nginx';
  return findExecutable(binary)
    ? false
    : `${binary} not found on PATH: install nginx (apt-get install nginx)`;
}

/** Starts nginx; see the module comment. Throws SERVICE_MISSING (naming the Debian package) when it is not installed. */
export async function startNginx(options: NginxOptions): Promise<TestNginx> {
  const binary = requireExecutable(options.binary ?? process.env['NGINX_BIN'] ?? 'nginx', 'nginx');
  const upstream = options.upstream.name ?? 'app';
  const timeoutMs = options.startupTimeoutMs ?? 20_000;
  const dir = await mkdtemp(join(tmpdir(), 'ra-nginx-'));
  const leftover = trackLeftover({ pid: undefined, dir });
  const conf = join(dir, 'nginx.conf');
  const configFile = join(dir, 'upstream.conf');
  const pidFile = join(dir, 'nginx.pid');
  const errorLog = join(dir, 'error.log');
  const logFile = join(dir, 'stdout.log');
  const temp = join(dir, 'temp');
  const flags = ['-p', `${dir}/`, '-c', conf, '-e', errorLog];
  const commandFor = (...args: string[]) => [binary, ...args, ...flags].map(shellQuote).join(' ');
  let service: ServiceProcess | undefined;

  const cleanup = async (): Promise<void> => {
    await service?.stop();
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    leftover.release();
  };

  try {
    await mkdir(temp);
    await writeFile(
      configFile,
      [
        `upstream ${upstream} {`,
        `    server ${address(options.upstream.stable)} weight=100;`,
        `    server ${address(options.upstream.canary)} down;`,
        '}',
        '',
      ].join('\n'),
    );
    for (let attempt = 1; ; attempt++) {
      const port = await reservePort();
      await writeFile(
        conf,
        [
          ...(process.getuid?.() === 0 ? ['user root;'] : []),
          `worker_processes ${options.workers ?? 2};`,
          'daemon off;',
          `pid ${pidFile};`,
          `error_log ${errorLog} notice;`,
          'events { worker_connections 512; }',
          'http {',
          '    access_log off;',
          ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
            (kind) => `    ${kind}_temp_path ${join(temp, kind)};`,
          ),
          `    include ${configFile};`,
          '    server {',
          `        listen 127.0.0.1:${port};`,
          `        location / { proxy_pass http://${upstream}; }`,
          '    }',
          '}',
          '',
        ].join('\n'),
      );
      await writeFile(errorLog, '');
      service = spawnService([binary, ...flags], { cwd: dir, logFile, leftover });
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + timeoutMs;
      let ready = false;
      while (Date.now() < deadline && !service.exited()) {
        if ((await httpStatus(url)) !== undefined) {
          ready = true;
          break;
        }
        await sleep(25);
      }
      if (ready) {
        const started = service;
        const logTail = (lines = 50) =>
          [tailOfFile(logFile, lines), tailOfFile(errorLog, lines)].filter(Boolean).join('\n');
        let stopping: Promise<void> | undefined;
        return {
          url,
          configFile,
          conf,
          upstream,
          pidFile,
          errorLog,
          testCommand: commandFor('-t', '-q'),
          reloadCommand: commandFor('-s', 'reload'),
          dir,
          pid: started.pid,
          logTail,
          printLogTail(lines = 50) {
            process.stderr.write(`--- nginx ${url} log (last ${lines} lines) ---\n${logTail(lines)}\n---\n`);
          },
          stop: () => (stopping ??= cleanup()),
        };
      }
      const log = [tailOfFile(logFile, 20), tailOfFile(errorLog, 20)].filter(Boolean).join('\n');
      await service.stop();
      if (/address already in use/i.test(log) && attempt < 5) continue;
      const why = service.spawnError()
        ? `could not run ${binary}: ${service.spawnError()!.message}`
        : service.exited()
          ? `nginx exited (${service.exitStatus()}) before it served`
          : `nginx did not serve ${url} within ${timeoutMs} ms`;
      throw new HarnessError('SERVICE_START', `${why}; config ${conf}; log tail:\n${log || '(empty log)'}`);
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
}
