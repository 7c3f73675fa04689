/**
 * bench/assemble: build-sign's `builder: assemble` side by side with `crane append`, in one run.
 *
 *   node bench/assemble/index.ts [--runs 3] [--files 5000] [--large-mb 40] [--large-count 3] [--quick]
 *
 * A loopback docker-registry holds a small base image (one gzip tar layer). Per content set, each
 * contender appends the same directory (`app/`) as one new layer at `/app` onto that base and
 * pushes the result to a fresh repository of the same registry (so both mount the base's layer):
 *
 * - **ours**: `bench/assemble/ours.ts`, a child process calling `assemble` as build-sign does
 *   (module load included), reading the directory itself: sorted tar with normalised modes, gzip by
 *   fflate (pure JavaScript, level 6, for the same bytes on every machine), streamed to the
 *   registry;
 * - **crane append**: go-containerregistry's `crane append -b <base> -f layer.tar -t <target>`
 *   (built by `npm run tools`). crane takes a tarball, so its side first runs GNU tar
 *   (`--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner`), timed apart: the table gives
 *   crane append alone and tar + crane append. crane gzips with Go's compress/gzip.
 *
 * Content sets: many small files (`--files`, 1–8 KiB of JavaScript-like text in 100 packages, like
 * node_modules) and a few large ones (`--large-count` × `--large-mb` of random data, which gzip
 * cannot shrink). Contenders alternate which goes first, run by run. Prints, per set, median
 * times, ours / crane (alone, and with tar), the compressed layer sizes, whether the two layers'
 * diff_ids agree (they need not: ours normalises modes and writes ustar/PAX headers, GNU tar its
 * own format and padding), peak RSS of both (`/usr/bin/time -v`; without it ours' own
 * `process.resourceUsage()` and none for crane), and whether every run of ours gave one digest.
 * Absolute times are noise on a shared machine; the ratios are the result.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { readBlob, RegistryClient, type ImageManifest } from '@release-actions/shared/oci';
import { pushTestImage, startRegistry, type TestRegistry } from '@release-actions/shared/testing';
import { referenceTool, TIME, timed } from '../tools.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    files: { type: 'string' },
    'large-mb': { type: 'string' },
    'large-count': { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
  },
});
const quick = values.quick;
// Two runs at least: the second is the reproducibility check.
const runs = Math.max(2, Number(values.runs ?? (quick ? 2 : 3)));
const smallFiles = Number(values.files ?? (quick ? 1000 : 5000));
const largeMb = Number(values['large-mb'] ?? (quick ? 10 : 40));
const largeCount = Number(values['large-count']);

const MB = 1024 * 1024;
const OURS = fileURLToPath(new URL('./ours.ts', import.meta.url));
const CRANE = referenceTool('crane');
const TAR_FLAGS = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner'];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (n: number) => `${n.toFixed(0)} ms`;
const mib = (n: number) => `${(n / MB).toFixed(2)} MiB`;

interface ContentSet {
  name: string;
  /** Holds `app/`, the directory both contenders append. */
  context: string;
  files: number;
  bytes: number;
}

interface OursSample {
  /** Process start to exit. */
  ms: number;
  /** The `assemble` call alone, timed inside the child. */
  libraryMs: number;
  digest: string;
  layerDigest: string;
  layerSize: number;
  diffId: string;
  tarSize: number;
  rssKb?: number;
}

interface CraneSample {
  tarMs: number;
  craneMs: number;
  layerSize: number;
  diffId: string;
  tarSize: number;
  rssKb?: number;
  /** Level 6 alone on the same tar file (first run only), in C: GNU gzip -6 to /dev/null, Node's zlib in memory. */
  gzip6Ms?: number;
  zlib6Ms?: number;
}

/** Deterministic PRNG (xorshift32), so the small set is the same text on every run and machine. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

const WORDS =
  'const let var function return if else for while module exports require this that value key name index length push map filter reduce object array string number undefined null true false async await new class extends import from default throw catch try'.split(
    ' ',
  );

/** JavaScript-like text of `size` bytes: compresses about as well as node_modules does. */
function sourceText(size: number, random: () => number): Buffer {
  let text = '';
  while (text.length < size) {
    const word = WORDS[Math.floor(random() * WORDS.length)]!;
    const sep = random() < 0.12 ? ';\n' : random() < 0.2 ? `(${Math.floor(random() * 1000)}) ` : ' ';
    text += word + sep;
  }
  return Buffer.from(text.slice(0, size));
}

async function makeSmall(root: string, count: number): Promise<ContentSet> {
  const context = join(root, 'small');
  const random = prng(20_260_101);
  let bytes = 0;
  const packages = 100;
  for (let i = 0; i < count; i++) {
    const dir = join(
      context,
      'app',
      'node_modules',
      `pkg-${i % packages}`,
      'lib',
      `d${Math.floor(i / 1000)}`,
    );
    await mkdir(dir, { recursive: true });
    const size = 1024 + Math.floor(random() * 7 * 1024);
    await writeFile(join(dir, `file-${i}.js`), sourceText(size, random));
    bytes += size;
  }
  return { name: `${count} small files (1–8 KiB, text)`, context, files: count, bytes };
}

async function makeLarge(root: string, count: number, sizeMb: number): Promise<ContentSet> {
  const context = join(root, 'large');
  await mkdir(join(context, 'app', 'data'), { recursive: true });
  for (let i = 0; i < count; i++)
    await writeFile(join(context, 'app', 'data', `blob-${i}.bin`), randomBytes(sizeMb * MB));
  return {
    name: `${count} × ${sizeMb} MiB random (incompressible)`,
    context,
    files: count,
    bytes: count * sizeMb * MB,
  };
}

async function ours(set: ContentSet, registry: TestRegistry, repository: string): Promise<OursSample> {
  const r = await timed(process.execPath, [OURS, set.context, registry.host, 'bench/base:1', repository]);
  const line = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
    ms: number;
    digest: string;
    layerDigest: string;
    layerSize: number;
    diffId: string;
    tarSize: number;
    maxRssKb: number;
  };
  return {
    ms: r.ms,
    libraryMs: line.ms,
    digest: line.digest,
    layerDigest: line.layerDigest,
    layerSize: line.layerSize,
    diffId: line.diffId,
    tarSize: line.tarSize,
    rssKb: r.rssKb ?? line.maxRssKb,
  };
}

async function crane(
  set: ContentSet,
  registry: TestRegistry,
  repository: string,
  scratch: string,
  withGzip6: boolean,
): Promise<CraneSample> {
  const tarball = join(scratch, 'layer.tar');
  const tar = await timed('tar', [...TAR_FLAGS, '-cf', tarball, '-C', set.context, 'app']);
  const env = { ...process.env, DOCKER_CONFIG: join(scratch, 'no-docker-config') };
  const c = await timed(
    CRANE!,
    [
      'append',
      '-b',
      `${registry.host}/bench/base:1`,
      '-f',
      tarball,
      '-t',
      `${registry.host}/${repository}:v1`,
    ],
    env,
  );
  const tarSize = (await stat(tarball)).size;
  const gzip6 = withGzip6 ? await timed('sh', ['-c', 'gzip -6 -n -c "$0" > /dev/null', tarball]) : undefined;
  let zlib6Ms: number | undefined;
  if (withGzip6) {
    const bytes = await readFile(tarball);
    const start = performance.now();
    gzipSync(bytes, { level: 6 });
    zlib6Ms = performance.now() - start;
  }
  await rm(tarball, { force: true });
  // What crane pushed: its last layer and that layer's diff_id, read back from the registry.
  const client = new RegistryClient();
  try {
    const repo = client.repository({ registry: registry.host, repository });
    const manifest = (await repo.getManifest('v1')).manifest as ImageManifest;
    const config = JSON.parse((await readBlob(repo, manifest.config)).toString('utf8')) as {
      rootfs: { diff_ids: string[] };
    };
    return {
      tarMs: tar.ms,
      craneMs: c.ms,
      layerSize: manifest.layers.at(-1)!.size,
      diffId: config.rootfs.diff_ids.at(-1)!,
      tarSize,
      ...(gzip6 && { gzip6Ms: gzip6.ms, zlib6Ms }),
      ...(c.rssKb !== undefined && { rssKb: c.rssKb }),
    };
  } finally {
    await client.http.close();
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'bench-assemble-'));
  const registry = await startRegistry();
  try {
    await pushTestImage(registry.url, 'bench/base', {
      tag: '1',
      layers: [{ files: { 'etc/os-release': 'ID=bench\n', 'bin/sh': 'not a shell\n' } }],
    });
    process.stdout.write('making the content sets… ');
    const sets = [await makeSmall(root, smallFiles), await makeLarge(root, largeCount, largeMb)];
    console.log('done');
    console.log(
      `node ${process.version}, ${runs} runs per set, ${TIME ? '/usr/bin/time -v' : 'process.resourceUsage() (ours only)'} for peak RSS${CRANE ? '' : '; crane not built, ours alone'}`,
    );

    const results: Array<{ set: ContentSet; ours: OursSample[]; crane: CraneSample[] }> = [];
    for (const set of sets) {
      const o: OursSample[] = [];
      const c: CraneSample[] = [];
      for (let i = 1; i <= runs; i++) {
        // Alternate which goes first, so neither always meets the colder page cache.
        const order = i % 2 === 1 || !CRANE ? ['ours', 'crane'] : ['crane', 'ours'];
        for (const who of order) {
          if (who === 'ours') {
            const s = await ours(set, registry, `bench/ours-${set.files}-${i}`);
            o.push(s);
            console.log(
              `${set.name}, run ${i}, ours: ${ms(s.ms)} (assemble call ${ms(s.libraryMs)}), ${s.digest}`,
            );
          } else if (CRANE) {
            const s = await crane(set, registry, `bench/crane-${set.files}-${i}`, root, i === 1);
            c.push(s);
            console.log(`${set.name}, run ${i}, crane: tar ${ms(s.tarMs)} + crane append ${ms(s.craneMs)}`);
          }
        }
      }
      results.push({ set, ours: o, crane: c });
    }

    console.log(`\n${runs} runs per set, medians:\n`);
    console.log(
      '| content | ours | ours (assemble call) | tar | crane append | tar + crane append | ours / crane append | ours / (tar + crane append) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of results) {
      const oMs = median(r.ours.map((s) => s.ms));
      const lib = median(r.ours.map((s) => s.libraryMs));
      if (r.crane.length === 0) {
        console.log(`| ${r.set.name} | ${ms(oMs)} | ${ms(lib)} | — | — | — | — | — |`);
        continue;
      }
      const tar = median(r.crane.map((s) => s.tarMs));
      const alone = median(r.crane.map((s) => s.craneMs));
      const both = median(r.crane.map((s) => s.tarMs + s.craneMs));
      console.log(
        `| ${r.set.name} | ${ms(oMs)} | ${ms(lib)} | ${ms(tar)} | ${ms(alone)} | ${ms(both)} | ${(oMs / alone).toFixed(2)}× | ${(oMs / both).toFixed(2)}× |`,
      );
    }

    console.log('\n| content | contender | tar | layer (gzip) | diff_id | peak RSS |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const r of results) {
      const o = r.ours[0]!;
      const rss = (kb: number | undefined) => (kb === undefined ? '—' : `${(kb / 1024).toFixed(0)} MiB`);
      console.log(
        `| ${r.set.name} | ours | ${mib(o.tarSize)} | ${mib(o.layerSize)} | ${o.diffId.slice(0, 19)}… | ${rss(median(r.ours.map((s) => s.rssKb ?? 0)))} |`,
      );
      const c = r.crane[0];
      if (c)
        console.log(
          `| ${r.set.name} | crane append (GNU tar's file) | ${mib(c.tarSize)} | ${mib(c.layerSize)} | ${c.diffId.slice(0, 19)}… | ${TIME ? rss(median(r.crane.map((s) => s.rssKb ?? 0))) : '— (no /usr/bin/time)'} |`,
        );
    }

    console.log('');
    for (const r of results) {
      const digests = new Set(r.ours.map((s) => s.digest));
      const diffIds = new Set(r.crane.map((s) => s.diffId));
      const c = r.crane[0];
      console.log(
        `- ${r.set.name}: ours reproducible: ${digests.size === 1 ? `yes, ${r.ours.length} runs gave ${[...digests][0]} (layer ${r.ours[0]!.layerDigest})` : `NO, ${digests.size} digests in ${r.ours.length} runs: ${[...digests].join(', ')}`}` +
          (c
            ? `; same diff_id as crane's layer: ${c.diffId === r.ours[0]!.diffId ? 'yes' : 'no'}` +
              (diffIds.size === 1 ? '' : ` (crane's runs gave ${diffIds.size} diff_ids)`) +
              `; layer size ours / crane ${(r.ours[0]!.layerSize / c.layerSize).toFixed(3)}×`
            : ''),
      );
    }
    console.log('');
    for (const r of results) {
      const gzip6 = r.crane[0]?.gzip6Ms;
      const zlib6 = r.crane[0]?.zlib6Ms;
      const lib = median(r.ours.map((s) => s.libraryMs));
      const tarMb = r.ours[0]!.tarSize / 1e6;
      console.log(
        `- ${r.set.name}: ours ${(tarMb / (lib / 1000)).toFixed(1)} MB of tar a second (assemble call)` +
          (gzip6 === undefined
            ? ''
            : `; level 6 alone on the same tar: GNU gzip -6 ${ms(gzip6)} (${(tarMb / (gzip6 / 1000)).toFixed(1)} MB/s), Node's zlib ${ms(zlib6!)} (${(tarMb / (zlib6! / 1000)).toFixed(1)} MB/s)`),
      );
    }
    console.log(
      "\nWhat each side does. Ours reads the directory itself (sorted, modes normalised, ustar with PAX only where needed) and gzips with fflate in 128 KiB blocks on worker threads (pigz's scheme: the same bytes for any number of cores): pure JavaScript at level 6, chosen because it gives the same bytes on every machine (Node's bundled zlib does not: its output changes with the CPU's features), and slower than zlib at the same level (the lines above: Node's zlib alone on the same tar). The large set is mostly that cost. crane append is given GNU tar's file and gzips it with Go's compress/gzip at level 1 (BestSpeed, go-containerregistry's default for a tarball layer): it compresses the file twice (once for the digest before the push, once for the upload) and reads it a third time for the diff_id; level 1 is why its text layer is larger.",
    );
  } finally {
    await registry.stop();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
