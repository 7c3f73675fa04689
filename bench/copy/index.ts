/**
 * bench/copy: our digest-preserving copy side by side with `skopeo copy`, in one run.
 *
 *   node bench/copy/index.ts [--size-mb 200] [--layers 5] [--rounds 3]
 *
 * Two loopback docker-registry instances, each behind a recording proxy that counts the bytes
 * clients send. An image of about --size-mb (gzip layers of random data) is pushed once; then, in
 * alternating rounds, each tool copies it (1) to another repository of the same registry, where
 * mounts should make bytes sent independent of image size, and (2) to a fresh second registry. Prints
 * the median time, bytes sent to the target, and the ratios to skopeo and to `crane copy`
 * (go-containerregistry's, built by `npm run tools`; left out, saying so, when not built). The image is signed by key,
 * and the committed promote action (which verifies it, then copies it with its signatures) runs as
 * a fourth contender: a promotion should cost what a copy costs. Absolute times are noise
 * on a shared machine; the ratios are the result. Both tools run as child processes, so neither
 * shares a thread with the proxies that count their bytes.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { copyImage, digestOf, MediaType, RegistryClient, type Descriptor } from '@release-actions/shared/oci';
import { createKeySigner, publicKeyToPem, signImage } from '@release-actions/shared/sign';
import { startRecordingProxy, startRegistry, type RecordingProxy } from '@release-actions/shared/testing';
import { referenceTool } from '../tools.ts';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '200' },
    layers: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
  },
});
const sizeMb = Number(values['size-mb']);
const layerCount = Number(values.layers);
const rounds = Number(values.rounds);

interface Sample {
  ms: number;
  bytesSent: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  const a = await startRegistry();
  const pa = await startRecordingProxy(a.url);
  try {
    const setup = new RegistryClient();
    const source = setup.repository({ registry: pa.host, repository: 'bench/source' });
    process.stdout.write(`building a ${sizeMb} MB image in ${layerCount} gzip layers… `);
    const layers: Descriptor[] = [];
    for (let i = 0; i < layerCount; i++) {
      const bytes = gzipSync(randomBytes(Math.round((sizeMb * 1024 * 1024) / layerCount)), { level: 1 });
      const descriptor = { mediaType: MediaType.OciLayerGzip, digest: digestOf(bytes), size: bytes.length };
      await source.putBlob(descriptor, bytes);
      layers.push(descriptor);
    }
    const configBytes = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      }),
    );
    const config = {
      mediaType: MediaType.OciConfig,
      digest: digestOf(configBytes),
      size: configBytes.length,
    };
    await source.putBlob(config, configBytes);
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers }),
    );
    const pushed = await source.putManifest(manifest, MediaType.OciManifest, 'v1');
    // Signed by key, so the promote action (which verifies first) can run on it.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    publicKeyPem = publicKeyToPem(publicKey);
    await signImage({
      store: source,
      image: { registry: pa.host, repository: 'bench/source' },
      digest: pushed.digest,
      signer: createKeySigner({ privateKey, publicKey }),
      format: 'both',
    });
    await setup.http.close();
    bundle = await bundleOurs();
    const total = layers.reduce((s, l) => s + l.size, 0);
    console.log(`done (${mb(total)}, ${digestOf(manifest)})`);

    // Within a registry the same instance serves every round (as a real registry would, and as
    // skopeo's blob-info cache then knows it). Across registries each copy gets a fresh target
    // instance: otherwise a later copy could mount what an earlier one left there. Across
    // registries the source is read directly, so only the target's proxy carries the bytes (the
    // proxies share this process's one thread; two in the path would make them the bottleneck).
    const scenarios = ['same registry', 'across registries'] as const;
    const tools = (Object.keys(TOOLS) as Tool[]).filter((t) => t !== 'crane' || CRANE);
    const samples = new Map<string, Sample[]>();
    for (let round = 1; round <= rounds; round++) {
      for (const scenario of scenarios) {
        // Rotate which tool goes first, so none always meets a cold or a warm page cache.
        const order = tools.map((_, k) => tools[(k + round) % tools.length]!);
        for (const tool of order) {
          const repository = `bench/${tool}-${round}`;
          const fresh = scenario === 'same registry' ? undefined : await startRegistry();
          const target = fresh ? await startRecordingProxy(fresh.url) : pa;
          try {
            const sample = await measure(target, () =>
              TOOLS[tool].copy(fresh ? a.host : pa.host, target.host, repository),
            );
            const key = `${scenario}/${tool}`;
            samples.set(key, [...(samples.get(key) ?? []), sample]);
            console.log(
              `round ${round}, ${scenario}, ${tool}: ${sample.ms.toFixed(0)} ms, ${sample.bytesSent} bytes sent`,
            );
          } finally {
            if (fresh) {
              await target.stop();
              await fresh.stop();
            }
          }
        }
      }
    }

    console.log(`\n${rounds} rounds, ${mb(total)} image, medians:\n`);
    console.log(
      '| scenario | tool | time | bytes sent to target | time / skopeo | throughput / skopeo | time / crane | throughput / crane |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const scenario of scenarios) {
      const skopeo = median(samples.get(`${scenario}/skopeo`)!.map((x) => x.ms));
      const crane = CRANE ? median(samples.get(`${scenario}/crane`)!.map((x) => x.ms)) : undefined;
      for (const tool of tools) {
        const runs = samples.get(`${scenario}/${tool}`)!;
        const ms = median(runs.map((x) => x.ms));
        const bytes = median(runs.map((x) => x.bytesSent));
        const toCrane = crane ? `${(ms / crane).toFixed(2)}× | ${(crane / ms).toFixed(2)}×` : '— | —';
        console.log(
          `| ${scenario} | ${TOOLS[tool].label} | ${ms.toFixed(0)} ms | ${bytes} B | ${(ms / skopeo).toFixed(2)}× | ${(skopeo / ms).toFixed(2)}× | ${toCrane} |`,
        );
      }
    }
  } finally {
    await pa.stop();
    await a.stop();
  }
}

type Tool = 'ours' | 'ours-library' | 'promote' | 'skopeo' | 'crane';
const TOOLS: Record<
  Tool,
  { label: string; copy: (source: string, target: string, repository: string) => Promise<void> }
> = {
  ours: { label: 'ours (action process: ncc bundle on Node 24)', copy: copyOurs },
  'ours-library': { label: 'ours (library call in this process)', copy: copyOursInProcess },
  promote: { label: 'actions/promote (verify by key, copy with signatures, tag)', copy: promoteAction },
  skopeo: { label: 'skopeo copy', copy: copySkopeo },
  crane: { label: 'crane copy', copy: copyCrane },
};

/** go-containerregistry's crane, built by `npm run tools` (undefined: left out of the table). */
const CRANE = referenceTool('crane');

/** Times one copy and counts the request-body bytes the target's proxy received. */
async function measure(proxy: RecordingProxy, copy: () => Promise<void>): Promise<Sample> {
  proxy.reset();
  const started = performance.now();
  await copy();
  const ms = performance.now() - started;
  const bytesSent = proxy.requests.reduce((sum, r) => sum + r.bytesIn, 0);
  return { ms, bytesSent };
}

/** Our copy as an action runs it: one ncc bundle on Node 24, built once before the rounds. */
let bundle: string | undefined;
async function bundleOurs(): Promise<string> {
  const out = fileURLToPath(new URL('../.work/copy-ours', import.meta.url));
  const ncc = fileURLToPath(new URL('../../node_modules/@vercel/ncc/dist/ncc/cli.js', import.meta.url));
  await run(process.execPath, [
    ncc,
    'build',
    fileURLToPath(new URL('./ours.ts', import.meta.url)),
    '-o',
    out,
    '-q',
  ]);
  return `${out}/index.js`;
}

async function copyOurs(sourceHost: string, targetHost: string, repository: string): Promise<void> {
  bundle ??= await bundleOurs();
  await run(process.execPath, [bundle, `${sourceHost}/bench/source:v1`, `${targetHost}/${repository}:v1`]);
}

/** The library call alone, without a process start (it shares this process with the proxies). */
async function copyOursInProcess(sourceHost: string, targetHost: string, repository: string): Promise<void> {
  const client = new RegistryClient();
  try {
    await copyImage(
      client.repository({ registry: sourceHost, repository: 'bench/source' }),
      'v1',
      client.repository({ registry: targetHost, repository }),
      { tags: ['v1'] },
    );
  } finally {
    await client.http.close();
  }
}

/** The committed promote action, run as the runner runs it: verification included. */
let publicKeyPem = '';
async function promoteAction(sourceHost: string, targetHost: string, repository: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-promote-'));
  try {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      GITHUB_OUTPUT: join(dir, 'output'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary'),
      INPUT_SOURCE: `${sourceHost}/bench/source:v1`,
      INPUT_TARGET: `${targetHost}/${repository}`,
      INPUT_TAGS: 'v1',
      INPUT_KEY: publicKeyPem,
    };
    await Promise.all([writeFile(env.GITHUB_OUTPUT!, ''), writeFile(env.GITHUB_STEP_SUMMARY!, '')]);
    await run(
      process.execPath,
      [fileURLToPath(new URL('../../actions/promote/dist/index.js', import.meta.url))],
      { env },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function copySkopeo(sourceHost: string, targetHost: string, repository: string): Promise<void> {
  await run('skopeo', [
    'copy',
    '--quiet',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    `docker://${sourceHost}/bench/source:v1`,
    `docker://${targetHost}/${repository}:v1`,
  ]);
}

/**
 * `crane copy`: go-containerregistry's digest-preserving copy (127.0.0.1 is spoken to over plain
 * HTTP without a flag; within a registry it mounts the blobs, across it streams them).
 */
async function copyCrane(sourceHost: string, targetHost: string, repository: string): Promise<void> {
  await run(CRANE!, ['copy', `${sourceHost}/bench/source:v1`, `${targetHost}/${repository}:v1`], {
    env: { ...process.env, DOCKER_CONFIG: join(tmpdir(), 'bench-copy-no-docker-config') },
  });
}

await main();
