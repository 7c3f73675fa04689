#!/usr/bin/env node
/**
 * Generates a cosign-compatible key pair (cosign.key, cosign.pub). From the repository root:
 *
 *     npm run generate-key-pair -- --output-dir ./keys
 *
 * See docs/signing.md and `--help`. The logic lives in src/sign/generate-key-pair-cli.ts.
 */
import { runGenerateKeyPair } from '../src/sign/generate-key-pair-cli.ts';

/** Reads a line from the terminal without echoing it. */
function askSecret(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new Error('interrupted'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

const code = await runGenerateKeyPair(process.argv.slice(2), {
  env: process.env,
  cwd: process.env['INIT_CWD'] ?? process.cwd(),
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  ...(process.stdin.isTTY && { askSecret }),
});
process.exitCode = code;
