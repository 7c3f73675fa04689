/**
 * Process plumbing shared by the service harnesses: finding binaries, running short commands,
 * and the last-resort cleanup that kills services and removes their directories when the test
 * process exits without having stopped them (a failed `beforeAll`, a thrown assertion before
 * `afterAll` was registered, Ctrl-C). A service left running would otherwise outlive the test run.
 * Under jest, a test file's `process` is jest's copy: the repository's jest environment
 * (scripts/jest/environment.ts) makes it emit 'exit' when the test file ends, or when the real
 * process exits or is signalled while the file runs.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ReleaseError } from '../errors.ts';

export type HarnessErrorCode = 'SERVICE_MISSING' | 'SERVICE_START' | 'SERVICE_COMMAND' | 'TEST_REGISTRY';

/** Errors of the test harnesses: a missing tool, a service that did not start, a failed test push. */
export class HarnessError extends ReleaseError<HarnessErrorCode> {}

/** The absolute path of an executable on PATH (or in the usual system folders), or undefined. */
export function findExecutable(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : [
        ...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean),
        '/usr/local/sbin',
        '/usr/local/bin',
        '/usr/sbin',
        '/usr/bin',
        '/sbin',
        '/bin',
      ].map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Like findExecutable, but throws SERVICE_MISSING with the apt-get line that installs it. */
export function requireExecutable(name: string, debianPackage: string): string {
  const path = findExecutable(name);
  if (!path) {
    throw new HarnessError(
      'SERVICE_MISSING',
      `${name} not found on PATH: install ${debianPackage} (apt-get install ${debianPackage})`,
    );
  }
  return path;
}

/** Runs a short command to completion and returns its stdout; throws SERVICE_COMMAND with stderr on failure. */
export function run(file: string, args: readonly string[], options: { cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new HarnessError(
              'SERVICE_COMMAND',
              `${file} ${args.join(' ')} failed: ${stderr.trim() || err.message}`,
              {
                cause: err,
              },
            ),
          );
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/**
 * `setpriv --pdeathsig KILL` (util-linux) makes the kernel kill a service when the process that
 * started it dies, even by SIGKILL, where no exit handler runs. Undefined when setpriv is absent.
 */
export function pdeathsigPrefix(): string[] | undefined {
  const setpriv = findExecutable('setpriv');
  return setpriv ? [setpriv, '--pdeathsig', 'KILL', '--'] : undefined;
}

interface Leftover {
  pid: number | undefined;
  dir: string | undefined;
  /** Kill the whole process group led by `pid` (a service spawned detached, with workers of its own). */
  group?: boolean;
}

const leftovers = new Set<Leftover>();
let hooksInstalled = false;

function cleanupLeftovers(): void {
  for (const item of leftovers) {
    if (item.pid !== undefined) {
      try {
        process.kill(item.group ? -item.pid : item.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (item.dir !== undefined) {
      try {
        rmSync(item.dir, { recursive: true, force: true });
      } catch {
        // best effort at exit
      }
    }
  }
  leftovers.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupLeftovers);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // Only take over a signal nobody else handles, and re-raise it so the default action still happens.
    if (process.listenerCount(signal) > 0) continue;
    process.once(signal, () => {
      cleanupLeftovers();
      process.kill(process.pid, signal);
    });
  }
}

/**
 * Registers a process and/or directory to be killed and removed if the test process exits while
 * they still exist. Returns the function that unregisters them (call it once stopped cleanly).
 */
export function trackLeftover(item: Leftover): { update(patch: Partial<Leftover>): void; release(): void } {
  installHooks();
  const entry: Leftover = { ...item };
  leftovers.add(entry);
  return {
    update(patch) {
      Object.assign(entry, patch);
    },
    release() {
      leftovers.delete(entry);
    },
  };
}
