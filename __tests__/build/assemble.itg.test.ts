/**
 * builder assemble against real services: a loopback docker-registry (two, for a base from
 * another registry) and OCI image layouts read back by crane and skopeo.
 *
 * - scratch, a base image in the same registry (its layers mounted, never uploaded), a base from
 *   another registry (copied blob by blob), a two-platform base index (the layer on each platform,
 *   buildx's attestation entry left out, restricted by platforms, an unknown platform refused
 *   listing the base's with nothing written), and layouts as target and as base;
 * - reproducibility: two child processes with another umask, locale and time zone, making the
 *   files in another order, give one digest, in the registry and in a layout alike;
 * - the committed bundle run as the runner runs it with builder assemble and a generated key: the
 *   signature verified by the real cosign (and the SLSA provenance naming the base and the files),
 *   the image read by crane, the layout inspected by skopeo; bad input refused before any push.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import {
  assemble,
  BuildError,
  collectLayerEntries,
  createLayer,
  parseFiles,
  type AssembleRequest,
} from '@release-actions/shared/build';
import {
  LayoutStore,
  MediaType,
  OciError,
  readBlob,
  type ImageIndex,
  type ImageManifest,
  type ImageStore,
} from '@release-actions/shared/oci';
import { generateKeyPair, type GeneratedKeyPair } from '@release-actions/shared/sign';
import { verifyImage } from '@release-actions/shared/verify';
import { withCode } from '../codes.ts';
import { makeImage, makeIndex, push } from '../images.ts';
import {
  cosignHome,
  printedPayloads,
  printedStatements,
  verifyArgs,
  verifyAttestationArgs,
  type CosignHome,
} from '../interop/cosign.ts';
import { tool } from '../interop/tools.ts';
import { skipIf } from '../jest-helpers.ts';
import { useRegistry } from '../registry-fixture.ts';
import { GITHUB_RUN_ENV as GITHUB_ENV, runAction as runBuildSign } from '../build-sign/runner.ts';

const CHILD = fileURLToPath(new URL('./assemble-child.ts', import.meta.url));
const crane = tool('crane');
const cosign = tool('cosign');
const EPOCH = 1_700_000_000;
/**
 * The reproducibility test's image, as assemble-child.ts makes it, on any machine. Changed once
 * when the gzip became pigz's blocks on worker threads (layer-gzip.ts), from
 * sha256:9abb67c29bc81086bc3d3960c69f996995af14d6bbc2b0e02571d7186492c694 (one fflate stream).
 */
const REPRODUCED_DIGEST = 'sha256:42fdf9a1c1872a2022fb8d958745a53bb449eaaf71d1c6e09df8c8eb8b8aa671';
const PASSWORD = 'assemble';

let temp: string;
let context: string;

beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), 'assemble-itg-'));
  context = join(temp, 'context');
  mkdirSync(join(context, 'dist', 'lib'), { recursive: true });
  writeFileSync(join(context, 'dist', 'server.js'), 'console.log("v1")\n');
  writeFileSync(join(context, 'dist', 'lib', 'util.js'), 'module.exports = 1\n');
  symlinkSync('server.js', join(context, 'dist', 'main.js'));
  writeFileSync(join(context, 'start.sh'), '#!/bin/sh\nexec node /app/server.js\n', { mode: 0o755 });
});
afterAll(() => {
  if (temp) rmSync(temp, { recursive: true, force: true });
});

function request(target: ImageStore, extra: Partial<AssembleRequest> = {}): AssembleRequest {
  return {
    context,
    files: parseFiles('dist=/app\nstart.sh=/usr/local/bin/start'),
    config: {
      entrypoint: ['/usr/local/bin/start'],
      env: [['NODE_ENV', 'production']],
      workdir: '/app',
      labels: [['org.opencontainers.image.source', 'https://github.com/acme/app']],
      exposedPorts: ['8080/tcp'],
    },
    platforms: [],
    owner: { uid: 0, gid: 0 },
    sourceDateEpoch: EPOCH,
    target,
    tags: ['v1'],
    ...extra,
  };
}

async function manifestOf(store: ImageStore, reference: string) {
  return (await store.getManifest(reference)).manifest;
}

async function configOf(store: ImageStore, manifest: ImageManifest) {
  return JSON.parse((await readBlob(store, manifest.config)).toString('utf8')) as {
    architecture: string;
    created: string;
    config: Record<string, unknown>;
    rootfs: { diff_ids: string[] };
    history: Array<{ created_by: string }>;
  };
}

/** A base with real tar layers (crane export flattens them): a "runtime" with an env and a command. */
function baseImage(platform = { os: 'linux', architecture: 'amd64' }, marker = 'base') {
  return makeImage({
    platform,
    layers: [
      { files: { 'etc/os-release': `ID=${marker}\n` } },
      { files: { 'usr/bin/runtime': `${marker}\n` } },
    ],
    config: {
      config: { Env: ['PATH=/usr/local/bin:/usr/bin', 'NODE_ENV=development'], Cmd: ['runtime'] },
    },
  });
}

function execText(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8' });
}

describe('assemble into a registry and OCI layouts', () => {
  const reg = useRegistry();
  const other = useRegistry();

  skipIf(crane.skip).it('a scratch image: two layers, the config asked for, read back by crane', async () => {
    const store = reg.repo('acme/scratch');
    const result = await assemble(request(store));
    assert.equal(result.base, undefined);
    assert.deepEqual(
      result.layers.map((l) => [l.source, l.destination, l.entries]),
      [
        ['dist', '/app', 5],
        ['start.sh', '/usr/local/bin/start', 4],
      ],
    );
    const manifest = (await manifestOf(store, 'v1')) as ImageManifest;
    assert.equal(manifest.mediaType, MediaType.OciManifest);
    assert.deepEqual(
      manifest.layers.map((l) => [l.mediaType, l.digest, l.size]),
      result.layers.map((l) => [MediaType.OciLayerGzip, l.digest, l.size]),
    );
    assert.equal(manifest.annotations, undefined, 'no base to name');
    const config = await configOf(store, manifest);
    assert.equal(config.architecture, 'amd64');
    assert.equal(config.created, '2023-11-14T22:13:20Z');
    assert.deepEqual(
      config.rootfs.diff_ids,
      result.layers.map((l) => l.diffId),
    );

    const ref = `${reg.registry.host}/acme/scratch:v1`;
    const craned = JSON.parse((await crane.ok(['config', ref])).stdout) as typeof config;
    assert.deepEqual(craned.config, {
      Env: ['NODE_ENV=production'],
      Entrypoint: ['/usr/local/bin/start'],
      WorkingDir: '/app',
      Labels: { 'org.opencontainers.image.source': 'https://github.com/acme/app' },
      ExposedPorts: { '8080/tcp': {} },
    });
    const tarFile = join(temp, 'scratch.tar');
    await crane.ok(['export', ref, tarFile]);
    const listing = execText('tar', ['--numeric-owner', '-tvf', tarFile])
      .trim()
      .split('\n')
      .map((l) => l.replace(/\s+/g, ' ').replace(/ \d{4}-\d\d-\d\d \d\d:\d\d/, ''))
      .sort(); // crane writes its flattened tar topmost layer first
    assert.deepEqual(listing, [
      '-rw-r--r-- 0/0 18 app/server.js',
      '-rw-r--r-- 0/0 19 app/lib/util.js',
      '-rwxr-xr-x 0/0 35 usr/local/bin/start',
      'drwxr-xr-x 0/0 0 app',
      'drwxr-xr-x 0/0 0 app/lib',
      'drwxr-xr-x 0/0 0 usr',
      'drwxr-xr-x 0/0 0 usr/local',
      'drwxr-xr-x 0/0 0 usr/local/bin',
      'lrwxrwxrwx 0/0 0 app/main.js -> server.js',
    ]);
    assert.equal(execText('tar', ['-xOf', tarFile, 'app/server.js']), 'console.log("v1")\n');
  });

  it('a base image in the same registry: its layers mounted, not uploaded; its config kept under what was asked', async () => {
    const base = baseImage();
    await push(reg.repo('library/runtime'), base, '1');
    const store = reg.repo('acme/on-base');
    const name = `${reg.registry.host}/library/runtime:1`;
    const result = await assemble(
      request(store, { base: { store: reg.repo('library/runtime'), reference: '1', name } }),
    );
    assert.deepEqual(
      { ...result.base },
      { name, digest: base.descriptor.digest, mediaType: MediaType.OciManifest },
    );
    assert.deepEqual(
      { ...result.baseBlobs },
      { blobsCopied: 0, blobsMounted: 2, blobsSkipped: 0, bytesCopied: 0 },
    );

    const manifest = (await manifestOf(store, 'v1')) as ImageManifest;
    assert.deepEqual(
      manifest.layers.map((l) => l.digest),
      [...base.layers.map((l) => l.descriptor.digest), ...result.layers.map((l) => l.digest)],
    );
    assert.deepEqual(manifest.annotations, {
      'org.opencontainers.image.base.digest': base.descriptor.digest,
      'org.opencontainers.image.base.name': name,
    });
    const config = await configOf(store, manifest);
    assert.deepEqual(config.config.Env, ['PATH=/usr/local/bin:/usr/bin', 'NODE_ENV=production']);
    assert.equal(config.config.Cmd, undefined, "a new entrypoint clears the base's Cmd");
    assert.equal(config.rootfs.diff_ids.length, 4);
    assert.deepEqual(
      config.history.map((h) => h.created_by),
      [
        'test layer 1',
        'test layer 2',
        'build-sign assemble: COPY dist /app',
        'build-sign assemble: COPY start.sh /usr/local/bin/start',
        'build-sign assemble: set entrypoint, env, workdir, labels, exposed-ports',
      ],
    );
    // Again into the same repository: every base layer is already there.
    const again = await assemble(
      request(store, {
        base: { store: reg.repo('library/runtime'), reference: '1', name },
        tags: ['v1-again'],
      }),
    );
    assert.equal(again.digest, result.digest);
    assert.equal(again.baseBlobs.blobsSkipped + again.baseBlobs.blobsMounted, 2);
    assert.equal(again.baseBlobs.blobsCopied, 0);
  });

  it('a base from another registry is copied blob by blob', async () => {
    const base = baseImage(undefined, 'elsewhere');
    await push(other.repo('library/runtime'), base, '1');
    const result = await assemble(
      request(reg.repo('acme/from-other'), {
        base: {
          store: other.repo('library/runtime'),
          reference: '1',
          name: `${other.registry.host}/library/runtime:1`,
        },
      }),
    );
    assert.equal(result.baseBlobs.blobsCopied, 2);
    assert.equal(
      result.baseBlobs.bytesCopied,
      base.layers.reduce((n, l) => n + l.descriptor.size, 0),
    );
    for (const layer of base.layers)
      assert.ok(await reg.repo('acme/from-other').hasBlob(layer.descriptor.digest));
  });

  it('a Docker v2 base (a manifest list): the new manifests and layers stay Docker v2, without OCI annotations', async () => {
    const baseStore = reg.repo('library/docker-format');
    const image = baseImage();
    for (const b of image.blobs) await baseStore.putBlob(b.descriptor, b.bytes);
    const config = { ...image.config.descriptor, mediaType: MediaType.DockerConfig };
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.DockerManifest,
        config,
        layers: image.layers.map((l) => ({ ...l.descriptor, mediaType: MediaType.DockerLayerGzip })),
      }),
    );
    const child = await baseStore.putManifest(manifest, MediaType.DockerManifest);
    const list = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.DockerManifestList,
        manifests: [{ ...child, platform: { os: 'linux', architecture: 'amd64' } }],
      }),
    );
    await baseStore.putManifest(list, MediaType.DockerManifestList, '1');
    const store = reg.repo('acme/docker-format');
    const result = await assemble(request(store, { base: { store: baseStore, reference: '1' } }));
    assert.equal(result.mediaType, MediaType.DockerManifestList);
    const made = (await manifestOf(store, result.images[0]!.digest)) as ImageManifest;
    assert.equal(made.mediaType, MediaType.DockerManifest);
    assert.equal(made.config.mediaType, MediaType.DockerConfig);
    assert.deepEqual([...new Set(made.layers.map((l) => l.mediaType))], [MediaType.DockerLayerGzip]);
    assert.equal(made.annotations, undefined);
  });

  it("a base index: the layers on each platform, buildx's attestation entry left out, restricted by platforms; an unknown platform refused", async () => {
    const baseStore = reg.repo('library/multi');
    const amd = baseImage({ os: 'linux', architecture: 'amd64' }, 'amd');
    const arm = baseImage({ os: 'linux', architecture: 'arm64' }, 'arm');
    const attestation = makeImage({ layers: [{ files: { 'provenance.json': '{}' } }] });
    await push(baseStore, amd);
    await push(baseStore, arm);
    await push(baseStore, attestation);
    const index = makeIndex([{ image: amd }, { image: arm }]);
    const withAttestation = JSON.parse(index.bytes.toString('utf8')) as ImageIndex;
    withAttestation.manifests.push({
      ...attestation.descriptor,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: {
        'vnd.docker.reference.type': 'attestation-manifest',
        'vnd.docker.reference.digest': amd.descriptor.digest,
      },
    });
    const { digest: baseDigest } = await baseStore.putManifest(
      Buffer.from(JSON.stringify(withAttestation)),
      MediaType.OciIndex,
      '1',
    );
    const base = { store: baseStore, reference: '1', name: `${reg.registry.host}/library/multi:1` };

    const store = reg.repo('acme/multi');
    const result = await assemble(request(store, { base }));
    assert.equal(result.base!.digest, baseDigest);
    assert.equal(result.mediaType, MediaType.OciIndex);
    const made = (await manifestOf(store, 'v1')) as ImageIndex;
    assert.deepEqual(
      made.manifests.map((m) => [m.platform, m.digest]),
      result.images.map((i) => [i.platform, i.digest]),
    );
    assert.deepEqual(
      result.images.map((i) => [i.platform.architecture, i.baseDigest]),
      [
        ['amd64', amd.descriptor.digest],
        ['arm64', arm.descriptor.digest],
      ],
    );
    for (const [i, image] of result.images.entries()) {
      const manifest = (await manifestOf(store, image.digest)) as ImageManifest;
      const baseLayers = (i === 0 ? amd : arm).layers.map((l) => l.descriptor.digest);
      assert.deepEqual(
        manifest.layers.map((l) => l.digest),
        [...baseLayers, ...result.layers.map((l) => l.digest)],
        'the same new layers on each platform',
      );
      assert.equal((await configOf(store, manifest)).architecture, image.platform.architecture);
    }

    const armOnly = await assemble(
      request(store, { base, platforms: [{ os: 'linux', architecture: 'arm64' }], tags: ['arm'] }),
    );
    assert.deepEqual(
      ((await manifestOf(store, 'arm')) as ImageIndex).manifests.map((m) => m.platform?.architecture),
      ['arm64'],
    );
    assert.equal(armOnly.images[0]!.digest, result.images[1]!.digest, 'the same arm64 image either way');

    await assert.rejects(
      assemble(
        request(store, { base, platforms: [{ os: 'linux', architecture: 's390x' }], tags: ['s390x'] }),
      ),
      (err: unknown) =>
        withCode(OciError, 'PLATFORM_NOT_FOUND')(err) &&
        /has linux\/amd64, linux\/arm64: ask for one of those/.test((err as Error).message),
    );
    assert.equal(await store.resolve('s390x'), undefined, 'nothing tagged');
  });

  it('into OCI layouts: scratch for two platforms, then a registry base into a layout, inspected by skopeo', async () => {
    const dir = join(temp, 'layout-scratch');
    const layout = await LayoutStore.open(dir, { create: true });
    const platforms = [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
    ];
    const scratch = await assemble(request(layout, { platforms, tags: ['v1', 'latest'] }));
    assert.equal(scratch.mediaType, MediaType.OciIndex);
    assert.equal(scratch.images.length, 2);
    const raw = execText('skopeo', ['inspect', '--raw', `oci:${dir}:latest`]);
    assert.equal(`sha256:${createHash('sha256').update(raw).digest('hex')}`, scratch.digest);
    const arm = JSON.parse(
      execText('skopeo', ['--override-arch', 'arm64', 'inspect', '--config', `oci:${dir}:v1`]),
    ) as { architecture: string; config: { Entrypoint: string[] } };
    assert.equal(arm.architecture, 'arm64');
    assert.deepEqual(arm.config.Entrypoint, ['/usr/local/bin/start']);
    // Only the tags are index.json entries: the platform manifests live in blobs/ alone.
    const entries = (JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as ImageIndex).manifests;
    assert.deepEqual(
      entries.map((e) => [e.digest, e.annotations?.['org.opencontainers.image.ref.name']]),
      [
        [scratch.digest, 'v1'],
        [scratch.digest, 'latest'],
      ],
    );

    const base = baseImage();
    await push(reg.repo('library/for-layout'), base, '1');
    const onBase = join(temp, 'layout-on-base');
    const result = await assemble(
      request(await LayoutStore.open(onBase, { create: true }), {
        base: {
          store: reg.repo('library/for-layout'),
          reference: '1',
          name: `${reg.registry.host}/library/for-layout:1`,
        },
      }),
    );
    assert.equal(result.baseBlobs.blobsCopied, 2);
    const inspected = JSON.parse(execText('skopeo', ['inspect', `oci:${onBase}:v1`])) as {
      Digest: string;
      Layers: string[];
    };
    assert.equal(inspected.Digest, result.digest);
    assert.equal(inspected.Layers.length, 4);

    // A layout as the base: its image, read from disk, under new files.
    const fromLayout = await assemble(
      request(reg.repo('acme/from-layout'), {
        base: { store: await LayoutStore.open(onBase), reference: 'v1' },
        files: parseFiles('dist/server.js=/app/again.js'),
      }),
    );
    assert.equal(fromLayout.base!.name, undefined);
    const manifest = (await manifestOf(reg.repo('acme/from-layout'), 'v1')) as ImageManifest;
    assert.equal(manifest.layers.length, 5);
    assert.deepEqual(manifest.annotations, { 'org.opencontainers.image.base.digest': result.digest });
  });

  it('refuses a missing source, and a base that is not there, before anything is written', async () => {
    const store = reg.repo('acme/refused');
    await assert.rejects(
      assemble(request(store, { files: parseFiles('dist=/app\nnot-built=/srv') })),
      withCode(BuildError, 'SOURCE_MISSING'),
    );
    await assert.rejects(
      assemble(request(store, { base: { store: reg.repo('library/absent'), reference: '1' } })),
      withCode(BuildError, 'IMAGE_NOT_FOUND'),
    );
    assert.deepEqual(await store.listTags(), []);
  });

  it('a file that changes while its layer streams in fails with SOURCE_CHANGED, and nothing is committed, in a registry or a layout', async () => {
    const dir = join(temp, 'changing');
    mkdirSync(dir);
    writeFileSync(join(dir, 'log.bin'), Buffer.alloc(300_000, 1));
    const entries = await collectLayerEntries(dir, { source: '.', destination: '/data' });
    const layoutDir = join(temp, 'changing-layout');
    const targets: ImageStore[] = [
      reg.repo('acme/changing'),
      await LayoutStore.open(layoutDir, { create: true }),
    ];
    for (const target of targets) {
      appendFileSync(join(dir, 'log.bin'), 'more');
      await assert.rejects(
        target.putBlobStream(createLayer(entries, { owner: { uid: 0, gid: 0 }, mtime: 0 }).stream),
        withCode(BuildError, 'SOURCE_CHANGED'),
        target.name,
      );
    }
    writeFileSync(join(dir, 'log.bin'), Buffer.alloc(300_000, 1));
    const layer = createLayer(entries, { owner: { uid: 0, gid: 0 }, mtime: 0 });
    const stored = await targets[0]!.putBlobStream(layer.stream);
    assert.deepEqual({ ...stored }, { digest: layer.digests().digest, size: layer.digests().size });
    assert.ok(await targets[0]!.hasBlob(stored.digest));
    assert.deepEqual(
      [...readdirSync(join(layoutDir, 'blobs', 'sha256'))],
      [],
      'no temporary file left in the layout',
    );
  });

  it('gives one digest from two processes with another umask, locale and time zone, the files made in another order', async () => {
    const runChild = (name: string, order: string, shell: string, env: Record<string, string>) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const dir = join(temp, name);
        execFile(
          'sh',
          [
            '-c',
            `${shell}; exec "$0" "$@"`,
            process.execPath,
            CHILD,
            dir,
            order,
            reg.registry.host,
            `acme/repro-${name}`,
          ],
          {
            env: { PATH: process.env.PATH ?? '', SOURCE_DATE_EPOCH: String(EPOCH), ...env },
            encoding: 'utf8',
          },
          (err, stdout, stderr) => {
            if (err) reject(new Error(`${name}: ${err.message}\n${stderr}`));
            else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>);
          },
        );
      });
    const one = await runChild('one', 'forward', 'umask 022', {
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TZ: 'UTC',
    });
    const two = await runChild('two', 'reverse', 'umask 077', {
      LANG: 'tr_TR.UTF-8',
      LC_ALL: 'tr_TR.UTF-8',
      TZ: 'Pacific/Kiritimati',
    });
    // The two environments did differ where it could show.
    assert.deepEqual([one.serverMode, two.serverMode], ['644', '600']);
    assert.notEqual(one.locale, two.locale);
    assert.notDeepEqual(one.localSort, two.localSort);
    assert.deepEqual([one.timeZone, two.timeZone], ['UTC', 'Pacific/Kiritimati']);
    assert.deepEqual([one.epoch, one.from], [EPOCH, 'SOURCE_DATE_EPOCH']);
    // One digest: in the registry and in the layout, from either process.
    assert.equal(one.layout, one.registry);
    assert.equal(two.layout, one.layout);
    assert.equal(two.registry, one.registry);
    assert.deepEqual(two.layers, one.layers);
    // And the digest every machine gets: what CI's runners compute is checked against this one's.
    // It changes only when what assemble writes changes (then on purpose, and noted as such).
    assert.equal(one.layout, REPRODUCED_DIGEST);
  });
});

describe('actions/build-sign dist/index.js with builder assemble', () => {
  const reg = useRegistry();
  let key: GeneratedKeyPair;
  let home: CosignHome;
  let publicKey: string;

  beforeAll(async () => {
    key = await generateKeyPair(PASSWORD, { scryptN: 32768 });
    home = await cosignHome();
    publicKey = join(home.dir, 'cosign.pub');
    writeFileSync(publicKey, key.publicKeyPem);
  });
  afterAll(async () => {
    await home?.dispose();
  });

  const keyInputs = () => ({ signing: 'key', 'cosign-key': key.privateKeyPem, 'cosign-password': PASSWORD });
  const env = () => ({ ...GITHUB_ENV, RUNNER_TEMP: temp });
  const assembleInputs = (extra: Record<string, string> = {}) => ({
    builder: 'assemble',
    context,
    files: 'dist=/app\nstart.sh=/usr/local/bin/start',
    entrypoint: '["/usr/local/bin/start"]',
    env: 'NODE_ENV=production',
    workdir: '/app',
    'exposed-ports': '8080',
    'source-date-epoch': String(EPOCH),
    ...keyInputs(),
    ...extra,
  });

  skipIf(cosign.skip || crane.skip).it(
    'assembles on a base, pushes, signs: cosign verifies the signature and the provenance names the base and the files; crane reads the image',
    async () => {
      const base = baseImage();
      await push(reg.repo('library/runtime'), base, '1');
      const image = `${reg.registry.host}/acme/app`;
      const run = await runBuildSign(
        assembleInputs({ 'base-image': `${reg.registry.host}/library/runtime:1`, image, tags: 'v1,latest' }),
        { env: env() },
      );
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
      const digest = run.outputs.digest!;
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
      assert.equal(run.outputs.image, `${image}@${digest}`);
      assert.equal(run.outputs.tags, `${image}:v1\n${image}:latest`);
      assert.match(run.stdout, /source date epoch 1700000000 \(the source-date-epoch input\)/);
      assert.match(run.stdout, /base layers in .*: 2 mounted/);

      const verified = await cosign.run(
        verifyArgs({ label: 'cosign v3', major: 3, tool: cosign }, home, publicKey, `${image}@${digest}`),
        {
          env: home.env(),
        },
      );
      assert.equal(verified.code, 0, verified.stderr);
      for (const p of printedPayloads(verified))
        assert.equal(p.critical.image['docker-manifest-digest'], digest);
      const attested = await cosign.run(
        verifyAttestationArgs(
          { label: 'cosign v3', major: 3, tool: cosign },
          home,
          publicKey,
          'slsaprovenance1',
          `${image}@${digest}`,
        ),
        { env: home.env() },
      );
      assert.equal(attested.code, 0, attested.stderr);
      const [statement] = printedStatements(attested);
      const materials = (
        statement!.predicate as { buildDefinition: { resolvedDependencies: Array<Record<string, unknown>> } }
      ).buildDefinition.resolvedDependencies;
      assert.equal(materials.length, 4, JSON.stringify(materials));
      assert.deepEqual(materials[1], {
        uri: `pkg:docker/${reg.registry.host}/library/runtime:1`,
        digest: { sha256: base.descriptor.digest.slice(7) },
        annotations: { mediaType: MediaType.OciManifest },
      });
      assert.deepEqual(
        materials.slice(2).map((m) => [m.name, (m.annotations as { destination: string }).destination]),
        [
          ['dist', '/app'],
          ['start.sh', '/usr/local/bin/start'],
        ],
      );

      const config = JSON.parse((await crane.ok(['config', `${image}:v1`])).stdout) as {
        config: Record<string, unknown>;
      };
      assert.deepEqual(config.config.Entrypoint, ['/usr/local/bin/start']);
      assert.deepEqual(config.config.Env, ['PATH=/usr/local/bin:/usr/bin', 'NODE_ENV=production']);
      const tarFile = join(temp, 'bundle.tar');
      await crane.ok(['export', `${image}@${digest}`, tarFile]);
      const files = execText('tar', ['-tf', tarFile]).trim().split('\n');
      for (const name of ['etc/os-release', 'usr/bin/runtime', 'app/server.js', 'usr/local/bin/start'])
        assert.ok(files.includes(name), `${name} in ${files.join(' ')}`);

      for (const row of ['Base image', 'Layers added', 'Config set', 'Reproducible from'])
        assert.ok(run.summary.includes(row), `${row}:\n${run.summary}`);
      assert.ok(run.summary.includes(base.descriptor.digest), run.summary);
      assert.match(run.summary, /<code>dist<\/code> → <code>\/app<\/code>: 5 entries/);
      assert.match(run.summary, /env: <code>NODE_ENV<\/code>/);
    },
  );

  it('assembles from scratch into an OCI layout: signatures stored there, skopeo inspects it, verifyImage accepts it', async () => {
    const dir = join(temp, 'bundle-layout');
    const run = await runBuildSign(assembleInputs({ tags: `oci-layout:${dir}:v1` }), {
      env: env(),
    });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const digest = run.outputs.digest!;
    assert.equal(run.outputs.image, `oci-layout:${dir}@${digest}`);
    assert.equal(run.outputs.tags, `oci-layout:${dir}:v1`);
    assert.match(run.outputs.signature!, new RegExp(`^oci-layout:.*:sha256-${digest.slice(7)}\\.sig\\n`));
    const inspected = JSON.parse(execText('skopeo', ['inspect', `oci:${dir}:v1`])) as {
      Digest: string;
      Layers: string[];
    };
    assert.equal(inspected.Digest, digest);
    assert.equal(inspected.Layers.length, 2);
    const verified = await verifyImage({
      store: await LayoutStore.open(dir),
      reference: 'v1',
      policy: {
        trust: { kind: 'keys', keys: [key.publicKeyPem] },
        requireAttestations: ['slsa-provenance'],
        provenance: { sourceRepository: 'acme/app' },
      },
    });
    assert.equal(verified.digest, digest);
    assert.match(run.summary, /scratch \(no base\)/);

    // The same inputs again, in another layout: the same digest.
    const again = await runBuildSign(
      assembleInputs({ tags: `oci-layout:${join(temp, 'bundle-layout-2')}:v1` }),
      {
        env: env(),
      },
    );
    assert.equal(again.exitCode, 0, again.stdout + again.stderr);
    assert.equal(again.outputs.digest, digest);
  });

  it('refuses bad input before any push, naming each input', async () => {
    const image = `${reg.registry.host}/acme/refused`;
    const run = await runBuildSign(
      assembleInputs({
        image,
        tags: 'v1',
        files: 'dist=app\nmissing=/x',
        entrypoint: 'node server.js',
        'exposed-ports': 'http',
        file: 'Dockerfile',
      }),
      { env: env() },
    );
    assert.equal(run.exitCode, 1, run.stdout);
    for (const pattern of [
      /input "files": "dist=app": the destination "app" is not absolute/,
      /input "entrypoint": "node server.js" is one line holding spaces/,
      /input "exposed-ports": "http" is not a port/,
      /input "file": applies to a Dockerfile build/,
    ])
      assert.match(run.stdout, pattern);
    assert.deepEqual(await reg.repo('acme/refused').listTags(), []);

    // What the base turns out to be is a problem of the input that named it, found before any write.
    const base = baseImage();
    await push(reg.repo('library/amd-only'), base, '1');
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { 'base-image': `${reg.registry.host}/library/amd-only:1`, platforms: 'linux/arm64' },
        /input "platforms": the base image .*library\/amd-only:1 has no image for linux\/arm64; it has linux\/amd64/,
      ],
      [
        { 'base-image': `${reg.registry.host}/library/absent:1` },
        /input "base-image": the base image .*absent:1 is not there/,
      ],
      [
        { 'base-image': `oci-layout:${join(temp, 'no-such-layout')}:1` },
        /input "base-image": .*no-such-layout does not exist/,
      ],
    ];
    for (const [inputs, message] of cases) {
      const refused = await runBuildSign(assembleInputs({ image, tags: 'v1', ...inputs }), {
        env: env(),
      });
      assert.equal(refused.exitCode, 1, refused.stdout);
      assert.match(refused.stdout, message);
    }
    assert.deepEqual(await reg.repo('acme/refused').listTags(), []);

    // Into a layout: a refused base leaves no layout behind (a missing directory stays missing,
    // an empty one stays empty), so a retry starts from what was there.
    const missing = join(temp, 'refused-layout');
    const empty = join(temp, 'refused-empty-layout');
    mkdirSync(empty);
    for (const dir of [missing, empty]) {
      const refused = await runBuildSign(
        assembleInputs({
          'base-image': `${reg.registry.host}/library/absent:1`,
          tags: `oci-layout:${dir}:v1`,
        }),
        { env: env() },
      );
      assert.equal(refused.exitCode, 1, refused.stdout);
      assert.match(refused.stdout, /input "base-image": the base image .*absent:1 is not there/);
    }
    assert.equal(existsSync(missing), false, 'the layout the refused run created is removed');
    assert.deepEqual([...readdirSync(empty)], []);
  });
});
