/**
 * Each rule of ./rules.ts can fail: every file of `fixtures/` (laid out as a repository: workflows
 * in `.github/workflows/`, starter workflows in `workflows-templates/`) holds one mistake, checked
 * alone, and gives exactly the findings listed here, by file, line and rule, each message naming
 * what is wrong. The fixtures without a mistake (a reusable workflow, its caller, a starter with an
 * SVG icon and placeholders) give none, so the rules do not flag what they should allow.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { REPO_ROOT } from '../fixtures.ts';
import {
  checkFiles,
  formatFinding,
  formatFindings,
  listFiles,
  loadActionContracts,
  RULES,
  substitutePlaceholders,
  workflowFiles,
  type Rule,
} from './rules.ts';

const ROOT = join(REPO_ROOT, '__tests__', 'workflows', 'fixtures');
const contracts = loadActionContracts(REPO_ROOT);
const W = '.github/workflows';
const T = 'workflows-templates';

/** `[file:line, rule, a fragment of the message]` of each finding expected. */
type Expected = [where: string, rule: Rule, names: string];

const EXPECTED: Record<string, Expected[]> = {
  // no mistake
  [`${W}/callee.yml`]: [],
  [`${W}/caller.yml`]: [],
  [`${T}/clean.yml`]: [],
  [`${T}/clean.properties.json`]: [],
  // pins
  [`${W}/unpinned-action.yml`]: [[`${W}/unpinned-action.yml:10`, 'pin', 'actions/setup-node@v7']],
  [`${W}/pin-without-comment.yml`]: [[`${W}/pin-without-comment.yml:10`, 'pin', '# vX.Y.Z']],
  [`${W}/checkout-v4-tag.yml`]: [
    [`${W}/checkout-v4-tag.yml:10`, 'checkout-version', 'v4 runs on node20'],
    [`${W}/checkout-v4-tag.yml:10`, 'pin', 'actions/checkout@v4'],
  ],
  [`${W}/checkout-node20.yml`]: [[`${W}/checkout-node20.yml:10`, 'checkout-version', 'v4.2.2']],
  [`${W}/checkout-credentials.yml`]: [
    [`${W}/checkout-credentials.yml:10`, 'checkout-credentials', 'persist'],
  ],
  [`${W}/pin-consistency.yml`]: [[`${W}/pin-consistency.yml:15`, 'pin-consistency', 'v4.4.0']],
  [`${W}/slsa-by-sha.yml`]: [[`${W}/slsa-by-sha.yml:11`, 'slsa-tag', 'by tag']],
  [`${W}/local-action-in-reusable.yml`]: [
    [`${W}/local-action-in-reusable.yml:11`, 'own-action-ref', './actions/health-check'],
  ],
  [`${T}/org-placeholder.yml`]: [[`${T}/org-placeholder.yml:14`, 'own-action-ref', 'owner <org>']],
  // permissions
  [`${W}/write-all-permissions.yml`]: [[`${W}/write-all-permissions.yml:4`, 'permissions-top', 'write-all']],
  [`${W}/no-permissions.yml`]: [[`${W}/no-permissions.yml:1`, 'permissions-top', 'no top-level']],
  [`${W}/job-write-all.yml`]: [[`${W}/job-write-all.yml:9`, 'permissions-job', 'job build']],
  [`${W}/id-token-without-signing.yml`]: [[`${W}/id-token-without-signing.yml:11`, 'id-token', 'job probe']],
  [`${W}/caller-permissions.yml`]: [
    [`${W}/caller-permissions.yml:10`, 'reusable-permissions', 'packages: write'],
  ],
  // expressions
  [`${W}/event-title-in-run.yml`]: [
    [`${W}/event-title-in-run.yml:12`, 'run-expression', '${{ github.event.issue.title }}'],
  ],
  [`${W}/command-expression.yml`]: [
    [`${W}/command-expression.yml:23`, 'command-expression', 'rollback-command'],
  ],
  // jobs and workflow_call
  [`${W}/missing-timeout.yml`]: [[`${W}/missing-timeout.yml:6`, 'timeout', 'job build']],
  [`${W}/workflow-call-undocumented.yml`]: [
    [`${W}/workflow-call-undocumented.yml:6`, 'workflow-call-docs', 'input url has no description'],
  ],
  [`${W}/workflow-output-unknown.yml`]: [
    [`${W}/workflow-output-unknown.yml:8`, 'workflow-output', 'jobs.probe.outputs.ok'],
  ],
  [`${W}/workflow-syntax.yml`]: [[`${W}/workflow-syntax.yml:9`, 'workflow-syntax', "'step'"]],
  // our actions' contracts
  [`${W}/unknown-with-key.yml`]: [[`${W}/unknown-with-key.yml:13`, 'action-input', 'timeout-ms']],
  [`${W}/missing-required-input.yml`]: [
    [`${W}/missing-required-input.yml:10`, 'action-required-input', 'url'],
  ],
  [`${W}/unknown-step-output.yml`]: [[`${W}/unknown-step-output.yml:20`, 'step-output', 'no output sha']],
  // reusable-workflow contracts
  [`${W}/caller-undeclared-input.yml`]: [[`${W}/caller-undeclared-input.yml:14`, 'reusable-input', 'region']],
  [`${W}/caller-missing-input.yml`]: [
    [`${W}/caller-missing-input.yml:11`, 'reusable-required-input', 'image'],
  ],
  [`${W}/caller-input-type.yml`]: [[`${W}/caller-input-type.yml:14`, 'reusable-input-type', 'dry-run']],
  [`${W}/caller-undeclared-secret.yml`]: [
    [`${W}/caller-undeclared-secret.yml:16`, 'reusable-secret', 'registry-token'],
  ],
  [`${W}/caller-missing-secret.yml`]: [
    [`${W}/caller-missing-secret.yml:11`, 'reusable-required-secret', 'registry-password'],
  ],
  [`${T}/remote-caller.yml`]: [[`${T}/remote-caller.yml:17`, 'reusable-input', 'platform']],
  [`${T}/remote-caller.properties.json`]: [],
  [`${W}/reusable-missing.yml`]: [[`${W}/reusable-missing.yml:7`, 'reusable-missing', 'absent.yml']],
  [`${W}/unknown-needs-output.yml`]: [
    [`${W}/unknown-needs-output.yml:22`, 'needs-output', 'no output sha'],
    [`${W}/unknown-needs-output.yml:23`, 'needs-output', 'no output signed'],
  ],
  // templates
  [`${T}/no-icon.yml`]: [[`${T}/no-icon.properties.json`, 'template-properties', 'no iconName']],
  [`${T}/no-icon.properties.json`]: [],
  [`${T}/no-properties.yml`]: [
    [`${T}/no-properties.yml`, 'template-properties', 'no-properties.properties.json'],
  ],
  [`${T}/lonely.properties.json`]: [[`${T}/lonely.properties.json`, 'template-properties', 'lonely.yml']],
  [`${T}/bad-file-pattern.yml`]: [
    [`${T}/bad-file-pattern.properties.json:6`, 'template-properties', '"^Dockerfile($"'],
  ],
  [`${T}/bad-file-pattern.properties.json`]: [],
  [`${T}/unknown-octicon.yml`]: [[`${T}/unknown-octicon.properties.json:4`, 'template-icon', 'rocket-ship']],
  [`${T}/unknown-octicon.properties.json`]: [],
  [`${T}/org-placeholder.properties.json`]: [],
  [`${T}/config/dependabot.yml`]: [[`${T}/config/dependabot.yml:7`, 'dependabot-schema', 'interval']],
};

describe('workflow rules over fixtures, one mistake each', () => {
  it('has an expectation for every fixture, and every fixture exists', () => {
    assert.deepEqual([...listFiles(ROOT)], Object.keys(EXPECTED).sort());
  });

  it('proves every rule able to fail', () => {
    const proven = new Set(Object.values(EXPECTED).flatMap((list) => list.map(([, rule]) => rule)));
    const unproven = Object.keys(RULES).filter((rule) => !proven.has(rule as Rule));
    assert.deepEqual(unproven, [], `rules without a fixture: ${unproven.join(', ')}`);
  });

  it.each(Object.entries(EXPECTED))('%s', async (file, expected) => {
    const findings = await checkFiles(ROOT, [file], contracts);
    const got = findings.map((f) => `${f.file}${f.line === undefined ? '' : `:${f.line}`} ${f.rule}`);
    assert.deepEqual(
      got,
      expected.map(([where, rule]) => `${where} ${rule}`),
      `findings:\n${formatFindings(findings)}`,
    );
    for (const [i, [, , names]] of expected.entries()) {
      assert.ok(findings[i]!.message.includes(names), `"${names}" not in: ${formatFinding(findings[i]!)}`);
      assert.ok(findings[i]!.fix.length > 0, `no fix in: ${formatFinding(findings[i]!)}`);
    }
  });
});

describe('formatFinding', () => {
  it('reads file:line rule: message (fix), the line left out for a finding about the whole file', () => {
    assert.equal(
      formatFinding({ file: 'a.yml', line: 3, rule: 'pin', message: 'movable', fix: 'pin it' }),
      'a.yml:3 pin: movable (pin it)',
    );
    assert.equal(
      formatFinding({ file: 'a.json', rule: 'template-properties', message: 'no iconName', fix: 'add it' }),
      'a.json template-properties: no iconName (add it)',
    );
  });
});

describe('workflowFiles', () => {
  it('lists the workflows and starter workflows, not the configuration templates nor properties', () => {
    const files = workflowFiles(ROOT);
    assert.ok(files.includes(`${W}/callee.yml`));
    assert.ok(files.includes(`${T}/clean.yml`));
    assert.ok(!files.some((f) => f.startsWith(`${T}/config/`) || f.endsWith('.json')), files.join('\n'));
  });
});

describe('substitutePlaceholders', () => {
  it("writes GitHub's values: a bare cron placeholder quoted, a quoted one in its quotes", () => {
    assert.equal(
      substitutePlaceholders("branches: [$default-branch]\n- cron: $cron-daily\n- cron: '$cron-weekly'\n"),
      "branches: [main]\n- cron: '0 0 * * *'\n- cron: '0 0 * * 0'\n",
    );
  });
});
