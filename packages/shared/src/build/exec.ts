/**
 * How builders run programs: an injected {@link ExecFn}, so the command each builder constructs can
 * be tested without running it (buildx has no Docker engine here), and actions can run it through
 * whatever they like. {@link spawnExec} is the default, over `node:child_process`; on a runner the
 * action kit's `runnerExec` (over `@actions/exec`) keeps the same contract.
 *
 * An ExecFn shows the command line before it runs it (builders do not log it themselves), so a log
 * reads the same whichever runs the program. No argument a builder passes ever holds a secret:
 * credentials go through files (buildah's `--authfile`) or stdin (`docker login --password-stdin`),
 * so a command line may be logged as is.
 */
import { spawn } from 'node:child_process';
import { silentLogger, type Logger } from '../logger.ts';
import { BuildError, type BuildErrorCode } from './errors.ts';

export interface ExecRequest {
  command: string;
  args: readonly string[];
  /** Extra environment, merged over the process's own. */
  env?: Record<string, string>;
  cwd?: string;
  /** Written to the program's stdin (e.g. a password for `--password-stdin`), then stdin is closed. */
  input?: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion, showing its command line and output as it sees fit (see the module
 * comment). Resolves with the exit code whatever it is (a program ended by a signal reports a
 * non-zero one); rejects with an `ENOENT` error code when the program is not installed.
 */
export type ExecFn = (request: ExecRequest) => Promise<ExecResult>;

/** The command line as a shell would read it, for logs (arguments never hold secrets; see the module comment). */
export function commandLine(command: string, args: readonly string[]): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);
  return [command, ...args].map(quote).join(' ');
}

const MAX_CAPTURE = 1024 * 1024;

/**
 * The default {@link ExecFn}: spawns the program without a shell, logs its command line and then
 * streams its output line by line to `logger.info` (builds are long; people want to watch them),
 * and keeps the last megabyte of stdout and stderr for the result.
 */
export function spawnExec(options: { logger?: Logger } = {}): ExecFn {
  const logger = options.logger ?? silentLogger;
  return (request) =>
    new Promise<ExecResult>((resolve, reject) => {
      logger.info(commandLine(request.command, request.args));
      const child = spawn(request.command, [...request.args], {
        env: { ...process.env, ...request.env },
        ...(request.cwd !== undefined && { cwd: request.cwd }),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const capture = () => {
        let text = '';
        let pending = '';
        return {
          push(chunk: Buffer) {
            const s = chunk.toString('utf8');
            text = (text + s).slice(-MAX_CAPTURE);
            const lines = (pending + s).split('\n');
            pending = lines.pop() ?? '';
            for (const line of lines) logger.info(line);
          },
          end() {
            if (pending) logger.info(pending);
            return text;
          },
        };
      };
      const out = capture();
      const err = capture();
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.stdin.on('error', () => {}); // a program may exit without reading its input
      child.stdin.end(request.input ?? '');
      child.on('error', reject);
      child.on('close', (code, signal) =>
        resolve({ exitCode: code ?? (signal ? 128 : 1), stdout: out.end(), stderr: err.end() }),
      );
    });
}

/**
 * Runs `request` through `exec`, turning a missing program into TOOL_NOT_FOUND and a non-zero exit
 * into `failure`, with the last lines the program wrote.
 */
export async function runChecked(
  exec: ExecFn,
  request: ExecRequest,
  failure: BuildErrorCode,
  what: string,
  hint: string,
): Promise<ExecResult> {
  let result: ExecResult;
  try {
    result = await exec(request);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new BuildError('TOOL_NOT_FOUND', `${request.command} is not installed (not on PATH): ${hint}`, {
        cause: err,
      });
    throw new BuildError(failure, `${what}: ${commandLine(request.command, request.args)} could not run`, {
      cause: err,
    });
  }
  if (result.exitCode !== 0) {
    const tail = lastLines(result.stderr || result.stdout, 10);
    throw new BuildError(
      failure,
      `${what}: ${request.command} exited with code ${result.exitCode}${tail ? `:\n${tail}` : ''}`,
    );
  }
  return result;
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
