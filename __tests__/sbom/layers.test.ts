import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import {
  walkImage,
  resolveImage,
  FileTree,
  globMatcher,
  entryPath,
  symlinkTarget,
} from '@release-actions/shared/sbom';
import type { Logger } from '@release-actions/shared';
import { makeImage, makeIndex, push, type TarEntry, tempLayout } from '../images.ts';

const ALL = () => true;

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warning: (m) => warnings.push(m) };
}

function text(files: Map<string, { content: Buffer }>): Record<string, string> {
  return Object.fromEntries([...files].map(([p, f]) => [p, f.content.toString()]));
}

describe('paths', () => {
  it('keeps names inside the root', () => {
    assert.equal(entryPath('./var/lib/dpkg/status'), '/var/lib/dpkg/status');
    assert.equal(entryPath('/etc/passwd'), '/etc/passwd');
    assert.equal(entryPath('a/../b'), '/b');
    assert.equal(entryPath('../etc/passwd'), undefined);
    assert.equal(entryPath('a/../../etc/passwd'), undefined);
    assert.equal(entryPath('./'), undefined);
  });
  it('resolves symlinks inside the root, as in a chroot', () => {
    assert.equal(symlinkTarget('/etc/os-release', '../usr/lib/os-release'), '/usr/lib/os-release');
    assert.equal(symlinkTarget('/etc/x', '/../../../../etc/shadow'), '/etc/shadow');
    assert.equal(symlinkTarget('/a/b', '../../../../host'), '/host');
  });
});

describe('globMatcher', () => {
  it('matches syft-style globs', () => {
    const m = globMatcher(['**/lib/dpkg/status', '**/lib/dpkg/status.d/*', '**/*dist-info/METADATA']);
    assert.ok(m('/var/lib/dpkg/status'));
    assert.ok(m('/lib/dpkg/status'));
    assert.ok(m('/var/lib/dpkg/status.d/libc6'));
    assert.ok(!m('/var/lib/dpkg/status.d/sub/libc6'));
    assert.ok(!m('/var/lib/dpkg/status-old'));
    assert.ok(m('/usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA'));
    assert.ok(!m('/usr/lib/python3/site-packages/requests-2.31.0.dist-info/RECORD'));
  });
});

describe('FileTree', () => {
  it('applies whiteouts and opaque directories only to lower layers, in any entry order', () => {
    const t = new FileTree();
    t.beginLayer('l1');
    for (const p of ['/a/x', '/a/y', '/b/z', '/c/w', '/d']) t.addFile(p, Buffer.from(`1${p}`));
    t.endLayer();
    t.beginLayer('l2');
    t.addFile('/a/new', Buffer.from('2/a/new')); // before the opaque marker: survives it
    t.opaque('/a');
    t.whiteout('/b');
    t.shadow('/c', false); // /c becomes a file (or symlink): its children go
    t.shadow('/d', true); // /d becomes a directory: the file goes
    t.endLayer();
    assert.deepEqual(text(t.files()), { '/a/new': '2/a/new' });
  });
  it('keeps the newest version and its layer', () => {
    const t = new FileTree();
    t.beginLayer('l1');
    t.addFile('/f', Buffer.from('old'));
    t.endLayer();
    t.beginLayer('l2');
    t.shadow('/f', false);
    t.addFile('/f', Buffer.from('new'));
    t.endLayer();
    assert.deepEqual(
      [...t.files().values()].map((f) => [f.content.toString(), f.layer]),
      [['new', 'l2']],
    );
  });
  it('an opaque root clears everything below', () => {
    const t = new FileTree();
    t.beginLayer('l1');
    t.addFile('/f', Buffer.from('x'));
    t.endLayer();
    t.beginLayer('l2');
    t.opaque('/');
    t.endLayer();
    assert.equal(t.files().size, 0);
  });
});

describe('walkImage', () => {
  let layout: Awaited<ReturnType<typeof tempLayout>>;
  beforeAll(async () => {
    layout = await tempLayout();
  });
  afterAll(() => layout.dispose());

  async function walk(layers: TarEntry[][], compression: 'gzip' | 'zstd' | 'none' = 'gzip', options = {}) {
    const image = makeImage({ layers, compression });
    const tag = `t${Math.random().toString(36).slice(2)}`;
    await push(layout.store, image, tag);
    return walkImage(layout.store, tag, ALL, options);
  }

  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    it(`reads ${compression} layers and applies deletions across them`, async () => {
      const { files, layers } = await walk(
        [
          [
            { name: 'etc/', type: 'directory' },
            { name: 'etc/keep', content: 'k' },
            { name: 'etc/gone', content: 'g' },
            { name: 'opt/app/a', content: 'a1' },
            { name: 'opt/app/b', content: 'b1' },
          ],
          [{ name: 'etc/.wh.gone' }, { name: 'opt/app/.wh..wh..opq' }, { name: 'opt/app/c', content: 'c2' }],
          [{ name: 'etc/gone', content: 'back' }],
        ],
        compression,
      );
      assert.deepEqual(text(files), { '/etc/keep': 'k', '/opt/app/c': 'c2', '/etc/gone': 'back' });
      assert.equal(files.get('/opt/app/c')!.layer, layers[1]!.digest);
      assert.deepEqual(
        layers.map((l) => l.compression),
        [compression, compression, compression],
      );
    });
  }

  it('trusts the magic bytes over a wrong media type', async () => {
    // A plain tar layer that its manifest calls gzip.
    const image = makeImage({
      layers: [
        {
          entries: [{ name: 'f', content: 'plain' }],
          compression: 'none',
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        },
      ],
    });
    await push(layout.store, image, 'liar');
    const { files } = await walkImage(layout.store, 'liar', ALL);
    assert.deepEqual(text(files), { '/f': 'plain' });
  });

  it('reads only the wanted files and resolves symlinks and hard links to them', async () => {
    const { files } = await walk([
      [
        { name: 'usr/lib/os-release', content: 'ID=debian' },
        { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
        { name: 'var/lib/dpkg/status', content: 'Package: a' },
        { name: 'var/lib/dpkg/status-hard', type: 'link', linkname: 'var/lib/dpkg/status' },
        { name: 'big/blob', content: 'not wanted' },
      ],
    ]);
    const wanted = globMatcher(['etc/os-release', 'usr/lib/os-release', 'var/lib/dpkg/*']);
    assert.deepEqual(Object.keys(text(files)).filter(wanted).sort(), [
      '/etc/os-release',
      '/usr/lib/os-release',
      '/var/lib/dpkg/status',
      '/var/lib/dpkg/status-hard',
    ]);
    assert.equal(files.get('/etc/os-release')!.content.toString(), 'ID=debian');
    assert.equal(files.get('/var/lib/dpkg/status-hard')!.content.toString(), 'Package: a');
  });

  it('skips wanted files over the size limit, saying so', async () => {
    const logger = recordingLogger();
    const { files } = await walk(
      [
        [
          { name: 'small', content: 'x' },
          { name: 'large', content: Buffer.alloc(5000, 1) },
        ],
      ],
      'gzip',
      { maxFileSize: 4096, logger },
    );
    assert.deepEqual(Object.keys(text(files)), ['/small']);
    assert.ok(logger.warnings.some((w) => w.includes('/large')));
  });

  it('picks the platform from an index', async () => {
    const amd = makeImage({ layers: [[{ name: 'arch', content: 'amd64' }]] });
    const arm = makeImage({
      layers: [[{ name: 'arch', content: 'arm64' }]],
      platform: {
        os: 'linux',
        architecture: 'arm64',
        variant: 'v8',
      },
    });
    const index = makeIndex([
      { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
      { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);
    await push(layout.store, index, 'multi');
    assert.equal(text((await walkImage(layout.store, 'multi', ALL)).files)['/arch'], 'amd64');
    const armWalk = await walkImage(layout.store, 'multi', ALL, { platform: 'linux/arm64' });
    assert.equal(text(armWalk.files)['/arch'], 'arm64');
    assert.equal(armWalk.image.platform, 'linux/arm64/v8');
    await assert.rejects(resolveImage(layout.store, 'multi', 'linux/s390x'), {
      code: 'NO_MATCHING_PLATFORM',
    });
    // Named by digest, the image is written name@digest in the message, never name:digest.
    const { digest } = (await layout.store.resolve('multi'))!;
    await assert.rejects(resolveImage(layout.store, digest, 'linux/s390x'), (err: Error) => {
      assert.ok(err.message.startsWith(`${layout.store.name}@${digest} has no image for`), err.message);
      return true;
    });
  });

  it('refuses a layer that is not a tar archive', async () => {
    const image = makeImage({
      layers: [
        {
          bytes: Buffer.alloc(0),
          compressed: gzipSync(Buffer.from('this is not a tar archive, not at all'.repeat(40))),
          compression: 'gzip',
        },
      ],
    });
    await push(layout.store, image, 'garbage');
    await assert.rejects(walkImage(layout.store, 'garbage', ALL), { code: 'LAYER_INVALID' });
  });
});
