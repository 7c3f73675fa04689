/**
 * A real registry for integration tests: Debian's `docker-registry` (distribution 2.8) on a free
 * loopback port, with its own temporary directory (config, filesystem storage, log, auth files).
 *
 *     import { afterAll, beforeAll } from '@jest/globals';
 *     import { startRegistry, type TestRegistry } from '@release-actions/shared/testing';
 *
 *     let reg: TestRegistry;
 *     beforeAll(async () => { reg = await startRegistry(); });
 *     afterAll(() => reg?.stop());
 *
 * For diagnostics, print the registry's log when a test fails:
 *
 *     it('…', async () => { try { … } catch (err) { reg.printLogTail(); throw err; } });
 *
 * jest runs `afterAll` also when `beforeAll` or a test failed, and `reg?.stop()` copes with a
 * registry that never started. As a last resort, a registry still running when the test file
 * ends is killed from an exit hook (jest's environment, scripts/jest/environment.ts, emits 'exit'
 * on the test file's `process` then), and on Linux the kernel kills it if the test process dies
 * by a signal (`setpriv --pdeathsig`). The child process is unreferenced and writes only to its
 * own log file, so it can never keep the test runner waiting.
 *
 * Port selection is race-free: the registry listens on `127.0.0.1:0` and the harness reads the
 * port it got from its "listening on" log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError, pdeathsigPrefix, requireExecutable, run, trackLeftover } from './process.ts';
import { httpStatus, waitForExit } from './service.ts';
import {
  startTokenIssuer,
  type TokenIssuer,
  type TokenIssuerOptions,
  type TokenRequestRecord,
} from './token-issuer.ts';
import { mergeConfig, toYaml, type YamlValue } from './yaml.ts';

export type RegistryAuth =
  | 'none'
  | { kind: 'basic'; username: string; password: string; realm?: string }
  | ({ kind: 'token' } & TokenIssuerOptions);

export interface RegistryOptions {
  /** `'none'` (default), HTTP Basic with one htpasswd user, or token auth with a loopback issuer. */
  auth?: RegistryAuth;
  /** How long to wait for the registry to answer `GET /v2/`; default 20 s. */
  startupTimeoutMs?: number;
  /** Merged into the generated configuration (mappings recursively), e.g. `{ log: { level: 'debug' } }`. */
  config?: { [key: string]: YamlValue };
  /** The registry binary; default `docker-registry` on PATH (or $DOCKER_REGISTRY_BIN). */
  binary?: string;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, the registry part of image references. */
  host: string;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The filesystem driver's root directory. */
  storageDir: string;
  /** The registry's temporary directory (config, storage, log, auth files); removed by stop(). */
  dir: string;
  configFile: string;
  logFile: string;
  /** The registry's process id. */
  pid: number;
  /** The auth mode it runs with. */
  auth: RegistryAuth;
  /** The token issuer, in token auth mode. */
  tokenIssuer: TokenIssuer | undefined;
  /** In token auth mode, every token request the issuer answered (the issuer's `requests`). */
  tokenRequests: TokenRequestRecord[] | undefined;
  /** The last `lines` lines of the registry's log (empty once stopped). */
  logTail(lines?: number): string;
  /** Writes logTail() to stderr with a header, for a failing test's diagnostics. */
  printLogTail(lines?: number): void;
  /** SIGTERM, SIGKILL after a short grace, then removes the directory. Safe to call twice. */
  stop(): Promise<void>;
}

const INSTALL_HINT = 'install docker-registry (apt-get install docker-registry)';

function tailOf(file: string, lines: number): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.split('\n').filter(Boolean).slice(-lines).join('\n');
  } catch {
    return '';
  }
}
/** Starts a docker-registry; see the module comment for the stop pattern. */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const binary = options.binary ?? process.env['DOCKER_REGISTRY_BIN'] ?? 'docker-registry';
  let binaryPath: string;
  try {
    binaryPath = requireExecutable(binary, 'docker-registry');
  } catch (err) {
    throw new HarnessError(
      'SERVICE_MISSING',
      `cannot start a test registry: ${binary} not found: ${INSTALL_HINT}`,
      {
        cause: err,
      },
    );
  }
  const auth = options.auth ?? 'none';
  const timeoutMs = options.startupTimeoutMs ?? 20_000;

  const dir = await mkdtemp(join(tmpdir(), 'ra-registry-'));
  const leftover = trackLeftover({ pid: undefined, dir });
  const storageDir = join(dir, 'storage');
  const configFile = join(dir, 'config.yml');
  const logFile = join(dir, 'registry.log');
  let child: ChildProcess | undefined;
  let tokenIssuer: TokenIssuer | undefined;

  const abort = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await waitForExit(child, 5000);
    }
    await tokenIssuer?.stop();
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    leftover.release();
  };

  try {
    await mkdir(storageDir);
    let authConfig: { [key: string]: YamlValue } | undefined;
    if (auth !== 'none' && auth.kind === 'basic') {
      const htpasswd = requireExecutable('htpasswd', 'apache2-utils');
      // distribution's htpasswd backend accepts bcrypt entries only.
      const line = await run(htpasswd, ['-Bbn', auth.username, auth.password]);
      const htpasswdFile = join(dir, 'htpasswd');
      await writeFile(htpasswdFile, `${line.trim()}\n`, { mode: 0o600 });
      authConfig = { htpasswd: { realm: auth.realm ?? 'release-actions-test', path: htpasswdFile } };
    } else if (auth !== 'none' && auth.kind === 'token') {
      tokenIssuer = await startTokenIssuer(dir, auth);
      authConfig = {
        token: {
          realm: tokenIssuer.realm,
          service: tokenIssuer.service,
          issuer: tokenIssuer.issuer,
          rootcertbundle: tokenIssuer.rootCertFile,
        },
      };
    }

    let config: { [key: string]: YamlValue } = {
      version: '0.1',
      log: { level: 'info', formatter: 'text', fields: { service: 'registry' } },
      storage: {
        filesystem: { rootdirectory: storageDir },
        delete: { enabled: true },
        cache: { blobdescriptor: 'inmemory' },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: {
        addr: '127.0.0.1:0',
        secret: randomBytes(16).toString('hex'),
        headers: { 'X-Content-Type-Options': ['nosniff'] },
      },
      health: { storagedriver: { enabled: false } },
    };
    if (authConfig) config.auth = authConfig;
    if (options.config) config = mergeConfig(config, options.config);
    await writeFile(configFile, toYaml(config));

    const logFd = openSync(logFile, 'a');
    try {
      const prefix = pdeathsigPrefix() ?? [];
      const argv = [...prefix, binaryPath, 'serve', configFile];
      child = spawn(argv[0]!, argv.slice(1), { cwd: dir, stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    const started = child;
    // Never let the registry keep the test process alive; the exit hook kills it if it outlives us.
    started.unref();
    const spawnError = new Promise<Error>((resolve) => started.once('error', resolve));
    if (started.pid !== undefined) leftover.update({ pid: started.pid });

    const deadline = Date.now() + timeoutMs;
    let url: string | undefined;
    let ready = false;
    let failure: string | undefined;
    const exited = (): boolean => started.exitCode !== null || started.signalCode !== null;
    let spawnFailed: Error | undefined;
    void spawnError.then((err) => (spawnFailed = err));
    while (Date.now() < deadline) {
      if (spawnFailed) {
        failure = `could not run ${binaryPath}: ${spawnFailed.message} (${INSTALL_HINT})`;
        break;
      }
      if (exited()) {
        failure = `docker-registry exited (code ${started.exitCode ?? started.signalCode}) before it was ready`;
        break;
      }
      if (url === undefined) {
        const match = /listening on (127\.0\.0\.1:\d+)/.exec(tailOf(logFile, 200));
        if (match) url = `http://${match[1]}`;
      }
      if (url !== undefined) {
        const status = await httpStatus(`${url}/v2/`);
        if (status !== undefined && status < 500) {
          ready = true;
          break;
        }
      }
      await sleep(50);
    }
    if (!ready || url === undefined) {
      failure ??= `docker-registry did not answer GET /v2/ within ${timeoutMs} ms`;
      const tail = tailOf(logFile, 40);
      throw new HarnessError(
        'SERVICE_START',
        `${failure}; config ${configFile}; log tail:\n${tail || '(empty log)'}`,
      );
    }

    const host = url.slice('http://'.length);
    let stopping: Promise<void> | undefined;
    const registry: TestRegistry = {
      host,
      url,
      storageDir,
      dir,
      configFile,
      logFile,
      pid: started.pid!,
      auth,
      tokenIssuer,
      tokenRequests: tokenIssuer?.requests,
      logTail: (lines = 50) => tailOf(logFile, lines),
      printLogTail(lines = 50) {
        process.stderr.write(
          `--- docker-registry ${host} log (last ${lines} lines) ---\n${tailOf(logFile, lines)}\n---\n`,
        );
      },
      stop() {
        stopping ??= (async () => {
          if (!exited()) {
            started.kill('SIGTERM');
            if (!(await waitForExit(started, 3000))) {
              started.kill('SIGKILL');
              await waitForExit(started, 5000);
            }
          }
          await tokenIssuer?.stop();
          await rm(dir, { recursive: true, force: true, maxRetries: 3 });
          leftover.release();
        })();
        return stopping;
      },
    };
    return registry;
  } catch (err) {
    await abort();
    throw err;
  }
}
