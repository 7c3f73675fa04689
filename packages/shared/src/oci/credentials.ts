/**
 * Registry credentials, found the way the docker CLI and go-containerregistry's default keychain
 * find them (docker/cli `cli/config/configfile/file.go`, `cli/config/credentials/*`,
 * go-containerregistry `pkg/authn/keychain.go`), plus what a release pipeline passes explicitly:
 *
 * 1. credentials passed to the action for that registry;
 * 2. the docker config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`):
 *    `credHelpers[registry]`, then `credsStore`, then `auths`;
 * 3. for `ghcr.io`, the `githubToken` option (an action's `github-token` input), else `GITHUB_TOKEN`;
 * 4. otherwise anonymous (`undefined`).
 *
 * A credential helper that answers "credentials not found" lets the search go on; one that is
 * missing or fails stops it with a CREDENTIALS error, as docker does. (Docker itself stops at an
 * empty answer from a configured helper; we go on to `auths` and `GITHUB_TOKEN`, which is what a
 * CI job with a leftover `credsStore` wants.) No message or log line ever holds a secret.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../logger.ts';
import { OciError } from './errors.ts';
import { DEFAULT_REGISTRY } from './reference.ts';

/**
 * What a registry login can be, as docker's `AuthConfig` expresses it: a username and password
 * (`auth` or `username`/`password`), an identity token (`identitytoken`, an OAuth2 refresh token;
 * helpers return it with the username `<token>`), or a registry token (`registrytoken`, sent as the
 * bearer token directly).
 */
export type Credential =
  { username: string; password: string } | { identityToken: string } | { registryToken: string };

/** A username and password given for one registry (e.g. from action inputs). */
export interface ExplicitCredential {
  /** `ghcr.io`, `localhost:5000`, `docker.io`; a URL such as `https://ghcr.io/` also matches its host. */
  registry: string;
  username: string;
  password: string;
}

/** What a credential helper's `get` answered; `undefined` when it has no credentials for the server. */
export type CredentialHelperAnswer = { username: string; secret: string } | undefined;

/**
 * Runs `docker-credential-<helper> get` for `serverUrl`. Throws when the helper is missing or fails;
 * an error whose `code` is `ENOENT` means it is not installed.
 */
export type CredentialHelperRunner = (helper: string, serverUrl: string) => Promise<CredentialHelperAnswer>;

export interface CredentialResolverOptions {
  /** Credentials that win over everything else for their registry. */
  explicit?: readonly ExplicitCredential[];
  /** Environment: `DOCKER_CONFIG`, `GITHUB_TOKEN`, `GITHUB_ACTOR`, and `PATH` for helpers. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * The token for `ghcr.io` when neither an explicit credential nor the docker config has one (an
   * action's `github-token` input). Wins over `GITHUB_TOKEN` in `env`.
   */
  githubToken?: string;
  /** Directory holding `config.json`. Default `$DOCKER_CONFIG`, else `<homeDir>/.docker`. */
  dockerConfigDir?: string;
  /** Default `os.homedir()`. */
  homeDir?: string;
  /** Default: {@link spawnCredentialHelper} with `env` and `helperTimeoutMs`. */
  runHelper?: CredentialHelperRunner;
  /** How long a helper may take before it is killed. Default 30 s. */
  helperTimeoutMs?: number;
  logger?: Logger;
}

/** The key docker stores Docker Hub credentials under (`authConfigKey` in docker/cli configfile). */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
/** The line helpers print (on stdout, exit code 1) when they hold nothing for a server (docker-credential-helpers). */
const NOT_FOUND_MESSAGE = 'credentials not found in native keychain';
/** The username helpers use to mean "the secret is an identity token" (docker/cli native_store.go). */
const IDENTITY_TOKEN_USERNAME = '<token>';
const GHCR = 'ghcr.io';
const DEFAULT_HELPER_TIMEOUT_MS = 30_000;
const MAX_HELPER_OUTPUT = 64 * 1024;

interface DockerConfig {
  path: string;
  auths: Map<string, Record<string, unknown>>;
  credHelpers: Map<string, string>;
  credsStore: string;
}

/** Finds the credential for a registry; one instance caches its answers per registry. */
export class CredentialResolver {
  private readonly options: CredentialResolverOptions;
  private readonly env: NodeJS.ProcessEnv;
  private readonly logger: Logger;
  private readonly runHelper: CredentialHelperRunner;
  private readonly cache = new Map<string, Promise<Credential | undefined>>();
  private config: Promise<DockerConfig | undefined> | undefined;

  constructor(options: CredentialResolverOptions = {}) {
    this.options = options;
    this.env = options.env ?? process.env;
    this.logger = options.logger ?? silentLogger;
    this.runHelper =
      options.runHelper ??
      spawnCredentialHelper({
        env: this.env,
        timeoutMs: options.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS,
      });
  }

  /** The credential for `registry` (`ghcr.io`, `localhost:5000`, `docker.io`), or undefined for anonymous access. */
  resolve(registry: string): Promise<Credential | undefined> {
    const host = registryHost(registry);
    let pending = this.cache.get(host);
    if (!pending) {
      pending = this.find(host);
      this.cache.set(host, pending);
      // A failure is not remembered: the next call asks again.
      pending.catch(() => this.cache.delete(host));
    }
    return pending;
  }

  /** The path of the docker config file this resolver reads. */
  get dockerConfigPath(): string {
    const dir =
      this.options.dockerConfigDir ||
      this.env.DOCKER_CONFIG ||
      join(this.options.homeDir ?? homedir(), '.docker');
    return join(dir, 'config.json');
  }

  private async find(host: string): Promise<Credential | undefined> {
    const explicit = this.options.explicit?.find((c) => registryHost(c.registry) === host);
    if (explicit) {
      this.logger.debug(`credentials for ${host}: username and password given explicitly`);
      return { username: explicit.username, password: explicit.password };
    }

    const config = await this.loadConfig();
    if (config) {
      const helper = lookup(config.credHelpers, host)?.value;
      if (helper) {
        const found = await this.fromHelper(helper, host, `credHelpers in ${config.path}`);
        if (found) return found;
      }
      if (config.credsStore && config.credsStore !== helper) {
        const found = await this.fromHelper(config.credsStore, host, `credsStore in ${config.path}`);
        if (found) return found;
      }
      const entry = lookup(config.auths, host);
      if (entry) {
        const found = credentialFromEntry(entry.value, `auths["${entry.key}"] in ${config.path}`);
        if (found) {
          this.logger.debug(
            `credentials for ${host}: ${describe(found)} from auths["${entry.key}"] in ${config.path}`,
          );
          return found;
        }
      }
    }

    const githubToken = this.options.githubToken || this.env.GITHUB_TOKEN;
    if (host === GHCR && githubToken) {
      // ghcr.io checks the token, not the username; docker/login-action's documented setup passes github.actor.
      const username = this.env.GITHUB_ACTOR || this.env.GITHUB_REPOSITORY_OWNER || 'x-access-token';
      this.logger.debug(
        `credentials for ${host}: ${this.options.githubToken ? 'the github-token input' : 'GITHUB_TOKEN'}`,
      );
      return { username, password: githubToken };
    }

    this.logger.debug(`no credentials for ${host}: anonymous`);
    return undefined;
  }

  private async fromHelper(helper: string, host: string, source: string): Promise<Credential | undefined> {
    const program = `docker-credential-${helper}`;
    let answer: CredentialHelperAnswer;
    try {
      answer = await this.runHelper(helper, authKey(host));
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      const fix = missing
        ? `install ${program} on PATH, or remove it from ${source}`
        : `fix or unlock the helper, or remove it from ${source}`;
      throw new OciError(
        'CREDENTIALS',
        `cannot get credentials for ${host} from ${program} (${source}): ${
          missing ? 'the helper is not on PATH' : (err as Error).message
        }. To fix: ${fix}, or pass credentials for ${host} explicitly`,
        { cause: err },
      );
    }
    const credential = answer && credentialFromHelper(answer);
    this.logger.debug(
      credential
        ? `credentials for ${host}: ${describe(credential)} from ${program} (${source})`
        : `${program} has no credentials for ${host}`,
    );
    return credential;
  }

  private loadConfig(): Promise<DockerConfig | undefined> {
    this.config ??= readDockerConfig(this.dockerConfigPath);
    return this.config;
  }
}

/**
 * The default {@link CredentialHelperRunner}: spawns `docker-credential-<helper> get` (found on the
 * `PATH` of `env`), writes the server URL to its stdin and reads `{"ServerURL","Username","Secret"}`
 * from its stdout, as docker-credential-helpers' `client.Get` does.
 */
export function spawnCredentialHelper(
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): CredentialHelperRunner {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  return (helper, serverUrl) =>
    new Promise<CredentialHelperAnswer>((resolve, reject) => {
      const child = spawn(`docker-credential-${helper}`, ['get'], {
        env: options.env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const collect = (chunks: Buffer[]) => (chunk: Buffer) => {
        if (chunks.reduce((n, c) => n + c.length, 0) < MAX_HELPER_OUTPUT) chunks.push(chunk);
      };
      child.stdout.on('data', collect(stdout));
      child.stderr.on('data', collect(stderr));
      child.stdin.on('error', () => {}); // a helper may exit without reading its input
      child.stdin.end(serverUrl);

      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`it did not answer within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (exitCode, signal) => {
        clearTimeout(timer);
        const out = Buffer.concat(stdout).toString('utf8').trim();
        if (exitCode !== 0) {
          if (out === NOT_FOUND_MESSAGE) return resolve(undefined);
          // On failure a helper prints its error message (stdout by the protocol, stderr by habit).
          const said = firstLine(out) || firstLine(Buffer.concat(stderr).toString('utf8'));
          const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
          return reject(new Error(`it ${how}${said ? `: ${said}` : ''}`));
        }
        try {
          resolve(parseHelperOutput(out));
        } catch (err) {
          reject(err);
        }
      });
    });
}

/** The helper's JSON answer; never quotes the output, which holds the secret. */
function parseHelperOutput(out: string): CredentialHelperAnswer {
  let doc: unknown;
  try {
    doc = JSON.parse(out);
  } catch {
    throw new Error('it answered something that is not the JSON of the credential helper protocol');
  }
  if (!isObject(doc)) throw new Error('it answered JSON that is not an object');
  const username = doc.Username ?? '';
  const secret = doc.Secret ?? '';
  if (typeof username !== 'string' || typeof secret !== 'string') {
    throw new Error('its answer has a Username or Secret that is not a string');
  }
  return { username, secret };
}

function credentialFromHelper(answer: NonNullable<CredentialHelperAnswer>): Credential | undefined {
  if (answer.username === IDENTITY_TOKEN_USERNAME) {
    return answer.secret ? { identityToken: answer.secret } : undefined;
  }
  // An empty answer is no answer (go-containerregistry treats an empty AuthConfig as anonymous).
  if (!answer.username && !answer.secret) return undefined;
  return { username: answer.username, password: answer.secret };
}

/**
 * The credential an `auths` entry holds: `registrytoken` first, then `identitytoken`, then
 * `auth`/`username`+`password` (the order go-containerregistry's bearer transport uses them).
 * An empty entry (`{}`, as `docker login` leaves next to a credential store) holds none.
 */
function credentialFromEntry(entry: Record<string, unknown>, where: string): Credential | undefined {
  const text = (name: string): string => {
    const value = field(entry, name);
    if (value === undefined || value === null) return '';
    if (typeof value !== 'string') throw configError(`${where}: "${name}" must be a string`);
    return value;
  };
  const registryToken = text('registrytoken');
  if (registryToken) return { registryToken };
  const identityToken = text('identitytoken');
  if (identityToken) return { identityToken };
  const auth = text('auth');
  if (auth) return decodeAuth(auth, where);
  const username = text('username');
  const password = text('password');
  if (username || password) return { username, password };
  return undefined;
}

/** `base64(username:password)`; docker rejects an entry without ':' or with an empty username. */
function decodeAuth(auth: string, where: string): Credential {
  const trimmed = auth.trim();
  const invalid = () =>
    configError(
      `${where}: "auth" must be base64 of username:password (run docker login again to rewrite it)`,
    );
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) throw invalid();
  const decoded = Buffer.from(trimmed, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw invalid();
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1).replace(/\0+$/, '') };
}

async function readDockerConfig(path: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw configError(`cannot read the docker config ${path} (${code ?? (err as Error).message})`);
  }
  if (text.trim() === '') return undefined; // docker accepts an empty file
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // V8's message may quote the file, secrets included: keep only where it went wrong.
    const at = /at position \d+(?: \(line \d+ column \d+\))?/.exec((err as Error).message)?.[0];
    throw configError(`the docker config ${path} is not valid JSON${at ? ` (${at})` : ''}: fix or remove it`);
  }
  if (!isObject(doc)) throw configError(`the docker config ${path} must hold a JSON object`);

  const auths = field(doc, 'auths') ?? {};
  const credHelpers = field(doc, 'credHelpers') ?? {};
  const credsStore = field(doc, 'credsStore') ?? '';
  if (!isObject(auths)) throw configError(`${path}: "auths" must be an object`);
  if (!isObject(credHelpers)) throw configError(`${path}: "credHelpers" must be an object`);
  if (typeof credsStore !== 'string') throw configError(`${path}: "credsStore" must be a string`);
  const config: DockerConfig = { path, auths: new Map(), credHelpers: new Map(), credsStore };
  for (const [key, value] of Object.entries(auths)) {
    if (value === null) continue;
    if (!isObject(value)) throw configError(`${path}: auths["${key}"] must be an object`);
    config.auths.set(key, value);
  }
  for (const [key, value] of Object.entries(credHelpers)) {
    if (typeof value !== 'string') throw configError(`${path}: credHelpers["${key}"] must be a string`);
    if (value) config.credHelpers.set(key, value);
  }
  return config;
}

/**
 * The entry of `auths` or `credHelpers` for a host, looked up as docker's file store does: the
 * exact key (for Docker Hub, `https://index.docker.io/v1/`), else the first key whose host part
 * matches (`https://host`, `http://host/v1/`, … — docker/cli `ConvertToHostname`). Docker Hub also
 * matches keys naming `docker.io` or `index.docker.io`, as podman's auth.json writes them.
 */
function lookup<T>(entries: Map<string, T>, host: string): { key: string; value: T } | undefined {
  const key = authKey(host);
  const exact = entries.get(key);
  if (exact !== undefined) return { key, value: exact };
  for (const [candidate, value] of entries) {
    if (registryHost(candidate) === host) return { key: candidate, value };
  }
  return undefined;
}

/** The key docker stores and asks helpers for: Docker Hub's legacy URL, else the host itself. */
function authKey(host: string): string {
  return host === DEFAULT_REGISTRY ? DOCKER_HUB_AUTH_KEY : host;
}

/**
 * A registry name or config key reduced to the host[:port] we compare on: scheme and path dropped,
 * lowercased, and Docker Hub's aliases folded into `docker.io`.
 */
function registryHost(nameOrUrl: string): string {
  const scheme = nameOrUrl.indexOf('://');
  const rest = (scheme === -1 ? nameOrUrl : nameOrUrl.slice(scheme + 3)).trim();
  const host = (rest.split('/')[0] ?? '').toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? DEFAULT_REGISTRY : host;
}

/** A JSON field, matched case-insensitively as Go's encoding/json matches struct fields. */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  const key = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : obj[key];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(credential: Credential): string {
  if ('registryToken' in credential) return 'a registry token';
  if ('identityToken' in credential) return 'an identity token';
  return 'a username and password';
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function configError(message: string): OciError {
  return new OciError('CREDENTIALS', message);
}
