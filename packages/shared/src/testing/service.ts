/**
 * Running a router (haproxy, nginx) for a test: a free loopback port, and the service in its own
 * process group, so that stopping it also stops the worker processes it forks, whatever happens
 * to the test:
 *
 * - `stop()` sends SIGTERM to the group, SIGKILL after a grace period;
 * - the exit hook of process.ts kills the group if the test process exits without stopping it
 *   (a failed `before`, an assertion thrown before `after` was registered, a timeout, Ctrl-C);
 * - if the test process is killed outright (SIGKILL, where no hook runs), `setpriv --pdeathsig`
 *   kills the group's leader, and a sentinel (`sh` reading a pipe from the test process, which the
 *   kernel closes when the process dies) kills the rest of the group: nginx's workers outlive
 *   their master otherwise.
 *
 * The child processes are unreferenced and write only to a log file, so they never keep the test
 * runner waiting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { findExecutable, pdeathsigPrefix } from './process.ts';

/**
 * A port that was free on 127.0.0.1 a moment ago. haproxy and nginx cannot listen on port 0 and say
 * which port they got, so the harnesses take a port this way and start again on another one when
 * the service reports it in use.
 */
export function reservePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The last `lines` non-empty lines of a file ('' when it cannot be read). */
export function tailOfFile(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Resolves with any HTTP status from `url`, or undefined when nothing answers. */
export function httpStatus(url: string, timeoutMs = 2000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = httpGet(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** Whether `child` has exited within `ms` (true at once when it already has). */
export function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

function killGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // the group is gone
  }
}

/** Whether any process of group `pid` is still there. */
export function groupAlive(pid: number): boolean {
  return killGroup(pid, 0);
}

export interface ServiceProcess {
  /** The leader's pid, which is also the process group id. */
  pid: number;
  /** The exit code or signal, once the leader has exited. */
  exited(): boolean;
  exitStatus(): string;
  /** The error of a spawn that failed, if it did. */
  spawnError(): Error | undefined;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the leader has exited. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns `argv` as the leader of a new process group with stdout and stderr appended to `logFile`,
 * and registers its group with the exit hook through `leftover` (from `trackLeftover`, whose
 * `release` the caller calls once the service is stopped and its directory removed).
 */
export function spawnService(
  argv: readonly string[],
  options: {
    cwd: string;
    logFile: string;
    leftover: { update(patch: { pid: number; group: boolean }): void };
  },
): ServiceProcess {
  const logFd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    const full = [...(pdeathsigPrefix() ?? []), ...argv];
    child = spawn(full[0]!, full.slice(1), {
      cwd: options.cwd,
      stdio: ['ignore', logFd, logFd],
      detached: true,
    });
  } finally {
    closeSync(logFd);
  }
  child.unref();
  let spawnFailed: Error | undefined;
  child.once('error', (err) => (spawnFailed = err));
  const pid = child.pid;
  let sentinel: ChildProcess | undefined;
  if (pid !== undefined) {
    options.leftover.update({ pid, group: true });
    const sh = findExecutable('sh');
    if (sh) {
      sentinel = spawn(sh, ['-c', `read _; kill -9 -${pid} 2>/dev/null`], {
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: true,
      });
      sentinel.on('error', () => {});
      sentinel.unref();
      (sentinel.stdin as Socket | null)?.unref();
    }
  }
  const exited = (): boolean =>
    child.exitCode !== null || child.signalCode !== null || spawnFailed !== undefined;
  let stopping: Promise<void> | undefined;
  return {
    pid: pid ?? -1,
    exited,
    exitStatus: () => String(child.exitCode ?? child.signalCode ?? spawnFailed?.message ?? 'running'),
    spawnError: () => spawnFailed,
    stop(graceMs = 3000) {
      stopping ??= (async () => {
        if (pid !== undefined) {
          if (!exited()) killGroup(pid, 'SIGTERM');
          await waitForExit(child, graceMs);
          // Workers may outlive their leader: kill whatever is left of the group.
          killGroup(pid, 'SIGKILL');
          await waitForExit(child, 5000);
        }
        sentinel?.kill('SIGKILL');
      })();
      return stopping;
    },
  };
}
