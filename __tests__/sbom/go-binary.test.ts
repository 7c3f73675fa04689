/**
 * The Go binary cataloger against the Go programs Debian installs on this machine (built in GOPATH
 * mode: `path` and `build` lines, no `mod`/`dep`, so the main package is reported at `(devel)` as
 * syft reports it) and hand-built executables: the inline format with `mod`, `dep` and `=>` lines,
 * and the pointer-based format of Go < 1.18 in a minimal ELF64 file. In images (gzip layers in an
 * OCI layout and on a loopback registry) the walker scans executables as they stream by and keeps
 * only a window from the build-info header on; whiteouts still delete what it kept.
 */
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { Logger } from '@release-actions/shared';
import { RegistryClient } from '@release-actions/shared/oci';
import {
  generateSbom,
  goBinaryCataloger,
  goPurl,
  GO_SCAN_WINDOW,
  mainModuleVersion,
  MagicScanner,
  readGoBuildInfo,
  walkImage,
  type Package,
} from '@release-actions/shared/sbom';
import { startRegistry, type TestRegistry } from '@release-actions/shared/testing';
import { makeImage, push, type TarEntry, tempLayout } from '../images.ts';
import { assertOfficialSpdx } from './schemas.ts';
import { skipIf } from '../jest-helpers.ts';

const FRAME = '0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6';
const MODINFO = `${FRAME}path\texample.com/app/cmd/app
mod\texample.com/app\tv1.2.3\th1:main=
dep\tgithub.com/pkg/errors\tv0.9.1\th1:errs=
dep\tgolang.org/x/net\tv0.1.0\th1:old=
=>\tgolang.org/x/net\tv0.17.0\th1:new=
build\tGOARCH=arm64
build\tvcs.revision=abc
${FRAME}`;

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

const header = (ptrSize: number, flags: number) =>
  Buffer.concat([
    Buffer.from('\xff Go buildinf:', 'latin1'),
    Buffer.from([ptrSize, flags]),
    Buffer.alloc(16),
  ]);

/** Some bytes, then the inline (Go ≥ 1.18) build info at a 16-byte boundary. */
function inlineBinary(goVersion: string, modinfo: string): Buffer {
  const v = Buffer.from(goVersion);
  const m = Buffer.from(modinfo, 'latin1');
  return Buffer.concat([
    Buffer.from('\x7fELF'),
    Buffer.alloc(60),
    header(8, 2),
    varint(v.length),
    v,
    varint(m.length),
    m,
  ]);
}

/**
 * A minimal little-endian ELF64 file with one PT_LOAD segment (file offset 0 at 0x400000) holding
 * the pointer-based build info: header, two pointers to Go string headers, the strings.
 */
function pointerBinary(goVersion: string, modinfo: string): Buffer {
  const base = 0x400000;
  const buf = Buffer.alloc(0x400);
  buf.write('\x7fELF', 0, 'latin1');
  buf[4] = 2; // ELFCLASS64
  buf[5] = 1; // little-endian
  buf.writeBigUInt64LE(64n, 32); // e_phoff
  buf.writeUInt16LE(56, 54); // e_phentsize
  buf.writeUInt16LE(1, 56); // e_phnum
  buf.writeUInt32LE(1, 64); // PT_LOAD
  buf.writeBigUInt64LE(0n, 64 + 8); // p_offset
  buf.writeBigUInt64LE(BigInt(base), 64 + 16); // p_vaddr
  buf.writeBigUInt64LE(0x400n, 64 + 32); // p_filesz
  header(8, 0).copy(buf, 0x100);
  buf.writeBigUInt64LE(BigInt(base + 0x140), 0x110); // &buildVersion
  buf.writeBigUInt64LE(BigInt(base + 0x150), 0x118); // &modinfo
  buf.writeBigUInt64LE(BigInt(base + 0x180), 0x140);
  buf.writeBigUInt64LE(BigInt(goVersion.length), 0x148);
  buf.writeBigUInt64LE(BigInt(base + 0x1a0), 0x150);
  buf.writeBigUInt64LE(BigInt(Buffer.byteLength(modinfo, 'latin1')), 0x158);
  buf.write(goVersion, 0x180, 'latin1');
  buf.write(modinfo, 0x1a0, 'latin1');
  return buf;
}

const DEBIAN = [
  ['/usr/bin/docker-registry', 'github.com/docker/distribution/cmd/registry'],
  ['/usr/bin/skopeo', 'github.com/containers/skopeo/cmd/skopeo'],
  ['/usr/bin/buildah', 'github.com/containers/buildah/cmd/buildah'],
] as const;

describe('Go binary cataloger', () => {
  const work = mkdtempSync(join(tmpdir(), 'go-binary-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  for (const [file, path] of DEBIAN) {
    skipIf(!existsSync(file) && `${file} is not installed`).it(`reads ${file} (Debian, GOPATH mode)`, () => {
      const info = readGoBuildInfo(readFileSync(file));
      assert.ok(info, 'build info found');
      assert.match(info.goVersion, /^go1\.\d+/);
      assert.equal(info.path, path);
      assert.deepEqual(info.main, { path, version: '(devel)' });
      assert.deepEqual(info.deps, [], 'Debian builds in GOPATH mode record no dependencies');
      assert.equal(info.settings.GOOS, 'linux');
      assert.equal(info.settings['-trimpath'], 'true');
    });
  }

  it('reads the inline format: mod, dep, and a => replacement of the line before', () => {
    const info = readGoBuildInfo(inlineBinary('go1.22.1', MODINFO));
    assert.ok(info);
    assert.equal(info.goVersion, 'go1.22.1');
    assert.deepEqual(info.main, { path: 'example.com/app', version: 'v1.2.3', sum: 'h1:main=' });
    assert.deepEqual(info.deps, [
      { path: 'github.com/pkg/errors', version: 'v0.9.1', sum: 'h1:errs=' },
      { path: 'golang.org/x/net', version: 'v0.17.0', sum: 'h1:new=' },
    ]);
    assert.deepEqual(info.settings, { GOARCH: 'arm64', 'vcs.revision': 'abc' });
  });

  it('reads the pointer-based format (Go < 1.18) through the ELF program headers', () => {
    const info = readGoBuildInfo(pointerBinary('go1.16.15', MODINFO));
    assert.ok(info);
    assert.equal(info.goVersion, 'go1.16.15');
    assert.equal(info.main?.version, 'v1.2.3');
    assert.deepEqual(
      info.deps.map((d) => `${d.path}@${d.version}`),
      ['github.com/pkg/errors@v0.9.1', 'golang.org/x/net@v0.17.0'],
    );
  });

  // The module text of a `go build` in a git checkout (Go 1.19, as `go version -m` prints it), with
  // and without `-ldflags`; the cataloger gives the (devel) main module syft's version for it.
  const develModinfo = (ldflags?: string) => `${FRAME}path\texample.com/acme/app
mod\texample.com/acme/app\t(devel)\t
dep\tgithub.com/pkg/errors\tv0.9.1\th1:errs=
build\t-compiler=gc
${ldflags ? `build\t-ldflags=${JSON.stringify(ldflags)}\n` : ''}build\tCGO_ENABLED=1
build\tvcs=git
build\tvcs.revision=16a9218905269a888185f2cdf7f5cd830df9d32e
build\tvcs.time=2026-12-01T18:55:38Z
build\tvcs.modified=false
${FRAME}`;
  const mainOf = (modinfo: string) =>
    goBinaryCataloger
      .catalog([{ path: '/usr/local/bin/app', content: inlineBinary('go1.19.8', modinfo) }], {
        logger: { debug() {}, info() {}, warning() {} },
      })
      .packages.find((p) => p.metadata?.mainModule === 'true');

  it('versions a (devel) main module from -ldflags, else as Go pseudo-versions its VCS revision (syft)', () => {
    const info = readGoBuildInfo(inlineBinary('go1.19.8', develModinfo('-s -w -X main.version=1.4.2')))!;
    assert.equal(info.settings['-ldflags'], '-s -w -X main.version=1.4.2', 'the quoted value is unquoted');
    assert.equal(mainModuleVersion(info), 'v1.4.2');
    const main = mainOf(develModinfo('-s -w -X main.version=1.4.2'))!;
    assert.equal(main.version, 'v1.4.2');
    assert.equal(main.purl, 'pkg:golang/example.com/acme/app@v1.4.2');
    for (const [ldflags, version] of [
      ['-X example.com/acme/app/internal/build.GitVersion=v2.0.1-rc.1', 'v2.0.1-rc'],
      ['-X main.Tag=3.1.0', 'v3.1.0'],
      ['-X example.com/acme/app/cmd.buildVersion=0.9.0 -s', 'v0.9.0'],
    ] as const)
      assert.equal(mainOf(develModinfo(ldflags))!.version, version, ldflags);
    // Not main, not the main module's package: no version from it; the VCS stamp then.
    assert.equal(
      mainOf(develModinfo('-X github.com/other/lib.Version=9.9.9'))!.version,
      'v0.0.0-20261201185538-16a921890526',
    );
    assert.equal(mainOf(develModinfo())!.version, 'v0.0.0-20261201185538-16a921890526');
    // No VCS stamp and no -ldflags version (as Debian's Go programs are): no version and none in
    // the purl, as syft 1.57 drops the (devel) placeholder.
    const unversioned = mainOf(develModinfo().replace(/build\tvcs[^\n]*\n/g, ''))!;
    assert.equal(unversioned.version, '');
    assert.equal(unversioned.purl, 'pkg:golang/example.com/acme/app');
    // A released main module keeps its own version.
    assert.equal(mainOf(develModinfo().replace('(devel)', 'v1.0.0'))!.version, 'v1.0.0');
  });

  it('finds nothing in a file without Go build info', () => {
    assert.equal(readGoBuildInfo(Buffer.from('\x7fELF not go at all, \xff Go buildin')), undefined);
    assert.equal(readGoBuildInfo(readFileSync(process.execPath).subarray(0, 1 << 20)), undefined);
  });

  it('forms pkg:golang purls', () => {
    assert.equal(goPurl('golang.org/x/net', 'v0.17.0'), 'pkg:golang/golang.org/x/net@v0.17.0');
    assert.equal(
      goPurl('github.com/docker/distribution/cmd/registry', '(devel)'),
      'pkg:golang/github.com/docker/distribution/cmd/registry@(devel)',
    );
  });

  it('catalogs executables of a directory given the cataloger', async () => {
    mkdirSync(join(work, 'usr/local/bin'), { recursive: true });
    mkdirSync(join(work, 'usr/bin'), { recursive: true });
    writeFileSync(join(work, 'usr/local/bin/app'), inlineBinary('go1.22.1', MODINFO));
    writeFileSync(join(work, 'usr/bin/not-go'), '#!/bin/sh\n');
    if (existsSync('/usr/bin/docker-registry'))
      copyFileSync('/usr/bin/docker-registry', join(work, 'usr/bin/registry'));
    const { inventory, spdx } = await generateSbom({ path: work, catalogers: [goBinaryCataloger] });
    console.log(assertOfficialSpdx(spdx));
    const got = inventory.packages.map((p: Package) => [p.name, p.version, p.purl, p.locations[0]!.path]);
    const expected = [
      ['example.com/app', 'v1.2.3', 'pkg:golang/example.com/app@v1.2.3', '/usr/local/bin/app'],
      ['github.com/pkg/errors', 'v0.9.1', 'pkg:golang/github.com/pkg/errors@v0.9.1', '/usr/local/bin/app'],
      ['golang.org/x/net', 'v0.17.0', 'pkg:golang/golang.org/x/net@v0.17.0', '/usr/local/bin/app'],
      // the standard library each binary was compiled with, as syft lists it
      ['stdlib', 'go1.22.1', 'pkg:golang/stdlib@1.22.1', '/usr/local/bin/app'],
    ];
    if (existsSync('/usr/bin/docker-registry')) {
      const go = readGoBuildInfo(readFileSync('/usr/bin/docker-registry'))!.goVersion;
      expected.splice(1, 0, [
        'github.com/docker/distribution/cmd/registry',
        '',
        'pkg:golang/github.com/docker/distribution/cmd/registry',
        '/usr/bin/registry',
      ]);
      expected.splice(4, 0, ['stdlib', go, `pkg:golang/stdlib@${go.slice(2)}`, '/usr/bin/registry']);
    }
    assert.deepEqual(got, expected);
    assert.ok(
      inventory.packages.every(
        (p: Package) => p.type === 'go-module' && p.foundBy === 'go-module-binary-cataloger',
      ),
    );
  });
});

const REGISTRY = '/usr/bin/docker-registry';
const REGISTRY_MAIN = 'github.com/docker/distribution/cmd/registry';
const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

describe('MagicScanner (streaming build-info search)', () => {
  const scan = { globs: [], magic: MAGIC, align: 16, window: 256 };
  // An unaligned look-alike first, then the real header at a 16-byte boundary.
  const file = Buffer.concat([Buffer.alloc(3), MAGIC, Buffer.alloc(15), inlineBinary('go1.22.1', MODINFO)]);
  const at = 32 + 64;

  it('finds the aligned magic at every chunk size, across chunk boundaries', () => {
    assert.equal(file.indexOf(MAGIC, 4), at);
    for (let size = 1; size <= 40; size++) {
      const scanner = new MagicScanner(scan);
      for (let o = 0; o < file.length; o += size) scanner.push(file.subarray(o, o + size));
      const found = scanner.result();
      assert.ok(found, `chunk size ${size}`);
      assert.equal(found.offset, at, `chunk size ${size}`);
      assert.deepEqual(found.content, file.subarray(at, at + 256), `chunk size ${size}`);
    }
  });

  it('keeps nothing without an aligned match', () => {
    const scanner = new MagicScanner(scan);
    scanner.push(Buffer.concat([Buffer.alloc(5), MAGIC, Buffer.alloc(100)]));
    assert.equal(scanner.result(), undefined);
  });
});

skipIf(!existsSync(REGISTRY) && `${REGISTRY} is not installed`).describe(
  'Go binary cataloger in images',
  () => {
    let reg: TestRegistry;
    let binary: Buffer;
    beforeAll(async () => {
      reg = await startRegistry();
      binary = readFileSync(REGISTRY);
    });
    afterAll(() => reg?.stop());

    const layer = (mode = 0o755): TarEntry[] => [{ name: 'usr/bin/registry', content: binary, mode }];

    it('reports the main module of a Go binary in a gzip layer, keeping only the window (loopback registry)', async () => {
      const header = binary.indexOf(MAGIC);
      assert.ok(header > binary.length - 1024 * 1024, 'Debian puts the build info near the end');
      const image = makeImage({ layers: [layer(), [{ name: 'etc/hostname', content: 'x\n' }]] });
      const client = new RegistryClient();
      await push(client.repository({ registry: reg.host, repository: 'sbom/go' }), image, 'v1');
      const result = await generateSbom({
        image: `${reg.host}/sbom/go:v1`,
        client,
        catalogers: [goBinaryCataloger],
      });
      console.log(assertOfficialSpdx(result.spdx));
      assert.deepEqual(
        result.packages.map((p) => [p.name, p.version, p.purl, p.locations[0]]),
        [
          [
            REGISTRY_MAIN,
            '',
            `pkg:golang/${REGISTRY_MAIN}`,
            { path: '/usr/bin/registry', layer: image.layers[0]!.descriptor.digest },
          ],
          [
            'stdlib',
            readGoBuildInfo(binary)!.goVersion,
            `pkg:golang/stdlib@${readGoBuildInfo(binary)!.goVersion.slice(2)}`,
            { path: '/usr/bin/registry', layer: image.layers[0]!.descriptor.digest },
          ],
        ],
      );
      assert.equal(result.packages[0]!.metadata?.['mainModule'], 'true');
      const stats = result.layers![0]!;
      assert.equal(stats.scanned, 1);
      assert.ok(stats.kept > 0 && stats.kept <= GO_SCAN_WINDOW, `kept ${stats.kept} bytes`);
      assert.ok(stats.bytes >= binary.length, 'the whole binary streamed by');
    });

    it('keeps the window at the header offset (OCI layout), and a later whiteout deletes it', async () => {
      const header = binary.indexOf(MAGIC);
      const layout = await tempLayout();
      try {
        const image = makeImage({ layers: [layer(), [{ name: 'usr/bin/.wh.registry', content: '' }]] });
        await push(layout.store, image, 'deleted');
        const kept = makeImage({ layers: [layer()] });
        await push(layout.store, kept, 'kept');
        const walked = await walkImage(layout.store, 'kept', () => false, {}, [goBinaryCataloger.scan!]);
        const file = walked.files.get('/usr/bin/registry')!;
        assert.equal(file.offset, header);
        assert.equal(file.content.length, GO_SCAN_WINDOW);
        assert.deepEqual(file.content, binary.subarray(header, header + GO_SCAN_WINDOW));
        const gone = await generateSbom({
          store: layout.store,
          reference: 'deleted',
          catalogers: [goBinaryCataloger],
        });
        console.log(assertOfficialSpdx(gone.spdx));
        assert.deepEqual(gone.packages, []);
        assert.equal(gone.layers![0]!.scanned, 1);
      } finally {
        await layout.dispose();
      }
    });

    it('does not scan files without an executable bit', async () => {
      const layout = await tempLayout();
      try {
        await push(layout.store, makeImage({ layers: [layer(0o644)] }), 'v1');
        const result = await generateSbom({
          store: layout.store,
          reference: 'v1',
          catalogers: [goBinaryCataloger],
        });
        console.log(assertOfficialSpdx(result.spdx));
        assert.deepEqual(result.packages, []);
        assert.equal(result.layers![0]!.scanned, 0);
        assert.equal(result.layers![0]!.kept, 0);
      } finally {
        await layout.dispose();
      }
    });
  },
);

describe('Go binary cataloger in images: formats', () => {
  it('reads the inline format from the window, and the pointer-based one in a second pass over its layer', async () => {
    const layout = await tempLayout();
    const info: string[] = [];
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info: (m) => info.push(m), warning: (m) => warnings.push(m) };
    try {
      const old = pointerBinary('go1.16.15', MODINFO);
      const image = makeImage({
        layers: [
          [{ name: 'usr/local/bin/app', content: inlineBinary('go1.22.1', MODINFO), mode: 0o755 }],
          [
            { name: 'etc/motd', content: 'hello\n' },
            { name: 'ko-app/old', content: old, mode: 0o755 },
            { name: 'usr/bin/old', type: 'symlink', linkname: '/ko-app/old' },
          ],
          [{ name: 'etc/hostname', content: 'box\n' }],
        ],
      });
      await push(layout.store, image, 'v1');
      const result = await generateSbom({
        store: layout.store,
        reference: 'v1',
        catalogers: [goBinaryCataloger],
        logger,
      });
      console.log(assertOfficialSpdx(result.spdx));
      const modules = ['example.com/app@v1.2.3', 'github.com/pkg/errors@v0.9.1', 'golang.org/x/net@v0.17.0'];
      assert.deepEqual(
        result.packages.map((p) => `${p.name}@${p.version} ${p.locations[0]!.path}`).sort(),
        // A symlink to a scanned binary is not a second copy of its modules (as syft's resolver).
        [
          ...modules.flatMap((m) => [`${m} /ko-app/old`, `${m} /usr/local/bin/app`]),
          'stdlib@go1.16.15 /ko-app/old',
          'stdlib@go1.22.1 /usr/local/bin/app',
        ],
      );
      const old116 = result.packages.find((p) => p.locations[0]!.path === '/ko-app/old')!;
      assert.equal(old116.metadata?.goCompiledVersion, 'go1.16.15');
      assert.equal(old116.locations[0]!.layer, result.layers![1]!.digest);
      // Only the layer holding the old binary is read again; its whole file is then held.
      assert.deepEqual(
        info.filter((m) => m.startsWith('reading layer')),
        [
          `reading layer ${result.layers![1]!.digest} again for /ko-app/old, which its first pass could not catalog`,
        ],
      );
      assert.ok(result.layers![1]!.kept >= old.length);
      assert.deepEqual(warnings, []);
    } finally {
      await layout.dispose();
    }
  });

  it('does not read a layer again for an old Go binary a later layer deleted', async () => {
    const layout = await tempLayout();
    const info: string[] = [];
    const logger: Logger = { debug() {}, info: (m) => info.push(m), warning() {} };
    try {
      const image = makeImage({
        layers: [
          [{ name: 'ko-app/old', content: pointerBinary('go1.16.15', MODINFO), mode: 0o755 }],
          [{ name: 'ko-app/.wh.old', content: '' }],
        ],
      });
      await push(layout.store, image, 'v1');
      const result = await generateSbom({
        store: layout.store,
        reference: 'v1',
        catalogers: [goBinaryCataloger],
        logger,
      });
      console.log(assertOfficialSpdx(result.spdx));
      assert.deepEqual(result.packages, []);
      assert.equal(result.layers![0]!.scanned, 1);
      assert.deepEqual(
        info.filter((m) => m.startsWith('reading layer')),
        [],
      );
    } finally {
      await layout.dispose();
    }
  });
});
