/**
 * builder assemble, the parts that need no registry: the layer's exact bytes (entries sorted with
 * their parents, normalised modes, symbolic links kept, the source date epoch as mtime, the owner,
 * empty uname/gname, a fixed gzip header, diff_id and digest), the config written over a scratch
 * or base config, the source date epoch's sources, and every bad input refused with its code.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, it } from '@jest/globals';
import {
  applyConfig,
  BuildError,
  checkSources,
  collectLayerEntries,
  comparePaths,
  createLayer,
  parseArgs,
  parseEnv,
  parseExposedPorts,
  parseFileOwner,
  parseFiles,
  parseSourceDateEpoch,
  parseUser,
  parseWorkdir,
  resolveSourceDateEpoch,
  scratchConfig,
  type ConfigChanges,
  type ExecRequest,
  type LayerEntry,
} from '@release-actions/shared/build';
import { withCode } from '../codes.ts';
import { onTestFinished } from '../jest-helpers.ts';

const code = (expected: string) => withCode(BuildError, expected);
const EPOCH = 1_700_000_000;

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'assemble-unit-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The raw ustar headers of a tar, in order (PAX and data blocks skipped). */
function tarHeaders(tar: Buffer) {
  const headers = [];
  const text = (at: number, length: number, block: Buffer) =>
    block
      .subarray(at, at + length)
      .toString('utf8')
      .replace(/\0.*$/s, '');
  const octal = (at: number, length: number, block: Buffer) =>
    parseInt(text(at, length, block).trim() || '0', 8);
  for (let offset = 0; offset + 512 <= tar.length;) {
    const block = tar.subarray(offset, offset + 512);
    if (block.every((b) => b === 0)) break;
    const size = octal(124, 12, block);
    const prefix = text(345, 155, block);
    const name = text(0, 100, block);
    headers.push({
      name: prefix ? `${prefix}/${name}` : name,
      mode: octal(100, 8, block),
      uid: octal(108, 8, block),
      gid: octal(116, 8, block),
      size,
      mtime: octal(136, 12, block),
      type: String.fromCharCode(block[156]!),
      linkname: text(157, 100, block),
      magic: block.subarray(257, 265).toString('latin1'),
      uname: text(265, 32, block),
      gname: text(297, 32, block),
    });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return headers;
}

async function layerOf(entries: LayerEntry[], owner = { uid: 0, gid: 0 }, mtime = EPOCH) {
  const layer = createLayer(entries, { owner, mtime });
  const gz = await readAll(layer.stream);
  return { gz, tar: gunzipSync(gz), digests: layer.digests() };
}

/** A small tree: files with several modes, a nested directory, links inside and outside the source. */
function makeTree(root: string, order: 'forward' | 'reverse' = 'forward'): void {
  const steps: Array<() => void> = [
    () => mkdirSync(join(root, 'app', 'lib'), { recursive: true }),
    () => writeFileSync(join(root, 'app', 'server.js'), 'console.log("hi")\n', { mode: 0o600 }),
    () => writeFileSync(join(root, 'app', 'run.sh'), '#!/bin/sh\nexec node server.js\n', { mode: 0o700 }),
    () => writeFileSync(join(root, 'app', 'lib', 'z.txt'), 'z'.repeat(70_000), { mode: 0o664 }),
    () => writeFileSync(join(root, 'app', 'a-b.txt'), 'a-b', { mode: 0o644 }),
    () => symlinkSync('server.js', join(root, 'app', 'current.js')),
    () => symlinkSync('../../../etc/passwd', join(root, 'app', 'lib', 'outside')),
  ];
  const [first, ...rest] = steps;
  first!();
  for (const step of order === 'forward' ? rest : rest.reverse()) step();
  chmodSync(join(root, 'app', 'lib'), 0o700);
}

describe('assemble: layers', () => {
  it('writes entries sorted with their parents, modes normalised, links kept, owner and mtime as given', async () => {
    const dir = tempDir();
    makeTree(dir);
    const entries = await collectLayerEntries(dir, { source: 'app', destination: '/srv/app' });
    const { tar, gz, digests } = await layerOf(entries, { uid: 65532, gid: 65533 });

    const headers = tarHeaders(tar);
    assert.deepEqual(
      headers.map((h) => [h.name, h.type, h.mode.toString(8), h.linkname]),
      [
        ['srv/', '5', '755', ''],
        ['srv/app/', '5', '755', ''],
        ['srv/app/a-b.txt', '0', '644', ''],
        ['srv/app/current.js', '2', '777', 'server.js'],
        ['srv/app/lib/', '5', '755', ''],
        ['srv/app/lib/outside', '2', '777', '../../../etc/passwd'],
        ['srv/app/lib/z.txt', '0', '644', ''],
        ['srv/app/run.sh', '0', '755', ''],
        ['srv/app/server.js', '0', '644', ''],
      ],
    );
    for (const h of headers) {
      assert.equal(h.uid, 65532, h.name);
      assert.equal(h.gid, 65533, h.name);
      assert.equal(h.uname, '', h.name);
      assert.equal(h.gname, '', h.name);
      assert.equal(h.mtime, EPOCH, h.name);
      assert.equal(h.magic, 'ustar\u000000', h.name);
    }
    assert.equal(headers.find((h) => h.name.endsWith('z.txt'))!.size, 70_000);

    // gzip: no mtime, no name, level 6 (XFL 0), OS 3 (Unix); the digests are those of these bytes.
    assert.equal(gz.subarray(0, 10).toString('hex'), '1f8b0800000000000003');
    assert.equal(digests.digest, `sha256:${createHash('sha256').update(gz).digest('hex')}`);
    assert.equal(digests.size, gz.length);
    assert.equal(digests.diffId, `sha256:${createHash('sha256').update(tar).digest('hex')}`);
    assert.equal(digests.uncompressedSize, tar.length);
  });

  it('gives the same bytes for the same files whatever order they were created in and whatever their modes said', async () => {
    const one = tempDir();
    const two = tempDir();
    makeTree(one, 'forward');
    makeTree(two, 'reverse');
    chmodSync(join(two, 'app', 'server.js'), 0o640);
    chmodSync(join(two, 'app', 'run.sh'), 0o744);
    chmodSync(join(two, 'app', 'lib'), 0o750);
    const spec = { source: 'app', destination: '/app' };
    const a = await layerOf(await collectLayerEntries(one, spec));
    const b = await layerOf(await collectLayerEntries(two, spec));
    assert.equal(a.digests.digest, b.digests.digest);
    assert.equal(a.digests.diffId, b.digests.diffId);
    // A different epoch or owner is a different layer.
    const later = await layerOf(await collectLayerEntries(one, spec), { uid: 0, gid: 0 }, EPOCH + 1);
    assert.notEqual(later.digests.diffId, a.digests.diffId);
  });

  it('gives the same layer bytes whatever the number of gzip workers (0: none, 1, 3)', async () => {
    const dir = tempDir();
    makeTree(dir);
    // Several gzip blocks (128 KiB each) of text that compresses only somewhat.
    const lines = Array.from({ length: 40_000 }, (_, i) => `${i} ${(i * 7919) % 10007}\n`).join('');
    writeFileSync(join(dir, 'app', 'lib', 'big.txt'), lines);
    const entries = await collectLayerEntries(dir, { source: 'app', destination: '/app' });
    const layers = [];
    for (const gzipWorkers of [0, 1, 3]) {
      const layer = createLayer(entries, { owner: { uid: 0, gid: 0 }, mtime: EPOCH, gzipWorkers });
      const gz = await readAll(layer.stream);
      layers.push({ gz, digests: layer.digests() });
    }
    assert.ok(layers[0]!.digests.uncompressedSize > 3 * 128 * 1024);
    for (const { gz, digests } of layers) {
      assert.equal(digests.digest, layers[0]!.digests.digest);
      assert.ok(gz.equals(layers[0]!.gz));
    }
    assert.ok(gunzipSync(layers[0]!.gz).length === layers[0]!.digests.uncompressedSize);
  });

  it('puts a file source at the destination, or into it when the destination ends in /', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'server.js'), 'x');
    const names = async (destination: string) =>
      (await collectLayerEntries(dir, { source: 'server.js', destination })).map(
        (e) => `${e.type}:${e.path}`,
      );
    assert.deepEqual(await names('/app/main.js'), ['directory:app', 'file:app/main.js']);
    assert.deepEqual(await names('/app/'), ['directory:app', 'file:app/server.js']);
    assert.deepEqual(await names('/'), ['file:server.js']);
    // The whole context at the image's root: no entry for the root itself.
    mkdirSync(join(dir, 'etc'));
    writeFileSync(join(dir, 'etc', 'app.conf'), 'y');
    assert.deepEqual(
      (await collectLayerEntries(dir, { source: '.', destination: '/' })).map((e) => e.path),
      ['etc', 'etc/app.conf', 'server.js'],
    );
  });

  it('sorts paths byte-wise by component, never by locale', () => {
    const paths = ['b', 'a-c', 'a/b', 'a', 'É', 'Z', 'a/B'];
    assert.deepEqual([...paths].sort(comparePaths), ['Z', 'a', 'a/B', 'a/b', 'a-c', 'b', 'É']);
  });

  it('refuses a missing source, a FIFO in a source, and a file that changes while it is read', async () => {
    const dir = tempDir();
    await assert.rejects(
      collectLayerEntries(dir, { source: 'dist', destination: '/app' }),
      code('SOURCE_MISSING'),
    );
    assert.throws(
      () => checkSources(dir, [{ source: 'dist', destination: '/app' }]),
      (err: unknown) => code('SOURCE_MISSING')(err) && /"dist"/.test((err as Error).message),
    );
    mkdirSync(join(dir, 'src'));
    execFileSync('mkfifo', [join(dir, 'src', 'pipe')]);
    await assert.rejects(
      collectLayerEntries(dir, { source: 'src', destination: '/app' }),
      (err: unknown) => code('SOURCE_UNSUPPORTED')(err) && /src\/pipe.*FIFO/.test((err as Error).message),
    );
    rmSync(join(dir, 'src', 'pipe'));
    writeFileSync(join(dir, 'src', 'log.txt'), 'before');
    const entries = await collectLayerEntries(dir, { source: 'src', destination: '/app' });
    appendFileSync(join(dir, 'src', 'log.txt'), ' and after');
    await assert.rejects(
      readAll(createLayer(entries, { owner: { uid: 0, gid: 0 }, mtime: 0 }).stream),
      code('SOURCE_CHANGED'),
    );
  });
});

const NO_CHANGES: ConfigChanges = { env: [], labels: [], exposedPorts: [] };
const LAYER = { diffId: `sha256:${'d'.repeat(64)}`, createdBy: 'build-sign assemble: COPY dist /app' };

describe('assemble: config', () => {
  it('writes a scratch config with what was asked, created at the epoch', () => {
    const config = applyConfig(
      scratchConfig({ os: 'linux', architecture: 'arm64', variant: 'v8' }),
      {
        entrypoint: ['node', 'server.js'],
        cmd: ['--port', '8080'],
        env: [['NODE_ENV', 'production']],
        workdir: '/app',
        user: '65532:65532',
        labels: [['org.opencontainers.image.source', 'https://github.com/acme/app']],
        exposedPorts: ['8080/tcp'],
      },
      [LAYER],
      '2023-11-14T22:13:20Z',
    );
    assert.deepEqual(config, {
      architecture: 'arm64',
      os: 'linux',
      variant: 'v8',
      config: {
        Env: ['NODE_ENV=production'],
        Entrypoint: ['node', 'server.js'],
        Cmd: ['--port', '8080'],
        WorkingDir: '/app',
        User: '65532:65532',
        Labels: { 'org.opencontainers.image.source': 'https://github.com/acme/app' },
        ExposedPorts: { '8080/tcp': {} },
      },
      rootfs: { type: 'layers', diff_ids: [LAYER.diffId] },
      history: [
        { created: '2023-11-14T22:13:20Z', created_by: LAYER.createdBy },
        {
          created: '2023-11-14T22:13:20Z',
          created_by: 'build-sign assemble: set entrypoint, cmd, env, workdir, user, labels, exposed-ports',
          empty_layer: true,
        },
      ],
      created: '2023-11-14T22:13:20Z',
    });
  });

  it("keeps the base's config, replacing same-named env, clearing Cmd with a new entrypoint, adding labels and ports", () => {
    const base = {
      architecture: 'amd64',
      os: 'linux',
      created: '2020-01-01T00:00:00Z',
      config: {
        Env: ['PATH=/usr/local/bin:/usr/bin', 'NODE_VERSION=22.0.0'],
        Cmd: ['node'],
        Entrypoint: ['docker-entrypoint.sh'],
        Labels: { maintainer: 'node' },
        ExposedPorts: { '80/tcp': {} },
        WorkingDir: '/',
      },
      rootfs: { type: 'layers', diff_ids: [`sha256:${'b'.repeat(64)}`] },
      history: [{ created: '2020-01-01T00:00:00Z', created_by: 'ADD rootfs' }],
    };
    const before = JSON.stringify(base);
    const config = applyConfig(
      base,
      {
        ...NO_CHANGES,
        entrypoint: ['node', 'server.js'],
        env: [
          ['NODE_VERSION', '22.1.0'],
          ['PORT', '8080'],
        ],
        labels: [['version', '2']],
        exposedPorts: ['8080/tcp'],
      },
      [LAYER],
      '1970-01-01T00:00:00Z',
    );
    assert.equal(JSON.stringify(base), before, 'the base config is not modified');
    assert.equal(config.created, '1970-01-01T00:00:00Z');
    assert.deepEqual(config.config, {
      Env: ['PATH=/usr/local/bin:/usr/bin', 'NODE_VERSION=22.1.0', 'PORT=8080'],
      Entrypoint: ['node', 'server.js'],
      Labels: { maintainer: 'node', version: '2' },
      ExposedPorts: { '80/tcp': {}, '8080/tcp': {} },
      WorkingDir: '/',
    });
    assert.deepEqual(config.rootfs!.diff_ids, [`sha256:${'b'.repeat(64)}`, LAYER.diffId]);
    assert.deepEqual(
      config.history!.map((h) => h.created_by),
      ['ADD rootfs', LAYER.createdBy, 'build-sign assemble: set entrypoint, env, labels, exposed-ports'],
    );
    // No settings: no history line for them; an empty entrypoint clears it.
    const cleared = applyConfig(
      base,
      { ...NO_CHANGES, entrypoint: [], cmd: ['sh'] },
      [],
      '1970-01-01T00:00:00Z',
    );
    assert.equal(cleared.config!.Entrypoint, undefined);
    assert.deepEqual(cleared.config!.Cmd, ['sh']);
    assert.equal(applyConfig(base, NO_CHANGES, [LAYER], 'x').history!.length, 2);
  });
});

describe('assemble: inputs', () => {
  it('reads files lines, normalising paths', () => {
    assert.deepEqual(
      parseFiles('dist=/app\n./server.js=/app/server.js\nconf/=/etc/app/\n# comment\nweird=name=/opt/x'),
      [
        { source: 'dist', destination: '/app' },
        { source: 'server.js', destination: '/app/server.js' },
        { source: 'conf', destination: '/etc/app/' },
        { source: 'weird=name', destination: '/opt/x' },
      ],
    );
    assert.deepEqual(parseFiles('.=/'), [{ source: '.', destination: '/' }]);
  });

  it('refuses files lines that are not <source>=<absolute path>, or leave the context', () => {
    for (const line of [
      'dist',
      'dist=app',
      'dist=',
      '=/app',
      '/abs/dist=/app',
      '../up=/app',
      'a/../../up=/app',
    ])
      assert.throws(() => parseFiles(line), code('FILES_INVALID'), line);
    assert.throws(() => parseFiles('dist=app'), /destination "app" is not absolute/);
  });

  it('reads an entrypoint or cmd as a JSON array or one argument per line', () => {
    assert.deepEqual(parseArgs('["node","server.js"]'), ['node', 'server.js']);
    assert.deepEqual(parseArgs('node\nserver.js\n--title=Hello World\n'), [
      'node',
      'server.js',
      '--title=Hello World',
    ]);
    assert.deepEqual(parseArgs('[]'), []);
    assert.equal(parseArgs('  '), undefined);
    for (const text of ['["node", 1]', '[node', '{"a":1}', '"node server.js"', 'node server.js'])
      assert.throws(() => parseArgs(text), code('ARGS_INVALID'), text);
  });

  it('reads env lines, ports, owner, epoch, workdir and user, and refuses bad ones', () => {
    assert.deepEqual(parseEnv('A=1\nB=x=y\nEMPTY='), [
      ['A', '1'],
      ['B', 'x=y'],
      ['EMPTY', ''],
    ]);
    for (const text of ['NOEQ', '=1', '1A=x', 'A-B=x'])
      assert.throws(() => parseEnv(text), code('ENV_INVALID'), text);
    assert.deepEqual(parseExposedPorts('8080, 53/UDP\n9000/sctp\n8080/tcp'), [
      '8080/tcp',
      '53/udp',
      '9000/sctp',
    ]);
    for (const text of ['0', '65536', 'http', '80/icmp', '8000-8010'])
      assert.throws(() => parseExposedPorts(text), code('PORT_INVALID'), text);
    assert.deepEqual(parseFileOwner('65532:65532'), { uid: 65532, gid: 65532 });
    for (const text of ['root', '0', '0:0:0', '-1:0', '1:99999999'])
      assert.throws(() => parseFileOwner(text), code('OWNER_INVALID'), text);
    assert.equal(parseSourceDateEpoch('1700000000'), 1_700_000_000);
    for (const text of ['-1', '1.5', 'yesterday', '2147483648'])
      assert.throws(() => parseSourceDateEpoch(text), code('EPOCH_INVALID'), text);
    assert.equal(parseWorkdir('/app/../srv'), '/srv');
    assert.throws(() => parseWorkdir('app'), code('CONFIG_INVALID'));
    assert.equal(parseUser('node:node'), 'node:node');
    assert.throws(() => parseUser('node node'), code('CONFIG_INVALID'));
  });

  it('takes the source date epoch from the input, else SOURCE_DATE_EPOCH, else git in the context, else 0', async () => {
    const calls: ExecRequest[] = [];
    const git =
      (stdout: string, exitCode = 0) =>
      async (request: ExecRequest) => {
        calls.push(request);
        return { exitCode, stdout, stderr: '' };
      };
    const context = 'checkout/app';
    assert.deepEqual(await resolveSourceDateEpoch({ input: 5, env: '7', exec: git('9\n'), context }), {
      epoch: 5,
      from: 'source-date-epoch',
    });
    assert.deepEqual(await resolveSourceDateEpoch({ env: '7', exec: git('9\n'), context }), {
      epoch: 7,
      from: 'SOURCE_DATE_EPOCH',
    });
    assert.equal(calls.length, 0);
    assert.deepEqual(await resolveSourceDateEpoch({ env: '', exec: git('1700000000\n'), context }), {
      epoch: 1_700_000_000,
      from: 'git',
    });
    assert.deepEqual(
      calls.map((c) => [c.command, c.args.join(' '), c.cwd]),
      [['git', 'log -1 --format=%ct', context]],
    );
    assert.deepEqual(await resolveSourceDateEpoch({ exec: git('', 128), context }), {
      epoch: 0,
      from: 'default',
    });
    const missing = async () => {
      throw Object.assign(new Error('spawn git ENOENT'), { code: 'ENOENT' });
    };
    assert.deepEqual(await resolveSourceDateEpoch({ exec: missing, context }), { epoch: 0, from: 'default' });
    await assert.rejects(resolveSourceDateEpoch({ env: 'now', exec: git('1'), context }), (err: unknown) => {
      return code('EPOCH_INVALID')(err) && /SOURCE_DATE_EPOCH/.test((err as Error).message);
    });
  });

  it('reads the commit time of HEAD from a real repository', async () => {
    const dir = tempDir();
    const env = {
      ...process.env,
      GIT_COMMITTER_DATE: '@1600000000 +0000',
      GIT_AUTHOR_DATE: '@1600000000 +0000',
    };
    const gitIn = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { env, stdio: 'pipe' });
    gitIn('init', '-q');
    writeFileSync(join(dir, 'f'), 'x');
    gitIn('add', 'f');
    gitIn('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'one');
    const { spawnExec } = await import('@release-actions/shared/build');
    assert.deepEqual(await resolveSourceDateEpoch({ exec: spawnExec(), context: dir }), {
      epoch: 1_600_000_000,
      from: 'git',
    });
  });
});
