/**
 * Benchmark of issue 3: 20 loopback endpoints that each answer in about 200 ms, probed
 *  - by the probe engine in this process (all at once),
 *  - by the committed action bundle, run as the runner runs it (a Node 24 process, INPUT_* vars),
 *  - by a sequential curl loop, the way curl-wrapping health-check actions work,
 * each against the slowest single endpoint probed alone. Goal: the action's wall time ≤ 1.5× the
 * slowest endpoint.
 *
 *   node bench/health-check/index.ts [--endpoints 20] [--delay-ms 200] [--runs 5]
 *
 * Everything stays on 127.0.0.1; every loop is bounded by --runs.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createProbeClient,
  parseStatusSet,
  probe,
  probeAll,
  type ProbeOptions,
} from '@release-actions/shared/probe';

const { values: args } = parseArgs({
  options: {
    endpoints: { type: 'string', default: '20' },
    'delay-ms': { type: 'string', default: '200' },
    runs: { type: 'string', default: '5' },
  },
});
const ENDPOINTS = Number(args.endpoints);
const DELAY_MS = Number(args['delay-ms']);
const RUNS = Math.min(20, Math.max(1, Number(args.runs)));
const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../actions/health-check/dist/index.js');

function ratio(time: number, base: number): string {
  return `${(time / base).toFixed(2)}×`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function medianOf(fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await timed(fn));
  return median(samples);
}

function run(file: string, argv: string[], env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((done, fail) => {
    execFile(file, argv, { env, timeout: 120_000 }, (err, stdout, stderr) =>
      err ? fail(new Error(`${file} failed: ${err.message}\n${stdout}${stderr}`)) : done(),
    );
  });
}

// 20 endpoints, each answering after DELAY_MS.
const servers = await Promise.all(
  Array.from({ length: ENDPOINTS }, async () => {
    const server = http.createServer((_req, res) => {
      setTimeout(() => res.end('{"status":"UP"}'), DELAY_MS);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return server;
  }),
);
const urls = servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/health`);
const dir = mkdtempSync(join(tmpdir(), 'bench-health-check-'));

const options: ProbeOptions = {
  method: 'GET',
  expect: { status: parseStatusSet('200') },
  timeoutMs: 10_000,
  maxAttempts: 1,
  consecutiveSuccesses: 1,
  retry: { intervalMs: 0, backoff: 'constant', maxIntervalMs: 0 },
  followRedirects: false,
};

function actionEnv(list: string[]): NodeJS.ProcessEnv {
  const output = join(dir, 'output');
  const summary = join(dir, 'summary.md');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  return {
    PATH: process.env.PATH,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    INPUT_URL: list.join('\n'),
    'INPUT_MAX-ATTEMPTS': '1',
  };
}

const curlLoop = (list: string[]) =>
  run('bash', [
    '-c',
    'for u in "$@"; do curl -fsS --max-time 10 -o /dev/null "$u" || exit 1; done',
    'curl-loop',
    ...list,
  ]);

const client = createProbeClient();
try {
  // Warm up (JIT, first connection) so that no row pays for it alone.
  await probeAll(urls, options, { client });

  const singles: number[] = [];
  for (const url of urls) singles.push(await medianOf(() => probe(url, options, { client })));
  const slowest = Math.max(...singles);

  const engine = await medianOf(async () => {
    const results = await probeAll(urls, options, { client });
    if (!results.every((r) => r.healthy)) throw new Error('an endpoint was unhealthy');
  });
  const actionOne = await medianOf(() => run(process.execPath, [DIST], actionEnv(urls.slice(0, 1))));
  const actionAll = await medianOf(() => run(process.execPath, [DIST], actionEnv(urls)));
  const curlOne = await medianOf(() => curlLoop(urls.slice(0, 1)));
  const curlAll = await medianOf(() => curlLoop(urls));

  const rows: Array<[string, number, string]> = [
    ['slowest single endpoint, probe engine', slowest, ratio(slowest, slowest)],
    [`probe engine, ${ENDPOINTS} URLs concurrently`, engine, ratio(engine, slowest)],
    ['action dist/index.js, 1 URL (Node start incl.)', actionOne, ratio(actionOne, slowest)],
    [`action dist/index.js, ${ENDPOINTS} URLs`, actionAll, ratio(actionAll, slowest)],
    ['curl, 1 URL', curlOne, ratio(curlOne, slowest)],
    [`sequential curl loop, ${ENDPOINTS} URLs`, curlAll, ratio(curlAll, slowest)],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(
    `health-check benchmark: ${ENDPOINTS} loopback endpoints answering in ${DELAY_MS} ms, ` +
      `median of ${RUNS} runs, Node ${process.version}\n`,
  );
  console.log(`| ${'what'.padEnd(width)} | wall time | ÷ slowest single |`);
  console.log(`| ${'-'.repeat(width)} | --------: | ---------------: |`);
  for (const [what, time, r] of rows)
    console.log(`| ${what.padEnd(width)} | ${`${Math.round(time)} ms`.padStart(9)} | ${r.padStart(16)} |`);
  const verdict = (x: number) => `${x.toFixed(2)}× (goal ≤ 1.5×: ${x <= 1.5 ? 'met' : 'NOT met'})`;
  console.log(`
probe engine, ${ENDPOINTS} URLs ÷ slowest single endpoint: ${verdict(engine / slowest)}
action, ${ENDPOINTS} URLs ÷ action, 1 URL:               ${verdict(actionAll / actionOne)}
action, ${ENDPOINTS} URLs ÷ slowest single endpoint:      ${(actionAll / slowest).toFixed(2)}× (a fixed ≈ ${Math.round(actionOne - slowest)} ms is Node start and bundle load)
sequential curl loop ÷ action, ${ENDPOINTS} URLs:         ${(curlAll / actionAll).toFixed(1)}× slower`);
} finally {
  await client.close();
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
}
