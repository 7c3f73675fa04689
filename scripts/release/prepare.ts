/**
 * Prepares the release commit of release-actions `X.Y.Z` (`npm run release:prepare -- X.Y.Z`):
 *
 * 1. refuses a work tree with changes (the commit must hold exactly what is checked here);
 * 2. runs `scripts/build.ts --check`: every dist/ and top-level action.yml must be current;
 * 3. points every `release-actions/release-actions/<…>@<ref>` of the reusable workflows at
 *    `vX.Y.Z` (so the release's workflows run the release's actions);
 * 4. moves CHANGELOG.md's `## Unreleased` entries under `## X.Y.Z — <today, UTC>`;
 * 5. prints the commit, tag and push commands, or with `--commit` makes the commit and prints the rest.
 *
 * Run again after `--commit`, it changes nothing and prints the same tag and push commands.
 *
 *   node scripts/release/prepare.ts <X.Y.Z> [--commit]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CHANGELOG,
  checkDist,
  moveUnreleased,
  parseVersion,
  rewriteInternalRefs,
  WORKFLOWS_DIR,
} from './release.ts';

function git(root: string, args: string[]): string {
  const run = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) {
    throw new Error(`git ${args.join(' ')} failed: ${(run.stderr || String(run.error)).trim()}`);
  }
  return run.stdout;
}

export function prepare(root: string, args: readonly string[]): void {
  const commit = args.includes('--commit');
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--commit');
  const positional = args.filter((a) => !a.startsWith('--'));
  if (unknown.length > 0 || positional.length !== 1) {
    throw new Error(
      `usage: npm run release:prepare -- <X.Y.Z> [--commit]${unknown.length ? ` (unknown: ${unknown.join(' ')})` : ''}`,
    );
  }
  const text = positional[0] ?? '';
  const version = parseVersion(text.replace(/^v/, ''));
  if (!version) throw new Error(`"${text}" is not a version X.Y.Z (e.g. 1.2.0)`);
  const tag = `v${version.text}`;

  const dirty = git(root, ['status', '--porcelain']).trimEnd();
  if (dirty !== '') {
    throw new Error(
      `the work tree has changes; commit or remove them first, so the release commit holds only the release:\n${dirty}`,
    );
  }

  const tagged = spawnSync('git', ['rev-parse', '-q', '--verify', `refs/tags/${tag}^{commit}`], {
    cwd: root,
    encoding: 'utf8',
  }).stdout.trim();
  if (tagged !== '' && tagged !== git(root, ['rev-parse', 'HEAD']).trim()) {
    throw new Error(
      `${tag} exists already (commit ${tagged.slice(0, 12)}): a release is never moved; choose the next version`,
    );
  }

  // The quick checks first (the changelog, then the bundles): when one refuses, nothing is written.
  const changelogPath = join(root, CHANGELOG);
  if (!existsSync(changelogPath)) throw new Error(`${CHANGELOG} is missing: it holds each release's notes`);
  const before = readFileSync(changelogPath, 'utf8');
  const after = moveUnreleased(before, version.text, new Date().toISOString().slice(0, 10));
  console.log('checking that every dist/ is current (scripts/build.ts --check) …');
  const dist = checkDist(root);
  if (!dist.ok) throw new Error(`${dist.output}\nrebuild (npm run build), commit, and run this again`);
  const changed = rewriteInternalRefs(root, tag);
  for (const file of changed) console.log(`${file}: internal references now at ${tag}`);
  if (after !== before) {
    writeFileSync(changelogPath, after);
    changed.push(CHANGELOG);
    console.log(`${CHANGELOG}: "## Unreleased" moved under "## ${version.text}"`);
  }

  const message = `chore(release): ${version.text}`;
  const steps: string[] = [];
  if (changed.length === 0) {
    console.log(`nothing to change: ${tag} is prepared already`);
  } else if (commit) {
    git(root, ['add', '--', ...changed]);
    git(root, ['commit', '-q', '-m', message]);
    console.log(`committed "${message}"`);
  } else {
    steps.push(`git add ${WORKFLOWS_DIR} ${CHANGELOG} && git commit -m "${message}"`);
  }
  steps.push(`git tag -a ${tag} -m "${tag}"`, `git push --atomic origin HEAD:main ${tag}`);
  console.log(
    `\nnext (the push of ${tag} starts .github/workflows/publish.yml):\n${steps.map((s) => `  ${s}`).join('\n')}`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    prepare(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), process.argv.slice(2));
  } catch (error) {
    console.error(`release:prepare: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
