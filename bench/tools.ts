/**
 * The reference tools the benchmarks run beside ours (cosign, syft, crane), as `npm run tools`
 * (scripts/tools.sh) builds them into `.tools/bin` (or `$TOOLS_BIN`). A benchmark leaves a missing
 * tool out of its table and says how to build it.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const BIN = process.env['TOOLS_BIN'] ?? fileURLToPath(new URL('../.tools/bin', import.meta.url));

/** The path of `.tools/bin/<name>`, or undefined (with a note on stderr) when it is not built. */
export function referenceTool(name: 'cosign' | 'cosign-v2' | 'syft' | 'crane'): string | undefined {
  const path = join(BIN, name);
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    console.error(`${name} is not built (${path}): run npm run tools to add it to this benchmark`);
    return undefined;
  }
}

/** `/usr/bin/time`, when installed: its `-v` gives a child's peak RSS. */
export const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Runs `file args` under `/usr/bin/time -v` (when present); wall time and peak RSS in KB. */
export async function timed(
  file: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ ms: number; rssKb?: number; stdout: string }> {
  const run = promisify(execFile);
  const maxBuffer = 64 * 1024 * 1024;
  const start = performance.now();
  const { stdout, stderr } = TIME
    ? await run(TIME, ['-v', file, ...args], { maxBuffer, env })
    : await run(file, args, { maxBuffer, env });
  const ms = performance.now() - start;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return { ms, stdout, ...(rss ? { rssKb: Number(rss[1]) } : {}) };
}
