/**
 * The repository's workflows and starter templates follow every rule of ./rules.ts: each file is
 * one test, and a failure lists all of that file's findings as `file:line rule: message (fix)`.
 * (`fixtures.test.ts` shows each rule finds its mistake.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, it } from '@jest/globals';
import { parse } from 'yaml';
import { REPO_ROOT } from '../fixtures.ts';
import {
  checkFiles,
  formatFindings,
  isWorkflowPath,
  listFiles,
  loadActionContracts,
  TEMPLATE_CONFIG_DIR,
  type Finding,
} from './rules.ts';

const files = listFiles(REPO_ROOT);

describe('the repository follows the workflow rules', () => {
  let findings: Finding[] = [];
  beforeAll(async () => {
    findings = await checkFiles(REPO_ROOT, files, loadActionContracts(REPO_ROOT));
  });

  it('finds the workflows and the starter templates', () => {
    assert.ok(
      files.filter(isWorkflowPath).some((f) => f.startsWith('.github/workflows/')),
      files.join('\n'),
    );
    assert.ok(
      files.some((f) => f.startsWith('workflows-templates/') && isWorkflowPath(f)),
      files.join('\n'),
    );
  });

  it.each(files)('%s: no finding', (file) => {
    const mine = findings.filter((f) => f.file === file);
    assert.equal(mine.length, 0, `${mine.length} finding(s):\n${formatFindings(mine)}`);
  });

  it('has a dependabot template for github-actions, npm and docker', () => {
    const path = `${TEMPLATE_CONFIG_DIR}/dependabot.yml`;
    assert.ok(files.includes(path), `no ${path}`);
    const config = parse(readFileSync(join(REPO_ROOT, path), 'utf8')) as {
      updates?: { 'package-ecosystem'?: string }[];
    };
    const ecosystems = (config.updates ?? []).map((u) => u['package-ecosystem']);
    for (const ecosystem of ['github-actions', 'npm', 'docker']) {
      assert.ok(
        ecosystems.includes(ecosystem),
        `${path} has no update for ${ecosystem} (has ${ecosystems.join(', ')})`,
      );
    }
  });
});
