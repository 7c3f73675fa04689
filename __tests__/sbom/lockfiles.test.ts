/**
 * Source lockfile catalogers: pnpm-lock.yaml (v5, v6, v9, multi-document), yarn.lock (v1, berry),
 * poetry.lock (syft's own test data in ../shared/fixtures/syft) and uv.lock, with the results
 * syft's tests expect (parse_pnpm_lock_test.go, parse_yarn_lock_test.go, parse_poetry_lock_test.go,
 * dependency_test.go, parse_uv_lock_test.go). The inline lockfiles are written for these tests in
 * each tool's format.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  poetryLockCataloger,
  pnpmLockCataloger,
  SOURCE_CATALOGERS,
  uvLockCataloger,
  yarnLockCataloger,
} from '@release-actions/shared/sbom';
import { silentLogger } from '@release-actions/shared';
import { fixture, needsFixtures } from '../fixtures.ts';
import { edges, ids, purls, run } from './catalog-helpers.ts';
import { skipIf } from '../jest-helpers.ts';

const POETRY = fixture('syft', 'pkg/cataloger/python/testdata/poetry');
const NO_POETRY = needsFixtures('syft', 'pkg/cataloger/python/testdata/poetry');
const REQUIREMENTS = 'pkg/cataloger/python/testdata/requires/requirements.txt';
const NO_REQUIREMENTS = needsFixtures('syft', REQUIREMENTS);

describe('pnpm-lock.yaml', () => {
  it('reads v6: direct dependencies and /name@version(peers) keys, dev entries left out', () => {
    const r = run(pnpmLockCataloger, {
      '/app/pnpm-lock.yaml': `lockfileVersion: '6.0'

dependencies:
  '@testing-library/react':
    specifier: ^13.4.0
    version: 13.4.0(react-dom@18.2.0)(react@18.2.0)
  react:
    specifier: ^18.2.0
    version: 18.2.0

devDependencies:
  typescript:
    specifier: ^5.0.0
    version: 5.0.4

packages:
  /@testing-library/react@13.4.0(react-dom@18.2.0)(react@18.2.0):
    resolution: {integrity: sha512-aaaa}
    peerDependencies:
      react: ^18.0.0
    dependencies:
      '@babel/runtime': 7.21.0
      react: 18.2.0
    dev: false

  /@babel/runtime@7.21.0:
    resolution: {integrity: sha512-bbbb}
    dependencies:
      regenerator-runtime: 0.13.11
    dev: false

  /react@18.2.0:
    resolution: {integrity: sha512-cccc}
    dependencies:
      loose-envify: 1.4.0
    dev: false

  /loose-envify@1.4.0:
    resolution: {integrity: sha512-dddd}
    dev: false

  /regenerator-runtime@0.13.11:
    resolution: {integrity: sha512-eeee}
    dev: false

  /typescript@5.0.4:
    resolution: {integrity: sha512-ffff}
    dev: true
`,
    });
    assert.deepEqual(ids(r.packages), [
      '@babel/runtime@7.21.0',
      '@testing-library/react@13.4.0',
      'loose-envify@1.4.0',
      'react@18.2.0',
      'regenerator-runtime@0.13.11',
    ]);
    assert.ok(r.packages.every((p) => p.type === 'npm' && p.foundBy === 'javascript-lock-cataloger'));
    assert.ok(purls(r.packages).includes('pkg:npm/%40testing-library/react@13.4.0'));
    assert.deepEqual(edges(r.packages, r.relationships), [
      '@babel/runtime@7.21.0 -> regenerator-runtime@0.13.11',
      '@testing-library/react@13.4.0 -> @babel/runtime@7.21.0',
      '@testing-library/react@13.4.0 -> react@18.2.0',
      'react@18.2.0 -> loose-envify@1.4.0',
    ]);
  });

  it('reads v5: /name/version keys with _peer suffixes stripped', () => {
    const r = run(pnpmLockCataloger, {
      '/pnpm-lock.yaml': `lockfileVersion: 5.4

specifiers:
  acorn-jsx: ^5.3.2

dependencies:
  acorn-jsx: 5.3.2_acorn@8.8.0

packages:
  /acorn-jsx/5.3.2_acorn@8.8.0:
    resolution: {integrity: sha512-aaaa}
    peerDependencies:
      acorn: ^8.0.0
    dependencies:
      acorn: 8.8.0
    dev: false

  /acorn/8.8.0:
    resolution: {integrity: sha512-bbbb}
    dev: false

  /@types/node/14.18.12:
    resolution: {integrity: sha512-cccc}
    dev: false
`,
    });
    assert.deepEqual(ids(r.packages), ['@types/node@14.18.12', 'acorn-jsx@5.3.2', 'acorn@8.8.0']);
    assert.deepEqual(edges(r.packages, r.relationships), ['acorn-jsx@5.3.2 -> acorn@8.8.0']);
  });

  it('reads v9: packages plus dependency edges from snapshots (as syft links cross-spawn)', () => {
    const r = run(pnpmLockCataloger, {
      '/pnpm-lock.yaml': `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true

importers:
  .:
    dependencies:
      cross-spawn:
        specifier: ^7.0.6
        version: 7.0.6

packages:
  cross-spawn@7.0.6:
    resolution: {integrity: sha512-aaaa}
    engines: {node: '>= 8'}
  isexe@2.0.0:
    resolution: {integrity: sha512-bbbb}
  path-key@3.1.1:
    resolution: {integrity: sha512-cccc}
  shebang-command@2.0.0:
    resolution: {integrity: sha512-dddd}
  shebang-regex@3.0.0:
    resolution: {integrity: sha512-eeee}
  which@2.0.2:
    resolution: {integrity: sha512-ffff}
  '@babel/helper-plugin-utils@7.24.7':
    resolution: {integrity: sha512-gggg}

snapshots:
  cross-spawn@7.0.6:
    dependencies:
      path-key: 3.1.1
      shebang-command: 2.0.0
      which: 2.0.2
  isexe@2.0.0: {}
  path-key@3.1.1: {}
  shebang-command@2.0.0:
    dependencies:
      shebang-regex: 3.0.0
  shebang-regex@3.0.0: {}
  which@2.0.2:
    dependencies:
      isexe: 2.0.0
  '@babel/helper-plugin-utils@7.24.7(@babel/core@7.24.7)': {}
`,
    });
    assert.deepEqual(ids(r.packages), [
      '@babel/helper-plugin-utils@7.24.7',
      'cross-spawn@7.0.6',
      'isexe@2.0.0',
      'path-key@3.1.1',
      'shebang-command@2.0.0',
      'shebang-regex@3.0.0',
      'which@2.0.2',
    ]);
    assert.ok(purls(r.packages).includes('pkg:npm/%40babel/helper-plugin-utils@7.24.7'));
    // syft's TestParsePnpmLockV9WithDependencies: five DependencyOf edges.
    assert.deepEqual(edges(r.packages, r.relationships), [
      'cross-spawn@7.0.6 -> path-key@3.1.1',
      'cross-spawn@7.0.6 -> shebang-command@2.0.0',
      'cross-spawn@7.0.6 -> which@2.0.2',
      'shebang-command@2.0.0 -> shebang-regex@3.0.0',
      'which@2.0.2 -> isexe@2.0.0',
    ]);
  });

  it('reads every document of a multi-document stream (pnpm config dependencies first)', () => {
    const r = run(pnpmLockCataloger, {
      '/pnpm-lock.yaml': `---
lockfileVersion: '9.0'

importers:
  .:
    configDependencies: {}
    packageManagerDependencies:
      pnpm:
        specifier: 10.0.0
        version: 10.0.0

packages:
  pnpm@10.0.0:
    resolution: {integrity: sha512-aaaa}

snapshots:
  pnpm@10.0.0: {}

---
lockfileVersion: '9.0'

importers:
  .:
    dependencies:
      is-positive:
        specifier: ^3.1.0
        version: 3.1.0

packages:
  is-positive@3.1.0:
    resolution: {integrity: sha512-bbbb}

snapshots:
  is-positive@3.1.0: {}
`,
    });
    assert.deepEqual(ids(r.packages), ['is-positive@3.1.0', 'pnpm@10.0.0']);
  });

  it('warns about a lockfile it cannot read and skips lockfiles inside node_modules', () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warning: (m: string) => warnings.push(m) };
    const r = run(
      pnpmLockCataloger,
      {
        '/bad/pnpm-lock.yaml': 'lockfileVersion: [\n  - : -',
        '/node_modules/x/pnpm-lock.yaml': "lockfileVersion: '9.0'\npackages:\n  x@1.0.0: {}\n",
      },
      logger,
    );
    assert.equal(r.packages.length, 0);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /\/bad\/pnpm-lock\.yaml/);
  });
});

describe('yarn.lock', () => {
  const V1 = `# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.10.4"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.10.4.tgz#168da1a36e90da68ae8d49c0f1b48c7c6249213a"
  integrity sha512-aaaa
  dependencies:
    "@babel/highlight" "^7.10.4"

"@babel/highlight@^7.10.4":
  version "7.10.4"
  resolved "https://registry.yarnpkg.com/@babel/highlight/-/highlight-7.10.4.tgz#7d1bdfd65753538fabe6c38596cdb76d9ac60143"
  integrity sha512-bbbb
  dependencies:
    js-tokens "^4.0.0"

js-tokens@^4.0.0:
  version "4.0.0"
  resolved "https://registry.yarnpkg.com/js-tokens/-/js-tokens-4.0.0.tgz#19203fb59991df98e3a287050d4647cdeaf32499"
  integrity sha512-cccc

string-width-cjs@npm:string-width@^4.2.0:
  version "4.2.3"
  resolved "https://registry.yarnpkg.com/string-width/-/string-width-4.2.3.tgz#269c7117d27b05ad2e536830a8ec895ef9c6d010"
  integrity sha512-dddd

"@my-scope/package-b@file:./packages/b":
  version "1.0.0"

jest@^29.0.0:
  version "29.7.0"
  resolved "https://registry.yarnpkg.com/jest/-/jest-29.7.0.tgz#24c9c3e3a51a2a64b1b6f3cbbb2a1c2f7b8e8d11"
  integrity sha512-eeee
`;

  it('reads v1: names from keys or registry URLs (aliases name the real package), edges by name', () => {
    const r = run(yarnLockCataloger, { '/yarn.lock': V1 });
    assert.deepEqual(ids(r.packages), [
      '@babel/code-frame@7.10.4',
      '@babel/highlight@7.10.4',
      '@my-scope/package-b@1.0.0',
      'jest@29.7.0',
      'js-tokens@4.0.0',
      'string-width@4.2.3',
    ]);
    assert.ok(purls(r.packages).includes('pkg:npm/%40babel/code-frame@7.10.4'));
    assert.deepEqual(edges(r.packages, r.relationships), [
      '@babel/code-frame@7.10.4 -> @babel/highlight@7.10.4',
      '@babel/highlight@7.10.4 -> js-tokens@4.0.0',
    ]);
  });

  it('leaves out packages only the package.json beside it reaches through devDependencies', () => {
    const r = run(yarnLockCataloger, {
      '/yarn.lock': V1,
      '/package.json': JSON.stringify({
        dependencies: { '@babel/code-frame': '^7.0.0' },
        devDependencies: { jest: '^29.0.0', 'js-tokens': '^4.0.0' },
      }),
    });
    // js-tokens is also reached from production dependencies, so it stays.
    assert.ok(!ids(r.packages).includes('jest@29.7.0'));
    assert.ok(ids(r.packages).includes('js-tokens@4.0.0'));
  });

  it('reads berry (YAML): descriptor keys, npm aliases, one package per name@version', () => {
    const r = run(yarnLockCataloger, {
      '/yarn.lock': `# This file is generated by running "yarn install" inside your project.

__metadata:
  version: 6
  cacheKey: 8

"@babel/code-frame@npm:^7.0.0, @babel/code-frame@npm:^7.10.4":
  version: 7.10.4
  resolution: "@babel/code-frame@npm:7.10.4"
  dependencies:
    "@babel/highlight": ^7.10.4
  checksum: feb4543c8a
  languageName: node
  linkType: hard

"@babel/highlight@npm:^7.10.4":
  version: 7.10.4
  resolution: "@babel/highlight@npm:7.10.4"
  checksum: 6fab4679e4
  languageName: node
  linkType: hard

"string-width-cjs@npm:string-width@^4.2.0":
  version: 4.2.3
  resolution: "string-width@npm:4.2.3"
  checksum: e52c10dc3f
  languageName: node
  linkType: hard

"string-width@npm:^4.1.0":
  version: 4.2.3
  resolution: "string-width@npm:4.2.3"
  checksum: e52c10dc3f
  languageName: node
  linkType: hard

"minimatch@npm:^3.1.10":
  version: 3.1.10
  resolution: "minimatch@npm:3.1.10"
  checksum: aaaa
  languageName: node
  linkType: hard
`,
    });
    assert.deepEqual(ids(r.packages), [
      '@babel/code-frame@7.10.4',
      '@babel/highlight@7.10.4',
      'minimatch@3.1.10',
      'string-width@4.2.3',
    ]);
    assert.deepEqual(edges(r.packages, r.relationships), [
      '@babel/code-frame@7.10.4 -> @babel/highlight@7.10.4',
    ]);
  });
});

skipIf(NO_POETRY).describe('poetry.lock (syft test data)', () => {
  const at = async (dir: string) =>
    run(poetryLockCataloger, {
      [`/${dir}/poetry.lock`]: await readFile(`${POETRY}/${dir}/poetry.lock`, 'utf8'),
    });

  it('reads dev-deps as syft does: names, versions, pypi purls', async () => {
    const r = await at('dev-deps');
    assert.deepEqual(ids(r.packages), [
      'added-value@0.14.2',
      'alabaster@0.7.12',
      'appnope@0.1.0',
      'asciitree@0.3.3',
    ]);
    assert.ok(purls(r.packages).includes('pkg:pypi/added-value@0.14.2'));
    assert.ok(r.packages.every((p) => p.type === 'python' && p.foundBy === 'python-package-cataloger'));
  });

  it('links dependencies by normalised name (Django → django), extras included (dependency_test.go)', async () => {
    const r = await at('case-sensitivity');
    assert.deepEqual(edges(r.packages, r.relationships), [
      'dj-rest-auth@7.0.1 -> django@5.2.6',
      'dj-rest-auth@7.0.1 -> djangorestframework@3.16.1',
      'djangorestframework@3.16.1 -> django@5.2.6',
    ]);
    const simple = await at('simple-deps');
    assert.deepEqual(edges(simple.packages, simple.relationships), [
      'requests@2.32.2 -> certifi@2024.2.2',
      'requests@2.32.2 -> charset-normalizer@3.3.2',
      'requests@2.32.2 -> idna@3.7',
      'requests@2.32.2 -> urllib3@2.2.1',
    ]);
  });

  it('reads every syft poetry fixture without a warning', async () => {
    for (const dir of ['conflicting-with-extras', 'multiple-extras', 'nested-extras']) {
      const warnings: string[] = [];
      const text = await readFile(`${POETRY}/${dir}/poetry.lock`, 'utf8');
      const r = run(
        poetryLockCataloger,
        { '/poetry.lock': text },
        { ...silentLogger, warning: (m: string) => warnings.push(m) },
      );
      assert.deepEqual(warnings, [], dir);
      assert.ok(r.packages.length > 0, dir);
      assert.ok(
        r.packages.every((p) => p.purl === `pkg:pypi/${p.name}@${p.version}`),
        dir,
      );
    }
  });
});

describe('uv.lock', () => {
  it('reads packages (the project itself included, as syft does) and their dependencies, extras linked, extra-only deps not', () => {
    const r = run(uvLockCataloger, {
      '/uv.lock': `version = 1
revision = 1
requires-python = ">=3.12"

[[package]]
name = "certifi"
version = "2024.8.30"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/certifi-2024.8.30.tar.gz", hash = "sha256:aaaa", size = 168507 }
wheels = [
    { url = "https://files.pythonhosted.org/certifi-2024.8.30-py3-none-any.whl", hash = "sha256:bbbb", size = 167321 },
]

[[package]]
name = "Markdown-It-Py"
version = "3.0.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "mdurl" },
]

[[package]]
name = "mdurl"
version = "0.1.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pysocks"
version = "1.7.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "certifi" },
    { name = "pysocks", marker = "extra == 'socks'" },
]

[package.optional-dependencies]
socks = [
    { name = "pysocks" },
]

[[package]]
name = "my-app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "markdown-it-py" },
    { name = "requests", extra = ["socks"] },
]

[package.metadata]
requires-dist = [
    { name = "markdown-it-py", specifier = ">=3.0.0" },
    { name = "requests", extras = ["socks"], specifier = ">=2.32" },
]
`,
    });
    assert.deepEqual(ids(r.packages), [
      'certifi@2024.8.30',
      'markdown-it-py@3.0.0',
      'mdurl@0.1.2',
      'my-app@0.1.0',
      'pysocks@1.7.1',
      'requests@2.32.3',
    ]);
    assert.ok(purls(r.packages).includes('pkg:pypi/markdown-it-py@3.0.0'));
    assert.deepEqual(edges(r.packages, r.relationships), [
      'markdown-it-py@3.0.0 -> mdurl@0.1.2',
      'my-app@0.1.0 -> markdown-it-py@3.0.0',
      'my-app@0.1.0 -> requests@2.32.3',
      // requests' socks extra lists pysocks, and syft's specifier counts an extra's requirements too
      'requests@2.32.3 -> certifi@2024.8.30',
      'requests@2.32.3 -> pysocks@1.7.1',
    ]);
  });

  it('refuses a uv.lock version it does not know, with a warning', () => {
    const warnings: string[] = [];
    const r = run(
      uvLockCataloger,
      { '/uv.lock': 'version = 2\n' },
      { ...silentLogger, warning: (m: string) => warnings.push(m) },
    );
    assert.equal(r.packages.length, 0);
    assert.match(warnings[0]!, /version 2/);
  });
});

describe('source catalogers', () => {
  it('include the pnpm, yarn, poetry and uv catalogers', () => {
    const globs = SOURCE_CATALOGERS.flatMap((c) => c.globs);
    for (const g of ['**/pnpm-lock.yaml', '**/yarn.lock', '**/poetry.lock', '**/uv.lock'])
      assert.ok(globs.includes(g), g);
  });
});

describe('requirements.txt (syft parse_requirements_test.go, pinned dependencies only)', () => {
  skipIf(NO_REQUIREMENTS).it(
    "lists the pinned requirements of syft's fixture: continuations, --hash options, extras, markers, a URL after the version",
    async () => {
      const text = await readFile(fixture('syft', REQUIREMENTS), 'utf8');
      const cataloger = SOURCE_CATALOGERS.find((c) => c.name === 'python-package-cataloger')!;
      const { packages } = run(cataloger, { '/requirements.txt': text });
      // syft writes the last purl's version as 1.2.3%2Bgcr.2; packageurl-js leaves a version's `+`
      // unencoded, and both decode to the same version.
      assert.deepEqual(
        packages.map((p) => `${p.name} ${p.version} ${p.purl}`),
        [
          'flask 4.0.0 pkg:pypi/flask@4.0.0',
          'urllib3 1.26.20 pkg:pypi/urllib3@1.26.20',
          'foo 1.0.0 pkg:pypi/foo@1.0.0',
          'someproject 5.4 pkg:pypi/someproject@5.4',
          'dots-allowed 1.0.0 pkg:pypi/dots-allowed@1.0.0',
          'argh 0.26.2 pkg:pypi/argh@0.26.2',
          'argh 0.26.3 pkg:pypi/argh@0.26.3',
          'celery 4.4.7 pkg:pypi/celery@4.4.7',
          'githubsampleproject 3.7.1 pkg:pypi/githubsampleproject@3.7.1',
          'friendly-bard 1.0.0 pkg:pypi/friendly-bard@1.0.0',
          'local-version 1.2.3+gcr.2 pkg:pypi/local-version@1.2.3+gcr.2',
        ],
      );
      assert.ok(packages.every((p) => p.foundBy === 'python-package-cataloger' && p.type === 'python'));
    },
  );
});
