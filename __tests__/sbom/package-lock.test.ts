/**
 * package-lock.json (the `javascript-lock-cataloger` of SOURCE_CATALOGERS and `parsePackageLock`)
 * against syft's own test data (`syft/pkg/cataloger/javascript/testdata/pkg-lock`, in
 * ../shared/fixtures/syft) with what `parse_package_lock_test.go` and `cataloger_test.go`
 * expect of it. syft writes "X dependency-of Y"; here that is Y -> X (Y depends on X). syft's
 * default configuration (`IncludeDevDependencies: false`) leaves dev entries out, as ours does.
 * The inline lockfiles at the end are written in npm's format for cases syft's data lacks.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateSbom,
  parsePackageLock,
  SOURCE_CATALOGERS,
  type Cataloger,
  type Package,
} from '@release-actions/shared/sbom';
import { fixture as inFixtures, needsFixtures } from '../fixtures.ts';
import { edges, ids, run } from './catalog-helpers.ts';
import { assertOfficialSpdx } from './schemas.ts';
import { skipIf } from '../jest-helpers.ts';

const PKG_LOCK = inFixtures('syft', 'pkg/cataloger/javascript/testdata/pkg-lock');
const NO_PKG_LOCK = needsFixtures('syft', 'pkg/cataloger/javascript/testdata/pkg-lock');

const lockCataloger: Cataloger = SOURCE_CATALOGERS.find((c) => c.name === 'javascript-lock-cataloger')!;

/** The cataloger run over one of syft's fixtures. */
const fixture = (name: string) => run(lockCataloger, { [`/${name}`]: readFileSync(join(PKG_LOCK, name)) });

/** `name version purl [licenses]`, sorted. */
const summary = (packages: Package[]) =>
  packages
    .map((p) => `${p.name} ${p.version} ${p.purl}${p.licenses.length ? ` [${p.licenses.join(', ')}]` : ''}`)
    .sort();

/** The packages of syft's package-lock.json v1 fixture (TestParsePackageLock, Test_JavascriptCataloger). */
const V1_PACKAGES = [
  '@actions/core 1.6.0 pkg:npm/%40actions/core@1.6.0',
  'ansi-regex 3.0.0 pkg:npm/ansi-regex@3.0.0',
  'cowsay 1.4.0 pkg:npm/cowsay@1.4.0',
  'get-stdin 5.0.1 pkg:npm/get-stdin@5.0.1',
  'is-fullwidth-code-point 2.0.0 pkg:npm/is-fullwidth-code-point@2.0.0',
  'minimist 0.0.10 pkg:npm/minimist@0.0.10',
  'optimist 0.6.1 pkg:npm/optimist@0.6.1',
  'string-width 2.1.1 pkg:npm/string-width@2.1.1',
  'strip-ansi 4.0.0 pkg:npm/strip-ansi@4.0.0',
  'strip-eof 1.0.0 pkg:npm/strip-eof@1.0.0',
  'wordwrap 0.0.3 pkg:npm/wordwrap@0.0.3',
];

skipIf(NO_PKG_LOCK).describe('package-lock.json v1 (syft parse_package_lock_test.go)', () => {
  // TestParsePackageLock
  it('package-lock.json: every locked dependency, the dev one (async) left out, no edges', () => {
    const r = fixture('package-lock.json');
    assert.deepEqual(summary(r.packages), V1_PACKAGES);
    assert.ok(r.packages.every((p) => p.type === 'npm' && p.foundBy === 'javascript-lock-cataloger'));
    assert.ok(
      r.packages.every((p) => p.locations.length === 1 && p.locations[0]!.path === '/package-lock.json'),
    );
    // a v1 entry's `requires` carries no versions: syft relates nothing in v1, nor do we
    assert.deepEqual(r.relationships, []);
    assert.deepEqual(r.warnings, []);
  });

  // TestParsePackageLockV1NestedDependencies
  it('nested-package-lock-1.json: nested dependencies at every depth, each name@version once, a dev subtree left out', () => {
    const r = fixture('nested-package-lock-1.json');
    // duplicate@1.0.0 is locked twice (top level and under parent): one package; dev-parent is
    // dev, and dev-nested below it goes with it although it is not marked dev itself
    assert.deepEqual(summary(r.packages), [
      'duplicate 1.0.0 pkg:npm/duplicate@1.0.0',
      'middle 1.0.0 pkg:npm/middle@1.0.0',
      'parent 1.0.0 pkg:npm/parent@1.0.0',
      'shared 0.5.0 pkg:npm/shared@0.5.0',
      'shared 1.0.0 pkg:npm/shared@1.0.0',
      'shared 2.0.0 pkg:npm/shared@2.0.0',
    ]);
    assert.equal(new Set(r.packages.map((p) => p.id)).size, r.packages.length);
    assert.deepEqual(r.relationships, []);
  });

  // the dev case of TestParsePackageLockV1NestedDependencies, with syft's IncludeDevDependencies
  it('includeDev keeps the dev subtree (dev-parent and dev-nested)', () => {
    const file = {
      path: '/package-lock.json',
      content: readFileSync(join(PKG_LOCK, 'nested-package-lock-1.json')),
    };
    const r = parsePackageLock(file, { includeDev: true });
    assert.deepEqual(ids(r.packages), [
      'dev-nested@1.0.0',
      'dev-parent@1.0.0',
      'duplicate@1.0.0',
      'middle@1.0.0',
      'parent@1.0.0',
      'shared@0.5.0',
      'shared@1.0.0',
      'shared@2.0.0',
    ]);
  });
});

skipIf(NO_PKG_LOCK).describe('package-lock.json v2 and v3 (syft parse_package_lock_test.go)', () => {
  // TestParsePackageLockV2
  it('package-lock-2.json: the root project (packages[""]) is a package, licenses from the lock, the dev one left out', () => {
    const r = fixture('package-lock-2.json');
    assert.deepEqual(summary(r.packages), [
      '@types/prop-types 15.7.5 pkg:npm/%40types/prop-types@15.7.5 [MIT]',
      '@types/react 18.0.17 pkg:npm/%40types/react@18.0.17 [MIT]',
      '@types/scheduler 0.16.2 pkg:npm/%40types/scheduler@0.16.2 [MIT]',
      'csstype 3.1.0 pkg:npm/csstype@3.1.0 [MIT]',
      'npm 6.14.6 pkg:npm/npm@6.14.6',
    ]);
    // the root's devDependencies (async) are neither a package nor an edge
    assert.deepEqual(edges(r.packages, r.relationships), [
      '@types/react@18.0.17 -> @types/prop-types@15.7.5',
      '@types/react@18.0.17 -> @types/scheduler@0.16.2',
      '@types/react@18.0.17 -> csstype@3.1.0',
      'npm@6.14.6 -> @types/react@18.0.17',
    ]);
  });

  // TestParsePackageLockV3
  it('package-lock-3.json: as v2, no licenses in this lock', () => {
    const r = fixture('package-lock-3.json');
    assert.deepEqual(summary(r.packages), [
      '@types/prop-types 15.7.5 pkg:npm/%40types/prop-types@15.7.5',
      '@types/react 18.0.20 pkg:npm/%40types/react@18.0.20',
      '@types/scheduler 0.16.2 pkg:npm/%40types/scheduler@0.16.2',
      'csstype 3.1.1 pkg:npm/csstype@3.1.1',
      'lock-v3-fixture 1.0.0 pkg:npm/lock-v3-fixture@1.0.0',
    ]);
    assert.deepEqual(edges(r.packages, r.relationships), [
      '@types/react@18.0.20 -> @types/prop-types@15.7.5',
      '@types/react@18.0.20 -> @types/scheduler@0.16.2',
      '@types/react@18.0.20 -> csstype@3.1.1',
      'lock-v3-fixture@1.0.0 -> @types/react@18.0.20',
    ]);
  });

  // with syft's IncludeDevDependencies: the dev entry is a package, still without an edge (the
  // root names it in devDependencies, which syft does not relate)
  it('includeDev keeps the dev entry (async)', () => {
    const file = { path: '/package-lock.json', content: readFileSync(join(PKG_LOCK, 'package-lock-3.json')) };
    const r = parsePackageLock(file, { includeDev: true });
    assert.ok(ids(r.packages).includes('async@3.2.4'));
    assert.equal(r.packages.length, 6);
    assert.ok(!edges(r.packages, r.relationships).some((e) => e.includes('async')));
  });

  // TestParsePackageLockLicenseWithArray
  it('array-license-package-lock.json: a license array gives every license', () => {
    const r = fixture('array-license-package-lock.json');
    assert.deepEqual(summary(r.packages), [
      'pause-stream 0.0.11 pkg:npm/pause-stream@0.0.11 [MIT, Apache2]',
      'through 2.3.8 pkg:npm/through@2.3.8 [MIT]',
      'tmp 1.0.0 pkg:npm/tmp@1.0.0 [ISC]',
    ]);
    assert.deepEqual(edges(r.packages, r.relationships), [
      'pause-stream@0.0.11 -> through@2.3.8',
      'tmp@1.0.0 -> pause-stream@0.0.11',
    ]);
  });
});

skipIf(NO_PKG_LOCK).describe('package-lock.json aliases (syft TestParsePackageLockAlias)', () => {
  const common = [
    '@bundled-es-modules/chai 4.2.2 pkg:npm/%40bundled-es-modules/chai@4.2.2',
    'case 1.6.2 pkg:npm/case@1.6.2',
    'case 1.6.3 pkg:npm/case@1.6.3',
  ];

  it('alias-package-lock-1.json (v1): `npm:<real>@<version>` names the real package; no root, no edges', () => {
    const r = fixture('alias-package-lock-1.json');
    assert.deepEqual(summary(r.packages), common);
    assert.deepEqual(r.relationships, []);
  });

  it('alias-package-lock-2.json (v2): the entry’s `name` is the real package; the root depends on all three', () => {
    const r = fixture('alias-package-lock-2.json');
    assert.deepEqual(
      summary(r.packages),
      [...common, 'alias-check 1.0.0 pkg:npm/alias-check@1.0.0 [ISC]'].sort(),
    );
    assert.deepEqual(edges(r.packages, r.relationships), [
      'alias-check@1.0.0 -> @bundled-es-modules/chai@4.2.2',
      'alias-check@1.0.0 -> case@1.6.2',
      'alias-check@1.0.0 -> case@1.6.3',
    ]);
  });
});

skipIf(NO_PKG_LOCK).describe('package-lock.json files syft refuses or skips', () => {
  // Test_corruptPackageLock (syft's testdata/corrupt/package-lock.json, a truncated document)
  it('a corrupt lock is an error of parsePackageLock; the cataloger warns and skips the file', () => {
    const corrupt = '{\n  "requires": true,\n  "lockfi\n}\n';
    assert.throws(
      () => parsePackageLock({ path: '/package-lock.json', content: Buffer.from(corrupt) }),
      SyntaxError,
    );
    const r = run(lockCataloger, {
      '/package-lock.json': corrupt,
      '/app/package-lock.json': readFileSync(join(PKG_LOCK, 'package-lock-3.json')),
    });
    assert.equal(r.packages.length, 5);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /^\/package-lock\.json: not a readable package-lock\.json/);
  });

  // parse_package_lock.go: a lockfile inside node_modules is an installed package's, not the project's
  it('a lockfile inside a node_modules directory is not read', () => {
    const lock = readFileSync(join(PKG_LOCK, 'package-lock-3.json'));
    const r = run(lockCataloger, {
      '/node_modules/x/package-lock.json': lock,
      '/app/node_modules/package-lock.json': lock,
    });
    assert.deepEqual(r.packages, []);
    assert.deepEqual(r.warnings, []);
  });

  // Test_JavascriptCataloger: the directory holds all the fixtures, only package-lock.json is one
  // by name. syft also reads node_modules/<name>/package.json beside the lock for licenses (MIT for
  // @actions/core and cowsay); directory sources here never descend into node_modules, so ours
  // carry none (a deliberate difference)
  it('a directory: only package-lock.json is read, node_modules beside it is not', async () => {
    const result = await generateSbom({ path: PKG_LOCK });
    console.log(assertOfficialSpdx(result.spdx));
    assert.deepEqual(summary(result.packages), V1_PACKAGES);
    assert.ok(result.packages.every((p) => p.foundBy === 'javascript-lock-cataloger'));
  });
});

describe('package-lock.json cases syft’s data lacks (inline npm locks)', () => {
  const lock = (packages: Record<string, unknown>) =>
    JSON.stringify({ name: 'app', lockfileVersion: 3, requires: true, packages });

  it('a name@version locked at several paths is one package with the edges of each', () => {
    const r = run(lockCataloger, {
      '/package-lock.json': lock({
        '': { name: 'app', version: '1.0.0', dependencies: { a: '^1', b: '^1' } },
        'node_modules/a': { version: '1.0.0', dependencies: { x: '^1' } },
        'node_modules/a/node_modules/x': { version: '1.0.0', dependencies: { y: '^1' } },
        'node_modules/b': { version: '1.0.0', dependencies: { x: '^1' } },
        'node_modules/b/node_modules/x': { version: '1.0.0', dependencies: { y: '^1' } },
        'node_modules/x': { version: '2.0.0' },
        'node_modules/y': { version: '1.0.0' },
      }),
    });
    assert.deepEqual(ids(r.packages), ['a@1.0.0', 'app@1.0.0', 'b@1.0.0', 'x@1.0.0', 'x@2.0.0', 'y@1.0.0']);
    assert.equal(new Set(r.packages.map((p) => p.id)).size, r.packages.length);
    // edges follow Node's module resolution: a and b load their nested x@1.0.0, never x@2.0.0
    // (syft links by name, to every locked version of x); each edge once
    assert.deepEqual(edges(r.packages, r.relationships), [
      'a@1.0.0 -> x@1.0.0',
      'app@1.0.0 -> a@1.0.0',
      'app@1.0.0 -> b@1.0.0',
      'b@1.0.0 -> x@1.0.0',
      'x@1.0.0 -> y@1.0.0',
    ]);
  });

  it('workspaces: a link is the package it points to, edges to it follow the link', () => {
    const r = run(lockCataloger, {
      '/package-lock.json': lock({
        '': { name: 'app', version: '1.0.0', workspaces: ['packages/*'] },
        'node_modules/@app/lib': { resolved: 'packages/lib', link: true },
        'node_modules/@app/cli': { resolved: 'packages/cli', link: true },
        'node_modules/left-pad': { version: '1.3.0', license: 'WTFPL' },
        'packages/lib': { name: '@app/lib', version: '0.2.0', dependencies: { 'left-pad': '^1.3.0' } },
        'packages/cli': { name: '@app/cli', version: '0.1.0', dependencies: { '@app/lib': '*' } },
      }),
    });
    // syft also lists each link as a package of its own without a version: we do not
    assert.deepEqual(summary(r.packages), [
      '@app/cli 0.1.0 pkg:npm/%40app/cli@0.1.0',
      '@app/lib 0.2.0 pkg:npm/%40app/lib@0.2.0',
      'app 1.0.0 pkg:npm/app@1.0.0',
      'left-pad 1.3.0 pkg:npm/left-pad@1.3.0 [WTFPL]',
    ]);
    assert.deepEqual(edges(r.packages, r.relationships), [
      '@app/cli@0.1.0 -> @app/lib@0.2.0',
      '@app/lib@0.2.0 -> left-pad@1.3.0',
    ]);
  });

  it('the root project without a version is a package at no version, as syft lists it; without a name it is none', () => {
    const named = run(lockCataloger, {
      '/package-lock.json': lock({
        '': { name: 'app', dependencies: { a: '^1' } },
        'node_modules/a': { version: '1.0.0' },
      }),
    });
    assert.deepEqual(summary(named.packages), ['a 1.0.0 pkg:npm/a@1.0.0', 'app  pkg:npm/app']);
    assert.deepEqual(edges(named.packages, named.relationships), ['app@ -> a@1.0.0']);
    const unnamed = run(lockCataloger, {
      '/package-lock.json': lock({
        '': { dependencies: { a: '^1' } },
        'node_modules/a': { version: '1.0.0' },
      }),
    });
    assert.deepEqual(ids(unnamed.packages), ['a@1.0.0']);
    assert.deepEqual(unnamed.relationships, []);
  });
});
