/**
 * Runs the committed `actions/sbom/dist/index.js` as the Actions runner does: Node 24, `INPUT_*`
 * variables, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `RUNNER_TEMP`, `GITHUB_JOB`, and nothing else
 * of this process's environment (no ACTIONS_RUNTIME_TOKEN: an artifact upload fails as it would
 * outside a runner).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOutputFile } from '../health-check/runner.ts';

export const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../actions/sbom/dist/index.js');

export interface ActionRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** The runner's temporary directory (files land here by default); removed by `dispose`. */
  dir: string;
  dispose: () => void;
}

export async function runAction(
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'sbom-action-run-'));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary.md');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_JOB: 'sbom',
    RUNNER_TEMP: dir,
    ...extraEnv,
  };
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  // Asynchronous on purpose: the services under test may live in this process.
  const { exitCode, stdout, stderr } = await new Promise<{
    exitCode: number;
    stdout: string;
    stderr: string;
  }>((done) => {
    execFile(process.execPath, [DIST], { env, cwd: dir, timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ exitCode: code, stdout, stderr });
    });
  });
  return {
    exitCode,
    stdout,
    stderr,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    dir,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
