/**
 * No tracked file names a path that exists on one machine only: a home directory, root's home, or
 * the directory this repository was developed in. Test data beside the repository is found
 * relative to it (__tests__/fixtures.ts), temporary files under os.tmpdir().
 *
 * Flagged: `/home/<user>…`, `/Users/<name>…`, `/root/…`, `/work/<dir>…`, `C:\Users\<name>…` (also
 * with forward or doubled slashes, and WSL's `/mnt/c/Users/<name>…`), when the path starts on its
 * own (after a space, a quote, `(`, `=`, `:`…).
 *
 * Allowed: system paths (`/usr/share/java`, `/etc/os-release`, `/var/lib/dpkg/status`, `/tmp/…`,
 * `/opt/…`); the same names inside a URL (`https://host/home/x`) or a longer path
 * (`/v2/root/app/manifests`, `../work/x`, `acme/home/x`); paths under a variable (`$HOME/x`,
 * `${RUNNER_TEMP}` or `~` before such a name); placeholders (`/home/<user>`, `/work/...`); the bare names
 * (`HOME=/root`, "never /work paths"). Left out: `dist/` bundles and package-lock.json (generated,
 * not ours), and binary files.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../fixtures.ts';

/** Not part of a longer path, a URL, a relative path or a variable's expansion. */
const START = String.raw`(?<![\w.~$}\])*/\\-])`;
const NAME = String.raw`[A-Za-z0-9_]`;
const MACHINE_PATH = new RegExp(
  START +
    '(?:' +
    [
      String.raw`/home/${NAME}`,
      String.raw`/Users/${NAME}`,
      String.raw`/root/[A-Za-z0-9_.]`,
      String.raw`/work/${NAME}`,
      String.raw`/mnt/[a-z]/Users/${NAME}`,
      String.raw`\b[A-Za-z]:(?:\\+|/+)Users(?:\\+|/+)${NAME}`,
    ].join('|') +
    ')',
);

/** The machine paths in `text`, as `line: text` (trimmed). */
function machinePaths(text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (MACHINE_PATH.test(line)) found.push(`${i + 1}: ${line.trim().slice(0, 160)}`);
  });
  return found;
}

/** Tracked files that are ours to check: not a dist/ bundle, not package-lock.json. */
function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\0')
    .filter((f) => f && !/(^|\/)dist\//.test(f) && !/(^|\/)package-lock\.json$/.test(f));
}

// In the flagged cases `|` stands for `/` and `%` for `\`, so that this file names no such path itself.
const slashes = (s: string) => s.replaceAll('|', '/').replaceAll('%', '\\');

describe('machine paths', () => {
  it('finds a path of one machine, wherever it stands on a line', () => {
    const flagged = [
      "const SYFT = '|work|shared|fixtures|syft';",
      'see |work|main|README.md',
      'cd |home|alice|src && npm test',
      'HOME=|home|runner',
      'PATH=|usr|bin:|home|bob|.local|bin',
      '"|root|.docker|config.json"',
      'open(|Users|carol|Library)',
      'C:%Users%dave%AppData',
      '"C:%%Users%%dave%%AppData"',
      'c:|Users|dave|x',
      '|mnt|c|Users|erin|repo',
      '`|work|shared|fixtures|spdx|spdx-schema.json`',
    ].map(slashes);
    for (const line of flagged) assert.deepEqual(machinePaths(line), [`1: ${line}`], line);
    assert.deepEqual(machinePaths(`first\n  ${flagged[0]}\nlast`), [`2: ${flagged[0]}`]);
  });

  it('leaves system paths, URLs, relative paths, variables, placeholders and bare names alone', () => {
    const allowed = [
      "walkDirectory('/usr/share/java')",
      'readFileSync("/etc/os-release")',
      '/var/lib/dpkg/status and /var/lib/rpm/Packages',
      "mkdtempSync(join('/tmp', 'x'))",
      '/opt/app/bin',
      'https://example.com/home/alice/x',
      'http://127.0.0.1:5000/v2/root/app/manifests/latest',
      'https:||[::1]|work|x',
      "r.path === '/v2/root/app/manifests/latest'",
      'acme/app/.github/workflows/release.yml',
      '../shared/fixtures/syft and ../work/x',
      'fixtures/home/x',
      '$HOME/.docker/config.json',
      '${RUNNER_TEMP}|work|x',
      '$(pwd)|work|x',
      '~|work|repo',
      '/home/<user> or /Users/<name>',
      'never /work paths, nor /work/... ones',
      'HOME=/root',
      "'trusted-root': '/nonexistent/root.json'",
      'C:\\Program Files\\x',
    ].map((line) => line.replaceAll('|', '/'));
    for (const line of allowed) assert.deepEqual(machinePaths(line), [], line);
  });

  it('no tracked file outside dist/ names one (git ls-files)', () => {
    const files = trackedFiles();
    assert.ok(files.includes('package.json') && files.includes('README.md'), 'listed from the root');
    const hits: string[] = [];
    for (const file of files) {
      const path = join(REPO_ROOT, file);
      let stat;
      try {
        stat = lstatSync(path);
      } catch {
        continue; // deleted in the work tree, not yet in the index
      }
      if (stat.isSymbolicLink()) {
        for (const hit of machinePaths(readlinkSync(path))) hits.push(`${file} (symlink) ${hit}`);
        continue;
      }
      if (!stat.isFile()) continue;
      const content = readFileSync(path);
      if (content.subarray(0, 8000).includes(0)) continue; // binary
      for (const hit of machinePaths(content.toString('utf8'))) hits.push(`${file}:${hit}`);
    }
    assert.deepEqual(hits, [], `paths of one machine in tracked files:\n${hits.join('\n')}`);
  });
});
