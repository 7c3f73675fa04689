/**
 * What releasing release-actions itself needs, shared by `prepare.ts` and `check.ts`:
 *
 * - the **internal references**: every `release-actions/release-actions/<action or workflow>@<ref>`
 *   in the reusable workflows (`.github/workflows/*.yml` but this repository's own `ci.yml` and
 *   `publish.yml`), which must name the release's own tag on the release's commit, so that a
 *   consumer calling `…/.github/workflows/release.yml@v1.2.0` runs the actions of v1.2.0;
 * - the **changelog**: `## Unreleased` becomes `## X.Y.Z — <date>`, and that section is the
 *   release's notes;
 * - the **bundles**: `scripts/build.ts --check`, run as it is (not copied), fails on a stale `dist/`;
 * - the **major tag** `vX`: moved to a release only when no later `vX.*.*` release exists;
 * - the **commit history** since the previous release, whose subjects should be Conventional Commits.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository whose actions and workflows are ours. */
export const OWN_REPOSITORY = 'release-actions/release-actions';

/** This repository's own workflows: not reusable, not called by consumers, never rewritten. */
export const OWN_WORKFLOWS: readonly string[] = ['ci.yml', 'publish.yml'];

export const WORKFLOWS_DIR = '.github/workflows';
export const CHANGELOG = 'CHANGELOG.md';

/** `X.Y.Z` (no leading zeros, no pre-release or build part). */
const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** `X.Y.Z` */
  text: string;
}

/** A version `X.Y.Z`, or undefined when `text` is not one. */
export function parseVersion(text: string): Version | undefined {
  const m = VERSION.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text };
}

/** The version of a release tag `vX.Y.Z`, or undefined when `tag` is not one. */
export function parseTag(tag: string): Version | undefined {
  return tag.startsWith('v') ? parseVersion(tag.slice(1)) : undefined;
}

/** Why `tag` is not a release tag, as a sentence naming the expected form. */
export function badTagMessage(tag: string): string {
  return (
    `"${tag}" is not a release tag: release tags are vX.Y.Z (e.g. v1.2.0; no pre-release or build ` +
    `suffix, no leading zeros)`
  );
}

/** One `release-actions/release-actions/<target>@<ref>` in a workflow file. */
export interface InternalRef {
  /** The file, relative to the repository root (`.github/workflows/release.yml`). */
  file: string;
  /** 1-based line and column of the reference's first character. */
  line: number;
  column: number;
  /** What is referenced: an action (`verify-image`) or a workflow (`.github/workflows/promote.yml`). */
  target: string;
  ref: string;
}

// The owner/repository not as the end of a longer name (`acme-release-actions/…`) or path.
const REF = /(?<![\w./-])release-actions\/release-actions\/([A-Za-z0-9._/-]+)@([A-Za-z0-9._/-]+)/g;

/** The reusable workflows whose internal references follow the release: `.github/workflows/*.yml` but ours. */
export function releasedWorkflows(root: string): string[] {
  const dir = join(root, WORKFLOWS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name) && !OWN_WORKFLOWS.includes(name))
    .sort()
    .map((name) => `${WORKFLOWS_DIR}/${name}`);
}

/** The internal references in one file's text. */
export function findRefs(file: string, text: string): InternalRef[] {
  const refs: InternalRef[] = [];
  text.split('\n').forEach((content, i) => {
    for (const m of content.matchAll(REF)) {
      refs.push({ file, line: i + 1, column: m.index + 1, target: m[1] ?? '', ref: m[2] ?? '' });
    }
  });
  return refs;
}

/** Every internal reference in the released workflows, in file and line order. */
export function internalRefs(root: string): InternalRef[] {
  return releasedWorkflows(root).flatMap((file) => findRefs(file, readFileSync(join(root, file), 'utf8')));
}

/** `text` with every internal reference at `ref`. */
export function rewriteRefs(text: string, ref: string): string {
  return text.replace(REF, (_all, target: string) => `${OWN_REPOSITORY}/${target}@${ref}`);
}

/**
 * Points every internal reference of the released workflows at `ref`, writing only the files that
 * change; returns those files (relative). A second run with the same `ref` changes nothing.
 */
export function rewriteInternalRefs(root: string, ref: string): string[] {
  const changed: string[] = [];
  for (const file of releasedWorkflows(root)) {
    const path = join(root, file);
    const before = readFileSync(path, 'utf8');
    const after = rewriteRefs(before, ref);
    if (after !== before) {
      writeFileSync(path, after);
      changed.push(file);
    }
  }
  return changed;
}

/** `file:line: <target>@<ref> ...`, one per reference that is not at `tag`. */
export function refMismatches(refs: readonly InternalRef[], tag: string): string[] {
  return refs
    .filter((r) => r.ref !== tag)
    .map(
      (r) =>
        `${r.file}:${r.line}: ${OWN_REPOSITORY}/${r.target}@${r.ref} is not at the release's tag ${tag}: ` +
        `run npm run release:prepare -- ${tag.slice(1)} and tag its commit`,
    );
}

// ----- changelog -----

interface Section {
  /** Index of the heading line. */
  start: number;
  /** Index of the line after the section (the next `## ` heading or the end). */
  end: number;
  heading: string;
}

const UNRELEASED = /^## Unreleased\s*$/i;

/** The `## ` sections of a changelog (`###` and deeper belong to their section). */
function sections(lines: readonly string[]): Section[] {
  const starts = lines.flatMap((l, i) => (/^## /.test(l) ? [i] : []));
  return starts.map((start, k) => ({
    start,
    end: starts[k + 1] ?? lines.length,
    heading: lines[start] ?? '',
  }));
}

/** `## X.Y.Z`, as this scheme writes it (`## 1.2.0 — 2026-01-31`) or conventional-changelog does (`## [1.2.0](…) (2026-01-31)`). */
function isVersionHeading(heading: string, version: string): boolean {
  const escaped = version.replace(/\./g, '\\.');
  return new RegExp(`^## \\[?v?${escaped}\\]?(?=$|[\\s(—–-])`).test(heading);
}

function body(lines: readonly string[], s: Section): string {
  return lines
    .slice(s.start + 1, s.end)
    .join('\n')
    .trim();
}

/** The notes of `version`: its section's text without the heading, or undefined when it has none or an empty one. */
export function releaseNotes(changelog: string, version: string): string | undefined {
  const lines = changelog.split('\n');
  const section = sections(lines).find((s) => isVersionHeading(s.heading, version));
  if (!section) return undefined;
  const text = body(lines, section);
  return text === '' ? undefined : `${text}\n`;
}

/**
 * The changelog with its `## Unreleased` entries moved under `## X.Y.Z — <date>`, and an empty
 * `## Unreleased` left above for the next ones. Unchanged when `version` already has its section and
 * nothing is unreleased (prepare run twice). Throws, saying what to do, when there is nothing to
 * release, or when `version` was released already and new entries wait.
 */
export function moveUnreleased(changelog: string, version: string, date: string): string {
  const lines = changelog.split('\n');
  const all = sections(lines);
  const unreleased = all.find((s) => UNRELEASED.test(s.heading));
  const pending = unreleased ? body(lines, unreleased) : '';
  const existing = all.find((s) => isVersionHeading(s.heading, version));
  if (existing) {
    if (pending === '') return changelog;
    throw new Error(
      `${CHANGELOG} already has a section for ${version} ("${existing.heading}") and more under ` +
        `"## Unreleased": release those as a new version`,
    );
  }
  if (!unreleased) {
    throw new Error(
      `${CHANGELOG} has no "## Unreleased" section to release as ${version}: add one with the changes since the last release`,
    );
  }
  if (pending === '') {
    throw new Error(
      `${CHANGELOG}'s "## Unreleased" section is empty: there is nothing to release as ${version}`,
    );
  }
  const moved = [
    ...lines.slice(0, unreleased.start),
    lines[unreleased.start] ?? '## Unreleased',
    '',
    `## ${version} — ${date}`,
    ...lines.slice(unreleased.start + 1),
  ];
  return moved.join('\n');
}

// ----- bundles -----

export interface DistCheck {
  ok: boolean;
  /** What `scripts/build.ts --check` printed (each stale dist/ and action.yml named). */
  output: string;
}

/** Runs the repository's own `scripts/build.ts --check` (every dist/ rebuilt in a temporary folder and compared). */
export function checkDist(root: string): DistCheck {
  const run = spawnSync(process.execPath, [join(root, 'scripts', 'build.ts'), '--check'], {
    cwd: root,
    encoding: 'utf8',
  });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}`.trim();
  return { ok: run.status === 0, output };
}

// ----- the major tag -----

export interface MajorTag {
  /** `vX` */
  major: string;
  /** Whether `vX` should move to this release: no later `vX.*.*` release exists. */
  move: boolean;
  /** The latest `vX.*.*` release among the tags (this one included). */
  latest: string;
}

function compare(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** The highest release tag (vX.Y.Z) among `tags`; others are passed over. */
function latestRelease(tags: readonly string[]): string | undefined {
  return tags
    .map((t) => ({ t, v: parseTag(t) }))
    .filter((x): x is { t: string; v: Version } => x.v !== undefined)
    .sort((a, b) => compare(b.v, a.v))[0]?.t;
}

/** Where `vX` goes when `tag` is released and `tags` exist: a patch of an older minor leaves it on the latest. */
export function majorTag(tag: string, tags: readonly string[]): MajorTag {
  const version = parseTag(tag);
  if (!version) throw new Error(badTagMessage(tag));
  const last = latestRelease([tag, ...tags].filter((t) => parseTag(t)?.major === version.major)) ?? tag;
  return { major: `v${version.major}`, move: last === tag, latest: last };
}

/** The repository's tags (`git tag --list 'v*'`). */
export function gitTags(root: string): string[] {
  const run = spawnSync('git', ['tag', '--list', 'v*'], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`git tag --list failed: ${run.stderr.trim() || run.error}`);
  return run.stdout.split('\n').filter((t) => t !== '');
}

// ----- Conventional Commits -----

/** `type(scope): subject` (scope optional, `!` for a breaking change), with the types conventional-changelog knows. */
export const CONVENTIONAL_COMMIT =
  /^(build|chore|ci|docs|feat|fix|perf|refactor|revert|style|test)(\([\w./@-]+(, ?[\w./@-]+)*\))?!?: \S/;

export interface Commit {
  hash: string;
  subject: string;
}

/**
 * The commits (merges left out) since the latest release tag reachable from `tag` other than
 * `tag` itself; `previous` is undefined, and `commits` empty, before the first release.
 */
export function commitsSincePreviousRelease(
  root: string,
  tag: string,
): { previous?: string; commits: Commit[] } {
  const merged = spawnSync('git', ['tag', '--merged', `${tag}^{commit}`, '--list', 'v*'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (merged.status !== 0) return { commits: [] };
  const previous = latestRelease(merged.stdout.split('\n').filter((t) => t !== '' && t !== tag));
  if (previous === undefined) return { commits: [] };
  const log = spawnSync('git', ['log', '--no-merges', '--format=%h%x09%s', `${previous}..${tag}^{commit}`], {
    cwd: root,
    encoding: 'utf8',
  });
  const commits = log.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [hash = '', ...rest] = l.split('\t');
      return { hash, subject: rest.join('\t') };
    });
  return { previous, commits };
}

// ----- the release check -----

export interface ReleaseCheck {
  /** Each problem, one line, naming the file (and line) and the fix. Empty: the release may be published. */
  problems: string[];
  /** The version's changelog section, when it has one. */
  notes?: string;
}

/**
 * Checks that the repository at `root` may be released as `tag`: `tag` is `vX.Y.Z`, every internal
 * reference is at `tag`, the changelog has the version's section, and (unless `dist` is given
 * as a result already known) every dist/ is current. All problems are reported at once.
 */
export function checkRelease(root: string, tag: string, dist: DistCheck = checkDist(root)): ReleaseCheck {
  const problems: string[] = [];
  const version = parseTag(tag);
  if (!version) problems.push(badTagMessage(tag));
  if (releasedWorkflows(root).length === 0) problems.push(`no reusable workflows in ${WORKFLOWS_DIR}`);
  problems.push(...refMismatches(internalRefs(root), tag));
  let notes: string | undefined;
  const changelogPath = join(root, CHANGELOG);
  if (!existsSync(changelogPath)) {
    problems.push(`${CHANGELOG} is missing: it holds each release's notes`);
  } else if (version) {
    notes = releaseNotes(readFileSync(changelogPath, 'utf8'), version.text);
    if (notes === undefined) {
      problems.push(
        `${CHANGELOG} has no (or an empty) "## ${version.text}" section: run npm run release:prepare -- ${version.text}`,
      );
    }
  }
  if (!dist.ok) {
    problems.push(`a dist/ bundle or action.yml is stale (npm run build, then commit):\n${dist.output}`);
  }
  return notes === undefined ? { problems } : { problems, notes };
}
