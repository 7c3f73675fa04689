/** Runs this repository's jest, as `npm test` does, over fixture files, and returns what it printed. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface JestRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runJest(args: readonly string[], env: Record<string, string>): Promise<JestRun> {
  const argv = [
    '--experimental-vm-modules',
    '--disable-warning=ExperimentalWarning',
    'node_modules/jest/bin/jest.js',
    '--ci',
    ...args,
  ];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      argv,
      { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 100_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
