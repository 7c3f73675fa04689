/**
 * The reference tools the interop suites run beside ours: cosign (v3 and v2), syft, crane and
 * actionlint, built from their Go modules at pinned versions by `npm run tools`
 * (scripts/tools.sh) into `.tools/bin` (or `$TOOLS_BIN`), and Debian's shellcheck.
 *
 * Where a tool is missing, a suite skips, saying how to build it, on a contributor's machine
 * without Go; when `CI` is set it does not skip: its tests fail, naming the missing tool and the
 * command that builds it. Use it as
 *
 *     const cosign = tool('cosign');
 *     describe('…', { skip: cosign.skip }, () => { it('…', async () => { await cosign.run([…]); }); });
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { REPO_ROOT } from '../fixtures.ts';

/** Where `npm run tools` puts the binaries. */
export const TOOLS_BIN = process.env['TOOLS_BIN'] ?? join(REPO_ROOT, '.tools', 'bin');

/** The tools scripts/tools.sh builds, and shellcheck (Debian's), which actionlint runs. */
export type ToolName = 'cosign' | 'cosign-v2' | 'syft' | 'crane' | 'actionlint' | 'shellcheck';

const HOW_TO: Record<ToolName, string> = {
  cosign: 'npm run tools (needs Go 1.26)',
  'cosign-v2': 'npm run tools (needs Go 1.26)',
  syft: 'npm run tools (needs Go 1.26)',
  crane: 'npm run tools (needs Go 1.26)',
  actionlint: 'npm run tools (needs Go 1.26)',
  shellcheck: 'apt-get install shellcheck',
};

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Default 120 s. */
  timeoutMs?: number;
}

export interface Tool {
  name: ToolName;
  /** Its path, or undefined when it is missing. */
  path: string | undefined;
  /** A `skip` value for `describe`/`it`: the reason, when missing outside CI; else false. */
  skip: string | false;
  /** Runs it and resolves with the exit code and output (a non-zero exit is a result, not a rejection). */
  run(args: readonly string[], options?: RunOptions): Promise<ToolRun>;
  /** Runs it and rejects, with its output, unless it exits 0. */
  ok(args: readonly string[], options?: RunOptions): Promise<ToolRun>;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where a tool is: `.tools/bin` for the built ones, PATH for shellcheck. */
export function locate(
  name: ToolName,
  env: NodeJS.ProcessEnv = process.env,
  bin = TOOLS_BIN,
): string | undefined {
  const dirs = name === 'shellcheck' ? (env['PATH'] ?? '').split(delimiter).filter(Boolean) : [bin];
  return dirs.map((d) => join(d, name)).find(executable);
}

/**
 * The skip decision for a tool at `path`: false when it is there; when it is missing, the reason
 * to skip (how to build it), except in CI (`CI` set), where nothing is skipped and its tests fail.
 */
export function skipReason(
  name: ToolName,
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | false {
  if (path) return false;
  if (env['CI']) return false;
  return `${name} is not built: run ${HOW_TO[name]}; the interop suites run against it (in CI they fail instead of skipping)`;
}

/** The message a test fails with when a tool is missing in CI. */
export function missingMessage(name: ToolName): string {
  return `${name} is missing from ${name === 'shellcheck' ? 'PATH' : TOOLS_BIN}: ${HOW_TO[name]} builds it (.ci/run does); with CI set the interop tests do not skip`;
}

/** A tool located as {@link locate} does; `options` stand in for the machine in the tools' own tests. */
export function tool(
  name: ToolName,
  options: { path?: string | undefined; env?: NodeJS.ProcessEnv } = {},
): Tool {
  const env = options.env ?? process.env;
  const path = 'path' in options ? options.path : locate(name, env);
  const run = (args: readonly string[], options: RunOptions = {}): Promise<ToolRun> => {
    if (!path) return Promise.reject(new Error(missingMessage(name)));
    return new Promise((resolve, reject) => {
      execFile(
        path,
        [...args],
        {
          cwd: options.cwd,
          env: { ...process.env, ...options.env },
          timeout: options.timeoutMs ?? 120_000,
          maxBuffer: 256 << 20,
          encoding: 'utf8',
        },
        (err, stdout, stderr) => {
          if (err && typeof err.code !== 'number') {
            reject(new Error(`${name} ${args.join(' ')}: ${err.message}\n${stderr}`, { cause: err }));
            return;
          }
          resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
        },
      );
    });
  };
  return {
    name,
    path,
    skip: skipReason(name, path, env),
    run,
    async ok(args, options) {
      const result = await run(args, options);
      if (result.code !== 0)
        throw new Error(
          `${name} ${args.join(' ')} exited ${result.code}:\n${result.stderr}\n${result.stdout}`,
        );
      return result;
    },
  };
}
