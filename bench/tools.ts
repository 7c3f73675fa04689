/**
 * The reference tools the benchmarks run beside ours (cosign, syft, crane), as `npm run tools`
 * (scripts/tools.sh) builds them into `.tools/bin` (or `$TOOLS_BIN`). A benchmark leaves a missing
 * tool out of its table and says how to build it.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
