/**
 * What the starter workflows under workflows-templates/ do, beyond the rules the workflow suites
 * check: the environments policy they tell users to copy (config/release-environments.yml) is
 * one the promote action accepts, every promotion the starters make is one that policy allows,
 * and the promote starter's first step refuses, by itself, exactly the pairs the policy refuses
 * (its script run with bash as the runner runs it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { parse } from 'yaml';
import { checkTransition, parsePolicy } from '@release-actions/shared/promote';
import { REPO_ROOT } from '../fixtures.ts';

const TEMPLATES = join(REPO_ROOT, 'workflows-templates');
const POLICY_FILE = 'config/release-environments.yml';

interface Step {
  name?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Job {
  uses?: string;
  with?: Record<string, unknown>;
  steps?: Step[];
}
interface Workflow {
  on: { workflow_dispatch?: { inputs?: Record<string, { options?: string[] }> } };
  jobs: Record<string, Job>;
}

const read = (file: string) => readFileSync(join(TEMPLATES, file), 'utf8');
const workflow = (file: string) => parse(read(file)) as Workflow;
// The copy a user makes: OWNER/REPO replaced by a (lowercase) repository.
const policy = () => parsePolicy(read(POLICY_FILE).replaceAll('OWNER/REPO', 'acme/app'), POLICY_FILE);
const allowed = (from: string, to: string) => {
  try {
    checkTransition(policy(), from, to);
    return true;
  } catch {
    return false;
  }
};

describe('starter workflows and the environments policy', () => {
  it('the example policy is valid: dev, staging, canary, production, each tagged with its name', () => {
    const p = policy();
    assert.deepEqual(
      p.environments.map((e) => `${e.name} ${e.repository.registry}/${e.repository.repository}:${e.tag}`),
      [
        'dev ghcr.io/acme/app:dev',
        'staging ghcr.io/acme/app:staging',
        'canary ghcr.io/acme/app:canary',
        'production ghcr.io/acme/app:production',
      ],
    );
  });

  it('every promotion a starter makes is allowed by that policy', () => {
    const promotions: string[] = [];
    for (const file of readdirSync(TEMPLATES).filter((f) => f.endsWith('.yml'))) {
      for (const [id, job] of Object.entries(workflow(file).jobs)) {
        if (!job.uses?.includes('/.github/workflows/promote.yml@')) continue;
        const { from, to } = job.with as { from: string; to: string };
        if (from.includes('${{')) continue; // the promote starter's choice: its check is tested below
        promotions.push(`${file} ${id}: ${from} → ${to}`);
        assert.ok(allowed(from, to), `${file} job ${id} promotes ${from} → ${to}, which the policy refuses`);
      }
    }
    assert.deepEqual(promotions, [
      'canary.yml promote: staging → canary',
      'release-pipeline.yml staging: dev → staging',
      'release-pipeline.yml canary-promote: staging → canary',
      'release-pipeline.yml production: canary → production',
    ]);
  });

  describe('the promote starter refuses a pair before anything runs', () => {
    const wf = workflow('promote.yml');
    const inputs = wf.on.workflow_dispatch?.inputs ?? {};
    const check = wf.jobs['check']?.steps?.[0];
    /** Runs the check step's script as the runner does (bash -e -o pipefail), with `env`. */
    function runCheck(env: Record<string, string>) {
      assert.ok(check?.run, 'the check job has no run step');
      const run = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', check.run], {
        env: { PATH: process.env['PATH'] ?? '', ...env },
        encoding: 'utf8',
      });
      return { code: run.status, out: run.stdout + run.stderr };
    }

    it('offers dev/staging/canary → staging/canary/production, through env only', () => {
      assert.deepEqual(inputs['source_env']?.options, ['dev', 'staging', 'canary']);
      assert.deepEqual(inputs['target_env']?.options, ['staging', 'canary', 'production']);
      assert.deepEqual(Object.keys(check?.env ?? {}).sort(), ['DIGEST', 'SOURCE_ENV', 'TARGET_ENV']);
      assert.doesNotMatch(check?.run ?? '', /\$\{\{/);
    });

    it('passes exactly the pairs the policy allows, and names the refused pair', () => {
      const verdicts: string[] = [];
      for (const from of inputs['source_env']?.options ?? [])
        for (const to of inputs['target_env']?.options ?? []) {
          const { code, out } = runCheck({ SOURCE_ENV: from, TARGET_ENV: to, DIGEST: '' });
          assert.equal(code === 0, allowed(from, to), `${from} → ${to}: exit ${code}\n${out}`);
          if (code !== 0)
            assert.match(out, new RegExp(`::error title=target_env::promotion ${from} → ${to} is refused`));
          verdicts.push(`${from}→${to} ${code === 0 ? 'ok' : 'refused'}`);
        }
      assert.deepEqual(verdicts, [
        'dev→staging ok',
        'dev→canary refused',
        'dev→production refused',
        'staging→staging refused',
        'staging→canary ok',
        'staging→production refused',
        'canary→staging refused',
        'canary→canary refused',
        'canary→production ok',
      ]);
      // a pair outside the choices (the API does not go through the form's choices)
      assert.notEqual(runCheck({ SOURCE_ENV: 'production', TARGET_ENV: 'dev', DIGEST: '' }).code, 0);
    });

    it('takes a digest only as sha256:<64 hex>', () => {
      const digest = `sha256:${'ab'.repeat(32)}`;
      assert.equal(runCheck({ SOURCE_ENV: 'dev', TARGET_ENV: 'staging', DIGEST: digest }).code, 0);
      for (const bad of [
        'sha256:abc',
        `${digest}; rm -rf /`,
        `ghcr.io/acme/app@${digest}`,
        digest.toUpperCase(),
      ]) {
        const { code, out } = runCheck({ SOURCE_ENV: 'dev', TARGET_ENV: 'staging', DIGEST: bad });
        assert.equal(code, 1, bad);
        assert.match(out, /::error title=digest::/);
      }
    });
  });
});
