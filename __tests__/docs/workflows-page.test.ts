/**
 * docs/workflows.md against the reusable workflows: its inputs, secrets and outputs tables are the
 * workflows' own (scripts/workflow-tables.ts keeps them so), and every caller example on the page
 * passes the workflow rules of __tests__/workflows/rules.ts, above all the reusable-workflow
 * contracts (only declared inputs and secrets, every required input, the permissions the called
 * jobs raise). Each check is also shown to fail on an altered workflow or example.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../fixtures.ts';
import { checkFiles, formatFindings, loadActionContracts } from '../workflows/rules.ts';
import { checkWorkflowPage, reusableWorkflows, WORKFLOWS_PAGE } from '../../scripts/workflow-tables.ts';

const page = () => readFileSync(join(REPO_ROOT, WORKFLOWS_PAGE), 'utf8');

/** A copy of the repository's reusable workflows and page under a temporary root. */
function copyRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'workflows-page-'));
  cpSync(join(REPO_ROOT, '.github', 'workflows'), join(root, '.github', 'workflows'), { recursive: true });
  mkdirSync(join(root, 'docs'));
  cpSync(join(REPO_ROOT, WORKFLOWS_PAGE), join(root, WORKFLOWS_PAGE));
  return root;
}

type Obj = Record<string, unknown>;

/**
 * The page's YAML examples as whole caller workflows: an example with `on:` is one, and an
 * example of jobs alone joins the workflow before it (the pipeline is told job by job), or is
 * wrapped in a dispatch trigger when it comes first.
 */
function examples(markdown: string): Obj[] {
  const workflows: Obj[] = [];
  for (const m of markdown.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)) {
    const doc = parse(m[1] ?? '') as Obj;
    if (!JSON.stringify(doc).includes('release-actions/release-actions/.github/workflows/')) continue;
    const last = workflows.at(-1);
    if (doc['on'] === undefined && last) Object.assign(last['jobs'] as Obj, doc['jobs']);
    else workflows.push({ on: { workflow_dispatch: null }, permissions: {}, ...doc });
  }
  return workflows;
}

describe(`${WORKFLOWS_PAGE}`, () => {
  let root: string;
  beforeAll(() => {
    root = copyRoot();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('documents the five reusable workflows', () => {
    assert.deepEqual(
      [...reusableWorkflows(REPO_ROOT).keys()],
      ['canary', 'promote', 'release', 'reverify', 'rollback'],
    );
  });

  it('has the inputs, secrets and outputs tables of each, as the workflows declare them', async () => {
    const messages = await checkWorkflowPage(REPO_ROOT);
    assert.deepEqual(messages, [], `run npm run docs:tables:\n${messages.join('\n')}`);
  });

  it('names the table that differs when a workflow gains an input, and a workflow without tables', async () => {
    const file = join(root, '.github', 'workflows', 'promote.yml');
    const original = readFileSync(file, 'utf8');
    try {
      writeFileSync(
        file,
        original.replace(
          '    inputs:\n',
          "    inputs:\n      dry-run:\n        description: 'Plan only.'\n        type: boolean\n        default: false\n",
        ),
      );
      writeFileSync(
        join(root, '.github', 'workflows', 'deploy.yml'),
        'on:\n  workflow_call:\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps: [{ run: "true" }]\n',
      );
      const messages = await checkWorkflowPage(root);
      assert.ok(
        messages.some((m) => m.includes('inputs table of promote differs')),
        messages.join('\n'),
      );
      assert.ok(
        messages.some((m) => m.includes('no inputs table of .github/workflows/deploy.yml')),
        messages.join('\n'),
      );
      assert.ok(
        !messages.some((m) => /of (release|canary|rollback|reverify)\b/.test(m)),
        messages.join('\n'),
      );
    } finally {
      writeFileSync(file, original);
      rmSync(join(root, '.github', 'workflows', 'deploy.yml'), { force: true });
    }
  });

  /** The findings of the rules over `workflows`, written as caller workflows under the copy. */
  async function lintExamples(workflows: readonly Obj[]): Promise<string> {
    const files = workflows.map((_, i) => `.github/workflows/example-${i + 1}.yml`);
    workflows.forEach((w, i) => writeFileSync(join(root, files[i]!), stringify(w)));
    try {
      return formatFindings(await checkFiles(root, files, loadActionContracts(REPO_ROOT)));
    } finally {
      for (const f of files) rmSync(join(root, f), { force: true });
    }
  }

  it('has caller examples of every workflow that keep its contract', async () => {
    const workflows = examples(page());
    const called = new Set(
      workflows.flatMap((w) =>
        Object.values(w['jobs'] as Obj).map(
          (j) => /workflows\/(\w+)\.yml/.exec(String((j as Obj)['uses']))?.[1],
        ),
      ),
    );
    assert.deepEqual([...called].sort(), ['canary', 'promote', 'release', 'reverify', 'rollback']);
    assert.equal(await lintExamples(workflows), '');
  });

  it('finds an example that passes an undeclared input or grants too little', async () => {
    const workflows = examples(page());
    const jobs = workflows.flatMap((w) => Object.values(w['jobs'] as Obj) as Obj[]);
    const promote = jobs.find((j) => String(j['uses']).includes('/promote.yml@'))!;
    (promote['with'] as Obj)['migration-checks'] = (promote['with'] as Obj)['migration-check'];
    delete (promote['with'] as Obj)['migration-check'];
    const reverify = jobs.find((j) => String(j['uses']).includes('/reverify.yml@'))!;
    delete (reverify['permissions'] as Obj)['issues'];
    const findings = await lintExamples(workflows);
    assert.match(findings, /reusable-input: Invalid input, migration-checks/);
    assert.match(findings, /reusable-permissions: .*reverify\.yml, whose job issue needs issues: write/);
  });
});
