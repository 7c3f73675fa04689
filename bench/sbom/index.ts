/**
 * bench/sbom: our SBOM generation side by side with the floor of reading the same layers, in one run.
 *
 *   node bench/sbom/index.ts [--sizes 150,400] [--rounds 3] [--layer-mb 50] [--source layout,registry] [--keep]
 *
 * `--keep` leaves the OCI layouts in place (their paths are printed) for profiling, e.g.
 * `node --cpu-prof bench/sbom/ours.ts oci-layout:<dir>:v1`.
 *
 * For each size (MB of uncompressed tar), builds an image (not timed) of gzip layers (level 6, as
 * docker and buildah write them) holding package databases (a dpkg status with its copyright
 * files, node_modules package.json files, Python dist-info METADATA) among thousands of ordinary
 * files with random contents (two thirds hex text, which gzip halves, one third random bytes), and
 * stores it in an OCI layout and on a loopback docker-registry. `--bin-share` (default 0.3) of the
 * ordinary files are executables under `usr/bin/`, which the Go binary cataloger searches, and the
 * first layer carries this machine's own Go programs (`/usr/bin/docker-registry`, `skopeo`,
 * `buildah` where installed) so it finds real build info. Then, in alternating order per round:
 *
 * - **ours**: `bench/sbom/ours.ts`, a child process running `generateSbom({ image })` as the sbom
 *   action does (module load included), under `/usr/bin/time -v` for its peak RSS;
 * - **ours, no Go scan** (layout): the same without the Go binary cataloger, so the ratio of the
 *   two is what searching the executables costs;
 * - **floor**: `gzip -dc <layer> | tar -t > /dev/null` over the same layer blobs (the layout's
 *   blob files), layer after layer, under `/usr/bin/time -v` too;
 * - **syft** (`npm run tools` builds it; left out, saying so, when not built): `syft
 *   oci-dir:<layout>` and `syft registry:<image>` with its default catalogers, `-o syft-json` to
 *   a file, under `/usr/bin/time -v`; the table gives ours / syft beside ours / floor.
 *
 * Prints medians of time, throughput (compressed and uncompressed MB/s), peak RSS, and ours/floor
 * ratios. Goal (issue 7): throughput ≥ 0.8× the floor's, memory flat in image size. Absolute
 * numbers are noise on a shared machine; ratios from the same run are the result.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { gzip } from 'node:zlib';
import tar from 'tar-stream';
import {
  digestOf,
  LayoutStore,
  MediaType,
  RegistryClient,
  type Descriptor,
} from '@release-actions/shared/oci';
import { goBinaryCataloger } from '@release-actions/shared/sbom';
import { silentLogger } from '@release-actions/shared';
import { startRegistry, type TestRegistry } from '@release-actions/shared/testing';
import { referenceTool, TIME, timed } from '../tools.ts';

const gzipAsync = promisify(gzip);
const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '150,400' },
    rounds: { type: 'string', default: '3' },
    'layer-mb': { type: 'string', default: '50' },
    source: { type: 'string', default: 'layout,registry' },
    keep: { type: 'boolean', default: false },
    'bin-share': { type: 'string', default: '0.3' },
  },
});
const binShare = Number(values['bin-share']);
/** Go programs of this machine's own (Debian builds them with build info), put in the first layer. */
const GO_PROGRAMS = ['/usr/bin/docker-registry', '/usr/bin/skopeo', '/usr/bin/buildah'].filter(existsSync);
const sizes = values.sizes.split(',').map(Number);
const rounds = Number(values.rounds);
const layerMb = Number(values['layer-mb']);
const sources = values.source.split(',') as Array<'layout' | 'registry'>;
const OURS = fileURLToPath(new URL('./ours.ts', import.meta.url));
const MB = 1024 * 1024;
const SYFT = referenceTool('syft');
// syft asks GitHub for a newer version at start unless told not to; the registry is plain HTTP
process.env['SYFT_CHECK_FOR_APP_UPDATE'] = 'false';
process.env['SYFT_REGISTRY_INSECURE_USE_HTTP'] = 'true';

interface Built {
  sizeMb: number;
  layoutDir: string;
  layerFiles: string[];
  compressed: number;
  uncompressed: number;
  files: number;
  databases: { dpkg: number; npm: number; python: number; go: number };
  registryImage?: string;
}

interface Sample {
  ms: number;
  rssKb: number;
  libraryMs?: number;
  packages?: number;
  /** What syft listed (not checked: its catalogers differ, see docs/sbom.md "syft parity"). */
  syftPackages?: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Random file contents: hex text (compresses about 2:1) or random bytes (does not compress). */
function content(size: number): Buffer {
  return Math.random() < 2 / 3
    ? Buffer.from(
        randomBytes(Math.ceil(size / 2))
          .toString('hex')
          .slice(0, size),
      )
    : randomBytes(size);
}

/** Mostly small files, some medium, a few large, as in a real root filesystem. */
function fileSize(): number {
  const r = Math.random();
  if (r < 0.7) return 256 + Math.floor(Math.random() * 16 * 1024);
  if (r < 0.97) return 16 * 1024 + Math.floor(Math.random() * 512 * 1024);
  return MB + Math.floor(Math.random() * 7 * MB);
}

function dpkgStatus(count: number): string {
  const blocks: string[] = [];
  for (let i = 0; i < count; i++) {
    blocks.push(
      [
        `Package: pkg${i}`,
        'Status: install ok installed',
        'Priority: optional',
        'Section: libs',
        'Installed-Size: 123',
        'Maintainer: Bench <bench@example.com>',
        'Architecture: amd64',
        `Source: src${Math.floor(i / 3)}`,
        `Version: 1.${i}-1`,
        ...(i > 0 ? [`Depends: pkg${i - 1} (>= 1.0), libc6`] : []),
        `Description: benchmark package ${i}`,
        ' A package that exists to be cataloged.',
      ].join('\n'),
    );
  }
  return `${blocks.join('\n\n')}\n`;
}

const COPYRIGHT =
  'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: 2024 Bench\nLicense: MIT\n';

/** One layer: package files interleaved with ordinary files until `targetBytes` of file data. */
async function layer(
  index: number,
  targetBytes: number,
  counts: Built['databases'],
): Promise<{ archive: Buffer; files: number }> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  const special: Array<[string, string]> = [];
  if (index === 0) {
    special.push([
      'etc/os-release',
      'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
    ]);
    special.push(['var/lib/dpkg/status', dpkgStatus(400)]);
    for (let i = 0; i < 400; i++) special.push([`usr/share/doc/pkg${i}/copyright`, COPYRIGHT]);
    counts.dpkg += 400;
    for (const program of GO_PROGRAMS) {
      const content = readFileSync(program);
      const path = program.slice(1);
      // Expected: what the cataloger finds reading the whole file, as a directory source does.
      counts.go += goBinaryCataloger.catalog([{ path: program, content }], {
        logger: silentLogger,
      }).packages.length;
      pack.entry({ name: path, mode: 0o755 }, content);
    }
  }
  for (let j = 0; j < 200; j++) {
    const name = `bench-${index}-${j}`;
    special.push([
      `app${index}/node_modules/${name}/package.json`,
      JSON.stringify({
        name,
        version: `1.0.${j}`,
        license: 'MIT',
        dependencies: { [`bench-${index}-${(j + 1) % 200}`]: '*' },
      }),
    ]);
    counts.npm++;
  }
  for (let j = 0; j < 40; j++) {
    const name = `bench_${index}_${j}`;
    special.push([
      `usr/lib/python3/dist-packages/${name}-2.${j}.dist-info/METADATA`,
      `Metadata-Version: 2.1\nName: ${name}\nVersion: 2.${j}\nLicense: MIT\n`,
    ]);
    counts.python++;
  }
  let written = 0;
  let files = 0;
  let k = 0;
  while (written < targetBytes || k < special.length) {
    // About one package file for every few ordinary ones, so they are spread through the layer.
    if (k < special.length && (written >= targetBytes || Math.random() < 0.3)) {
      const [name, text] = special[k++]!;
      pack.entry({ name, mode: 0o644 }, text);
    } else {
      const size = Math.min(fileSize(), Math.max(256, targetBytes - written));
      const entry =
        Math.random() < binShare
          ? { name: `usr/bin/b${index}-${files}`, mode: 0o755 }
          : { name: `srv/data${index}/d${files % 97}/f${files}.bin`, mode: 0o644 };
      pack.entry(entry, content(size));
      written += size;
    }
    files++;
  }
  pack.finalize();
  await collected;
  return { archive: Buffer.concat(chunks), files };
}

async function build(sizeMb: number, root: string, registry?: TestRegistry): Promise<Built> {
  const layoutDir = join(root, `layout-${sizeMb}`);
  const store = await LayoutStore.open(layoutDir, { create: true });
  const repo = registry
    ? new RegistryClient().repository({ registry: registry.host, repository: `bench/sbom-${sizeMb}` })
    : undefined;
  const layerCount = Math.max(1, Math.round(sizeMb / layerMb));
  const built: Built = {
    sizeMb,
    layoutDir,
    layerFiles: [],
    compressed: 0,
    uncompressed: 0,
    files: 0,
    databases: { dpkg: 0, npm: 0, python: 0, go: 0 },
  };
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < layerCount; i++) {
    const { archive, files } = await layer(i, (sizeMb * MB) / layerCount, built.databases);
    const bytes = await gzipAsync(archive, { level: 6 });
    const descriptor = { mediaType: MediaType.OciLayerGzip, digest: digestOf(bytes), size: bytes.length };
    await store.putBlob(descriptor, bytes);
    await repo?.putBlob(descriptor, bytes);
    layers.push(descriptor);
    diffIds.push(digestOf(archive));
    built.layerFiles.push(join(layoutDir, 'blobs', 'sha256', descriptor.digest.slice('sha256:'.length)));
    built.compressed += bytes.length;
    built.uncompressed += archive.length;
    built.files += files;
  }
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  const config = { mediaType: MediaType.OciConfig, digest: digestOf(configBytes), size: configBytes.length };
  await store.putBlob(config, configBytes);
  await repo?.putBlob(config, configBytes);
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers }),
  );
  await store.putManifest(manifest, MediaType.OciManifest, 'v1');
  if (repo && registry) {
    await repo.putManifest(manifest, MediaType.OciManifest, 'v1');
    built.registryImage = `${registry.host}/bench/sbom-${sizeMb}:v1`;
  }
  return built;
}

const NO_GO = 'ours (layout, no Go scan)';

/** syft on the same image, default catalogers, syft-json written to a file; the package count read after timing. */
async function syft(source: string, out: string): Promise<Sample> {
  const r = await timed(SYFT!, [source, '-q', '-o', `syft-json=${out}`]);
  const doc = JSON.parse(readFileSync(out, 'utf8')) as { artifacts: unknown[] };
  return { ms: r.ms, rssKb: r.rssKb ?? 0, syftPackages: doc.artifacts.length };
}

async function ours(image: string, noGo = false): Promise<Sample> {
  const r = await timed(process.execPath, [OURS, image, ...(noGo ? ['--no-go'] : [])]);
  const line = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
    ms: number;
    packages: number;
    maxRssKb: number;
  };
  return { ms: r.ms, rssKb: r.rssKb ?? line.maxRssKb, libraryMs: line.ms, packages: line.packages };
}

async function floor(layerFiles: string[]): Promise<Sample> {
  const script = 'for f in "$@"; do gzip -dc "$f" | tar -t > /dev/null || exit 1; done';
  const r = await timed('/bin/sh', ['-c', script, 'floor', ...layerFiles]);
  return { ms: r.ms, rssKb: r.rssKb ?? 0 };
}

const mbs = (bytes: number, ms: number) => ((bytes / MB) * 1000) / ms;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'bench-sbom-'));
  const registry = sources.includes('registry') ? await startRegistry() : undefined;
  try {
    console.log(
      `node ${process.version}, ${TIME ? '/usr/bin/time -v' : 'process.resourceUsage()'} for peak RSS, ${rounds} rounds, sources: ${sources.join(', ')}`,
    );
    const images: Built[] = [];
    for (const sizeMb of sizes) {
      process.stdout.write(`building a ${sizeMb} MB image… `);
      const b = await build(sizeMb, root, registry);
      images.push(b);
      console.log(
        `${b.layerFiles.length} gzip layers, ${(b.uncompressed / MB).toFixed(0)} MB tar → ${(b.compressed / MB).toFixed(0)} MB, ${b.files} entries; ${b.databases.dpkg} dpkg + ${b.databases.npm} npm + ${b.databases.python} python + ${b.databases.go} Go packages`,
      );
    }
    const tools = [
      'floor',
      ...sources.map((s) => `ours (${s})`),
      ...(sources.includes('layout') ? [NO_GO] : []),
      ...(SYFT ? sources.map((s) => `syft (${s})`) : []),
    ];
    const samples = new Map<string, Sample[]>();
    for (let round = 1; round <= rounds; round++) {
      for (const b of images) {
        const order = tools.map((_, k) => tools[(k + round) % tools.length]!);
        for (const tool of order) {
          const sample =
            tool === 'floor'
              ? await floor(b.layerFiles)
              : tool.startsWith('syft')
                ? await syft(
                    tool === 'syft (registry)' ? `registry:${b.registryImage!}` : `oci-dir:${b.layoutDir}`,
                    join(root, 'syft.json'),
                  )
                : await ours(
                    tool === 'ours (registry)' ? b.registryImage! : `oci-layout:${b.layoutDir}:v1`,
                    tool === NO_GO,
                  );
          const { dpkg, npm, python, go } = b.databases;
          const expected = dpkg + npm + python + (tool === NO_GO ? 0 : go);
          if (sample.packages !== undefined && sample.packages !== expected)
            throw new Error(`${tool} found ${sample.packages} packages, expected ${expected}`);
          const key = `${b.sizeMb}/${tool}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          console.log(
            `round ${round}, ${b.sizeMb} MB, ${tool}: ${sample.ms.toFixed(0)} ms${sample.libraryMs ? ` (library ${sample.libraryMs.toFixed(0)} ms)` : ''}, peak RSS ${(sample.rssKb / 1024).toFixed(0)} MB${sample.syftPackages !== undefined ? `, ${sample.syftPackages} packages` : ''}`,
          );
        }
      }
    }

    console.log(`\nmedians of ${rounds} rounds (MB/s over compressed / uncompressed layer bytes):\n`);
    console.log(
      '| image | tool | time | MB/s gz | MB/s tar | peak RSS | throughput / floor | library-call throughput / floor | throughput / syft (same source) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const b of images) {
      const floorMs = median(samples.get(`${b.sizeMb}/floor`)!.map((s) => s.ms));
      const syftMs = (tool: string) => {
        const source = /\((layout|registry)/.exec(tool)?.[1];
        const runs = SYFT && source ? samples.get(`${b.sizeMb}/syft (${source})`) : undefined;
        return runs ? median(runs.map((s) => s.ms)) : undefined;
      };
      for (const tool of tools) {
        const runs = samples.get(`${b.sizeMb}/${tool}`)!;
        const ms = median(runs.map((s) => s.ms));
        const lib = runs[0]!.libraryMs !== undefined ? median(runs.map((s) => s.libraryMs!)) : undefined;
        const rss = median(runs.map((s) => s.rssKb)) / 1024;
        const peer = tool.startsWith('ours') ? syftMs(tool) : undefined;
        console.log(
          `| ${(b.uncompressed / MB).toFixed(0)} MB tar / ${(b.compressed / MB).toFixed(0)} MB gz | ${tool} | ${ms.toFixed(0)} ms | ${mbs(b.compressed, ms).toFixed(0)} | ${mbs(b.uncompressed, ms).toFixed(0)} | ${rss.toFixed(0)} MB | ${(floorMs / ms).toFixed(2)}× | ${lib ? `${(floorMs / lib).toFixed(2)}×` : '—'} | ${peer ? `${(peer / ms).toFixed(2)}×` : '—'} |`,
        );
      }
    }
    if (tools.includes(NO_GO)) {
      console.log('\nthe Go binary search, ours (layout) against ours (layout, no Go scan), library call:');
      for (const b of images) {
        const lib = (tool: string) => median(samples.get(`${b.sizeMb}/${tool}`)!.map((s) => s.libraryMs!));
        console.log(
          `- ${(b.uncompressed / MB).toFixed(0)} MB tar, ${(binShare * 100).toFixed(0)}% of files executables under usr/bin: ${(lib('ours (layout)') / lib(NO_GO)).toFixed(2)}× the time`,
        );
      }
    }
  } finally {
    await registry?.stop();
    if (values.keep) console.log(`layouts kept under ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

await main();
