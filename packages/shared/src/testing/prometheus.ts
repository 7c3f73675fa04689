/**
 * A real Prometheus for integration tests: Debian's `prometheus` (2.42) on a free loopback port,
 * with its own temporary directory (config, TSDB, log), scraping the given targets every second.
 *
 *     import { afterAll, beforeAll, describe } from '@jest/globals';
 *     import { needsPrometheus, startPrometheus, type TestPrometheus } from '@release-actions/shared/testing';
 *
 *     describe('…', { skip: needsPrometheus() }, () => {
 *       let prom: TestPrometheus;
 *       beforeAll(async () => {
 *         prom = await startPrometheus({ scrapeTargets: ['127.0.0.1:8080'] });
 *       });
 *       afterAll(() => prom?.stop());
 *     });
 *
 * Register `after(() => prom?.stop())` right after starting, so Prometheus stops also when a test
 * fails. As with the registry harness, a Prometheus still running when the test process exits is
 * killed from an exit hook, and on Linux by the kernel if the test process dies by a signal
 * (`setpriv --pdeathsig`); the child is unreferenced and writes only to its own log file.
 *
 * Prometheus is ready in well under a second but applies its scrape targets on a 5 s tick, so the
 * first scrape comes about 5 s after start: call `waitForTargets()` before querying.
 *
 * Prometheus cannot report the port of `:0`, so the harness picks a free port (bind, read, close)
 * and starts again on another one if that port was taken in between.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable, HarnessError, pdeathsigPrefix, trackLeftover } from './process.ts';
import { waitForExit } from './service.ts';
import { toYaml } from './yaml.ts';

export interface PrometheusOptions {
  /** `host:port` of each endpoint to scrape (its `/metrics`), all in one job `app`. */
  scrapeTargets: readonly string[];
  /** Scrape (and rule evaluation) interval, as Prometheus writes durations; default `1s`. */
  scrapeInterval?: string;
  /** How long to wait for `/-/ready`; default 20 s. */
  startupTimeoutMs?: number;
  /** The Prometheus binary; default `prometheus` on PATH (or $PROMETHEUS_BIN). */
  binary?: string;
}

export interface TestPrometheus {
  /** `http://127.0.0.1:PORT`, the base URL for the HTTP API. */
  url: string;
  /** `127.0.0.1:PORT` */
  host: string;
  /** The temporary directory (config, TSDB, log); removed by stop(). */
  dir: string;
  configFile: string;
  logFile: string;
  pid: number;
  /** Resolves once every target has been scraped successfully at least `scrapes` times (default 1). */
  waitForTargets(options?: { scrapes?: number; timeoutMs?: number }): Promise<void>;
  /** The last `lines` lines of Prometheus's log (empty once stopped). */
  logTail(lines?: number): string;
  /** Writes logTail() to stderr with a header, for a failing test's diagnostics. */
  printLogTail(lines?: number): void;
  /** SIGTERM, SIGKILL after a short grace, then removes the directory. Safe to call twice. */
  stop(): Promise<void>;
}

const INSTALL_HINT = 'install prometheus (apt-get install prometheus)';

function binaryName(options: { binary?: string } = {}): string {
  return options.binary ?? process.env['PROMETHEUS_BIN'] ?? 'prometheus';
}

/**
 * A `skip` value for `describe`/`it`: false when Prometheus is installed, else why the test cannot
 * run. In CI (`CI` set), where `.ci/run` installs it, never a skip: the tests run and fail saying
 * what to install, so a missing install step cannot pass as a green run.
 */
export function needsPrometheus(
  options: { binary?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): string | false {
  const binary = binaryName(options);
  if (findExecutable(binary) || env['CI']) return false;
  return `${binary} not found on PATH: ${INSTALL_HINT}`;
}

function tailOf(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function getJson(url: string): Promise<{ status: number; body: unknown } | undefined> {
  return new Promise((resolve) => {
    const req = httpGet(url, { agent: false, timeout: 2000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts Prometheus scraping `scrapeTargets`; see the module comment for the stop pattern. */
export async function startPrometheus(options: PrometheusOptions): Promise<TestPrometheus> {
  const binary = binaryName(options);
  const binaryPath = findExecutable(binary);
  if (!binaryPath)
    throw new HarnessError(
      'SERVICE_MISSING',
      `cannot start Prometheus: ${binary} not found: ${INSTALL_HINT}`,
    );
  const interval = options.scrapeInterval ?? '1s';
  const timeoutMs = options.startupTimeoutMs ?? 20_000;

  const dir = await mkdtemp(join(tmpdir(), 'ra-prometheus-'));
  const leftover = trackLeftover({ pid: undefined, dir });
  const configFile = join(dir, 'prometheus.yml');
  const logFile = join(dir, 'prometheus.log');
  const dataDir = join(dir, 'data');
  let child: ChildProcess | undefined;

  const exited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;
  const kill = async (c: ChildProcess | undefined): Promise<void> => {
    if (c && !exited(c)) {
      c.kill('SIGTERM');
      if (!(await waitForExit(c, 3000))) {
        c.kill('SIGKILL');
        await waitForExit(c, 5000);
      }
    }
  };

  try {
    await mkdir(dataDir);
    await writeFile(
      configFile,
      toYaml({
        global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
        scrape_configs: [{ job_name: 'app', static_configs: [{ targets: [...options.scrapeTargets] }] }],
      }),
    );

    let host: string | undefined;
    let failure = '';
    for (let attempt = 1; attempt <= 3 && host === undefined; attempt++) {
      const port = await freePort();
      const candidate = `127.0.0.1:${port}`;
      const logFd = openSync(logFile, 'a');
      try {
        const argv = [
          ...(pdeathsigPrefix() ?? []),
          binaryPath,
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${dataDir}`,
          `--web.listen-address=${candidate}`,
          '--log.level=info',
        ];
        child = spawn(argv[0]!, argv.slice(1), { cwd: dir, stdio: ['ignore', logFd, logFd] });
      } finally {
        closeSync(logFd);
      }
      const started = child;
      started.unref();
      let spawnFailed: Error | undefined;
      started.once('error', (err) => (spawnFailed = err));
      if (started.pid !== undefined) leftover.update({ pid: started.pid });

      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (spawnFailed) {
          failure = `could not run ${binaryPath}: ${spawnFailed.message} (${INSTALL_HINT})`;
          break;
        }
        if (exited(started)) {
          failure = `prometheus exited (code ${started.exitCode ?? started.signalCode}) before it was ready`;
          break;
        }
        const answer = await getJson(`http://${candidate}/-/ready`);
        if (answer?.status === 200) {
          host = candidate;
          break;
        }
        await sleep(50);
      }
      if (host !== undefined) break;
      if (!failure) failure = `prometheus did not answer GET /-/ready within ${timeoutMs} ms`;
      const portTaken = /address already in use/i.test(tailOf(logFile, 20));
      await kill(started);
      if (!portTaken) break;
    }
    if (host === undefined || !child) {
      throw new HarnessError(
        'SERVICE_START',
        `${failure}; config ${configFile}; log tail:\n${tailOf(logFile, 40) || '(empty log)'}`,
      );
    }

    const started = child;
    const url = `http://${host}`;
    let stopping: Promise<void> | undefined;
    return {
      url,
      host,
      dir,
      configFile,
      logFile,
      pid: started.pid!,
      async waitForTargets({ scrapes = 1, timeoutMs: wait = 15_000 } = {}) {
        const deadline = Date.now() + wait;
        // A target's lastScrape changes once per scrape; count the changes per target.
        const seen = new Map<string, { last: string; count: number }>();
        let state = '';
        while (Date.now() < deadline) {
          const answer = await getJson(`${url}/api/v1/targets?state=active`);
          const targets = (
            answer?.body as {
              data?: {
                activeTargets?: Array<{
                  scrapeUrl: string;
                  health: string;
                  lastScrape: string;
                  lastError: string;
                }>;
              };
            }
          )?.data?.activeTargets;
          if (targets) {
            for (const t of targets) {
              if (t.health !== 'up') continue;
              const entry = seen.get(t.scrapeUrl);
              if (!entry) seen.set(t.scrapeUrl, { last: t.lastScrape, count: 1 });
              else if (entry.last !== t.lastScrape)
                seen.set(t.scrapeUrl, { last: t.lastScrape, count: entry.count + 1 });
            }
            state = targets
              .map((t) => `${t.scrapeUrl} ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`)
              .join('; ');
            if (
              targets.length === options.scrapeTargets.length &&
              targets.every((t) => (seen.get(t.scrapeUrl)?.count ?? 0) >= scrapes)
            )
              return;
          }
          await sleep(100);
        }
        throw new HarnessError(
          'SERVICE_START',
          `Prometheus did not scrape every target ${scrapes} times within ${wait} ms: ${state || 'no targets yet'}`,
        );
      },
      logTail: (lines = 50) => tailOf(logFile, lines),
      printLogTail(lines = 50) {
        process.stderr.write(
          `--- prometheus ${host} log (last ${lines} lines) ---\n${tailOf(logFile, lines)}\n---\n`,
        );
      },
      stop() {
        stopping ??= (async () => {
          await kill(started);
          await rm(dir, { recursive: true, force: true, maxRetries: 3 });
          leftover.release();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await kill(child);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    leftover.release();
    throw err;
  }
}
