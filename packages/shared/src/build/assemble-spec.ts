/**
 * What `builder: assemble` is asked for, parsed from the text of its inputs: the `files` lines,
 * the entrypoint and command, env lines, exposed ports, the file owner and the source date epoch.
 * Each parser throws a coded {@link BuildError} whose message starts with the value at fault and
 * says what would be valid; the action's `context.ts` adds the input's name. Nothing here touches
 * the network; {@link checkSources} and {@link resolveSourceDateEpoch} read the context directory.
 */
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { parseList } from '../github/inputs.ts';
import { BuildError } from './errors.ts';
import type { ExecFn } from './exec.ts';

/** One `files` line: a file or directory of the context and where it goes in the image. */
export interface FileSpec {
  /** Relative to the context, normalised (`.` for the context itself), never leaving it. */
  source: string;
  /** Absolute, normalised; a trailing `/` (file sources: "into this directory") is kept. */
  destination: string;
}

/** The image config assemble sets over the base's (undefined: the base's is kept). */
export interface ConfigChanges {
  entrypoint?: string[];
  cmd?: string[];
  /** `NAME=value`, replacing the base's variable of the same name, else appended. */
  env: ReadonlyArray<readonly [string, string]>;
  workdir?: string;
  user?: string;
  labels: ReadonlyArray<readonly [string, string]>;
  /** `8080/tcp`, `53/udp`. */
  exposedPorts: readonly string[];
}

/** The owner of every entry of the layers (tar's uid and gid; uname and gname stay empty). */
export interface FileOwner {
  uid: number;
  gid: number;
}

/** The largest mtime tar headers hold here (tar-stream writes seconds as a 32-bit integer): 2038-01-19. */
export const MAX_SOURCE_DATE_EPOCH = 2 ** 31 - 1;
/** ustar's 7 octal digits for uid and gid. */
const MAX_ID = 0o7777777;

const FILES_SHAPE = 'write one <source>=<absolute path in the image> per line, e.g. dist=/app';

/**
 * `<source>=<path in image>` lines. The separator is the first `=/` (the destination is absolute,
 * so a source may hold `=`). Sources are relative to the context and may not leave it.
 */
export function parseFiles(text: string): FileSpec[] {
  return parseList(text).map((line) => {
    const at = line.indexOf('=/');
    if (at <= 0) {
      const eq = line.indexOf('=');
      if (eq > 0 && line.slice(eq + 1).trim() !== '')
        throw new BuildError(
          'FILES_INVALID',
          `"${line}": the destination "${line.slice(eq + 1).trim()}" is not absolute: ${FILES_SHAPE}`,
        );
      throw new BuildError('FILES_INVALID', `"${line}" is not <source>=<path in image>: ${FILES_SHAPE}`);
    }
    const rawSource = line.slice(0, at).trim();
    const rawDestination = line.slice(at + 1).trim();
    if (path.isAbsolute(rawSource) || path.posix.isAbsolute(rawSource))
      throw new BuildError(
        'FILES_INVALID',
        `"${line}": the source "${rawSource}" is absolute: give it relative to context (set context to its directory)`,
      );
    const source = path.posix.normalize(rawSource.replaceAll('\\', '/')).replace(/\/+$/, '') || '.';
    if (source === '..' || source.startsWith('../'))
      throw new BuildError(
        'FILES_INVALID',
        `"${line}": the source "${rawSource}" is outside the context: set context to a directory that holds it`,
      );
    const normalized = path.posix.normalize(rawDestination);
    const destination =
      normalized === '/' || !rawDestination.endsWith('/') ? normalized.replace(/(.)\/+$/, '$1') : normalized;
    return { source, destination };
  });
}

/** Throws SOURCE_MISSING, naming each, unless every source is in `context` (a file, directory or link). */
export function checkSources(context: string, files: readonly FileSpec[]): void {
  const missing = files.filter((f) => {
    try {
      lstatSync(path.join(context, f.source));
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0)
    throw new BuildError(
      'SOURCE_MISSING',
      `${missing.map((f) => `"${f.source}"`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in the context ${context}: build ${missing.length === 1 ? 'it' : 'them'} first, or fix the path (sources are relative to context)`,
    );
}

/**
 * An entrypoint or command: a JSON array of strings (`["node","server.js"]`) or one argument per
 * line. Undefined when empty (the base's is kept); `[]` clears it. A first line holding white
 * space is refused: `node server.js` on one line would be one program name, never found.
 */
export function parseArgs(text: string): string[] | undefined {
  const value = text.trim();
  if (value === '') return undefined;
  const shape = 'write a JSON array of strings, e.g. ["node","server.js"], or one argument per line';
  if (value.startsWith('[')) {
    let doc: unknown;
    try {
      doc = JSON.parse(value);
    } catch (err) {
      throw new BuildError('ARGS_INVALID', `${quote(value)} starts with "[" but is not JSON: ${shape}`, {
        cause: err,
      });
    }
    if (!Array.isArray(doc) || doc.some((a) => typeof a !== 'string'))
      throw new BuildError('ARGS_INVALID', `${quote(value)} is not an array of strings only: ${shape}`);
    return [...(doc as string[])];
  }
  if (value.startsWith('{') || value.startsWith('"'))
    throw new BuildError('ARGS_INVALID', `${quote(value)} is JSON but not an array: ${shape}`);
  const args = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (/\s/.test(args[0]!))
    throw new BuildError(
      'ARGS_INVALID',
      `"${args[0]}" is one line holding spaces, which would be run as one program of that name: ${shape}`,
    );
  return args;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `NAME=value` lines (the value may hold `=` and be empty). */
export function parseEnv(text: string): Array<[string, string]> {
  return parseList(text).map((line) => {
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq);
    if (eq <= 0 || !ENV_NAME.test(name))
      throw new BuildError(
        'ENV_INVALID',
        eq < 0
          ? `"${line.slice(0, 60)}" has no "=": write one NAME=value per line`
          : `"${name.slice(0, 60)}" is not a variable name (letters, digits and _, not starting with a digit): write one NAME=value per line`,
      );
    return [name, line.slice(eq + 1)];
  });
}

/** Exposed ports, `8080` (tcp), `8080/tcp`, `53/udp` or `9000/sctp`, comma or line separated; as `port/protocol`. */
export function parseExposedPorts(text: string): string[] {
  const ports = parseList(text, { commas: true }).map((entry) => {
    const match = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(entry);
    const port = match ? Number(match[1]) : 0;
    if (!match || port < 1 || port > 65535)
      throw new BuildError(
        'PORT_INVALID',
        `"${entry}" is not a port: write <port>[/tcp|udp|sctp] with a port from 1 to 65535, e.g. 8080/tcp`,
      );
    return `${port}/${(match[2] ?? 'tcp').toLowerCase()}`;
  });
  return [...new Set(ports)];
}

/** `uid:gid`, numbers from 0 to 2097151 (ustar's range). */
export function parseFileOwner(text: string): FileOwner {
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  const [uid, gid] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!match || uid > MAX_ID || gid > MAX_ID)
    throw new BuildError(
      'OWNER_INVALID',
      `"${text.trim()}" is not uid:gid: write two numbers from 0 to ${MAX_ID}, e.g. 0:0 or 65532:65532`,
    );
  return { uid, gid };
}

/** Whole seconds since 1970 (what SOURCE_DATE_EPOCH holds), from 0 to {@link MAX_SOURCE_DATE_EPOCH}. */
export function parseSourceDateEpoch(text: string): number {
  const value = text.trim();
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n <= MAX_SOURCE_DATE_EPOCH))
    throw new BuildError(
      'EPOCH_INVALID',
      `"${value}" is not a source date epoch: write whole seconds since 1970 from 0 to ${MAX_SOURCE_DATE_EPOCH}, e.g. the output of git log -1 --format=%ct`,
    );
  return n;
}

/** An absolute working directory. */
export function parseWorkdir(text: string): string {
  const value = text.trim();
  if (!value.startsWith('/'))
    throw new BuildError('CONFIG_INVALID', `"${value}" is not absolute: give the directory as /app`);
  return path.posix.normalize(value);
}

/** `user`, `uid`, `user:group` or `uid:gid`. */
export function parseUser(text: string): string {
  const value = text.trim();
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/.test(value))
    throw new BuildError(
      'CONFIG_INVALID',
      `"${value}" is not a user: write a name or uid, optionally :group or :gid, e.g. 65532:65532 or node`,
    );
  return value;
}

/** The `SOURCE_DATE_EPOCH` environment variable's value; EPOCH_INVALID, naming the variable, when it is not whole seconds. */
export function parseEnvironmentEpoch(value: string): number {
  try {
    return parseSourceDateEpoch(value);
  } catch (err) {
    throw new BuildError(
      'EPOCH_INVALID',
      `the environment variable SOURCE_DATE_EPOCH holds "${value.trim()}", not whole seconds since 1970 (0 to ${MAX_SOURCE_DATE_EPOCH}): fix it, or set source-date-epoch`,
      { cause: err },
    );
  }
}

/** Where the source date epoch came from, for the log and the summary. */
export type EpochSource = 'source-date-epoch' | 'SOURCE_DATE_EPOCH' | 'git' | 'default';

/**
 * The source date epoch: the input when given; else `SOURCE_DATE_EPOCH` from the environment
 * (refused, EPOCH_INVALID, when it is not whole seconds); else the commit time of HEAD in
 * `context` (`git log -1 --format=%ct`, through `exec`); else 0 (no git, or no repository).
 */
export async function resolveSourceDateEpoch(options: {
  input?: number | undefined;
  env?: string | undefined;
  exec: ExecFn;
  context: string;
}): Promise<{ epoch: number; from: EpochSource }> {
  if (options.input !== undefined) return { epoch: options.input, from: 'source-date-epoch' };
  if (options.env !== undefined && options.env.trim() !== '')
    return { epoch: parseEnvironmentEpoch(options.env), from: 'SOURCE_DATE_EPOCH' };
  try {
    const result = await options.exec({
      command: 'git',
      args: ['log', '-1', '--format=%ct'],
      cwd: options.context,
    });
    const text = result.stdout.trim();
    if (result.exitCode === 0 && /^\d+$/.test(text) && Number(text) <= MAX_SOURCE_DATE_EPOCH)
      return { epoch: Number(text), from: 'git' };
  } catch {
    // git is not installed: fall through to 0
  }
  return { epoch: 0, from: 'default' };
}

function quote(text: string): string {
  const one = text.replace(/\s+/g, ' ');
  return `"${one.length > 60 ? `${one.slice(0, 57)}...` : one}"`;
}
