/**
 * Checks that the checked-out commit may be published as release `<tag>`
 * (`npm run release:check -- <tag> …`; `.github/workflows/publish.yml` runs it on the tag's push):
 *
 * - `<tag>` is `vX.Y.Z`;
 * - every `release-actions/release-actions/<…>@<ref>` of the reusable workflows is at `<tag>`
 *   (each one that is not is named as `file:line`);
 * - CHANGELOG.md has a non-empty `## X.Y.Z` section;
 * - every dist/ and top-level action.yml is current (`scripts/build.ts --check`);
 * - with `--on <rev>`, the tag's commit is on `<rev>` (e.g. `origin/main`).
 *
 * The commits since the previous release whose subject is not a Conventional Commit
 * (`type(scope): subject`) are listed as warnings: they do not fail the check.
 *
 * Every problem is printed, then it exits 1. Otherwise the version's changelog section is the
 * release notes: written to `--notes-file <file>` (else printed). `--github-output <file>` appends
 * `major=vX`, `move-major=true|false` (false when a later `vX.*.*` release exists, so a patch of an
 * older minor leaves `vX` on the latest) and `latest=<tag>` for the workflow's later steps.
 *
 *   node scripts/release/check.ts <tag> [--notes-file <file>] [--github-output <file>] [--on <rev>]
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkRelease,
  commitsSincePreviousRelease,
  CONVENTIONAL_COMMIT,
  gitTags,
  majorTag,
} from './release.ts';

const OPTIONS = ['--notes-file', '--github-output', '--on'] as const;
type Option = (typeof OPTIONS)[number];

function parseArgs(args: readonly string[]): { tag: string; options: Partial<Record<Option, string>> } {
  const usage =
    'usage: npm run release:check -- <tag> [--notes-file <file>] [--github-output <file>] [--on <rev>]';
  const options: Partial<Record<Option, string>> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const value = args[i + 1];
    if (!(OPTIONS as readonly string[]).includes(arg) || value === undefined || value.startsWith('--')) {
      throw new Error(`${usage} (${arg}${value === undefined ? ' needs a value' : ''})`);
    }
    options[arg as Option] = value;
    i++;
  }
  if (positional.length !== 1) throw new Error(usage);
  return { tag: positional[0] ?? '', options };
}

/** Runs the check on the repository at `root`; returns the exit code. */
export function check(root: string, args: readonly string[]): number {
  const { tag, options } = parseArgs(args);
  const result = checkRelease(root, tag);
  const on = options['--on'];
  if (on !== undefined) {
    const ancestor = spawnSync('git', ['merge-base', '--is-ancestor', `${tag}^{commit}`, on], { cwd: root });
    if (ancestor.status !== 0) {
      result.problems.push(
        `${tag} is not on ${on}: release from a commit on ${on} (its tag is pushed with it by release:prepare's commands)`,
      );
    }
  }
  if (result.problems.length > 0 || result.notes === undefined) {
    console.error(`release:check: ${tag} cannot be released:`);
    for (const problem of result.problems) console.error(`- ${problem}`);
    return 1;
  }
  // Commit subjects are not a reason to refuse: main's history cannot be reworded once pushed.
  const { previous, commits } = commitsSincePreviousRelease(root, tag);
  const loose = commits.filter((c) => !CONVENTIONAL_COMMIT.test(c.subject));
  for (const c of loose) {
    console.error(
      `warning: commit ${c.hash} "${c.subject}" is not a Conventional Commit (type(scope): subject)`,
    );
  }
  if (previous !== undefined) {
    console.error(
      `${commits.length - loose.length} of ${commits.length} commits since ${previous} are Conventional Commits`,
    );
  }
  const notesFile = options['--notes-file'];
  if (notesFile !== undefined) {
    writeFileSync(notesFile, result.notes);
    console.log(`release notes of ${tag} written to ${notesFile}`);
  } else {
    process.stdout.write(result.notes);
  }
  const outputFile = options['--github-output'];
  if (outputFile !== undefined) {
    const major = majorTag(tag, gitTags(root));
    appendFileSync(outputFile, `major=${major.major}\nmove-major=${major.move}\nlatest=${major.latest}\n`);
    console.log(
      major.move
        ? `${major.major} moves to ${tag}`
        : `${major.major} stays on ${major.latest}, a later release than ${tag}`,
    );
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = check(
      resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'),
      process.argv.slice(2),
    );
  } catch (error) {
    console.error(`release:check: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
