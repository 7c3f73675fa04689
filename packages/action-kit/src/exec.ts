/**
 * Programs run the runner's way: an {@link ExecFn} (the shared builders' injected interface) over
 * `@actions/exec`, so every external command an action starts (buildah, buildx, docker login, and
 * a canary's user commands) shows in the job log as the runner's own tools do: a `[command]` line,
 * then what the program writes, as it writes it.
 *
 * `@actions/exec` echoes the command line, so nothing secret may ever be an argument: the builders
 * pass credentials on stdin (`docker login --password-stdin`) or in a 0600 auth file
 * (`buildah --authfile`). A program's output is masked by the runner like any other log line.
 */
import type { ChildProcess } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { resolve } from 'node:path';
import { getExecOutput } from '@actions/exec';
import { which } from '@actions/io';
import type { ExecFn, ExecRequest, ExecResult } from '@release-actions/shared/build';

export interface RunnerExecOptions {
  /**
   * Capture only: neither the command line nor the output is written to the log (for a program
   * whose output is data the action parses). Default false.
   */
  silent?: boolean;
}

/** The exit code reported for a program ended by a signal (it has none of its own), as `spawnExec` does. */
const SIGNALLED = 128;

/** Where `command` is, or undefined: a bare name is looked up on PATH, a path is taken relative to `cwd`. */
async function locate(request: ExecRequest): Promise<string | undefined> {
  const path = request.command.includes('/')
    ? resolve(request.cwd ?? process.cwd(), request.command)
    : request.command;
  return (await which(path, false)) || undefined;
}

/**
 * Runs `run` with a listener on the stdin of each child process spawned meanwhile for `program`.
 * `@actions/exec` writes `input` and closes stdin without one: when a program exits before reading
 * it (a fast failure, a program that never reads stdin), the write fails with EPIPE, and an 'error'
 * nobody listens to ends the whole action at once, with no failure summary (one run in five, for a
 * program that exits at once). That error says nothing the exit code does not, so it is ignored.
 * Node's `child_process` diagnostics channel hands over every new child process; its `spawn` event
 * comes before any error of the write that follows it.
 */
async function guardingStdin<T>(program: string, run: () => Promise<T>): Promise<T> {
  const onChild = (message: unknown) => {
    const child = (message as { process: ChildProcess }).process;
    child.once('spawn', () => {
      if (child.spawnfile === program) child.stdin?.on('error', () => {});
    });
  };
  subscribe('child_process', onChild);
  try {
    return await run();
  } finally {
    unsubscribe('child_process', onChild);
  }
}

/**
 * An {@link ExecFn} over `@actions/exec`'s `getExecOutput`, keeping the interface's contract: the
 * environment is merged over the process's own, stdin gets `input` and is then closed (also when
 * there is none, so a program that reads stdin never waits), a non-zero exit is a result and not an
 * error, and a program that is not installed rejects with the error code `ENOENT`.
 */
export function runnerExec(options: RunnerExecOptions = {}): ExecFn {
  return async (request: ExecRequest): Promise<ExecResult> => {
    const program = await locate(request);
    if (!program)
      throw Object.assign(new Error(`${request.command}: not found (not on PATH, or not executable)`), {
        code: 'ENOENT',
      });
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...process.env, ...request.env }))
      if (value !== undefined) env[name] = value;
    // getExecOutput splits its first argument like a command line: quote the program's path.
    const { exitCode, stdout, stderr } = await guardingStdin(program, () =>
      getExecOutput(`"${program}"`, [...request.args], {
        ...(request.cwd !== undefined && { cwd: request.cwd }),
        env,
        silent: options.silent ?? false,
        ignoreReturnCode: true,
        input: Buffer.from(request.input ?? '', 'utf8'),
      }),
    );
    return { exitCode: typeof exitCode === 'number' ? exitCode : SIGNALLED, stdout, stderr };
  };
}
