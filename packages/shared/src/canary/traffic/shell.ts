/**
 * What the traffic adapters share: the check of a requested weight, and running a user's shell line
 * (`set-weight-command`, `nginx-test-command`, `nginx-reload-command`) through the injected
 * {@link ExecFn} as `sh -c <line>`, since users write shell lines (pipes, `&&`, variables).
 */
import { commandLine, type ExecFn, type ExecResult } from '../../build/exec.ts';
import { errorMessage } from '../../errors.ts';
import { CanaryError, type CanaryErrorCode } from '../errors.ts';

/** Throws TRAFFIC_ERROR unless `canary` is a whole percentage from 0 to 100. */
export function checkWeight(canary: number): number {
  if (!Number.isInteger(canary) || canary < 0 || canary > 100)
    throw new CanaryError(
      'TRAFFIC_ERROR',
      `cannot send ${canary}% of the traffic to the canary: a weight is a whole percentage from 0 to 100`,
    );
  return canary;
}

/** The last `n` non-empty lines of a program's output, for an error message. */
export function lastLines(text: string, n = 10): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '')
    .slice(-n)
    .join('\n');
}

export interface ShellRun {
  exec: ExecFn;
  /** The shell line, as the user wrote it. */
  line: string;
  /** Extra environment for the line, merged over the process's own. */
  env?: Record<string, string>;
  /** The input or option that holds the line, for messages: `set-weight-command`. */
  what: string;
  /** The code of a line that could not run or exited non-zero. */
  code: CanaryErrorCode;
}

/** The outcome of a shell line that ran to the end: its result, or a message that says why it failed. */
export type ShellOutcome =
  { ok: true; result: ExecResult } | { ok: false; result?: ExecResult; message: string };

/** Runs `sh -c <line>`; never throws: a failure comes back as a message naming `what` and the output's tail. */
export async function runShell(run: Omit<ShellRun, 'code'>): Promise<ShellOutcome> {
  let result: ExecResult;
  try {
    result = await run.exec({ command: 'sh', args: ['-c', run.line], ...(run.env && { env: run.env }) });
  } catch (err) {
    return {
      ok: false,
      message: `${run.what} (${commandLine('sh', ['-c', run.line])}) could not run: ${errorMessage(err)}`,
    };
  }
  if (result.exitCode === 0) return { ok: true, result };
  const tail = lastLines(result.stderr || result.stdout);
  return {
    ok: false,
    result,
    message: `${run.what} exited with code ${result.exitCode}${tail ? `: ${tail}` : ' and wrote nothing'}`,
  };
}

/** Runs `sh -c <line>` and throws `code` when it cannot run or exits non-zero. */
export async function runShellChecked(run: ShellRun, context: string, fix?: string): Promise<ExecResult> {
  const outcome = await runShell(run);
  if (outcome.ok) return outcome.result;
  throw new CanaryError(run.code, `${context}: ${outcome.message}`, fix !== undefined ? { fix } : undefined);
}
