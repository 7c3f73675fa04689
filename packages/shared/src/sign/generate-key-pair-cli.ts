/**
 * `npm run generate-key-pair` (packages/shared/bin/generate-key-pair.ts): writes `cosign.key` and
 * `cosign.pub` exactly as `cosign generate-key-pair` does, for users without cosign at hand.
 *
 *     npm run generate-key-pair -- [--output-dir DIR] [--scrypt-n 32768|65536|131072] [--force]
 *
 * The password comes from `COSIGN_PASSWORD` (as with cosign; an empty value means no password),
 * or is asked for twice on a terminal without echo. The command never prints the password or the
 * private key.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { errorMessage } from '../errors.ts';
import { SignError } from './errors.ts';
import { keyFingerprint, SCRYPT_N_VALUES, writeKeyPair, type ScryptN } from './keys.ts';

export interface CliIo {
  env: Record<string, string | undefined>;
  /** Where relative paths start (npm scripts run in the package root; npm passes the caller's directory as INIT_CWD). */
  cwd: string;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Asks for a secret without echoing it; undefined when there is no terminal to ask on. */
  askSecret?: (prompt: string) => Promise<string>;
}

export const GENERATE_KEY_PAIR_USAGE = `usage: npm run generate-key-pair -- [options]

Writes cosign.key (encrypted ECDSA P-256 private key, mode 0600) and cosign.pub, compatible with
cosign. The password is read from COSIGN_PASSWORD, or asked for on the terminal.

options:
  --output-dir DIR        where to write the files (default: the current directory)
  --prefix NAME           file name prefix instead of "cosign"
  --scrypt-n N            scrypt work factor: 32768, 65536 (default, as cosign) or 131072
  --label sigstore|cosign PEM label: ENCRYPTED SIGSTORE PRIVATE KEY (default) or ENCRYPTED COSIGN PRIVATE KEY
  --force                 overwrite existing key files (without it, existing files are kept)
  -h, --help              show this help`;

/** Runs the command; returns the process exit code. */
export async function runGenerateKeyPair(argv: readonly string[], io: CliIo): Promise<number> {
  let outputDir = '.';
  let prefix = 'cosign';
  let scryptN: ScryptN | undefined;
  let label: 'sigstore' | 'cosign' = 'sigstore';
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    try {
      switch (flag) {
        case '-h':
        case '--help':
          io.out(GENERATE_KEY_PAIR_USAGE);
          return 0;
        case '--output-dir':
          outputDir = value();
          break;
        case '--prefix':
          prefix = value();
          if (!/^[\w.-]+$/.test(prefix))
            throw new Error('--prefix may hold letters, digits, ".", "_" and "-" only');
          break;
        case '--scrypt-n': {
          const n = Number(value());
          if (!SCRYPT_N_VALUES.includes(n as ScryptN))
            throw new Error(`--scrypt-n must be one of ${SCRYPT_N_VALUES.join(', ')}`);
          scryptN = n as ScryptN;
          break;
        }
        case '--label': {
          const v = value();
          if (v !== 'sigstore' && v !== 'cosign') throw new Error('--label must be sigstore or cosign');
          label = v;
          break;
        }
        case '--force':
          force = true;
          break;
        default:
          throw new Error(`unknown option ${arg}`);
      }
    } catch (err) {
      io.err(`error: ${errorMessage(err)}\n\n${GENERATE_KEY_PAIR_USAGE}`);
      return 2;
    }
  }

  const dir = isAbsolute(outputDir) ? outputDir : resolve(io.cwd, outputDir);
  const existing = (): string[] =>
    [join(dir, `${prefix}.key`), join(dir, `${prefix}.pub`)].filter((p) => existsSync(p));
  // The library speaks of its options; this command says it in its flags.
  const refuseExisting = (files: string[]): number => {
    io.err(
      `error (KEY_EXISTS): ${files.join(' and ') || 'the key files'} already exist${files.length === 1 ? 's' : ''}; nothing was written. Pass --force to overwrite, or choose another --output-dir or --prefix.`,
    );
    return 1;
  };
  // Before asking for a password that would not be used.
  if (!force && existing().length > 0) return refuseExisting(existing());

  let password = io.env['COSIGN_PASSWORD'];
  if (password === undefined) {
    if (!io.askSecret) {
      io.err(
        'error: no password: set COSIGN_PASSWORD (an empty value means no password) or run this on a terminal',
      );
      return 2;
    }
    password = await io.askSecret('Enter password for private key: ');
    const again = await io.askSecret('Enter password for private key again: ');
    if (again !== password) {
      io.err('error: the passwords do not match');
      return 2;
    }
  }

  try {
    const written = await writeKeyPair(dir, password, {
      force,
      prefix,
      label,
      ...(scryptN !== undefined && { scryptN }),
    });
    io.out(`Private key written to ${written.privateKeyPath}`);
    io.out(`Public key written to ${written.publicKeyPath}`);
    io.out(`Public key fingerprint: ${keyFingerprint(written.key.publicKey)}`);
    return 0;
  } catch (err) {
    if (err instanceof SignError && err.code === 'KEY_EXISTS') return refuseExisting(existing());
    const code = err instanceof SignError ? ` (${err.code})` : '';
    io.err(`error${code}: ${errorMessage(err)}`);
    return 1;
  }
}
