/**
 * `npm run release:prepare` and `npm run release:check` as a release manager and publish.yml run
 * them, in a temporary git repository holding copies of scripts/build.ts and scripts/release/, a
 * reusable workflow and a changelog: prepare refuses a dirty tree, makes the release commit and is
 * idempotent; check passes the tagged commit and writes its notes and the major-tag decision, and
 * fails naming file:line for a reference not at the tag, and a tag off the branch, and warns of
 * commits that are not Conventional Commits. The last test runs the real `scripts/build.ts --check`
 * over a small action: prepare refuses a stale dist/ and writes nothing, and check names it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { onTestFinished } from '../jest-helpers.ts';
import { REPO_ROOT } from '../fixtures.ts';
import { checkDist, checkRelease } from '../../scripts/release/release.ts';

const WORKFLOW = `on:
  workflow_call:
permissions: {}
jobs:
  verify:
    runs-on: ubuntu-24.04
    steps:
      - uses: release-actions/release-actions/verify-image@v1
      - uses: release-actions/release-actions/promote@v1
`;

const CHANGELOG = `# Changelog

## Unreleased

### Features

- **promote:** history tags
`;

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Release Test',
  GIT_AUTHOR_EMAIL: 'release@example.invalid',
  GIT_COMMITTER_NAME: 'Release Test',
  GIT_COMMITTER_EMAIL: 'release@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

function git(root: string, ...args: string[]): string {
  const run = spawnSync('git', args, { cwd: root, env: GIT_ENV, encoding: 'utf8' });
  assert.equal(run.status, 0, `git ${args.join(' ')}: ${run.stderr}`);
  return run.stdout.trimEnd();
}

function script(root: string, name: 'prepare' | 'check', ...args: string[]) {
  const run = spawnSync(process.execPath, [join(root, 'scripts', 'release', `${name}.ts`), ...args], {
    cwd: root,
    env: GIT_ENV,
    encoding: 'utf8',
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A git repository with the release scripts, build.ts (no action to bundle), a reusable workflow and a changelog. */
function repository(): string {
  const root = mkdtempSync(join(tmpdir(), 'release-cli-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'scripts'));
  cpSync(join(REPO_ROOT, 'scripts', 'build.ts'), join(root, 'scripts', 'build.ts'));
  cpSync(join(REPO_ROOT, 'scripts', 'release'), join(root, 'scripts', 'release'), { recursive: true });
  mkdirSync(join(root, '.github', 'workflows'), { recursive: true });
  cpSync(
    join(REPO_ROOT, '.github', 'workflows', 'publish.yml'),
    join(root, '.github', 'workflows', 'publish.yml'),
  );
  writeFileSync(join(root, '.github', 'workflows', 'release.yml'), WORKFLOW);
  writeFileSync(join(root, 'CHANGELOG.md'), CHANGELOG);
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '.');
  git(root, 'commit', '-q', '-m', 'feat: the first');
  return root;
}

const today = () => new Date().toISOString().slice(0, 10);

describe('release:prepare', () => {
  it('refuses a work tree with changes, naming them, and writes nothing', () => {
    const root = repository();
    appendFileSync(join(root, 'CHANGELOG.md'), '- one more\n');
    const run = script(root, 'prepare', '1.2.0');
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /the work tree has changes/);
    assert.match(run.stderr, /M CHANGELOG\.md/);
    assert.equal(readFileSync(join(root, '.github/workflows/release.yml'), 'utf8'), WORKFLOW);
  });

  it('refuses a version that is not X.Y.Z', () => {
    const run = script(repository(), 'prepare', '1.2');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /"1\.2" is not a version X\.Y\.Z/);
  });

  it('makes the release commit with --commit, prints the tag and push commands, and a second run changes nothing', () => {
    const root = repository();
    const run = script(root, 'prepare', '1.2.0', '--commit');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(git(root, 'log', '-1', '--format=%s'), 'chore(release): 1.2.0');
    assert.deepEqual(git(root, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort(), [
      '.github/workflows/release.yml',
      'CHANGELOG.md',
    ]);
    assert.equal(
      readFileSync(join(root, '.github/workflows/release.yml'), 'utf8'),
      WORKFLOW.replaceAll('@v1\n', '@v1.2.0\n'),
    );
    assert.match(
      readFileSync(join(root, 'CHANGELOG.md'), 'utf8'),
      new RegExp(`## Unreleased\\n\\n## 1\\.2\\.0 — ${today()}\\n\\n### Features`),
    );
    assert.match(
      run.stdout,
      /git tag -a v1\.2\.0 -m "v1\.2\.0"\n {2}git push --atomic origin HEAD:main v1\.2\.0/,
    );
    assert.doesNotMatch(run.stdout, /git commit/);

    const head = git(root, 'rev-parse', 'HEAD');
    const again = script(root, 'prepare', '1.2.0', '--commit');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to change: v1\.2\.0 is prepared already/);
    assert.equal(git(root, 'rev-parse', 'HEAD'), head);
    assert.equal(git(root, 'status', '--porcelain'), '');
  });

  it('without --commit leaves the changes for review and prints the commit command', () => {
    const root = repository();
    const run = script(root, 'prepare', '1.2.0');
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /git add \.github\/workflows CHANGELOG\.md && git commit -m "chore\(release\): 1\.2\.0"/,
    );
    assert.deepEqual(git(root, 'status', '--porcelain').split('\n').sort(), [
      ' M .github/workflows/release.yml',
      ' M CHANGELOG.md',
    ]);
  });

  it('refuses a version whose tag exists on another commit', () => {
    const root = repository();
    git(root, 'tag', 'v1.2.0');
    writeFileSync(join(root, 'x'), '');
    git(root, 'add', 'x');
    git(root, 'commit', '-q', '-m', 'fix: x');
    const run = script(root, 'prepare', '1.2.0');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /v1\.2\.0 exists already/);
  });
});

describe('release:check', () => {
  /** A repository after prepare --commit and the tag. */
  function released(): string {
    const root = repository();
    assert.equal(script(root, 'prepare', '1.2.0', '--commit').code, 0);
    git(root, 'tag', '-a', 'v1.2.0', '-m', 'v1.2.0');
    return root;
  }

  it('passes the tagged release commit: notes to the file, the major-tag decision to the output file', () => {
    const root = released();
    const notes = join(root, '..', `${root.split('/').pop()}-notes.md`);
    const output = join(root, '..', `${root.split('/').pop()}-output`);
    onTestFinished(() => rmSync(notes, { force: true }));
    onTestFinished(() => rmSync(output, { force: true }));
    const run = script(
      root,
      'check',
      'v1.2.0',
      '--notes-file',
      notes,
      '--github-output',
      output,
      '--on',
      'main',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(readFileSync(notes, 'utf8'), '### Features\n\n- **promote:** history tags\n');
    assert.equal(readFileSync(output, 'utf8'), 'major=v1\nmove-major=true\nlatest=v1.2.0\n');
  });

  it('keeps the major tag on a later release when a patch of an older minor is published', () => {
    const root = released();
    git(root, 'tag', 'v1.3.0');
    const output = join(root, '..', `${root.split('/').pop()}-output`);
    onTestFinished(() => rmSync(output, { force: true }));
    const run = script(root, 'check', 'v1.2.0', '--github-output', output);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(readFileSync(output, 'utf8'), 'major=v1\nmove-major=false\nlatest=v1.3.0\n');
    assert.equal(run.stdout.startsWith('### Features\n'), true, 'without --notes-file the notes are printed');
  });

  it('fails naming file:line for a reference not at the tag, and a bad tag', () => {
    const root = released();
    const path = join(root, '.github/workflows/release.yml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('promote@v1.2.0', 'promote@v1'));
    const run = script(root, 'check', 'v1.2.0');
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^- \.github\/workflows\/release\.yml:9: release-actions\/release-actions\/promote@v1 is not at the release's tag v1\.2\.0/m,
    );
    assert.equal(run.stdout, '', 'no notes are printed for a release that fails');

    const bad = script(root, 'check', 'v1.2');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /"v1\.2" is not a release tag/);
  });

  it('warns of each commit since the previous release that is not a Conventional Commit, and passes', () => {
    const root = released();
    for (const [file, subject] of [
      ['a', 'feat(canary): a'],
      ['b', 'Plain subject'],
      ['c', 'fix!: c'],
    ] as const) {
      writeFileSync(join(root, file), file);
      git(root, 'add', file);
      git(root, 'commit', '-q', '-m', subject);
    }
    const path = join(root, 'CHANGELOG.md');
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace('## Unreleased\n', '## Unreleased\n\n### Bug Fixes\n\n- c\n'),
    );
    git(root, 'commit', '-q', '-am', 'docs: changelog');
    assert.equal(script(root, 'prepare', '1.3.0', '--commit').code, 0);
    git(root, 'tag', 'v1.3.0');
    const plain = git(root, 'log', '--format=%h', '--grep', '^Plain subject$');
    const run = script(root, 'check', 'v1.3.0');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stderr,
      `warning: commit ${plain} "Plain subject" is not a Conventional Commit (type(scope): subject)\n` +
        '4 of 5 commits since v1.2.0 are Conventional Commits\n',
    );
    assert.equal(run.stdout, '### Bug Fixes\n\n- c\n');
    // Before the first release there is no previous one: nothing is said.
    assert.equal(script(root, 'check', 'v1.2.0').stderr.includes('warning'), false);
  });

  it('fails for a tag that is not on the branch named by --on', () => {
    const root = released();
    git(root, 'checkout', '-q', '-b', 'side', 'v1.2.0');
    git(root, 'checkout', '-q', 'main');
    git(root, 'reset', '-q', '--hard', 'HEAD~1');
    git(root, 'checkout', '-q', 'side');
    const run = script(root, 'check', 'v1.2.0', '--on', 'main');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /v1\.2\.0 is not on main/);
  });

  it('refuses a stale dist/ (prepare writes nothing) with the real scripts/build.ts --check over an action of its own', () => {
    // A small action of the test's own (not a copy of ours, whose sources other work may be
    // changing between the build and the check), bundled by the real build.ts with the real ncc.
    const root = repository();
    const action = join(root, 'actions', 'hello');
    mkdirSync(join(action, 'src'), { recursive: true });
    writeFileSync(
      join(action, 'action.yml'),
      "name: hello\nruns:\n  using: node24\n  main: 'dist/index.js'\n",
    );
    writeFileSync(join(action, 'package.json'), '{ "name": "hello", "private": true, "type": "module" }\n');
    writeFileSync(
      join(action, 'tsconfig.json'),
      '{ "compilerOptions": { "module": "NodeNext", "target": "ES2023" } }\n',
    );
    writeFileSync(
      join(action, 'src', 'index.ts'),
      "const greeting: string = 'hello';\nconsole.log(greeting);\n",
    );
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
    writeFileSync(join(root, '.gitignore'), '/node_modules\n');
    const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.ts')], { encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    git(root, 'add', '.');
    git(root, 'commit', '-q', '-m', 'feat(hello): an action');
    assert.deepEqual(checkDist(root), { ok: true, output: 'actions/hello/dist is up to date' });

    appendFileSync(join(action, 'dist', 'index.js'), '// edited by hand\n');
    git(root, 'commit', '-q', '-am', 'fix(hello): by hand');
    const stale = checkDist(root);
    assert.equal(stale.ok, false);
    assert.match(stale.output, /actions\/hello\/dist is stale \(index\.js\)/);

    const run = script(root, 'prepare', '1.2.0', '--commit');
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /actions\/hello\/dist is stale \(index\.js\)[^]*rebuild \(npm run build\)/);
    assert.equal(git(root, 'status', '--porcelain'), '', 'nothing was written');
    assert.equal(git(root, 'log', '-1', '--format=%s'), 'fix(hello): by hand');

    const { problems } = checkRelease(root, 'v1.2.0');
    assert.ok(
      problems.some((p) =>
        /^a dist\/ bundle or action\.yml is stale[^]*actions\/hello\/dist is stale/.test(p),
      ),
      problems.join('\n'),
    );
  });
});
