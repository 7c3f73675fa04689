/**
 * The nginx traffic adapter: it owns one small file (`nginx-config`) that the user's nginx.conf
 * includes inside `http { }`, holding one weighted upstream with the stable and canary servers:
 *
 *     upstream app {
 *         server 127.0.0.1:8081 weight=90;
 *         server 127.0.0.1:8082 weight=10;
 *     }
 *
 * Each weight change rewrites the file atomically (a temporary file renamed over it), checks it
 * with `nginx-test-command` (`nginx -t`), and reloads nginx (`nginx-reload-command`,
 * `nginx -s reload`). When the check or the reload fails, the previous file is put back, so the file
 * always says what nginx runs, and the error carries nginx's own message. nginx refuses `weight=0`,
 * so 0 % marks the canary `down` and 100 % marks stable `down`.
 *
 * A reload is asynchronous: `nginx -s reload` only signals the master, which then starts new
 * workers and asks the old ones to stop accepting. Until they have, new connections may still be
 * served with the old weights (about 0.1 s on a local nginx). With `pidFile` (the running master's
 * pid file, on this machine) setWeight waits until the master's old workers have all stopped
 * accepting and new ones run; without it, it waits `settleMs` after the reload command returns.
 * Requests already in progress (and open keep-alive connections until their request ends) finish
 * on the old workers, with the old weights.
 */
import { readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnExec, type ExecFn } from '../../build/exec.ts';
import { errorMessage } from '../../errors.ts';
import { silentLogger, type Logger } from '../../logger.ts';
import { CanaryError } from '../errors.ts';
import type { TrafficAdapter } from '../types.ts';
import { checkWeight, runShell } from './shell.ts';

export interface NginxTrafficOptions {
  /** The upstream file the adapter writes (`nginx-config`); nginx.conf includes it inside `http { }`. */
  configFile: string;
  /** The upstream's name (`nginx-upstream`), as `proxy_pass http://<name>` names it; default `app`. */
  upstream?: string;
  /** The canary's address (`nginx-canary-server`): `host:port`, or `unix:/path`. */
  canaryServer: string;
  /** The stable release's address (`nginx-stable-server`). */
  stableServer: string;
  /** Checks the configuration (`nginx-test-command`), run with `sh -c`; default `nginx -t`. */
  testCommand?: string;
  /** Reloads nginx (`nginx-reload-command`), run with `sh -c`; default `nginx -s reload`. */
  reloadCommand?: string;
  /** The running master's pid file (nginx's `pid` directive); when given, setWeight waits for the reload's new workers (Linux). */
  pidFile?: string;
  /** How long to wait after the reload (after the new workers, with pidFile); default 1 s without pidFile, 0 with it. */
  settleMs?: number;
  /** With pidFile: how long the master may take to replace its workers; default 10 s. */
  reloadTimeoutMs?: number;
  /** How commands run; default {@link spawnExec} (actions pass the runner's exec). */
  exec?: ExecFn;
  logger?: Logger;
}

/** One `server` line of an upstream. */
export interface UpstreamServer {
  address: string;
  /** nginx's weight (1 when not written). */
  weight: number;
  down: boolean;
}

const UPSTREAM_NAME = /^[A-Za-z0-9_.-]+$/;
/** An address nginx may parse: anything without blanks or the characters that end or open a directive. */
const ADDRESS = /^[^\s;{}#'"$\\]+$/;

/** The file's text for `canary` percent: `weight=p` and `weight=100−p`, a 0 written as `down`. */
export function renderUpstream(options: {
  upstream: string;
  canaryServer: string;
  stableServer: string;
  canary: number;
}): string {
  const { upstream, canaryServer, stableServer, canary } = options;
  const line = (address: string, weight: number) =>
    `    server ${address} ${weight === 0 ? 'down' : `weight=${weight}`};`;
  return [
    '# Written by the release-actions canary: each step rewrites this file.',
    `# canary ${canary}% -> ${canaryServer}, stable ${100 - canary}% -> ${stableServer}`,
    `upstream ${upstream} {`,
    line(stableServer, 100 - canary),
    line(canaryServer, canary),
    '}',
    '',
  ].join('\n');
}

/** The `server` lines of upstream `name` in an nginx configuration text, or undefined when it has no such upstream. */
export function parseUpstream(text: string, name: string): UpstreamServer[] | undefined {
  const code = text.replace(/#[^\n]*/g, '');
  const block = new RegExp(`(?:^|[\\s;}])upstream\\s+${name.replaceAll('.', '\\.')}\\s*\\{([^}]*)\\}`).exec(
    code,
  );
  if (!block) return undefined;
  const servers: UpstreamServer[] = [];
  for (const statement of block[1]!.split(';')) {
    const [directive, address, ...params] = statement.trim().split(/\s+/);
    if (directive !== 'server' || address === undefined) continue;
    const weight = params.find((p) => p.startsWith('weight='));
    servers.push({
      address,
      weight: weight ? Number(weight.slice('weight='.length)) : 1,
      down: params.includes('down'),
    });
  }
  return servers;
}

/** The canary's share in percent of the servers' weights (a `down` server weighs 0), or undefined when either is missing. */
export function canaryShare(
  servers: readonly UpstreamServer[],
  canaryServer: string,
  stableServer: string,
): number | undefined {
  const weigh = (address: string) =>
    servers.filter((s) => s.address === address).reduce((w, s) => w + (s.down ? 0 : s.weight), 0);
  if (!servers.some((s) => s.address === canaryServer) || !servers.some((s) => s.address === stableServer))
    return undefined;
  const canary = weigh(canaryServer);
  const total = canary + weigh(stableServer);
  return total === 0 ? 0 : (canary * 100) / total;
}

/** Replaces `file` with `content` in one rename, keeping its mode. */
async function writeAtomic(file: string, content: string): Promise<void> {
  const mode = await stat(file).then(
    (s) => s.mode & 0o7777,
    () => 0o644,
  );
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(temp, content, { mode });
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}

/** The text of `file`, or undefined when it does not exist. */
async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The master's worker processes that still accept connections (not `worker process is shutting down`). */
async function acceptingWorkers(master: number): Promise<number[]> {
  let children: number[];
  try {
    const text = await readFile(`/proc/${master}/task/${master}/children`, 'utf8');
    children = text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // Kernels without CONFIG_PROC_CHILDREN: find the children by their parent pid.
    children = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const line = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      const ppid = Number(line.slice(line.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === master) children.push(Number(entry));
    }
  }
  const workers: number[] = [];
  for (const pid of children) {
    const title = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
    if (title.includes('worker process') && !title.includes('shutting down')) workers.push(pid);
  }
  return workers;
}

/** One upstream file, weighted, checked and reloaded. */
export class NginxTraffic implements TrafficAdapter {
  readonly description: string;
  private readonly configFile: string;
  private readonly upstream: string;
  private readonly canaryServer: string;
  private readonly stableServer: string;
  private readonly testCommand: string;
  private readonly reloadCommand: string;
  private readonly pidFile: string | undefined;
  private readonly settleMs: number;
  private readonly reloadTimeoutMs: number;
  private readonly exec: ExecFn;
  private readonly logger: Logger;

  constructor(options: NginxTrafficOptions) {
    this.upstream = options.upstream ?? 'app';
    if (options.configFile.trim() === '')
      throw new CanaryError(
        'TRAFFIC_ERROR',
        'nginx-config is empty: name the upstream file nginx.conf includes',
      );
    if (!UPSTREAM_NAME.test(this.upstream))
      throw new CanaryError(
        'TRAFFIC_ERROR',
        `nginx-upstream "${this.upstream}" is not an upstream name: use letters, digits, '-', '_', '.'`,
      );
    for (const [input, address] of [
      ['nginx-canary-server', options.canaryServer],
      ['nginx-stable-server', options.stableServer],
    ] as const)
      if (!ADDRESS.test(address))
        throw new CanaryError(
          'TRAFFIC_ERROR',
          address === ''
            ? `${input} is empty: give the server's address, host:port`
            : `${input} "${address}" cannot be written into an upstream: give host:port (or unix:/path), without blanks, quotes or ;{}#$\\`,
        );
    if (options.canaryServer === options.stableServer)
      throw new CanaryError(
        'TRAFFIC_ERROR',
        `nginx-canary-server and nginx-stable-server are both ${options.canaryServer}: they must be two servers`,
      );
    this.configFile = options.configFile;
    this.canaryServer = options.canaryServer;
    this.stableServer = options.stableServer;
    this.testCommand = options.testCommand ?? 'nginx -t';
    this.reloadCommand = options.reloadCommand ?? 'nginx -s reload';
    this.pidFile = options.pidFile;
    this.settleMs = options.settleMs ?? (options.pidFile ? 0 : 1000);
    this.reloadTimeoutMs = options.reloadTimeoutMs ?? 10_000;
    this.logger = options.logger ?? silentLogger;
    this.exec = options.exec ?? spawnExec({ logger: this.logger });
    this.description = `nginx upstream ${this.upstream} in ${this.configFile} (canary ${this.canaryServer}, stable ${this.stableServer})`;
  }

  /**
   * Writes the upstream for `canary` percent, checks it and reloads nginx; resolves once the new
   * weights serve new connections (see the module comment). On a failed check or reload the
   * previous file is back in place and nginx still runs the previous weights (TRAFFIC_ERROR).
   */
  async setWeight(canary: number): Promise<void> {
    checkWeight(canary);
    const started = performance.now();
    const previous = await this.read();
    const master = this.pidFile !== undefined ? await this.masterPid() : undefined;
    const before = master !== undefined ? await acceptingWorkers(master) : [];
    await this.write(
      renderUpstream({
        upstream: this.upstream,
        canaryServer: this.canaryServer,
        stableServer: this.stableServer,
        canary,
      }),
    );

    const test = await runShell({ exec: this.exec, line: this.testCommand, what: 'nginx-test-command' });
    if (!test.ok)
      throw await this.restore(
        previous,
        `nginx refused the upstream for canary ${canary}%: ${test.message}`,
        'Check nginx-canary-server and nginx-stable-server (host:port) and that nginx-test-command tests the nginx.conf that includes nginx-config (e.g. nginx -t -c /etc/nginx/nginx.conf).',
      );
    const reload = await runShell({
      exec: this.exec,
      line: this.reloadCommand,
      what: 'nginx-reload-command',
    });
    if (!reload.ok)
      throw await this.restore(
        previous,
        `nginx did not reload for canary ${canary}%: ${reload.message}`,
        'Check that nginx is running and that nginx-reload-command reaches it (e.g. nginx -s reload -c /etc/nginx/nginx.conf, or systemctl reload nginx).',
      );
    const reloaded = performance.now();
    if (master !== undefined) {
      if (before.length === 0)
        this.logger.warning(
          `nginx master ${master} has no worker processes (master_process off?): not waiting for the reload to take effect`,
        );
      else if (!(await this.waitForNewWorkers(master, before)))
        throw await this.restore(
          previous,
          `nginx did not take up the upstream for canary ${canary}%: master ${master} kept its old workers for ${this.reloadTimeoutMs} ms after the reload (it refuses a configuration it cannot apply and says why in its error log)`,
          "Read nginx's error log; the file was put back, so it names what nginx runs unless the reload was only slow.",
        );
    }
    if (this.settleMs > 0) await sleep(this.settleMs);
    this.logger.debug(
      `nginx upstream ${this.upstream}: canary ${canary}%; checked and reloaded in ${Math.round(reloaded - started)} ms, in effect after ${Math.round(performance.now() - started)} ms`,
    );
  }

  /** The canary's share in the upstream file, or undefined when the file or either server is not there. */
  async current(): Promise<number | undefined> {
    const text = await this.read();
    if (text === undefined) return undefined;
    const servers = parseUpstream(text, this.upstream);
    return servers && canaryShare(servers, this.canaryServer, this.stableServer);
  }

  private async read(): Promise<string | undefined> {
    try {
      return await readIfExists(this.configFile);
    } catch (err) {
      throw new CanaryError(
        'TRAFFIC_ERROR',
        `cannot read nginx-config ${this.configFile}: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  private async write(content: string): Promise<void> {
    try {
      await writeAtomic(this.configFile, content);
    } catch (err) {
      throw new CanaryError(
        'TRAFFIC_ERROR',
        `cannot write nginx-config ${this.configFile}: ${errorMessage(err)}`,
        {
          cause: err,
          fix: 'nginx-config must name a file in a directory the job may write to.',
        },
      );
    }
  }

  /** Puts the previous file back (or removes a file that was not there) and returns the error to throw. */
  private async restore(previous: string | undefined, message: string, fix: string): Promise<CanaryError> {
    try {
      if (previous === undefined) await unlink(this.configFile).catch(() => {});
      else await writeAtomic(this.configFile, previous);
    } catch (err) {
      return new CanaryError(
        'TRAFFIC_ERROR',
        `${message}; and the previous ${this.configFile} could not be put back: ${errorMessage(err)}`,
        { cause: err, fix },
      );
    }
    return new CanaryError(
      'TRAFFIC_ERROR',
      `${message}; ${this.configFile} is back as it was${previous === undefined ? ' (absent)' : ''}`,
      { fix },
    );
  }

  private async masterPid(): Promise<number> {
    const file = this.pidFile!;
    const text = await readIfExists(file).catch((err: unknown) => {
      throw new CanaryError('TRAFFIC_ERROR', `cannot read nginx's pid file ${file}: ${errorMessage(err)}`, {
        cause: err,
      });
    });
    const pid = Number(text?.trim());
    const running =
      Number.isInteger(pid) &&
      pid > 0 &&
      (await stat(`/proc/${pid}`).then(
        () => true,
        () => false,
      ));
    if (!running)
      throw new CanaryError(
        'TRAFFIC_ERROR',
        text === undefined
          ? `nginx's pid file ${file} does not exist: is nginx running, with this pid file?`
          : `nginx's pid file ${file} names ${JSON.stringify(text.trim())}, which is no process running here`,
        {
          fix: 'Name the pid file of the running nginx (its `pid` directive), on this machine; or leave it out and rely on the settle time.',
        },
      );
    return pid;
  }

  /** True once none of `before` still accepts connections and at least one new worker does. */
  private async waitForNewWorkers(master: number, before: readonly number[]): Promise<boolean> {
    const deadline = performance.now() + this.reloadTimeoutMs;
    while (performance.now() < deadline) {
      const now = await acceptingWorkers(master);
      if (now.length > 0 && now.every((pid) => !before.includes(pid))) return true;
      await sleep(10);
    }
    return false;
  }
}
