/**
 * The release of release-actions itself (scripts/release/release.ts): internal references
 * rewritten to the release's tag in a temporary copy of the workflows (and left alone the second
 * time), the release check's refusals (a reference not at the tag, named file:line; no changelog
 * section; a tag that is not vX.Y.Z; a stale dist/), the notes taken from the changelog, and where
 * the major tag goes.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { onTestFinished } from '../jest-helpers.ts';
import { REPO_ROOT } from '../fixtures.ts';
import {
  checkRelease,
  CONVENTIONAL_COMMIT,
  findRefs,
  internalRefs,
  majorTag,
  moveUnreleased,
  parseTag,
  releasedWorkflows,
  releaseNotes,
  rewriteInternalRefs,
  type DistCheck,
} from '../../scripts/release/release.ts';

const CURRENT: DistCheck = { ok: true, output: '' };

/** A reusable workflow as ours are written: actions and a workflow of this repository by ref, others not ours. */
const FIXTURE = `name: fixture
on:
  workflow_call:
permissions: {}
jobs:
  release:
    uses: release-actions/release-actions/.github/workflows/promote.yml@v1
  verify:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
      # verify first: release-actions/release-actions/verify-image@v1
      - uses: release-actions/release-actions/verify-image@v1
      - uses: 'release-actions/release-actions/promote@main'
      - uses: acme-release-actions/release-actions/promote@v1
      - uses: ./actions/health-check
`;

const CHANGELOG = `# Changelog

How entries are kept.

## Unreleased

### Features

- **canary:** automatic rollback

### Bug Fixes

- **verify-image:** refuse another key's SBOM

## 1.2.10 — 2026-01-20

### Features

- not this one

## 1.2.0 — 2026-01-10

### Features

- **promote:** history tags

## [1.1.0](https://github.com/release-actions/release-actions/compare/v1.0.0...v1.1.0) (2026-01-01)

### Bug Fixes

- a conventional-changelog heading
`;

/** A temporary repository root holding `files` (path → text), removed when the test ends. */
function tempRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'release-check-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** A root ready for v1.2.0 but for `edit`. */
function releasable(edit: Record<string, string> = {}): string {
  return tempRoot({
    '.github/workflows/fixture.yml': FIXTURE.replace(/@(v1|main)\b/g, '@v1.2.0'),
    'CHANGELOG.md': CHANGELOG,
    ...edit,
  });
}

describe('internal references', () => {
  it('are found with their file, line and column, ours only', () => {
    const refs = findRefs('.github/workflows/fixture.yml', FIXTURE);
    assert.deepEqual(
      refs.map((r) => `${r.line}:${r.column} ${r.target}@${r.ref}`),
      [
        '7:11 .github/workflows/promote.yml@v1',
        '12:23 verify-image@v1',
        '13:15 verify-image@v1',
        '14:16 promote@main',
      ],
    );
  });

  it('prepare rewrites them to the tag in a copy of the workflows, and a second run changes nothing', () => {
    const root = tempRoot({});
    cpSync(join(REPO_ROOT, '.github', 'workflows'), join(root, '.github', 'workflows'), { recursive: true });
    writeFileSync(join(root, '.github/workflows/fixture.yml'), FIXTURE);
    const own = ['ci.yml', 'publish.yml'].map((name) => [
      name,
      readFileSync(join(root, '.github/workflows', name)),
    ]);
    const before = internalRefs(root);
    assert.ok(before.some((r) => r.ref !== 'v1.2.0'));

    const changed = rewriteInternalRefs(root, 'v1.2.0');
    assert.ok(changed.includes('.github/workflows/fixture.yml'));
    const after = internalRefs(root);
    assert.equal(after.length, before.length, 'every reference is still there');
    assert.deepEqual([...after.filter((r) => r.ref !== 'v1.2.0')], []);
    // Only the refs changed (the one of another owner too stays as it was).
    assert.equal(
      readFileSync(join(root, '.github/workflows/fixture.yml'), 'utf8'),
      FIXTURE.replace('promote.yml@v1', 'promote.yml@v1.2.0')
        .replace(/(?<!acme-)(release-actions\/release-actions\/verify-image)@v1$/gm, '$1@v1.2.0')
        .replace("promote@main'", "promote@v1.2.0'"),
    );
    // This repository's own workflows are not released workflows.
    for (const [name, text] of own)
      assert.deepEqual(readFileSync(join(root, '.github/workflows', String(name))), text);
    assert.ok(!releasedWorkflows(root).some((f) => /\/(ci|publish)\.yml$/.test(f)));

    const snapshot = [...readdirSync(join(root, '.github/workflows'))].map((n) =>
      readFileSync(join(root, '.github/workflows', n), 'utf8'),
    );
    assert.deepEqual(rewriteInternalRefs(root, 'v1.2.0'), []);
    assert.deepEqual(
      [...readdirSync(join(root, '.github/workflows'))].map((n) =>
        readFileSync(join(root, '.github/workflows', n), 'utf8'),
      ),
      snapshot,
    );
    assert.deepEqual(
      checkRelease(root, 'v1.2.0', CURRENT).problems.filter((p) => p.includes('.yml:')),
      [],
    );
  });
});

describe('the release check', () => {
  it('passes a root ready for the tag, with the section as notes', () => {
    const result = checkRelease(releasable(), 'v1.2.0', CURRENT);
    assert.deepEqual(result.problems, []);
    assert.equal(result.notes, '### Features\n\n- **promote:** history tags\n');
  });

  it('fails for a reference not at the tag, naming file:line', () => {
    const text = FIXTURE.replace(/@(v1|main)\b/g, '@v1.2.0').replace(
      "verify-image@v1.2.0\n      - uses: '",
      "verify-image@v1.1.0\n      - uses: '",
    );
    const root = releasable({
      '.github/workflows/fixture.yml': text,
      '.github/workflows/ci.yml': 'x: release-actions/release-actions/sbom@v1\n',
    });
    const { problems } = checkRelease(root, 'v1.2.0', CURRENT);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(
      problems[0] ?? '',
      /^\.github\/workflows\/fixture\.yml:13: release-actions\/release-actions\/verify-image@v1\.1\.0 is not at the release's tag v1\.2\.0/,
    );
  });

  it('fails when the changelog has no section for the version, or an empty one, or is missing', () => {
    const noSection = checkRelease(releasable(), 'v1.3.0', { ok: true, output: '' });
    // (the fixture's refs are at v1.2.0, so each of them is named too)
    assert.ok(
      noSection.problems.some((p) => /^CHANGELOG\.md has no \(or an empty\) "## 1\.3\.0" section/.test(p)),
      noSection.problems.join('\n'),
    );
    assert.equal(noSection.notes, undefined);

    const empty = checkRelease(
      releasable({ 'CHANGELOG.md': CHANGELOG.replace('### Features\n\n- **promote:** history tags\n', '') }),
      'v1.2.0',
      CURRENT,
    );
    assert.deepEqual(
      empty.problems.map((p) => p.slice(0, 34)),
      ['CHANGELOG.md has no (or an empty) '],
    );

    const missing = releasable();
    rmSync(join(missing, 'CHANGELOG.md'));
    assert.deepEqual(checkRelease(missing, 'v1.2.0', CURRENT).problems, [
      "CHANGELOG.md is missing: it holds each release's notes",
    ]);
  });

  it('fails for a tag that is not vX.Y.Z', () => {
    for (const tag of ['1.2.0', 'v1.2', 'v1.2.0-rc.1', 'v01.2.0', 'v1.2.0+build', 'release-1.2.0']) {
      const { problems } = checkRelease(releasable(), tag, CURRENT);
      assert.ok(
        problems.some((p) => p.startsWith(`"${tag}" is not a release tag: release tags are vX.Y.Z`)),
        `${tag}: ${problems.join('\n')}`,
      );
      assert.equal(parseTag(tag), undefined, tag);
    }
    assert.deepEqual(parseTag('v10.0.3'), { major: 10, minor: 0, patch: 3, text: '10.0.3' });
  });

  it('fails on a stale dist/, passing on what build.ts --check printed', () => {
    const output = 'actions/canary/dist is stale (index.js): run `npm run build` and commit the result.';
    const { problems } = checkRelease(releasable(), 'v1.2.0', { ok: false, output });
    assert.equal(problems.length, 1);
    assert.ok(problems[0]?.endsWith(`\n${output}`), problems[0]);
  });

  it('fails when there is no reusable workflow to release', () => {
    const root = releasable();
    rmSync(join(root, '.github'), { recursive: true });
    assert.deepEqual(checkRelease(root, 'v1.2.0', CURRENT).problems, [
      'no reusable workflows in .github/workflows',
    ]);
  });
});

describe('the changelog', () => {
  it('gives a version its own section as notes: not a neighbour with a longer number, conventional-changelog headings too', () => {
    assert.equal(releaseNotes(CHANGELOG, '1.2.0'), '### Features\n\n- **promote:** history tags\n');
    assert.equal(releaseNotes(CHANGELOG, '1.2.10'), '### Features\n\n- not this one\n');
    assert.equal(releaseNotes(CHANGELOG, '1.1.0'), '### Bug Fixes\n\n- a conventional-changelog heading\n');
    assert.equal(releaseNotes(CHANGELOG, '1.2.1'), undefined);
    assert.equal(releaseNotes(CHANGELOG, '1.0.0'), undefined);
  });

  it('moves Unreleased under the version, keeping an empty Unreleased, and does it once', () => {
    const released = moveUnreleased(CHANGELOG, '1.3.0', '2026-02-01');
    assert.equal(released, CHANGELOG.replace('## Unreleased\n', '## Unreleased\n\n## 1.3.0 — 2026-02-01\n'));
    assert.equal(
      releaseNotes(released, '1.3.0'),
      "### Features\n\n- **canary:** automatic rollback\n\n### Bug Fixes\n\n- **verify-image:** refuse another key's SBOM\n",
    );
    assert.equal(releaseNotes(released, '1.2.0'), releaseNotes(CHANGELOG, '1.2.0'));
    assert.equal(moveUnreleased(released, '1.3.0', '2026-02-02'), released);
  });

  it('refuses to release nothing, no Unreleased section, or a released version again with new entries', () => {
    const released = moveUnreleased(CHANGELOG, '1.3.0', '2026-02-01');
    assert.throws(() => moveUnreleased(released, '1.4.0', '2026-02-01'), /"## Unreleased" section is empty/);
    assert.throws(
      () => moveUnreleased(CHANGELOG.replace('## Unreleased', '## Next'), '1.3.0', '2026-02-01'),
      /has no "## Unreleased" section/,
    );
    assert.throws(
      () => moveUnreleased(CHANGELOG, '1.2.0', '2026-02-01'),
      /already has a section for 1\.2\.0/,
    );
  });
});

describe('the major tag', () => {
  it('moves to the latest release of its major only', () => {
    const tags = ['v1.0.0', 'v1.2.0', 'v1.1.0', 'v2.0.0', 'v1', 'v2', 'v1.3.0-rc.1', 'nightly'];
    assert.deepEqual(majorTag('v1.3.0', tags), { major: 'v1', move: true, latest: 'v1.3.0' });
    assert.deepEqual(majorTag('v1.1.1', tags), { major: 'v1', move: false, latest: 'v1.2.0' });
    assert.deepEqual(majorTag('v1.2.0', tags), { major: 'v1', move: true, latest: 'v1.2.0' });
    assert.deepEqual(majorTag('v2.0.1', tags), { major: 'v2', move: true, latest: 'v2.0.1' });
    assert.deepEqual(majorTag('v1.10.0', ['v1.9.0']), { major: 'v1', move: true, latest: 'v1.10.0' });
    assert.deepEqual(majorTag('v0.1.0', []), { major: 'v0', move: true, latest: 'v0.1.0' });
    assert.throws(() => majorTag('v1.2', tags), /not a release tag/);
  });
});

describe('Conventional Commits', () => {
  it('are type(scope): subject with the types conventional-changelog knows', () => {
    for (const subject of [
      'feat(canary): rollback',
      'fix: x',
      'feat(sbom,scan)!: y',
      'chore(release): 1.2.0',
      'ci(publish): z',
    ]) {
      assert.ok(CONVENTIONAL_COMMIT.test(subject), subject);
    }
    for (const subject of [
      'Canary: rollback',
      'feat:x',
      'feature(canary): x',
      'feat(): x',
      'fix(a b): x',
      'Merge branch main',
    ]) {
      assert.ok(!CONVENTIONAL_COMMIT.test(subject), subject);
    }
  });
});
