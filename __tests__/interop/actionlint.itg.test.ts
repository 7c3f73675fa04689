/**
 * The real actionlint (built by `npm run tools`), with Debian's shellcheck for `run:` scripts,
 * over every workflow of this repository: the reusable workflows and CI under
 * `.github/workflows/`, and the starter workflows under `workflows-templates/` with GitHub's
 * template placeholders (`$default-branch`, …) replaced by what GitHub writes when a user adds
 * one. Any finding fails the test, listed with file, line and rule. A fixture workflow holding
 * mistakes shows the check fails (an actionlint finding and a shellcheck one).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from '@jest/globals';
import { REPO_ROOT } from '../fixtures.ts';
import { tool } from './tools.ts';
import { skipIf } from '../jest-helpers.ts';
import { substitutePlaceholders, TEMPLATES_DIR, workflowFiles } from '../workflows/rules.ts';

const actionlint = tool('actionlint');
const shellcheck = tool('shellcheck');

interface Finding {
  message: string;
  filepath: string;
  line: number;
  column: number;
  kind: string;
}

skipIf(actionlint.skip || shellcheck.skip).describe('actionlint over the workflows', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'actionlint-'));
    await mkdir(join(work, '.github', 'workflows'), { recursive: true });
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  /** Lints `files` (relative to `work`, already written there), returning actionlint's findings. */
  async function lint(files: string[]): Promise<Finding[]> {
    const run = await actionlint.run(
      ['-shellcheck', shellcheck.path ?? 'shellcheck', '-no-color', '-format', '{{json .}}', ...files],
      { cwd: work },
    );
    // exit 0: no finding; 1: findings; anything else: actionlint itself failed
    assert.ok(run.code === 0 || run.code === 1, `actionlint failed (exit ${run.code}): ${run.stderr}`);
    const findings = run.stdout.trim() ? (JSON.parse(run.stdout) as Finding[]) : [];
    assert.equal(findings.length > 0, run.code === 1, run.stderr);
    return findings;
  }

  const show = (findings: Finding[]) =>
    findings.map((f) => `${f.filepath}:${f.line}:${f.column}: ${f.message} [${f.kind}]`).join('\n');

  it('finds nothing in .github/workflows/ and workflows-templates/ (placeholders substituted)', async () => {
    // every workflow: .github/workflows/*.yml and workflows-templates/**/*.yml but the
    // configuration templates (workflows-templates/config/: dependabot.yml is no workflow)
    const files = workflowFiles(REPO_ROOT);
    assert.ok(
      files.some((f) => f.startsWith('.github/workflows/')),
      'no workflow found under .github/workflows',
    );
    assert.ok(
      files.some((f) => f.startsWith('workflows-templates/')),
      'no starter workflow found',
    );
    // Starter workflows are copied into .github/workflows of the consumer's repository: lint them
    // there, so that actionlint treats them as workflows (and resolves nothing of ours locally).
    const written: string[] = [];
    for (const file of files) {
      const target = file.startsWith(`${TEMPLATES_DIR}/`)
        ? join(
            '.github',
            'workflows',
            `template-${file.slice(TEMPLATES_DIR.length + 1).replaceAll('/', '-')}`,
          )
        : file;
      await writeFile(
        join(work, target),
        substitutePlaceholders(await readFile(join(REPO_ROOT, file), 'utf8')),
      );
      written.push(target);
    }
    const findings = await lint(written);
    console.log(`${written.length} workflows linted: ${files.join(', ')}`);
    assert.deepEqual(findings, [], `actionlint findings:\n${show(findings)}`);
  });

  it('fails on a workflow holding mistakes: an actionlint finding and a shellcheck one', async () => {
    const target = join('.github', 'workflows', 'broken.yml');
    await writeFile(
      join(work, target),
      [
        'name: broken',
        'on:',
        '  push:',
        '    branches: [$default-branch]',
        'permissions: {}',
        'jobs:',
        '  build:',
        '    runs-on: ubuntu-24.04',
        '    steps:',
        '      - id: first',
        '        run: echo $UNQUOTED_PATH',
        '      - run: echo "${{ steps.missing.outputs.value }}"',
        '',
      ].join('\n'),
    );
    // the placeholder substituted, so the mistakes are the only findings
    await writeFile(join(work, target), substitutePlaceholders(await readFile(join(work, target), 'utf8')));
    const findings = await lint([target]);
    const kinds = findings.map((f) => f.kind).sort();
    assert.ok(kinds.includes('shellcheck'), `no shellcheck finding:\n${show(findings)}`);
    assert.ok(
      findings.some((f) => f.kind === 'expression' && f.message.includes('missing')),
      `no finding for the undefined step:\n${show(findings)}`,
    );
  });
});
