/**
 * Runs an action's committed `dist/index.js` as the Actions runner does: Node 24, `INPUT_*`
 * variables, `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` files, and nothing else of this process's
 * environment but what the caller passes in `env`. The integration tests (through
 * `__tests__/action-runner.ts`), the benchmarks and `npm run demo` all run the bundles through it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The committed bundle of `actions/<name>`. */
export function distOf(action: string): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../../actions', action, 'dist/index.js');
}

/** What one run of an action left: its exit code, output, outputs and job summary. */
export interface ActionRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** The runner's temporary directory (RUNNER_TEMP, HOME and cwd); kept only with `keepDir`. */
  dir: string;
  /** Removes `dir` (with `keepDir`, once the test has read the files the action wrote there). */
  dispose: () => void;
}

/** Parses the `name<<delimiter … delimiter` blocks that `core.setOutput` appends to GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const m of text.matchAll(/^([^\n<]+)<<(\S+)\n([\s\S]*?)\n?\2$/gm)) outputs[m[1]!] = m[3]!;
  return outputs;
}

export interface ActionRunOptions {
  /** Further environment, e.g. GITHUB_REPOSITORY or DOCKER_CONFIG. */
  env?: Record<string, string>;
  /** Working directory (default: the run's temporary directory). */
  cwd?: string;
  /** Keep the temporary directory after the run, for files the action wrote there; call `dispose`. */
  keepDir?: boolean;
  timeoutMs?: number;
}

export async function runAction(
  dist: string,
  inputs: Record<string, string>,
  options: ActionRunOptions = {},
): Promise<ActionRunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'action-run-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary.md');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: dir,
    ...options.env,
  };
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  try {
    // Asynchronous on purpose: the servers under test may live in this process.
    const { exitCode, stdout, stderr } = await new Promise<{
      exitCode: number;
      stdout: string;
      stderr: string;
    }>((done) => {
      execFile(
        process.execPath,
        [dist],
        { env, cwd: options.cwd ?? dir, timeout: options.timeoutMs ?? 60_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          done({ exitCode: code, stdout, stderr });
        },
      );
    });
    return {
      exitCode,
      stdout,
      stderr,
      outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
      summary: readFileSync(summaryFile, 'utf8'),
      dir,
      dispose,
    };
  } finally {
    if (!options.keepDir) dispose();
  }
}
