/**
 * Accuracy against the real tools, and safety against hostile layers:
 * - an image whose layer carries this machine's own /var/lib/dpkg/status, pushed to a loopback
 *   docker-registry, lists exactly what `dpkg-query -W` lists;
 * - a layer carrying this repository's real node_modules trees lists exactly the name@version set
 *   `npm ls --all --json` reports (workspace links excluded: they are the repository's own
 *   packages, symlinks into packages/ and actions/, not installed packages);
 * - path traversal, symlinks out of the root and a gzip bomb are read safely.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RegistryClient } from '@release-actions/shared/oci';
import { startRegistry, type TestRegistry } from '@release-actions/shared/testing';
import { generateSbom, walkImage } from '@release-actions/shared/sbom';
import type { Logger } from '@release-actions/shared';
import { makeImage, push, tar, type TarEntry, tempLayout } from '../images.ts';
import { assertOfficialSpdx } from './schemas.ts';

const ROOT = process.cwd();

describe('dpkg-query comparison (loopback registry)', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(() => reg?.stop());

  it('lists exactly what dpkg-query -W lists', async () => {
    const status = readFileSync('/var/lib/dpkg/status');
    const osRelease = readFileSync('/etc/os-release');
    const image = makeImage({
      layers: [
        [
          { name: 'usr/lib/os-release', content: osRelease },
          { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
        ],
        [{ name: 'var/lib/dpkg/status', content: status }],
      ],
    });
    const client = new RegistryClient();
    const repo = client.repository({ registry: reg.host, repository: 'sbom/dpkg' });
    await push(repo, image, 'v1');
    const result = await generateSbom({ image: `${reg.host}/sbom/dpkg:v1`, client });
    console.log(assertOfficialSpdx(result.spdx));
    const ours = result.packages
      .filter((p) => p.type === 'deb')
      .map((p) => `${p.name} ${p.version}`)
      .sort();
    const theirs = execFileSync('dpkg-query', ['-W', '-f=${Package} ${Version}\\n'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .sort();
    assert.ok(theirs.length > 50);
    assert.deepEqual(ours, theirs);
    const id = /^ID=(.*)$/m.exec(osRelease.toString())![1]!.replace(/"/g, '');
    assert.ok(result.packages.every((p) => p.purl?.startsWith(`pkg:deb/${id}/`)));
    assert.ok(result.inventory.relationships.length > 0);
    assert.equal(result.inventory.source.digest, image.descriptor.digest);
  });
});

/** Every package.json under real (not symlinked) node_modules directories below `dir`. */
function packageJsons(dir: string, rel: string, out: TarEntry[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    const path = `${rel}/${entry.name}`;
    if (entry.isDirectory()) packageJsons(full, path, out);
    else if (entry.isFile() && entry.name === 'package.json' && path.includes('/node_modules/')) {
      out.push({ name: `app${path}`, content: readFileSync(full) });
    }
  }
}

function npmLs(): Set<string> {
  const tree = JSON.parse(
    execFileSync('npm', ['ls', '--all', '--json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 }),
  ) as Dep;
  interface Dep {
    version?: string;
    resolved?: string;
    dependencies?: Record<string, Dep>;
  }
  // workspace packages are this repository's own (symlinks into packages/ and actions/), whether
  // npm ls shows them with a `file:` resolution or as deduped references without one
  const workspaces = new Set(
    ['packages', 'actions'].flatMap((d) =>
      readdirSync(join(ROOT, d))
        .filter((w) => existsSync(join(ROOT, d, w, 'package.json')))
        .map(
          (w) =>
            (JSON.parse(readFileSync(join(ROOT, d, w, 'package.json'), 'utf8')) as { name: string }).name,
        ),
    ),
  );
  // npm ls names an aliased install (`"wrap-ansi-cjs": "npm:wrap-ansi@^7"`) by its alias; the
  // package installed, and the one an SBOM lists, is the real one: the lockfile says which
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { name?: string }>;
  };
  const aliases = new Map<string, string>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    const dirName = path.replace(/^.*node_modules\//, '');
    if (entry.name && path.includes('node_modules/') && entry.name !== dirName)
      aliases.set(dirName, entry.name);
  }
  const out = new Set<string>();
  const visit = (deps: Record<string, Dep> | undefined) => {
    for (const [alias, d] of Object.entries(deps ?? {})) {
      const name = aliases.get(alias) ?? alias;
      // workspace links (`file:` resolved) are this repository's own packages, not installed ones
      if (d.version && !d.resolved?.startsWith('file:') && !workspaces.has(name))
        out.add(`${name}@${d.version}`);
      visit(d.dependencies);
    }
  };
  visit(tree.dependencies);
  return out;
}

describe('npm ls comparison (OCI layout)', () => {
  let layout: Awaited<ReturnType<typeof tempLayout>>;
  beforeAll(async () => {
    layout = await tempLayout();
  });
  afterAll(() => layout.dispose());

  it('lists exactly the name@version set npm ls --all reports', async () => {
    const entries: TarEntry[] = [];
    const roots = [
      'node_modules',
      ...['packages', 'actions'].flatMap((d) =>
        readdirSync(join(ROOT, d)).map((w) => `${d}/${w}/node_modules`),
      ),
    ];
    for (const r of roots) {
      const full = join(ROOT, r);
      if (existsSync(full) && lstatSync(full).isDirectory()) packageJsons(full, `/${r}`, entries);
    }
    const image = makeImage({ layers: [{ entries, compression: 'gzip' }] });
    await push(layout.store, image, 'npm');
    const result = await generateSbom({ store: layout.store, reference: 'npm' });
    console.log(assertOfficialSpdx(result.spdx));
    const ours = new Set(
      result.packages.filter((p) => p.type === 'npm').map((p) => `${p.name}@${p.version}`),
    );
    const theirs = npmLs();
    assert.ok(theirs.size > 100);
    assert.deepEqual([...ours].filter((x) => !theirs.has(x)).sort(), [], 'found by us, not by npm ls');
    assert.deepEqual([...theirs].filter((x) => !ours.has(x)).sort(), [], 'listed by npm ls, not found by us');
  });
});

describe('hostile layers', () => {
  let layout: Awaited<ReturnType<typeof tempLayout>>;
  beforeAll(async () => {
    layout = await tempLayout();
  });
  afterAll(() => layout.dispose());

  function recorder(): Logger & { warnings: string[] } {
    const warnings: string[] = [];
    return { warnings, debug() {}, info() {}, warning: (m) => warnings.push(m) };
  }

  it('ignores path traversal, keeps absolute names inside the root, resolves symlinks inside it', async () => {
    const logger = recorder();
    const image = makeImage({
      layers: [
        [
          { name: '../../../../tmp/escaped', content: 'x' },
          { name: 'a/../../escaped-too', content: 'x' },
          {
            name: '/var/lib/dpkg/status',
            content: 'Package: abs\nVersion: 1\nStatus: install ok installed\n',
          },
          // a symlink pointing far above the root lands on the image's own /etc/passwd (absent), never the host's
          { name: 'etc/os-release', type: 'symlink', linkname: '../../../../../../etc/os-release' },
          { name: 'usr/lib/os-release', type: 'symlink', linkname: '/../../etc/hostname' },
        ],
      ],
    });
    await push(layout.store, image, 'hostile');
    const { files } = await walkImage(layout.store, 'hostile', () => true, { logger });
    assert.deepEqual([...files.keys()], ['/var/lib/dpkg/status']);
    assert.ok(logger.warnings.filter((w) => w.includes('outside the image root')).length === 2);
    const result = await generateSbom({ store: layout.store, reference: 'hostile' });
    console.log(assertOfficialSpdx(result.spdx));
    assert.equal(result.inventory.distro, undefined);
    assert.deepEqual(
      result.packages.map((p) => p.name),
      ['abs'],
    );
  });

  it('stops a gzip bomb at the layer limit and never buffers an oversized wanted file', async () => {
    // 256 MiB of zeros in a wanted path compresses to about 256 KiB
    const big = Buffer.alloc(256 * 1024 * 1024);
    const archive = tar([{ name: 'var/lib/dpkg/status', content: big }]);
    const compressed = gzipSync(archive, { level: 1 });
    assert.ok(compressed.length < archive.length / 100);
    const image = makeImage({ layers: [{ bytes: archive, compressed, compression: 'gzip' }] });
    await push(layout.store, image, 'bomb');
    await assert.rejects(
      generateSbom({ store: layout.store, reference: 'bomb', maxLayerSize: 64 * 1024 * 1024 }),
      {
        code: 'LAYER_TOO_LARGE',
      },
    );
    const logger = recorder();
    const result = await generateSbom({
      store: layout.store,
      reference: 'bomb',
      maxFileSize: 1024 * 1024,
      logger,
    });
    console.log(assertOfficialSpdx(result.spdx));
    assert.equal(result.packages.length, 0);
    assert.ok(logger.warnings.some((w) => w.includes('/var/lib/dpkg/status')));
  });
});
