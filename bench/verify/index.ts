/**
 * Benchmark of issue 5: process start to verdict for a key-signed image on a loopback
 * docker-registry, run through the committed verify-image bundle as the runner runs it (a Node 24
 * process, INPUT_* variables, GITHUB_OUTPUT). Goal: median under 0.3 s. The parts:
 *
 *  - start-up: the same bundle with no image given, which stops at input validation before any
 *    request (process start, bundle load, input parsing);
 *  - network: in this process, the registry requests verification makes (resolve the tag, read the
 *    `.sig` image and the referrers), on a warm connection;
 *  - crypto: in this process, verifying the candidates found (ECDSA P-256, payload checks).
 *
 * Beside it, in the same run, `cosign verify --key` (v3 and v2, built by `npm run tools`; left out,
 * saying so, when not built) on the same image, process start to verdict, key and no log as
 * docs/signing.md says, each reading the bundle referrer (cosign's choice when the image has one)
 * and, for v3, the legacy `.sig` alone (`--new-bundle-format=false`); the table gives ours / cosign.
 *
 *   node bench/verify/index.ts [--runs 9]
 *
 * Everything stays on 127.0.0.1; every loop is bounded by --runs.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HttpClient } from '@release-actions/shared';
import { RegistryClient } from '@release-actions/shared/oci';
import { createKeySigner, publicKeyToPem, signImage } from '@release-actions/shared/sign';
import { startRecordingProxy, startRegistry } from '@release-actions/shared/testing';
import {
  findLegacy,
  findReferrerBundles,
  trustedKeys,
  verifyCandidate,
  verifyImage,
} from '@release-actions/shared/verify';
import { makeImage, push } from '../../__tests__/images.ts';
import { referenceTool } from '../tools.ts';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '9' } } });
const RUNS = Math.min(30, Math.max(1, Number(args.runs)));
const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../actions/verify-image/dist/index.js');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function medianOf(fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

const ms = (n: number) => `${n.toFixed(1)} ms`.padStart(10);

const dir = mkdtempSync(join(tmpdir(), 'bench-verify-'));
const registry = await startRegistry();
const http = new HttpClient();
try {
  const client = new RegistryClient({ http });
  const ref = { registry: registry.host, repository: 'bench/app' };
  const store = client.repository(ref);
  const digest = (await push(store, makeImage({ layers: [1024, 4096] }), 'v1')).digest;
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await signImage({ store, image: ref, digest, signer: createKeySigner(key), format: 'both' });
  const pem = publicKeyToPem(key.publicKey);

  /** Runs the bundle as the runner does; resolves with its outputs. */
  const action = (inputs: Record<string, string>, expectFailure = false) =>
    new Promise<string>((done, fail) => {
      const output = join(dir, 'output');
      writeFileSync(output, '');
      const env: Record<string, string> = { PATH: process.env.PATH ?? '', GITHUB_OUTPUT: output };
      for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
      execFile(process.execPath, [DIST], { env, timeout: 60_000 }, (err, stdout, stderr) => {
        if (Boolean(err) !== expectFailure)
          fail(new Error(`unexpected exit: ${err?.message}\n${stdout}${stderr}`));
        else done(readFileSync(output, 'utf8'));
      });
    });
  const inputs = { image: `${registry.host}/bench/app:v1`, 'expected-digest': digest, key: pem };

  // The verdict must be right before it is timed.
  const outputs = await action(inputs);
  if (!/verified<<\S+\ntrue\n/.test(outputs)) throw new Error(`the action did not verify:\n${outputs}`);

  const total = await medianOf(() => action(inputs));
  const startup = await medianOf(() => action({ key: pem }, true));

  // cosign verify --key, process start to verdict, on the same image (checked right first).
  const keyFile = join(dir, 'cosign.pub');
  writeFileSync(keyFile, pem);
  const cosignEnv = {
    ...process.env,
    TUF_ROOT: join(dir, 'tuf'),
    DOCKER_CONFIG: join(dir, 'docker'),
    HOME: dir,
  };
  const cosign = (binary: string, args: string[]) =>
    new Promise<void>((done, fail) => {
      execFile(binary, args, { env: cosignEnv, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) fail(new Error(`${binary} ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`));
        else done();
      });
    });
  const image = `${registry.host}/bench/app@${digest}`;
  const peers: Array<{ label: string; ms: number }> = [];
  // cosign v2 wants a trusted root to read bundles even by key; an empty one keeps TUF out of it
  const emptyRoot = join(dir, 'empty-trusted-root.json');
  writeFileSync(
    emptyRoot,
    JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }),
  );
  for (const [label, name, extra] of [
    ['cosign v3 verify --key (bundle)', 'cosign', []],
    ['cosign v3 verify --key (legacy .sig)', 'cosign', ['--new-bundle-format=false']],
    ['cosign v2 verify --key (bundle)', 'cosign-v2', ['--trusted-root', emptyRoot]],
  ] as const) {
    const binary = referenceTool(name);
    if (!binary) continue;
    const args = ['verify', '--key', keyFile, '--insecure-ignore-tlog', ...extra, image];
    await cosign(binary, args);
    peers.push({ label, ms: await medianOf(() => cosign(binary, args)) });
  }

  // In-process parts on a warm client.
  const trust = { kind: 'keys' as const, keys: trustedKeys({ kind: 'keys', keys: [pem] }) };
  await verifyImage({ store, reference: 'v1', policy: { trust: { kind: 'keys', keys: [pem] } } });
  let found: Awaited<ReturnType<typeof findLegacy>>[] = [];
  const network = await medianOf(async () => {
    const d = (await store.resolve('v1'))!.digest;
    found = await Promise.all([findLegacy(store, d, 'sig'), findReferrerBundles(store, d)]);
  });
  const candidates = found.flatMap((f) => f.candidates);
  const now = new Date();
  const crypto = await medianOf(async () => {
    for (const c of candidates) verifyCandidate(c, trust, now);
  });
  const inProcess = await medianOf(() =>
    verifyImage({ store, reference: 'v1', policy: { trust: { kind: 'keys', keys: [pem] } } }),
  );

  // Requests one verification makes, counted through a recording proxy.
  const proxy = await startRecordingProxy(registry.url);
  const viaProxy = new RegistryClient({ http: new HttpClient() });
  await verifyImage({
    store: viaProxy.repository({ registry: proxy.host, repository: 'bench/app' }),
    reference: 'v1',
    policy: { trust: { kind: 'keys', keys: [pem] } },
  });
  const requests = proxy.requests.map(
    (r) => `${r.method} ${r.path.replace(/sha256[-:]([0-9a-f]{8})[0-9a-f]{56}/g, 'sha256:$1…')}`,
  );
  await viaProxy.http.close();
  await proxy.stop();

  console.log(
    `verify-image benchmark: key-signed image (legacy .sig + bundle referrer), loopback docker-registry, ${RUNS} runs, medians`,
  );
  console.log(
    `  process start → verdict (bundled action) ${ms(total)}   goal < 300 ms: ${total < 300 ? 'met' : 'NOT met'}`,
  );
  console.log(`    start-up (node + bundle + inputs)    ${ms(startup)}`);
  console.log(`    network (${requests.length} requests, in-process)    ${ms(network)}`);
  console.log(`    crypto (${candidates.length} signatures, in-process)    ${ms(crypto)}`);
  console.log(
    `    rest (connections, auth ping, output) ${ms(Math.max(0, total - startup - network - crypto))}`,
  );
  console.log(`  verifyImage in-process, warm client    ${ms(inProcess)}`);
  console.log(`  requests: ${requests.join(', ')}`);
  if (peers.length > 0) {
    console.log('\n| process start → verdict | median | verify-image time / its time |');
    console.log('| --- | --- | --- |');
    console.log(`| verify-image (bundled action) | ${total.toFixed(0)} ms | 1.00× |`);
    for (const p of peers)
      console.log(`| ${p.label} | ${p.ms.toFixed(0)} ms | ${(total / p.ms).toFixed(2)}× |`);
  }
} finally {
  await http.close();
  await registry.stop();
  rmSync(dir, { recursive: true, force: true });
}
