/**
 * go.mod (with go.sum) and Cargo.lock, against syft's expectations: its own go.mod test data
 * (`syft/pkg/cataloger/golang/testdata`, in ../shared/fixtures/syft) with what
 * `parse_go_mod_test.go` expects of it (TestParseGoMod, Test_GoSumHashes, Test_corruptGoMod),
 * and Cargo.lock files written here in Cargo's format (syft's rust fixtures are not among the
 * shared ones) with the packages and edges `parse_cargo_lock.go` derives from them.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cargoLockCataloger,
  generateSbom,
  globMatcher,
  goModCataloger,
  parseGoModFile,
  walkDirectory,
  type Package,
} from '@release-actions/shared/sbom';
import { fixture as inFixtures, needsFixtures } from '../fixtures.ts';
import { edges, run } from './catalog-helpers.ts';
import { assertOfficialSpdx } from './schemas.ts';
import { skipIf } from '../jest-helpers.ts';

const GOLANG = inFixtures('syft', 'pkg/cataloger/golang/testdata');
const NO_GOLANG = needsFixtures('syft', 'pkg/cataloger/golang/testdata');

const fixture = (dir: string, ...names: string[]) =>
  Object.fromEntries(names.map((n) => [`/${n}`, readFileSync(join(GOLANG, dir, n))]));
const summary = (packages: Package[]) =>
  packages
    .map((p) => `${p.name} ${p.version} ${p.purl}${p.metadata?.h1Digest ? ` ${p.metadata.h1Digest}` : ''}`)
    .sort();

describe('go.mod (syft parse_go_mod_test.go)', () => {
  skipIf(NO_GOLANG).it('one-package: the one require', () => {
    const r = run(goModCataloger, fixture('go-mod-fixtures/one-package', 'go.mod'));
    assert.deepEqual(summary(r.packages), [
      'github.com/bmatcuk/doublestar v1.3.1 pkg:golang/github.com/bmatcuk/doublestar@v1.3.1',
    ]);
    assert.equal(r.packages[0]!.foundBy, 'go-module-file-cataloger');
  });

  skipIf(NO_GOLANG).it(
    'relative-replace: a module replaced by a local directory keeps its path, at no version',
    () => {
      const r = run(goModCataloger, fixture('go-mod-fixtures/relative-replace', 'go.mod'));
      assert.deepEqual(summary(r.packages), [
        'github.com/aws/aws-sdk-go-v2  pkg:golang/github.com/aws/aws-sdk-go-v2',
      ]);
    },
  );

  skipIf(NO_GOLANG).it(
    'many-packages: comments ignored, replacements applied, the excluded module left out',
    () => {
      const r = run(goModCataloger, fixture('go-mod-fixtures/many-packages', 'go.mod'));
      assert.deepEqual(r.packages.map((p) => `${p.name}@${p.version}`).sort(), [
        'github.com/anchore/archiver/v3@v3.5.2',
        'github.com/anchore/go-testutils@v0.0.0-20200624184116-66aa578126db',
        'github.com/anchore/go-version@v1.2.2-0.20200701162849-18adb9c92b9b',
        'github.com/anchore/stereoscope@v0.0.0-20200706164556-7cf39d7f4639',
        'github.com/bmatcuk/doublestar@v8.8.8',
        'github.com/go-test/deep@v1.0.6',
      ]);
    },
  );

  skipIf(NO_GOLANG).it(
    'go-sum-hashes: h1 digests from the go.sum beside it, none for a version it lists only as /go.mod',
    () => {
      const r = run(goModCataloger, fixture('go-sum-hashes', 'go.mod', 'go.sum'));
      assert.deepEqual(summary(r.packages), [
        'github.com/CycloneDX/cyclonedx-go v0.6.0 pkg:golang/github.com/CycloneDX/cyclonedx-go@v0.6.0',
        'github.com/acarl005/stripansi v0.0.0-20180116102854-5a71ef0e047d pkg:golang/github.com/acarl005/stripansi@v0.0.0-20180116102854-5a71ef0e047d h1:licZJFw2RwpHMqeKTCYkitsPqHNxTmd4SNR5r94FGM8=',
        'github.com/mgutz/ansi v0.0.0-20200706080929-d51e80ef957d pkg:golang/github.com/mgutz/ansi@v0.0.0-20200706080929-d51e80ef957d h1:5PJl274Y63IEHC+7izoQE9x6ikvDFZS2mDVS3drnohI=',
      ]);
    },
  );

  skipIf(NO_GOLANG).it(
    'corrupt: an unknown directive is refused, and the cataloger skips the file saying so',
    () => {
      assert.throws(
        () => parseGoModFile(readFileSync(join(GOLANG, 'corrupt/go.mod'), 'utf8')),
        /line 5: unknown directive: ruire/,
      );
      const r = run(goModCataloger, fixture('corrupt', 'go.mod', 'go.sum'));
      assert.deepEqual(r.packages, []);
      assert.deepEqual(r.warnings, [
        '/go.mod: not a readable go.mod (line 5: unknown directive: ruire); skipped',
      ]);
    },
  );

  it('reads single-line and block directives, quoted paths, and versioned replacements', () => {
    const mod = parseGoModFile(`module example.com/app

go 1.22
toolchain go1.22.3

require "example.com/quoted" v1.0.0 // indirect
require (
\texample.com/a v1.2.3
)
replace example.com/a v1.2.3 => example.com/a-fork v1.2.4
retract [v0.1.0, v0.1.5]
tool example.com/a/cmd/gen
`);
    assert.deepEqual(mod.require, [
      { path: 'example.com/quoted', version: 'v1.0.0' },
      { path: 'example.com/a', version: 'v1.2.3' },
    ]);
    assert.deepEqual(mod.replace, [
      {
        old: { path: 'example.com/a', version: 'v1.2.3' },
        new: { path: 'example.com/a-fork', version: 'v1.2.4' },
      },
    ]);
    assert.throws(() => parseGoModFile('require (\n\texample.com/a v1.0.0\n'), /not closed/);
  });

  skipIf(NO_GOLANG).it(
    'asks for go.mod (and go.sum) by glob (golang cataloger_test.go glob-paths)',
    async () => {
      const files = await walkDirectory(join(GOLANG, 'glob-paths'), globMatcher(goModCataloger.globs));
      assert.deepEqual([...files.keys()], ['/src/go.mod']);
    },
  );

  skipIf(NO_GOLANG).it(
    'pairs each go.mod with the go.sum of its own directory, through a directory walk',
    async () => {
      const { packages, spdx } = await generateSbom({ path: join(GOLANG, 'go-sum-hashes') });
      console.log(assertOfficialSpdx(spdx));
      const stripansi = packages.find((p) => p.name === 'github.com/acarl005/stripansi')!;
      assert.equal(stripansi.metadata?.h1Digest, 'h1:licZJFw2RwpHMqeKTCYkitsPqHNxTmd4SNR5r94FGM8=');
      assert.equal(stripansi.locations[0]!.path, '/go.mod');
    },
  );
});

// A Cargo.lock as cargo 1.78 writes it (lockfile version 3): a workspace crate (no source), two
// versions of one crate (so dependents name it `name version`), and a git dependency.
const CARGO_LOCK = `# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "bitflags 2.5.0",
 "serde",
 "tracing",
]

[[package]]
name = "bitflags"
version = "1.3.2"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "bef38d45163c2f1dde094a7dfd33ccf595c92905c8f8f4fdc18d06fb1037718a"

[[package]]
name = "bitflags"
version = "2.5.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "cf4b9d6a944f767f8e5e0db018570623c85f3d925ac718db4e06d0187adb21c1"

[[package]]
name = "serde"
version = "1.0.203"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "7253ab4de971e72fb7be983802300c30b5a7f0c2e56fab8abfc6a214307c0094"
dependencies = [
 "bitflags 1.3.2",
]

[[package]]
name = "tracing"
version = "0.2.0"
source = "git+https://github.com/tokio-rs/tracing?branch=master#2b3f7d5a1e2b3c4d5e6f708192a3b4c5d6e7f809"
`;

describe('Cargo.lock (syft parse_cargo_lock.go)', () => {
  it('lists every crate, the workspace’s own included, with cargo purls and the edges its dependencies name', () => {
    const r = run(cargoLockCataloger, { '/src/Cargo.lock': CARGO_LOCK });
    assert.deepEqual(r.packages.map((p) => p.purl).sort(), [
      'pkg:cargo/app@0.1.0',
      'pkg:cargo/bitflags@1.3.2',
      'pkg:cargo/bitflags@2.5.0',
      'pkg:cargo/serde@1.0.203',
      'pkg:cargo/tracing@0.2.0',
    ]);
    assert.deepEqual(edges(r.packages, r.relationships), [
      'app@0.1.0 -> bitflags@2.5.0',
      'app@0.1.0 -> serde@1.0.203',
      'app@0.1.0 -> tracing@0.2.0',
      'serde@1.0.203 -> bitflags@1.3.2',
    ]);
    const serde = r.packages.find((p) => p.name === 'serde')!;
    assert.equal(serde.type, 'rust-crate');
    assert.equal(
      serde.metadata?.checksum,
      '7253ab4de971e72fb7be983802300c30b5a7f0c2e56fab8abfc6a214307c0094',
    );
  });

  it('resolves `name version (source)` dependencies, a git source matched without its commit', () => {
    const lock = `${CARGO_LOCK.replace('"tracing",', '"tracing 0.2.0 (git+https://github.com/tokio-rs/tracing?branch=master)",')}`;
    const r = run(cargoLockCataloger, { '/Cargo.lock': lock });
    assert.ok(edges(r.packages, r.relationships).includes('app@0.1.0 -> tracing@0.2.0'));
  });

  it('skips a Cargo.lock that is not TOML, saying so', () => {
    const r = run(cargoLockCataloger, { '/Cargo.lock': '[[package]\nname = ' });
    assert.deepEqual(r.packages, []);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /^\/Cargo\.lock: not a readable Cargo\.lock/);
  });
});
